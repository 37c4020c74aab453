// Each path of the collection workflow end to end, on the real Temporal dev server, PostgreSQL, SMTP
// sink and SMS webhook, with the fast-test strategy whose "days" are seconds.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, collectorTasks, contactAttempts, payments } from '../../../db/schema';
import { saveStrategy } from '../../../db/repository/strategies';
import { chooseTreatment } from '../../../domain/strategy/select';
import type { ReminderStage } from '../../../domain/strategy/types';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('paths');
  // The same ladder with the second reminder eight seconds out, so "pays after the first reminder"
  // does not depend on how fast a loaded machine delivers the payment signal.
  const ladder = structuredClone(fastTest.paths['full-ladder']!);
  const reminder = ladder[0] as ReminderStage;
  reminder.steps[1]!.after = 'PT8S';
  await saveStrategy(h.db, { id: 'fast-test-slow-second', version: 1, document: { ...fastTest, id: 'fast-test-slow-second', version: 1, paths: { ...fastTest.paths, 'full-ladder': ladder } } });
});
afterAll(async () => {
  await h?.close();
});

const fastTest = findDefaultStrategy('fast-test')!;

async function state(loanId: string) {
  return h.client.workflow.getHandle(m.workflowIdForLoan(loanId)).query(m.getState);
}

async function sentContacts(loanId: string) {
  return h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loanId));
}

async function waitForCallOutcome(loanId: string) {
  return waitForState(() => state(loanId), (s) => s.stage === 'call' && (s.waitingFor ?? '').includes('outcome of call'), { what: 'a call waiting for its outcome' });
}

async function collectorIdFor(loanId: string) {
  return `collector-${loanId}`;
}

