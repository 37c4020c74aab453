#!/bin/sh
# One-shot: the namespace and Overdue's search attributes (contracts/search-attributes.ts), as
# scripts/lib/temporal.ts registers them on the dev server. Safe to re-run.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$ns" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$ns" --retention 72h
for sa in CollectionStage=Keyword DaysPastDue=Int PastDueMinor=Int OutstandingMinor=Int Segment=Keyword \
  AssignedCollector=Keyword Disputed=Bool CollectionOutcome=Keyword StrategyId=Keyword Paused=Bool NextActionAt=Datetime CurePropensity=Double; do
  temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$ns" --name "${sa%%=*}" --type "${sa##*=}" 2>/dev/null || true
done
temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$ns"
