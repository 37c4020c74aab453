// Compliance rule packs as data: which rules apply to a strategy's `rulePack`, with their numbers.
// The rule functions live in ./rules; a number here always carries the source it comes from
// (/work/shared/domain/collections.md). Changing a number is a data change reviewed like a rule change.
import type { RulePackId } from '../strategy/types';
import type { VisitPlace } from './types';

/** A rule as a pack lists it: the stable id reported on every block, which check runs, and its numbers. */
export type RuleSpec =
  /** Stops that hold until a fact changes (no instant to wait for). */
  | { rule: 'common.nothing-due'; check: 'nothingDue' }
  | { rule: 'common.dispute'; check: 'dispute' }
  | { rule: 'common.cease'; check: 'cease' }
  | { rule: 'common.bankruptcy'; check: 'bankruptcy' }
  | { rule: 'common.deceased'; check: 'deceased' }
  | { rule: 'common.attorney'; check: 'attorney' }
  | { rule: 'common.opt-out'; check: 'optOut' }
  /** Timed stops. */
  | { rule: 'common.paused'; check: 'paused' }
  | { rule: 'common.inconvenient-time'; check: 'inconvenientTime' }
  /** The strategy's minimum gap between two messages (ContactContext.minMessageGapMs). */
  | { rule: 'common.message-gap'; check: 'messageGap' }
  | { rule: string; check: 'holiday' }
  | {
      rule: string;
      check: 'contactHours';
      /** Local window in which contact is allowed: [from, to), "HH:MM". */
      from: string;
      to: string;
      /** The borrower may agree to contact outside the window (ContactContext.agreedToQuietHours). */
      waivedByAgreement: boolean;
    }
  | {
      rule: string;
      check: 'dailyCallCap';
      /** Which calls of the borrower's local day count. */
      counts: 'connected' | 'unanswered';
      /** Count per number (ContactContext.address) rather than per debtor. */
      perNumber: boolean;
      max: number;
    }
  | {
      rule: string;
      check: 'rollingCallCap';
      /** At most `max` call attempts within any `days` consecutive local calendar days. */
      max: number;
      days: number;
    }
  | {
      rule: string;
      check: 'afterConversation';
      /** No call within `days` consecutive local days after a conversation; its day is day 1. */
      days: number;
    }
  /** Field visits (channel `visit`) only; every other channel passes these. */
  | { rule: string; check: 'noVisits' }
  | {
      rule: string;
      check: 'visitPlace';
      /** Places a visit may never take place (ContactContext.visit.place). */
      forbidden: VisitPlace[];
    }
  | {
      rule: string;
      check: 'visitNotice';
      /** The borrower must have been told of the visit at least this many hours before it. */
      hours: number;
    }
  | {
      rule: string;
      check: 'visitHours';
      /** Local window for visits, [from, to), "HH:MM"; narrower than the pack's contact hours. */
      from: string;
      to: string;
    }
  | {
      rule: string;
      check: 'visitCap';
      /** At most `max` visits within any `days` consecutive local calendar days. */
      max: number;
      days: number;
    }
  | {
      rule: string;
      check: 'cycleSpacing';
      /** At least this many whole local calendar days between the previous cycle's end and new contact. */
      days: number;
    };

export interface RulePack {
  id: RulePackId;
  /** Local dates ("YYYY-MM-DD", borrower's calendar) with no contact at all; rule "<pack>.holiday". */
  holidays: string[];
  rules: RuleSpec[];
}

export type RulePacks = Record<RulePackId, RulePack>;

// Rules every pack applies. Which contact kinds pass a dispute or a cease request: ./kinds.
const COMMON: RuleSpec[] = [
  // Contacting after the debt was paid is the first complaint in collections.md ("What goes wrong").
  { rule: 'common.nothing-due', check: 'nothingDue' },
  // Reg F 1006.38 (dispute stops collection until verification is sent); CONC 7.14 (suspend meanwhile).
  // Only required disclosures pass (validation notice, the answer to the dispute).
  { rule: 'common.dispute', check: 'dispute' },
  // Reg F 1006.6(c): after a cease request only what 1006.6(c)(2) allows ("collection stops", remedies).
  { rule: 'common.cease', check: 'cease' },
  // FICO Debt Manager-style bankruptcy and deceased screening (collections.md, "the bar to beat").
  { rule: 'common.bankruptcy', check: 'bankruptcy' },
  { rule: 'common.deceased', check: 'deceased' },
  // Represented by an attorney: talk to the attorney, not the borrower (FDCPA / Reg F 1006.6(b)(2)).
  { rule: 'common.attorney', check: 'attorney' },
  // Reg F 1006.6(e), 1006.14(h): a medium the consumer asked us not to use is not used.
  { rule: 'common.opt-out', check: 'optOut' },
  // Hardship forbearance, CONC 7.3.11R 30-day debt-adviser hold, Breathing Space (up to 60 days),
  // operator pauses: all arrive as ContactContext.state.pausedUntil.
  { rule: 'common.paused', check: 'paused' },
  // Reg F 1006.6(b)(1)(i): times the consumer names as inconvenient must be honoured.
  { rule: 'common.inconvenient-time', check: 'inconvenientTime' },
  // No bursts: a case that opens late or leaves a pause must not send every passed reminder at once.
  // Reg F 1006.14(b)(1) forbids contact repeated with intent to annoy; CONC 7.9.5R / 7.2.1R ask for no
  // excessive contact. No rule names a number, so each strategy states its own gap (minMessageGap).
  { rule: 'common.message-gap', check: 'messageGap' },
];

