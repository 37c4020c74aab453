// The one list of each word Overdue uses for a concept (../shared/ARCHITECTURE.md "Words"): the
// schema's check constraints, the workflow's messages, the API's schemas and the reports all read them
// from here.

// `visit` is a field visit (上门催收) by a collector: a contact like a call, judged by the same gate with
// each pack's visit rules (domain/compliance/packs.ts).
export const CHANNELS = ['email', 'sms', 'call', 'letter', 'visit'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The rungs of the ladder, in order. */
export const LADDER_STAGES = ['reminder', 'call', 'negotiation', 'legal'] as const;
export type StageKind = (typeof LADDER_STAGES)[number];
/** What a case can be paused by while it sits on a rung. */
export const PAUSES = ['disputed', 'hardship', 'paused'] as const;
/** Ladder stages plus the pause states a case can be shown in. */
export const STAGES = [...LADDER_STAGES, ...PAUSES] as const;
/** The stage a case reports: its rung, or closed once it has an outcome. */
export const CASE_STAGES = [...LADDER_STAGES, 'closed'] as const;

export const OUTCOMES = [
  'cured',
  'paid',
  'settled',
  'dispute_upheld',
  'written_off',
  'stopped_bankruptcy',
  'stopped_deceased',
  'handed_to_legal',
  'cancelled',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CALL_OUTCOMES = [
  'no_answer',
  'wrong_number',
  'right_party_contact',
  'promise_to_pay',
  'refused',
  'dispute_raised',
  'hardship',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];
/** Call outcomes a collector records as such; a promise to pay goes through its own endpoint with amount and date. */
export const RECORDED_CALL_OUTCOMES = CALL_OUTCOMES.filter((o) => o !== 'promise_to_pay') as Exclude<CallOutcome, 'promise_to_pay'>[];

/** How a dispute is resolved, and the status it has before and after. */
export const DISPUTE_OUTCOMES = ['upheld', 'rejected', 'withdrawn'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];
export const DISPUTE_STATUSES = ['open', ...DISPUTE_OUTCOMES] as const;

/** Outcomes an operator may close a case with by hand, and those the legal desk reports back. */
export const CLOSE_OUTCOMES = ['settled', 'written_off', 'cancelled'] as const satisfies readonly Outcome[];
export const LEGAL_OUTCOMES = ['paid', 'settled', 'written_off'] as const satisfies readonly Outcome[];

/** Why contact is barred for good. */
export const BAR_REASONS = ['bankruptcy', 'deceased'] as const;

/** Facts recorded on a borrower that stop or limit contact. */
export const BORROWER_FACTS = ['cease', 'opt_out', 'hardship', 'barred'] as const;

/** Where a complaint came from: the borrower's own page, or the API (a backend or operator). */
export const COMPLAINT_SOURCES = ['self_service', 'api'] as const;
/** A complaint awaits review until an operator reviews it. */
export const COMPLAINT_STATUSES = ['open', 'reviewed'] as const;
/** Which complaints GET /v1/complaints lists. */
export const COMPLAINT_FILTERS = ['open', 'all'] as const;
/** Cure-propensity scoring: whether a case was scored, and what prompted the score. */
export const SCORE_STATUSES = ['scored', 'skipped'] as const;
export const SCORE_TRIGGERS = ['case_opened', 'payment', 'promise_broken', 'plan_missed'] as const;
export type ScoreTrigger = (typeof SCORE_TRIGGERS)[number];
