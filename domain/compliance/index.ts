// Compliance rule packs: one pure module the collection workflow plans with and the send-time activity
// gates with. No Temporal, database, network or Node built-in import; time is always an argument.
export type { ContactContext, ContactDecision, ContactKind, InconvenientTime, PastContact } from './types';
export { evaluateContact, nextAllowedContact } from './evaluate';
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
