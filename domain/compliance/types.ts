// The inputs and answers of the compliance rules. Pure data: the workflow builds it from its own state,
// the send-time gate builds it from the database; both ask the same functions (domain/compliance).
import type { Channel, RulePackId } from '../strategy/types';

/**
 * What a contact is, for the dispute and cease rules (./kinds decides it per template, with the law):
 * - collection: asks for payment (reminders, calls, final demand, forbearance offer); a dispute or a cease
 *   request stops it;
 * - required_disclosure: a disclosure the law requires (validation notice 1006.34, the answer to a dispute
 *   1006.38(d)(2)); it may go out during a dispute, not after a cease request;
 * - cease_permitted: what Reg F 1006.6(c)(2) allows after a cease request (collection stops, remedies,
 *   intent to invoke a remedy); a dispute still stops it.
 */
export type ContactKind = 'collection' | 'required_disclosure' | 'cease_permitted';

/** Where a field visit takes place: the borrower's home, their workplace, or elsewhere. */
export const VISIT_PLACES = ['home', 'workplace', 'other'] as const;
export type VisitPlace = (typeof VISIT_PLACES)[number];

/** One past contact attempt, as the rules count it. */
export interface PastContact {
  channel: Channel;
  /** Instant the attempt happened (ISO-8601 UTC). */
  at: string;
  /** For calls: whether a conversation with the right party took place. */
  connected?: boolean;
  /** sent = delivered or presumed delivered; failed/blocked contacts do not count. */
  status: 'sent' | 'presumed_sent';
  /**
   * The number (or address) contacted, in any stable form (masked or hashed is fine). Per-number caps
   * (cn: unanswered attempts to one number) count attempts without an address against every number.
   */
  address?: string;
}

/** A stated inconvenient time, in the borrower's local time: "HH:MM"-"HH:MM", optional ISO weekdays (1=Mon..7=Sun). */
export interface InconvenientTime {
  from: string;
  to: string;
  weekdays?: number[];
}

/** What the rules need to know of a borrower; no contact details. */
export interface BorrowerRules {
  timeZone: string;
  locale: string;
  inconvenientTimes: InconvenientTime[];
  optedOut: Channel[];
  agreedToQuietHours: boolean;
  ceaseRequested: boolean;
  bankruptcy: boolean;
  deceased: boolean;
  representedByAttorney: boolean;
}

export interface ContactContext {
  pack: RulePackId;
  channel: Channel;
  kind: ContactKind;
  /** IANA time zone of the borrower, e.g. "Asia/Shanghai". */
  timeZone: string;
  inconvenientTimes: InconvenientTime[];
  /** Channels the borrower opted out of. */
  optedOut: Channel[];
  /** The borrower agreed to contact outside the quiet hours (cn allows it). */
  agreedToQuietHours?: boolean;
  history: PastContact[];
  state: {
    disputed: boolean;
    ceaseRequested: boolean;
    /** Past-due amount is zero (cured) or the loan is repaid. */
    nothingDue: boolean;
    /** Contact paused until this instant (hardship, debt-adviser hold, Breathing Space, operator pause). */
    pausedUntil?: string;
    bankruptcy: boolean;
    deceased: boolean;
    representedByAttorney: boolean;
  };
  /**
   * The strategy's minimum gap between two messages (email, SMS, letter) to this borrower, in ms
   * (Strategy.minMessageGap). Absent or 0: no gap (strategies written before it existed).
   */
  minMessageGapMs?: number;
  /** End of the previous collection cycle on this product, for the cn 7-day spacing rule. */
  previousCycleEndedAt?: string;
  /** The number (or address) this contact would use; see PastContact.address. */
  address?: string;
  /**
   * A field visit (channel `visit`): where it would take place and when the borrower was told of it
   * (ISO-8601 UTC). Absent announcement: not announced. Ignored for other channels.
   */
  visit?: { place: VisitPlace; announcedAt?: string };
  /**
   * Only when re-checking a recorded call (audit): whether it connected. Planning leaves it unset, and a
   * planned call then counts as possibly connected and possibly unanswered against the cn daily caps.
   */
  connected?: boolean;
}

export type ContactDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** Stable rule id, e.g. "cn.quiet-hours", "us-regf.7-in-7", "common.dispute". */
      rule: string;
      /** Earliest instant the same contact becomes allowed (ISO-8601 UTC); absent when never by time alone. */
      until?: string;
      /** Other rules that block the same contact at that instant (explainability), each with its own until. */
      alsoBlockedBy?: Array<{ rule: string; until?: string }>;
    };
