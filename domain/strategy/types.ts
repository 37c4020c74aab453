// The shape of a collection strategy: data a collections manager writes, not code.
// Every duration is an ISO-8601 duration string ("P3D", "PT12H", "PT2S"), one style throughout,
// so the fast test strategy is the same document with seconds where a real one has days.

import type { Channel, StageKind } from '../vocabulary';

export type { Channel, StageKind };
/** The channels a message is sent on; a call is placed by a collector, not sent. */
export type MessageChannel = Exclude<Channel, 'call' | 'visit'>;
export type RulePackId = 'cn' | 'us-regf' | 'uk-conc' | 'sandbox';

/** ISO-8601 duration, e.g. "P3D", "PT4H", "PT1.5S". Parsed by domain/strategy/duration. */
export type IsoDuration = string;

export interface ReminderStep {
  /** Offset of this message. */
  after: IsoDuration;
  /** What the offset counts from: the oldest unpaid due date, or entering the stage. */
  from: 'dueDate' | 'stageEntry';
  channel: MessageChannel;
  /** Template id, e.g. "reminder-friendly"; rendered per borrower locale by the email/SMS activity. */
  template: string;
}

export interface ReminderStage {
  kind: 'reminder';
  steps: ReminderStep[];
  /** How long to wait for payment after the last step before moving on. */
  waitAfterLast: IsoDuration;
}

export interface CallStage {
  kind: 'call';
  /** Collector call tasks queued at most this many times (each waits for an outcome). */
  attempts: number;
  /** Delay between a no_answer / wrong_number outcome (or a timeout) and the next attempt. */
  retryAfter: IsoDuration;
  /** How long a queued task may wait for a collector's outcome before it counts as no answer. */
  outcomeTimeout: IsoDuration;
  /** A field visit (上门催收) after calls go unanswered; absent: no visits (every strategy before #17). */
  visit?: FieldVisitStep;
}

/**
 * A visit to the borrower's home by a field collector, announced first, judged by the rule pack's visit
 * rules (domain/compliance/packs.ts) like any contact, recorded with a call's outcomes.
 */
export interface FieldVisitStep {
  /** Visit once this many call attempts in a row went unanswered (no_answer, wrong_number, no outcome). */
  afterUnansweredCalls: number;
  /** Only when the past-due amount is at least this, in minor units of the loan's currency. */
  minPastDueMinor?: number;
  /** The announcement sent before the visit (the rule pack's notice period runs from it). */
  notice: { channel: MessageChannel; template: string };
  /** How long the visit task waits for its outcome once queued. */
  outcomeTimeout: IsoDuration;
}

export interface NegotiationStage {
  kind: 'negotiation';
  /** How long to wait for a promise or plan after a right-party contact before moving on. */
  offerTimeout: IsoDuration;
  /** A promise may not be dated further out than this. */
  maxPromiseHorizon: IsoDuration;
  /** Grace after a promised date / plan instalment due date before it counts as broken / missed. */
  grace: IsoDuration;
  /** Plans: at most this many instalments (the longest term). */
  maxPlanInstallments: number;
  /** Spacing of the instalments in the plans the borrower's page offers (domain/self-service); default P30D. */
  planInstallmentEvery?: IsoDuration;
  /**
   * The smallest instalment the proposed plan (domain/scoring/offer) asks for, in minor units of the
   * strategy's currency: it proposes fewer, larger instalments instead, and a past-due amount below it
   * as one. Absent or 0: no floor (every strategy before #15).
   */
  minPlanInstallmentMinor?: number;
  /**
   * The largest discount on the past-due amount the proposed plan may carry, a whole percent 0..100. The
   * offer proposes one only when the borrower is unlikely to cure and cannot afford the past-due amount
   * within maxPlanInstallments (domain/scoring/offer). Absent or 0: no discount.
   */
  maxPlanDiscountPercent?: number;
}

export interface LegalStage {
  kind: 'legal';
  finalDemand: { channel: MessageChannel; template: string };
  /** Waiting period between the final demand and the hand-off. */
  waitingPeriod: IsoDuration;
  /** After hand-off: end the workflow as handed_to_legal, or wait for the legal outcome. */
  afterHandOff: 'end' | 'awaitOutcome';
  /** With awaitOutcome: how long to wait before ending as handed_to_legal anyway. */
  outcomeTimeout?: IsoDuration;
}

export type Stage = ReminderStage | CallStage | NegotiationStage | LegalStage;

/** Segment selection: the first segment whose conditions all hold chooses the path. */
export interface SegmentRule {
  id: string;
  when: {
    minDpd?: number;
    maxDpd?: number;
    minPastDueMinor?: number;
    maxPastDueMinor?: number;
    minRiskScore?: number;
    maxRiskScore?: number;
    /** Predicted cure probability bounds, 0..1 (the active scorecard's score at case open). */
    minCurePropensity?: number;
    maxCurePropensity?: number;
  };
  /** Champion path id. */
  path: string;
  /** Optional challenger: a stable hash of the loan id sends `percent`% of loans to `path`. */
  challenger?: { path: string; percent: number };
}

export interface Strategy {
  id: string;
  version: number;
  name: string;
  /** Free text for the people who read and review the strategy (why the numbers are what they are). */
  description?: string;
  /** Compliance rule pack the contacts are planned and gated with. */
  rulePack: RulePackId;
  /** ISO 4217 currency the strategy expects; amounts in messages must match it. */
  currency: string;
  segments: SegmentRule[];
  /** Named treatment paths: an ordered ladder of stages. */
  paths: Record<string, Stage[]>;
  /** Hardship forbearance: contact pauses this long when the borrower reports hardship. */
  hardshipPause: IsoDuration;
  /**
   * Least time between two messages (email, SMS, letter) to one borrower; the rule gate enforces it
   * (common.message-gap) and a late case sends only the latest passed reminder. Calls have their own caps.
   * Optional so that versions pinned before it existed stay valid: absent means no gap.
   */
  minMessageGap?: IsoDuration;
}

/** The path chosen for one loan, recorded on the case and in search attributes. */
export interface Treatment {
  segment: string;
  arm: 'champion' | 'challenger';
  pathId: string;
  stages: Stage[];
}
