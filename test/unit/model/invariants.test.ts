// The model suite's invariants over hand-made observations: each says what it should, reads the
// strategy's minimum message gap from Strategy.minMessageGap, and lets through a dispute or a cease only
// what the product's contact kinds (domain/compliance/kinds.ts) let through.
import { describe, expect, it } from 'vitest';
import type { CollectionCase } from '../../../db/schema';
import {
  deliveriesMatchTheContactRecord,
  messagesKeepTheMinimumGap,
  minimumMessageGapMs,
  noCaseReopenedAfterTerminalOutcome,
  noContactWhileForbidden,
  promiseAndPlanRowsFollowTheWorkflow,
  type Observed,
} from '../../model/invariants';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function observed(partial: Partial<Observed>): Observed {
  return {
    loanIds: ['L1'],
    records: new Map(),
    paymentsMade: new Map(),
    mail: [],
    sms: [],
    letters: [],
    cases: [],
    contacts: [],
    tasks: [],
    events: [],
    disputes: [],
    payments: [],
    allocations: [],
    installments: [],
    promises: [],
    plans: [],
    legal: [],
    borrowers: [],
    runs: new Map(),
    strategyDocs: new Map(),
    notes: [],
    ...partial,
  } as Observed;
}

const kase = (id: string, opened: number, closed?: number, outcome?: string) =>
  ({ id, loanId: 'L1', strategyId: 'fast-test', strategyVersion: 1, openedAt: at(opened), closedAt: closed === undefined ? null : at(closed), outcome: outcome ?? null }) as unknown as CollectionCase;

