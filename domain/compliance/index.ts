// Compliance rule packs: one pure module the collection workflow plans with and the send-time activity
// gates with. No Temporal, database, network or Node built-in import; time is always an argument.
export type { BorrowerRules, ContactContext, ContactDecision, ContactKind, InconvenientTime, PastContact, VisitPlace } from './types';
export { VISIT_PLACES } from './types';
export { contactContextFor, type CaseContactFacts } from './context';
export { evaluateContact, nextAllowedContact } from './evaluate';
export { allowedUntil } from './window';
export { KIND_PASSES, contactKindOf, passesCease, passesDispute } from './kinds';

/**
 * How far back a contact can still matter to a rule: the longest window is 7 days (us-regf 7-in-7 and
 * the 7 days after a conversation, 1006.14(b)(2)); one day more covers any local-day boundary. Cycle
 * spacing (cn) reads the previous case's end, not the history. The workflow, the case activity and the
 * send-time gate all keep or read this much history.
 */
export const CONTACT_HISTORY_LOOKBACK_MS = 8 * 24 * 3600 * 1000;
export type { EvaluateOptions, NextContact, SearchOptions } from './evaluate';
export { RULE_PACKS } from './packs';
export type { RulePack, RulePacks, RuleSpec } from './packs';
export {
  assumedReceiptDate,
  localDateOf,
  mayThreatenLegalAction,
  usLegalPublicHolidays,
  validationNoticeDueBy,
  validationPeriodEnd,
} from './us-regf';
export {
  BREATHING_SPACE_MAX_DAYS,
  DEBT_ADVICE_HOLD_DAYS,
  breathingSpaceUntil,
  debtAdviceHoldUntil,
  mayEscalateToLegal,
} from './uk-conc';
export { findViolations } from './audit';
export type { AuditBorrower, AuditContact, Violation } from './audit';