export const RULE_PACKS: RulePacks = {
  cn: {
    id: 'cn',
    // No date list in collections.md forbids contact; a lender adds its own calendar here.
    holidays: [],
    rules: [
      ...COMMON,
      { rule: 'cn.holiday', check: 'holiday' },
      // NIFA post-loan collection guideline (2024) / GB/T 45251-2025: no contact 22:00-08:00 borrower
      // local time unless the borrower agreed.
      { rule: 'cn.quiet-hours', check: 'contactHours', from: '08:00', to: '22:00', waivedByAgreement: true },
      // NIFA / GB/T 45251-2025: at most 3 connected reminder calls per debtor per day (lender + agencies).
      { rule: 'cn.connected-calls', check: 'dailyCallCap', counts: 'connected', perNumber: false, max: 3 },
      // China Banking Association consumer-loan collection guideline (2026): at most 6 unanswered
      // attempts per day to the same number.
      { rule: 'cn.unanswered-calls', check: 'dailyCallCap', counts: 'unanswered', perNumber: true, max: 6 },
      // NIFA / CBA: at least 7 calendar days between collection cycles on the same product. Read
      // conservatively: 7 whole local days lie between the previous cycle's end and the first contact.
      { rule: 'cn.cycle-spacing', check: 'cycleSpacing', days: 7 },
      // Field visits (上门催收). NIFA / GB/T 45251-2025 keep every contact with the debtor alone and inside
      // the rules above (quiet hours, no third party told of the debt); the visit policy Overdue applies
      // on top (issue #17) is: daytime only, announced in advance, never at the workplace, at most one a
      // week. No source in collections.md names numbers for visits, so these are Overdue's conservative
      // choices, a lender's to tighten: 09:00-18:00 local, told at least 24 h before, one visit in any 7
      // consecutive local days.
      { rule: 'cn.visit-workplace', check: 'visitPlace', forbidden: ['workplace'] },
      { rule: 'cn.visit-notice', check: 'visitNotice', hours: 24 },
      { rule: 'cn.visit-daytime', check: 'visitHours', from: '09:00', to: '18:00' },
      { rule: 'cn.visit-weekly', check: 'visitCap', max: 1, days: 7 },
      // Third parties (NIFA / GB/T 45251-2025) are not contacted at all: every ContactContext is the
      // debtor's own, so no rule is needed here.
    ],
  },
  'us-regf': {
    id: 'us-regf',
    // Reg F does not forbid contact on public holidays; holidays matter for the validation period
    // (see ./us-regf). A lender may add no-contact dates here.
    holidays: [],
    rules: [
      ...COMMON,
      { rule: 'us-regf.holiday', check: 'holiday' },
      // 12 CFR 1006.6(b)(1)(i): before 08:00 or after 21:00 at the consumer's location is presumed
      // inconvenient. 21:00:00 itself is treated as after (half-open window), the conservative reading.
      { rule: 'us-regf.hours', check: 'contactHours', from: '08:00', to: '21:00', waivedByAgreement: false },
      // 12 CFR 1006.14(b)(2)(i)(A): no more than 7 call attempts within 7 consecutive days.
      { rule: 'us-regf.7-in-7', check: 'rollingCallCap', max: 7, days: 7 },
      // 12 CFR 1006.14(b)(2)(i)(B): no call within 7 consecutive days after a telephone conversation;
      // the conversation's date is day 1.
      { rule: 'us-regf.after-conversation', check: 'afterConversation', days: 7 },
      // Field visits are communications: 12 CFR 1006.6(b)(1)(i) (no inconvenient time or place; the
      // 08:00-21:00 window above applies to them as to calls) and 1006.6(b)(3) (not at the place of
      // employment when the employer may prohibit it; read conservatively as never at the workplace).
      { rule: 'us-regf.visit-workplace', check: 'visitPlace', forbidden: ['workplace'] },
    ],
  },
  'uk-conc': {
    id: 'uk-conc',
    holidays: [],
    rules: [
      ...COMMON,
      { rule: 'uk-conc.holiday', check: 'holiday' },
      // CONC 7 asks for no contact at unreasonable times without naming hours. 08:00-21:00 local is a
      // conservative choice (the US Reg F 1006.6(b)(1)(i) window), not a number from the FCA.
      { rule: 'uk-conc.hours', check: 'contactHours', from: '08:00', to: '21:00', waivedByAgreement: false },
      // CONC 7.9.12R: a person visiting the customer explains the visit's purpose and gives adequate notice
      // of a proposed visit; CONC 7.9 also forbids visiting at an inappropriate location without consent.
      // "Adequate" has no number: Overdue asks for 72 h (three days, room for a letter to arrive).
      { rule: 'uk-conc.visit-notice', check: 'visitNotice', hours: 72 },
      { rule: 'uk-conc.visit-workplace', check: 'visitPlace', forbidden: ['workplace'] },
      // CONC 7.3.11R (30-day hold while a debt adviser builds a plan) and Breathing Space (up to 60 days)
      // pause contact through state.pausedUntil: see debtAdviceHoldUntil / breathingSpaceUntil.
    ],
  },
  sandbox: {
    id: 'sandbox',
    // For tests and demos with time-scaled strategies: the common stops only, no windows, no caps.
    holidays: [],
    rules: [...COMMON, { rule: 'sandbox.holiday', check: 'holiday' }],
  },
};
