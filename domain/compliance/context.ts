// The rules' view of one contact, built the same way wherever a contact is judged: the workflow plans
// with the facts it carries (workflows/case-state.ts), the send-time gate and the task claim with the
// facts they read from the database (db/repository/contact-facts.ts).
import type { Channel, RulePackId } from '../strategy/types';
import type { BorrowerRules, ContactContext, ContactKind, PastContact } from './types';

export interface CaseContactFacts {
  pack: RulePackId;
  borrower: BorrowerRules;
  history: PastContact[];
  disputed: boolean;
  pastDueMinor: number;
  /** A pause in force (hardship, operator), as the instant it ends. */
  pausedUntil?: string;
  previousCycleEndedAt?: string;
  minMessageGapMs: number;
}

export function contactContextFor(facts: CaseContactFacts, channel: Channel, kind: ContactKind): ContactContext {
  const b = facts.borrower;
  return {
    pack: facts.pack,
    channel,
    kind,
    timeZone: b.timeZone,
    inconvenientTimes: b.inconvenientTimes,
    optedOut: b.optedOut,
    agreedToQuietHours: b.agreedToQuietHours,
    history: facts.history,
    state: {
      disputed: facts.disputed,
      ceaseRequested: b.ceaseRequested,
      nothingDue: facts.pastDueMinor <= 0,
      ...(facts.pausedUntil ? { pausedUntil: facts.pausedUntil } : {}),
      bankruptcy: b.bankruptcy,
      deceased: b.deceased,
      representedByAttorney: b.representedByAttorney,
    },
    ...(facts.previousCycleEndedAt ? { previousCycleEndedAt: facts.previousCycleEndedAt } : {}),
    minMessageGapMs: facts.minMessageGapMs,
  };
}
