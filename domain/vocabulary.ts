// The one list of each word Overdue uses for a concept (../shared/ARCHITECTURE.md "Words"): the
// schema's check constraints, the workflow's messages, the API's schemas and the reports all read them
// from here.

export const CHANNELS = ['email', 'sms', 'call', 'letter'] as const;

/** Ladder stages plus the pause states a case can be shown in. */
export const STAGES = ['reminder', 'call', 'negotiation', 'legal', 'disputed', 'hardship', 'paused'] as const;

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
