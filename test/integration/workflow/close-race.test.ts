// A payment cures the loan and the lender closes the case right after (found by the model suite, issue
// #12): the cure came first, so the workflow and the case row must both say cured, not the lender's
// outcome. On contract 5 (#19) the payment's signal carries the position the payment left and its handler
// takes it, so the cure counts from the signal's arrival, even when the lender's close is delivered in
// the same workflow task. On contract 7 the payment closes the case row itself, in its ledger
// transaction, before either signal is sent. (Runs opened on older contracts re-read the ledger with
// closeCaseIfSettled, which closes the case row first; their histories replay in the replay test.)
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditEvents, collectionCases } from '../../../db/schema';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('close-race');
});
afterAll(async () => {
  await h?.close();
});

it('a cure signalled first stands against a lender close signalled right after it', { timeout: 60_000 }, async () => {
  const loan = await h.seedLoan({ dpd: 3 });
  const handle = await h.startCollection(loan.loanId);
  const opened = await waitForState(() => handle.query(m.getState), (s) => s.caseId !== undefined && s.stage !== 'opening', { what: 'the case to open' });
  const caseId = opened.caseId!;

  // Ledger first, then its signal; the lender's close follows without waiting for the workflow.
  await h.pay(loan.loanId, loan.pastDueMinor);
  await handle.signal(m.closedByLender, { outcome: 'written_off', reason: 'lender closes meanwhile' });

  const result = await handle.result();
  const [row] = await h.db.select().from(collectionCases).where(eq(collectionCases.id, caseId));
  expect(row!.outcome).toBe('cured');
  expect(result.outcome).toBe('cured');
  expect(result.pastDueMinor).toBe(0);
  // The lender's close found the case cured: nothing audited it as a close.
  const trail = await h.db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId));
  expect(trail.filter((e) => e.action === 'workflow.case_closed_by_lender')).toHaveLength(0);
  // No ledger re-read: the signal carried the position.
  const history = await handle.fetchHistory();
  const activities = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(activities).not.toContain('closeCaseIfSettled');
  expect(activities).not.toContain('readPosition');
});
