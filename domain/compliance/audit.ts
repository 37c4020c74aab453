// The auditor's check: re-run the rule packs over contacts as they were recorded and list every sent
// contact the gate should have blocked at its instant, given what had happened before it. The same
// evaluateContact the workflow and the send-time gate use, so a finding here is a gap in the record
// (a contact that bypassed the gate, a fact that arrived late), not a second reading of the rules.
import type { Channel } from '../strategy/types';
import { evaluateContact, type EvaluateOptions } from './evaluate';
import { parseInstant } from './local-time';
import type { ContactContext, ContactKind, PastContact } from './types';

/** A contact as the database records it. Only sent / presumed_sent contacts are re-checked. */
export interface AuditContact {
  caseId: string;
  loanId: string;
  channel: Channel;
  at: string;
  status: string;
  connected?: boolean;
  kind?: ContactKind;
  address?: string;
  /** A field visit's facts (place, announcement), judged by the pack's visit rules. */
  visit?: ContactContext['visit'];
}

type BorrowerFacts = Omit<ContactContext, 'channel' | 'kind' | 'history' | 'address' | 'connected'>;

/** A fact that changed during the case, applying from its instant on (a dispute filed, an opt-out, a pause). */
export interface AuditChange {
  at: string;
  set: Partial<Omit<BorrowerFacts, 'pack' | 'timeZone' | 'state'>> & { state?: Partial<ContactContext['state']> };
}

/** What the rules need to know about one loan's borrower: the facts at the start, and how they changed. */
export interface AuditBorrower extends BorrowerFacts {
  changes?: AuditChange[];
}

export interface Violation {
  caseId: string;
  loanId: string;
  channel: Channel;
  at: string;
  /** The rule the contact broke, or "audit.unknown-loan" when no borrower facts were given for it. */
  rule: string;
  /** When the rule would have allowed the contact, if time alone lifts it. */
  allowedFrom?: string;
  detail: string;
}

export function findViolations(
  contacts: readonly AuditContact[],
  borrowers: ReadonlyMap<string, AuditBorrower> | Readonly<Record<string, AuditBorrower>>,
  options: EvaluateOptions = {},
): Violation[] {
  const borrowerOf = (loanId: string): AuditBorrower | undefined =>
    borrowers instanceof Map ? borrowers.get(loanId) : (borrowers as Record<string, AuditBorrower>)[loanId];

  const byLoan = new Map<string, Array<{ c: AuditContact; ms: number; index: number }>>();
  contacts.forEach((c, index) => {
    if (c.status !== 'sent' && c.status !== 'presumed_sent') return;
    const list = byLoan.get(c.loanId) ?? [];
    list.push({ c, ms: parseInstant(c.at, `contacts[${index}].at`), index });
    byLoan.set(c.loanId, list);
  });

  const violations: Violation[] = [];
  for (const [loanId, list] of byLoan) {
    list.sort((a, b) => a.ms - b.ms || a.index - b.index);
    const borrower = borrowerOf(loanId);
    if (!borrower) {
      for (const { c } of list) {
        violations.push({ ...where(c), rule: 'audit.unknown-loan', detail: `no borrower facts for loan ${loanId}: cannot check this contact` });
      }
      continue;
    }
    const changes = (borrower.changes ?? [])
      .map((ch, i) => ({ ch, ms: parseInstant(ch.at, `changes[${i}].at`), i }))
      .sort((a, b) => a.ms - b.ms || a.i - b.i);
    const history: PastContact[] = [];
    for (const { c, ms } of list) {
      const ctx: ContactContext = {
        ...factsAt(borrower, changes, ms),
        channel: c.channel,
        kind: c.kind ?? 'collection',
        history: [...history],
        address: c.address,
        connected: c.channel === 'call' ? c.connected : undefined,
        ...(c.channel === 'visit' ? { visit: c.visit ?? { place: 'other' } } : {}),
      };
      const decision = evaluateContact(ctx, c.at, options);
      if (!decision.allowed) {
        violations.push({
          ...where(c),
          rule: decision.rule,
          ...(decision.until === undefined ? {} : { allowedFrom: decision.until }),
          detail:
            `${c.channel} at ${c.at} was blocked by ${decision.rule}` +
            (decision.until === undefined ? '' : ` until ${decision.until}`) +
            (decision.alsoBlockedBy?.length ? ` (also ${decision.alsoBlockedBy.map((b) => b.rule).join(', ')})` : ''),
        });
      }
      history.push({
        channel: c.channel,
        at: c.at,
        status: c.status as PastContact['status'],
        ...(c.connected === undefined ? {} : { connected: c.connected }),
        ...(c.address === undefined ? {} : { address: c.address }),
      });
    }
  }
  return violations;
}

function where(c: AuditContact) {
  return { caseId: c.caseId, loanId: c.loanId, channel: c.channel, at: c.at };
}

function factsAt(borrower: AuditBorrower, changes: Array<{ ch: AuditChange; ms: number }>, ms: number): BorrowerFacts {
  const { changes: _ignored, ...initial } = borrower;
  let facts: BorrowerFacts = { ...initial, state: { ...initial.state } };
  for (const { ch, ms: changedAt } of changes) {
    if (changedAt > ms) break;
    const { state, ...rest } = ch.set;
    facts = { ...facts, ...rest, state: { ...facts.state, ...state } };
  }
  return facts;
}