describe('collection workflow paths (fast-test strategy)', () => {
  it('closes as cured when the borrower pays after the first reminder, and sends nothing after', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    // The first reminder (SMS) goes out a second after the stage begins.
    await waitForState(() => sentContacts(loan.loanId), (rows) => rows.some((r) => r.status === 'sent'), { what: 'the first reminder' });
    const paidAt = Date.now();
    await h.pay(loan.loanId, loan.pastDueMinor);
    const result = await handle.result();
    expect(result.outcome).toBe('cured');
    expect(result.pastDueMinor).toBe(0);
    expect(result.contactsSent).toBe(1);
    const rows = await sentContacts(loan.loanId);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(rows.every((r) => r.createdAt.getTime() < paidAt)).toBe(true);
    expect(h.sms.calls).toContainEqual(expect.objectContaining({ headers: expect.objectContaining({ 'idempotency-key': rows[0]!.idempotencyKey }) }));
    // Issue #4 asks for 40 events or fewer on this path (issue #19 keeps it). A patch a new run takes costs
    // two events (its marker and the SDK's TemporalChangeVersion upsert), so changes since say so in the
    // openCase result instead (CaseFacts.contract).
    expect(await h.keepHistory(handle, 'contract7-pays-after-first-reminder')).toBeLessThanOrEqual(40);
  });

  it('walks the whole ladder for a silent borrower and hands the case to legal', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    expect((await handle.result()).outcome).toBe('handed_to_legal');
    // The stages the case row went through, from the audit trail (opened in the first, then each change;
    // sampling the state query could miss a short stage).
    const changes = await h.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.loanId, loan.loanId), inArray(auditEvents.action, ['case.opened', 'case.stage_changed'])))
      .orderBy(asc(auditEvents.id));
    const seen = changes.map((e) => (e.after as { stage: string }).stage);
    expect(seen).toEqual(expect.arrayContaining(['reminder', 'call', 'negotiation', 'legal']));
    const rows = await sentContacts(loan.loanId);
    expect(rows.map((r) => r.template)).toEqual(['reminder-friendly', 'reminder-firm', 'final-demand']);
    const tasks = await h.db.select().from(collectorTasks).where(eq(collectorTasks.loanId, loan.loanId));
    expect(tasks).toHaveLength(2);
    expect(tasks.every((t) => t.status === 'cancelled')).toBe(true);
    await h.keepHistory(handle, 'contract5-full-ladder-to-legal');
  });

  it('continues as new when the history grows, carrying the case into the next run', async () => {
    // dpd 95 takes the 'late' path: call, then legal. A tiny history limit makes the run continue as
    // new at the call -> legal boundary; the case, its contacts and its outcome must carry over.
    const loan = await h.seedLoan({ dpd: 95 });
    const handle = await h.startCollection(loan.loanId, { historyLimit: 20 });
    const firstRunId = (await handle.describe()).runId;
    const result = await handle.result();
    expect(result.outcome).toBe('handed_to_legal');
    const lastRunId = (await handle.describe()).runId;
    expect(lastRunId).not.toBe(firstRunId);
    const firstRun = await h.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    expect(firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const rows = await sentContacts(loan.loanId);
    expect(rows.filter((r) => r.template === 'final-demand')).toHaveLength(1);
    expect(new Set(rows.map((r) => r.caseId))).toEqual(new Set([result.caseId]));
  });

  it('stays open after a partial payment and closes when the rest is paid', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await h.pay(loan.loanId, 20_000);
    const partial = await waitForState(() => state(loan.loanId), (s) => s.pastDueMinor === loan.pastDueMinor - 20_000, { what: 'the partial payment' });
    expect(partial.outcome).toBeUndefined();
    await h.pay(loan.loanId, loan.pastDueMinor - 20_000);
    const result = await handle.result();
    expect(result.outcome).toBe('cured');
    await h.keepHistory(handle, 'contract7-partial-then-full-payment');
  });

  it('counts the same payment id once', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await h.pay(loan.loanId, 10_000, `dup-${loan.loanId}`);
    await h.pay(loan.loanId, 10_000, `dup-${loan.loanId}`);
    const s = await waitForState(() => state(loan.loanId), (s) => s.pastDueMinor === loan.pastDueMinor - 10_000, { what: 'one payment applied' });
    expect(s.pastDueMinor).toBe(loan.pastDueMinor - 10_000);
    const recorded = await h.db.select().from(payments).where(eq(payments.loanId, loan.loanId));
    expect(recorded).toHaveLength(1);
    await handle.signal(m.closedByLender, { outcome: 'cancelled', reason: 'test cleanup' });
    expect((await handle.result()).outcome).toBe('cancelled');
  });

  it('starting twice for one loan gives one workflow', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const first = await h.startCollection(loan.loanId);
    await expect(h.startCollection(loan.loanId)).rejects.toThrow(/already started/i);
    const again = await h.client.workflow.start('collection', {
      taskQueue: h.queues.collections,
      workflowId: m.workflowIdForLoan(loan.loanId),
      args: [{ loanId: loan.loanId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect((await again.describe()).runId).toBe((await first.describe()).runId);
    await first.signal(m.closedByLender, { outcome: 'cancelled' });
    await first.result();
  });

  it('a kept promise closes the case once the promised payment cures the loan', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await waitForCallOutcome(loan.loanId);
    const collectorId = await collectorIdFor(loan.loanId);
    const view = await handle.executeUpdate(m.promiseToPay, {
      args: [{ amountMinor: loan.pastDueMinor, currency: 'CNY', dueAt: new Date(Date.now() + 5_000).toISOString(), collectorId }],
    });
    expect(view.promise).toMatchObject({ amountMinor: loan.pastDueMinor, status: 'open' });
    expect(view.assignedCollector).toBe(collectorId);
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    await h.pay(loan.loanId, loan.pastDueMinor);
    expect((await handle.result()).outcome).toBe('cured');
    await h.keepHistory(handle, 'contract7-promise-kept');
  });

  it('a broken promise escalates to legal and hands the case off', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await waitForCallOutcome(loan.loanId);
    await handle.executeUpdate(m.promiseToPay, {
      args: [{ amountMinor: loan.pastDueMinor, currency: 'CNY', dueAt: new Date(Date.now() + 3_000).toISOString(), collectorId: 'c-1' }],
    });
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'legal', { what: 'legal escalation' });
    const result = await handle.result();
    expect(result.outcome).toBe('handed_to_legal');
    const demand = (await sentContacts(loan.loanId)).filter((r) => r.template === 'final-demand');
    expect(demand).toHaveLength(1);
    await h.keepHistory(handle, 'contract5-broken-promise-to-legal');
  });

  it('a plan with a missed instalment goes to legal', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await waitForCallOutcome(loan.loanId);
    const half = loan.pastDueMinor / 2;
    await handle.executeUpdate(m.agreePaymentPlan, {
      args: [
        {
          currency: 'CNY',
          collectorId: 'c-2',
          installments: [
            { dueAt: new Date(Date.now() + 3_000).toISOString(), amountMinor: half },
            { dueAt: new Date(Date.now() + 6_000).toISOString(), amountMinor: half },
          ],
        },
      ],
    });
    await h.pay(loan.loanId, half);
    const s = await waitForState(() => state(loan.loanId), (s) => s.stage === 'legal', { what: 'legal after the missed instalment' });
    expect(s.plan).toBeUndefined();
    expect((await handle.result()).outcome).toBe('handed_to_legal');
    await h.keepHistory(handle, 'contract5-plan-missed-to-legal');
  });

  it('rejects a bad update with its message and leaves the state unchanged', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    const before = await waitForCallOutcome(loan.loanId);
    const attempts: Array<[Partial<m.PromiseInput>, RegExp]> = [
      [{ amountMinor: -500 }, /amountMinor must be a positive integer \(got -500\)/],
      [{ amountMinor: 12.5 }, /amountMinor must be a positive integer/],
      [{ currency: 'USD' }, /currency must be CNY/],
      [{ dueAt: new Date(Date.now() - 60_000).toISOString() }, /dueAt must be in the future/],
    ];
    for (const [change, message] of attempts) {
      const input = { amountMinor: 1000, currency: 'CNY', dueAt: new Date(Date.now() + 5_000).toISOString(), collectorId: 'c-3', ...change };
      const error = await handle.executeUpdate(m.promiseToPay, { args: [input as m.PromiseInput] }).catch((e) => e);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String(error.cause?.message)).toMatch(message);
    }
    const outcomeError = await handle.executeUpdate(m.recordCallOutcome, { args: [{ outcome: 'shouted' as never, collectorId: 'c-3' }] }).catch((e) => e);
    expect(String(outcomeError.cause?.message)).toMatch(/outcome must be one of/);
    const after = await state(loan.loanId);
    expect(after.promise).toBeUndefined();
    expect(after.assignedCollector).toBe(before.assignedCollector);
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    await handle.result();
  });

  it('a dispute pauses everything; rejecting it resumes from the same point', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    await waitForState(() => sentContacts(loan.loanId), (rows) => rows.some((r) => r.status === 'sent'), { what: 'the first reminder' });
    await handle.signal(m.disputeOpened, { disputeId: 'd-1' });
    const paused = await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('disputed') && (s.waitingFor ?? '').startsWith('end of pause'), {
      what: 'the dispute pause',
    });
    // The second reminder's time came during the dispute (the workflow now waits for the pause to end):
    // it has not gone out.
    expect(paused.stage).toBe('reminder');
    const sentBefore = (await sentContacts(loan.loanId)).length;
    expect(sentBefore).toBe(1);
    await handle.signal(m.disputeResolved, { disputeId: 'd-1', outcome: 'rejected' });
    await waitForState(() => sentContacts(loan.loanId), (rows) => rows.length === sentBefore + 1, { what: 'the second reminder after the dispute' });
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    await handle.result();
    await h.keepHistory(handle, 'contract5-dispute-rejected-resumes');
  });

  it('an upheld dispute closes the case', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await handle.signal(m.disputeOpened, { disputeId: 'd-2' });
    await handle.signal(m.disputeResolved, { disputeId: 'd-2', outcome: 'upheld' });
    expect((await handle.result()).outcome).toBe('dispute_upheld');
    await h.keepHistory(handle, 'contract5-dispute-upheld');
  });

  it('after a cease request reminders are recorded as blocked (only 1006.6(c)(2) messages may go out)', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startWithSignal(loan.loanId, m.ceaseRequested, []);
    const s = await waitForState(() => state(loan.loanId), (s) => s.contacts.blocked >= 2, { what: 'blocked reminders' });
    expect(s.contacts.sent).toBe(0);
    expect(s.lastBlocked?.rule).toMatch(/cease/);
    // The case goes on to legal, whose final demand is collection too (a cease allows only 1006.6(c)(2)
    // messages): the rows are read once the demand was decided, with the case closed, not while the
    // workflow is still moving (reading them at an arbitrary moment made this test fail on a slow machine).
    await waitForState(() => sentContacts(loan.loanId), (rows) => rows.some((r) => r.template === 'final-demand' && r.status === 'blocked'), { what: 'the blocked final demand' });
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    await handle.result();
    const rows = await sentContacts(loan.loanId);
    expect(rows.map((r) => r.template).sort()).toEqual(['call', 'final-demand', 'reminder-firm', 'reminder-friendly']);
    expect(rows.every((r) => r.status === 'blocked' && r.blockedRule === 'common.cease')).toBe(true);
    await h.keepHistory(handle, 'contract5-cease-communication');
  });

  it('hardship pauses contact for the forbearance period, then continues', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startWithSignal(loan.loanId, m.hardshipReported, []);
    const paused = await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('hardship'), { what: 'hardship pause' });
    expect(paused.pausedUntil).toBeDefined();
    const resumed = await waitForState(() => sentContacts(loan.loanId), (rows) => rows.some((r) => r.status === 'sent'), { what: 'a reminder after the pause' });
    const firstSent = resumed.find((r) => r.status === 'sent')!;
    expect(firstSent.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(paused.pausedUntil!));
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    await handle.result();
  });

  it('bankruptcy stops collection at once', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId);
    await handle.signal(m.collectionBarred, { reason: 'bankruptcy' });
    expect((await handle.result()).outcome).toBe('stopped_bankruptcy');
    await h.keepHistory(handle, 'contract5-bankruptcy-stop');
  });

  it('an operator pause holds contact until resume', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startWithSignal(loan.loanId, m.pauseRequested, [{ reason: 'complaint review', operator: 'op-1' }]);
    await waitForState(() => state(loan.loanId), (s) => (s.waitingFor ?? '').startsWith('end of pause (paused)'), { what: 'operator pause' });
    expect((await sentContacts(loan.loanId)).length).toBe(0);
    await handle.signal(m.resumeRequested, { operator: 'op-1' });
    await waitForState(() => sentContacts(loan.loanId), (rows) => rows.some((r) => r.status === 'sent'), { what: 'a reminder after resume' });
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    await handle.result();
  });

  it('queues a collector task per call attempt and expires it when nobody answers', async () => {
    const loan = await h.seedLoan({ dpd: 45 });
    // dpd 45 falls in the split segment; find the arm the way the workflow does.
    const arm = chooseTreatment(fastTest, { loanId: loan.loanId, dpd: 45, pastDueMinor: loan.pastDueMinor });
    const handle = await h.startCollection(loan.loanId);
    if (arm.pathId === 'calls-first') {
      await waitForCallOutcome(loan.loanId);
      const tasks = await h.db.select().from(collectorTasks).where(and(eq(collectorTasks.loanId, loan.loanId)));
      expect(tasks).toHaveLength(1);
    }
    await handle.signal(m.closedByLender, { outcome: 'written_off' });
    expect((await handle.result()).outcome).toBe('written_off');
  });
});
