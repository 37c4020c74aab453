// Choosing a loan's treatment from a strategy, and rescaling a strategy's clock. Pure and deterministic:
// the workflow calls chooseTreatment when a case opens, and a replay must choose the same path.
import { scaleDuration } from './duration';
import type { SegmentRule, Stage, Strategy, Treatment } from './types';

/** The non-PII facts a segment may look at. */
export interface SegmentFacts {
  loanId: string;
  /** Days past due, counted from the oldest unpaid due date. */
  dpd: number;
  /** Past-due amount in minor units of the strategy's currency. */
  pastDueMinor: number;
  /** Lender's risk score, if it supplies one. Segments with risk conditions do not match without it. */
  riskScore?: number;
  /** Predicted probability of a cure (the active scorecard, 0..1), if a model scored the loan. Segments with cure-propensity conditions do not match without it. */
  curePropensity?: number;
}

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `text`. Stable across processes, platforms and replays, so a
 * loan stays in the same experiment arm for its whole life and reports can recompute the split.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const byte = (b: number) => {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    }
  }
  return hash >>> 0;
}

/** The loan's experiment bucket, 0-99. A challenger with percent p takes buckets 0 .. p-1. */
export function experimentBucket(loanId: string): number {
  return fnv1a32(loanId) % 100;
}

/** Whether `facts` satisfy every condition of `segment` (bounds inclusive). */
export function segmentMatches(segment: SegmentRule, facts: SegmentFacts): boolean {
  const { when } = segment;
  const within = (value: number | undefined, min: number | undefined, max: number | undefined) => {
    if (min === undefined && max === undefined) return true;
    if (value === undefined) return false;
    return (min === undefined || value >= min) && (max === undefined || value <= max);
  };
  return (
    within(facts.dpd, when.minDpd, when.maxDpd) &&
    within(facts.pastDueMinor, when.minPastDueMinor, when.maxPastDueMinor) &&
    within(facts.riskScore, when.minRiskScore, when.maxRiskScore) &&
    within(facts.curePropensity, when.minCurePropensity, when.maxCurePropensity)
  );
}

/**
 * The first segment whose conditions hold chooses the path; if it runs a challenger, loans whose
 * bucket is below the challenger's percent take the challenger path.
 */
export function chooseTreatment(strategy: Strategy, facts: SegmentFacts): Treatment {
  if (!Number.isSafeInteger(facts.dpd) || facts.dpd < 0) {
    throw new RangeError(`dpd must be a non-negative integer (got ${facts.dpd})`);
  }
  if (!Number.isSafeInteger(facts.pastDueMinor)) {
    throw new RangeError(`pastDueMinor must be an integer count of minor units (got ${facts.pastDueMinor})`);
  }
  if (facts.riskScore !== undefined && !Number.isFinite(facts.riskScore)) {
    throw new RangeError(`riskScore must be a finite number when given (got ${facts.riskScore})`);
  }
  if (facts.curePropensity !== undefined && !(facts.curePropensity >= 0 && facts.curePropensity <= 1)) {
    throw new RangeError(`curePropensity must be a probability within 0..1 when given (got ${facts.curePropensity})`);
  }
  const segment = strategy.segments.find((s) => segmentMatches(s, facts));
  if (!segment) {
    // A validated strategy ends with a catch-all segment, so this means it skipped validation.
    throw new Error(
      `strategy "${strategy.id}" v${strategy.version} has no segment for loan ${facts.loanId} ` +
        `(dpd ${facts.dpd}); validate it with parseStrategy, which requires a catch-all last segment`,
    );
  }
  const treatment = treatmentIn(strategy, segment, facts.loanId);
  if (!treatment) {
    throw new Error(`strategy "${strategy.id}" v${strategy.version} segment ${segment.id} names a missing path (${segment.path}${segment.challenger ? ` or ${segment.challenger.path}` : ''})`);
  }
  return treatment;
}

/** The path `segment` gives the loan: its challenger's when the loan's bucket falls in the challenger's share. */
function treatmentIn(strategy: Strategy, segment: SegmentRule, loanId: string): Treatment | undefined {
  const challenger = segment.challenger !== undefined && experimentBucket(loanId) < segment.challenger.percent;
  const pathId = challenger ? segment.challenger!.path : segment.path;
  const stages = strategy.paths[pathId];
  return stages ? { segment: segment.id, arm: challenger ? 'challenger' : 'champion', pathId, stages } : undefined;
}

/**
 * The treatment a case that chose segment `segmentId` received (what chooseTreatment returned when it
 * opened), for reading its terms later from the pinned strategy; undefined for a segment it lacks.
 */
export function treatmentOfSegment(strategy: Strategy, segmentId: string, loanId: string): Treatment | undefined {
  const segment = strategy.segments.find((s) => s.id === segmentId);
  return segment ? treatmentIn(strategy, segment, loanId) : undefined;
}

function scaleStage(stage: Stage, factor: number): Stage {
  const d = (iso: string) => scaleDuration(iso, factor);
  switch (stage.kind) {
    case 'reminder':
      return {
        ...stage,
        steps: stage.steps.map((step) => ({ ...step, after: d(step.after) })),
        waitAfterLast: d(stage.waitAfterLast),
      };
    case 'call':
      return { ...stage, retryAfter: d(stage.retryAfter), outcomeTimeout: d(stage.outcomeTimeout) };
    case 'negotiation':
      return {
        ...stage,
        offerTimeout: d(stage.offerTimeout),
        maxPromiseHorizon: d(stage.maxPromiseHorizon),
        grace: d(stage.grace),
      };
    case 'legal':
      return {
        ...stage,
        finalDemand: { ...stage.finalDemand },
        waitingPeriod: d(stage.waitingPeriod),
        ...(stage.outcomeTimeout !== undefined ? { outcomeTimeout: d(stage.outcomeTimeout) } : {}),
      };
  }
}

/**
 * A copy of `strategy` with every duration multiplied by `factor`, rounded to the millisecond (a
 * non-zero wait stays at least 1 ms). The demo runs real strategies with factor 1/86400: a day a second.
 * Counts (attempts, instalments), DPD bounds and ids are unchanged.
 */
export function scaleStrategy(strategy: Strategy, factor: number): Strategy {
  return {
    ...strategy,
    segments: strategy.segments.map((s) => ({
      ...s,
      when: { ...s.when },
      ...(s.challenger ? { challenger: { ...s.challenger } } : {}),
    })),
    paths: Object.fromEntries(
      Object.entries(strategy.paths).map(([id, stages]) => [id, stages.map((stage) => scaleStage(stage, factor))]),
    ),
    hardshipPause: scaleDuration(strategy.hardshipPause, factor),
    ...(strategy.minMessageGap === undefined ? {} : { minMessageGap: scaleDuration(strategy.minMessageGap, factor) }),
  };
}