describe('model invariants', () => {
  it('reads the minimum message gap from the strategy minMessageGap, nowhere else', () => {
    expect(minimumMessageGapMs({ minMessageGap: 'PT2S' })).toBe(2_000);
    expect(minimumMessageGapMs({ minMessageGap: 'PT20H' })).toBe(20 * 3600_000);
    expect(minimumMessageGapMs({ contactPolicy: { minimumGapBetweenMessages: 'PT4H' } })).toBeUndefined();
    expect(minimumMessageGapMs({ paths: { ladder: { gap: 'PT1S' } }, name: 'a gap' })).toBeUndefined();
  });

  it('flags two messages closer than the gap, and skips with a note when the strategy has none', () => {
    const contacts = [1, 1.5, 5].map((s, n) => ({ loanId: 'L1', caseId: 'C1', channel: 'sms', template: 'reminder', status: 'sent', idempotencyKey: `k${n}`, sentAt: new Date(at(0).getTime() + s * 1000), scheduledFor: at(0) })) as never;
    const withGap = observed({ cases: [kase('C1', 0)], contacts, strategyDocs: new Map([['fast-test@1', { minMessageGap: 'PT2S' }]]) });
    expect(messagesKeepTheMinimumGap(withGap).map((v) => v.detail)).toEqual([expect.stringContaining('500 ms apart (minimum 2000 ms)')]);
    const without = observed({ cases: [kase('C1', 0)], contacts, strategyDocs: new Map([['fast-test@1', {}]]) });
    expect(messagesKeepTheMinimumGap(without)).toEqual([]);
    expect(without.notes).toEqual([expect.stringContaining('closest two messages to one borrower there: 500 ms')]);
  });

  it("counts a message the gate allowed before a payment's close committed as in flight, one allowed after as a violation", () => {
    // The payment's transaction stamps closedAt (10 s) before its COMMIT; the API answers after it (10.5 s).
    const ms = (s: number) => new Date(at(0).getTime() + s * 1000);
    const sms = (key: string, gateAt: number) =>
      ({ loanId: 'L1', caseId: 'C1', channel: 'sms', template: 'reminder-firm', status: 'sent', idempotencyKey: key, scheduledFor: ms(gateAt), sentAt: ms(Math.max(gateAt, 10) + 0.1) }) as never;
    const records = new Map([['L1', { actions: [{ kind: 'pay-rest', result: 'accepted', at: ms(10.5).toISOString() }] }]]) as never;
    const judge = (gateAt: number, outcome = 'cured') => {
      const o = observed({ cases: [kase('C1', 0, 10, outcome)], contacts: [sms('k1', gateAt)], sms: [{ idempotencyKey: 'k1' }] as never, records });
      return { violations: deliveriesMatchTheContactRecord(o).map((v) => v.detail), notes: o.notes };
    };
    expect(judge(9.9)).toEqual({ violations: [], notes: [expect.stringContaining('1 message(s) allowed before their case closed')] });
    expect(judge(10.2)).toEqual({ violations: [], notes: [expect.stringContaining('1 message(s) allowed before their case closed')] });
    expect(judge(10.7).violations).toEqual([expect.stringContaining('sms reminder-firm sent')]);
    // No payment closed it: the stamp is the close.
    expect(judge(10.2, 'handed_to_legal').violations).toEqual([expect.stringContaining('after its case closed')]);
  });

  it('flags a case opened after a terminal outcome, not one after a cure with a new instalment past due', () => {
    const reopened = observed({ cases: [kase('C1', 0, 10, 'stopped_bankruptcy'), kase('C2', 20)] });
    expect(noCaseReopenedAfterTerminalOutcome(reopened)).toHaveLength(1);
    const cured = observed({
      cases: [kase('C1', 0, 10, 'cured'), { ...kase('C2', 0), openedAt: new Date(Date.UTC(2026, 0, 3)) }],
      installments: [{ loanId: 'L1', seq: 2, dueDate: '2026-01-01', amountDueMinor: 1, amountPaidMinor: 0 }] as never,
    });
    expect(noCaseReopenedAfterTerminalOutcome(cured)).toEqual([]);
    const reopen = (caseId: string, s: number) => ({ id: s, loanId: 'L1', caseId, action: 'collection.reopened', at: at(s), before: { caseId }, after: { reason: 'lender asks' } });
    const writtenOff = [kase('C1', 0, 10, 'written_off'), kase('C2', 20, 30, 'cancelled'), kase('C3', 40)];
    expect(noCaseReopenedAfterTerminalOutcome(observed({ cases: writtenOff, events: [reopen('C1', 15), reopen('C2', 35)] as never }))).toEqual([]);
    expect(noCaseReopenedAfterTerminalOutcome(observed({ cases: writtenOff, events: [reopen('C1', 15), reopen('C1', 35)] as never })).map((v) => v.detail)).toEqual([
      expect.stringContaining('case C3 opened 2026-01-01T00:00:40.000Z after case C2 ended cancelled'),
    ]);
    const bankrupt = observed({ cases: [kase('C1', 0, 10, 'stopped_bankruptcy'), kase('C2', 20)], events: [reopen('C1', 15)] as never });
    expect(noCaseReopenedAfterTerminalOutcome(bankrupt)).toHaveLength(1);
  });

  it('flags a task claimed after a dispute was filed, not one claimed before it or within the concurrency margin', () => {
    const tasks = [5, 15, 30.1].map((s, n) => ({ id: `t${n}`, loanId: 'L1', caseId: 'C1', status: 'claimed', claimedBy: 'c1', claimedAt: new Date(at(0).getTime() + s * 1000) })) as never;
    const o = observed({ cases: [kase('C1', 0)], tasks, disputes: [{ id: 'd1', loanId: 'L1', openedAt: at(10), resolvedAt: at(20), outcome: 'rejected' }, { id: 'd2', loanId: 'L1', openedAt: new Date(at(30).getTime() + 50), resolvedAt: null, outcome: null }] as never });
    const found = noContactWhileForbidden(o);
    expect(found.map((v) => v.detail)).toEqual(['task claim by c1 at 2026-01-01T00:00:15.000Z: dispute since 2026-01-01T00:00:10.000Z']);
    expect(o.notes).toEqual([expect.stringContaining('1 contact(s) decided within 200 ms of a fact')]);
  });

  it('lets a dispute or a cease through only what the contact kinds do: a final demand after cease is flagged, a validation notice in a dispute is not', () => {
    const message = (template: string, s: number) => ({ loanId: 'L1', caseId: 'C1', channel: 'email', template, status: 'sent', idempotencyKey: template, sentAt: at(s), scheduledFor: at(s) });
    const ceased = observed({
      cases: [kase('C1', 0)],
      contacts: [message('final-demand', 20)] as never,
      events: [{ id: 1, loanId: 'L1', caseId: 'C1', action: 'borrower.cease', at: at(10), after: {} }] as never,
    });
    expect(noContactWhileForbidden(ceased).map((v) => v.detail)).toEqual([expect.stringContaining('email final-demand sent 2026-01-01T00:00:20.000Z: cease since')]);
    const disputed = observed({
      cases: [kase('C1', 0)],
      contacts: [message('validation-notice', 20), message('dispute-acknowledgement', 21)] as never,
      disputes: [{ id: 'd1', loanId: 'L1', openedAt: at(10), resolvedAt: null, outcome: null }] as never,
    });
    expect(noContactWhileForbidden(disputed).map((v) => v.detail)).toEqual([expect.stringContaining('dispute-acknowledgement')]);
  });

  it('accepts promise and plan rows the close settled (kept when repaid, cancelled otherwise), not a cancelled row on a case still open', () => {
    const events = [{ id: 1, loanId: 'L1', caseId: 'C1', action: 'workflow.promise_to_pay', at: at(1), after: {} }] as never;
    const promise = (status: string) => [{ id: 'p1', loanId: 'L1', caseId: 'C1', status }] as never;
    expect(promiseAndPlanRowsFollowTheWorkflow(observed({ cases: [kase('C1', 0, 10, 'cured')], events, promises: promise('kept') }))).toEqual([]);
    expect(promiseAndPlanRowsFollowTheWorkflow(observed({ cases: [kase('C1', 0, 10, 'written_off')], events, promises: promise('cancelled') }))).toEqual([]);
    expect(promiseAndPlanRowsFollowTheWorkflow(observed({ cases: [kase('C1', 0, 10, 'written_off')], events, promises: promise('kept') }))).toHaveLength(1);
    expect(promiseAndPlanRowsFollowTheWorkflow(observed({ cases: [kase('C1', 0)], events, promises: promise('cancelled') }))).toHaveLength(1);
    expect(promiseAndPlanRowsFollowTheWorkflow(observed({ cases: [kase('C1', 0, 10, 'written_off')], events, promises: promise('open') }))).toHaveLength(1);
  });
});
