// Contract 7 (#19): a payment that leaves nothing past due closes the loan's open case in its own ledger
// transaction, and its signal says so; the workflow takes that close and runs no closeCase. A run opened
// on an older contract still closes the case at its end: its closeCase finds the case closed and changes
// nothing. Payment-to-close is observed once per cure, wherever the close happened.
import type { WorkflowHandle } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCaseActivities } from '../../../activities/case';
import { getCase, openCase } from '../../../db/repository/cases';
import { auditEvents, contactAttempts } from '../../../db/schema';
import { instrumentCaseActivities, paymentToClose } from '../../../observability/metrics';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

/** Loans whose case the worker opens on contract 6, as a worker from before contract 7 did. */
const onContract6 = new Set<string>();

let h: Harness;
beforeAll(async () => {
  h = await startHarness('payment-closes-case', {
    wrapCaseActivities: (activities, db) =>
      instrumentCaseActivities(
        {
          ...activities,
          async openCase(input) {
            const facts = await activities.openCase(input);
            return onContract6.has(input.loanId) ? { ...facts, contract: 6 } : facts;
          },
        },
        db,
      ),
  });
});
afterAll(async () => {
  await h?.close();
});

/** How many cures payment-to-close has observed in this process (the payment's and the worker's alike). */
async function curesObserved(): Promise<number> {
  const { values } = await paymentToClose.get();
  return values.find((v) => v.metricName === 'overdue_payment_to_close_seconds_count' && v.labels.outcome === 'cured')?.value ?? 0;
}

async function activitiesRun(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
}

async function firstReminderSent(loanId: string) {
  await waitForState(() => h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loanId)), (rows) => rows.some((r) => r.status === 'sent'), { what: 'the first reminder' });
}

it('a cure closes the case with the payment, and the workflow completes cured without closeCase', { timeout: 60_000 }, async () => {
  const loan = await h.seedLoan({ dpd: 3 });
  const handle = await h.startCollection(loan.loanId);
  await firstReminderSent(loan.loanId);
  const { caseId } = await handle.query(m.getState);
  const observed = await curesObserved();

  await h.pay(loan.loanId, loan.pastDueMinor);
  // Closed when the payment is recorded, before the workflow has done anything with it.
  const row = (await getCase(h.db, caseId!))!;
  expect(row.outcome).toBe('cured');
  expect(row.closedAt).toBeInstanceOf(Date);

  const result = await handle.result();
  expect(result.outcome).toBe('cured');
  expect(result.pastDueMinor).toBe(0);
  // Nothing runs after the payment's signal: no closeCase, and no audit events left for a recordAudits.
  const events = (await handle.fetchHistory()).events ?? [];
  const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === m.paymentReceived.name);
  expect(signalled).toBeGreaterThan(0);
  expect(events.slice(signalled).filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
  expect(await activitiesRun(handle)).not.toContain('closeCase');
  const closes = await h.db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId!));
  expect(closes.filter((e) => e.action === 'case.closed')).toHaveLength(1);
  expect(await curesObserved()).toBe(observed + 1);
});

it('a run opened on contract 6 finds its case closed by the payment, and its closeCase changes nothing', { timeout: 60_000 }, async () => {
  const loan = await h.seedLoan({ dpd: 3 });
  onContract6.add(loan.loanId);
  const handle = await h.startCollection(loan.loanId);
  await firstReminderSent(loan.loanId);
  const { caseId } = await handle.query(m.getState);
  const observed = await curesObserved();

  await h.pay(loan.loanId, loan.pastDueMinor);
  const result = await handle.result();
  expect(result.outcome).toBe('cured');
  // Its close ran, found the case closed as cured, and completed (no retry, no second close).
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  expect(await activitiesRun(handle)).toContain('closeCase');
  expect(events.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(0);
  expect(events.every((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) === 1)).toBe(true);
  const row = (await getCase(h.db, caseId!))!;
  expect(row.outcome).toBe('cured');
  const trail = await h.db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId!));
  expect(trail.filter((e) => e.action === 'case.closed')).toHaveLength(1);
  // Observed once: by the payment that closed it, not again by the close that found it closed.
  expect(await curesObserved()).toBe(observed + 1);
});

it("a close the run decided otherwise finds the payment's cure standing and fails nothing", async () => {
  // A run on an older contract closed by a bar or the lender, whose closeCase comes after a payment cured
  // the loan: the ledger's close stands, as closeCaseIfSettled's always did.
  const loan = await h.seedLoan({ dpd: 3 });
  const { case: opened } = await openCase(h.db, { loanId: loan.loanId, strategyId: 'fast-test', strategyVersion: 1 });
  await h.pay(loan.loanId, loan.pastDueMinor);
  const activities = createCaseActivities({ db: h.db, loadStrategy: () => Promise.reject(new Error('not used')), queues: { email: 'e', sms: 's', letter: 'l' } });
  await expect(activities.closeCase({ caseId: opened.id, loanId: loan.loanId, outcome: 'written_off' })).resolves.toEqual({ alreadyClosed: true });
  await expect(activities.closeCase({ caseId: opened.id, loanId: loan.loanId, outcome: 'cured' })).resolves.toEqual({ alreadyClosed: true });
  // A run on contracts 2 to 4 re-reads the ledger: it is told the close the payment made.
  await expect(activities.closeCaseIfSettled({ caseId: opened.id, loanId: loan.loanId })).resolves.toMatchObject({ closedAs: 'cured', alreadyClosed: true });
  // A completed discounted plan whose write-down comes after the payment's cure writes nothing down and
  // settles nothing: the cure stands (no retry for ever on the conflict).
  await expect(activities.writeDownPlanDiscount({ idempotencyKey: `${opened.id}/discount`, caseId: opened.id, loanId: loan.loanId, currency: 'CNY', discountMinor: 1_000 })).resolves.toEqual({ position: expect.objectContaining({ pastDueMinor: 0 }), writtenDownMinor: 0 });
  expect((await getCase(h.db, opened.id))!.outcome).toBe('cured');
});
