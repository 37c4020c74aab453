// Custom search attributes an operator filters on in the Temporal UI, e.g. `CollectionStage = "call"`.
// Registered by scripts/lib/temporal.ts when the project provisions its dev server.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CollectionStage = defineSearchAttributeKey('CollectionStage', SearchAttributeType.KEYWORD);
export const DaysPastDue = defineSearchAttributeKey('DaysPastDue', SearchAttributeType.INT);
export const PastDueMinor = defineSearchAttributeKey('PastDueMinor', SearchAttributeType.INT);
export const OutstandingMinor = defineSearchAttributeKey('OutstandingMinor', SearchAttributeType.INT);
export const Segment = defineSearchAttributeKey('Segment', SearchAttributeType.KEYWORD);
export const AssignedCollector = defineSearchAttributeKey('AssignedCollector', SearchAttributeType.KEYWORD);
export const Disputed = defineSearchAttributeKey('Disputed', SearchAttributeType.BOOL);
export const CollectionOutcome = defineSearchAttributeKey('CollectionOutcome', SearchAttributeType.KEYWORD);
export const StrategyId = defineSearchAttributeKey('StrategyId', SearchAttributeType.KEYWORD);
/** Contact on an open case is on hold: disputed, hardship or paused by an operator (the current details say which). */
export const Paused = defineSearchAttributeKey('Paused', SearchAttributeType.BOOL);
/** When the workflow next acts by itself, to the minute (the end of its wait); unset without a deadline or once closed. */
export const NextActionAt = defineSearchAttributeKey('NextActionAt', SearchAttributeType.DATETIME);

/** The case's latest predicted cure probability, 0..1 (the active scorecard); unset when no model scored it. */
export const CurePropensity = defineSearchAttributeKey('CurePropensity', SearchAttributeType.DOUBLE);

export const allSearchAttributes = [
  CollectionStage,
  DaysPastDue,
  PastDueMinor,
  OutstandingMinor,
  Segment,
  AssignedCollector,
  Disputed,
  CollectionOutcome,
  StrategyId,
  Paused,
  NextActionAt,
  CurePropensity,
] as const;
