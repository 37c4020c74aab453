// Every human contact is a contact (issue #12): a collector's call task passes the same rule gate as a
// message, a fact that forbids the call cancels the task at once, and an outcome on a cancelled task is
// refused. Also: the legal team's report-back route and CLI, and promise and plan rows that follow the
// workflow's decisions. Real workers, Temporal, PostgreSQL and HTTP (fastify.inject); this file has a
// database of its own, because a claim takes any unassigned task in the table.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApiKey } from '../../../db/repository/apiKeys';
import { openCase } from '../../../db/repository/cases';
import { openDispute } from '../../../db/repository/negotiation';
import { cancelTasksForRule } from '../../../db/repository/pauses';
import { enqueueTask } from '../../../db/repository/tasks';
import { auditEvents, borrowers, collectionCases, collectorTasks, paymentPlans, promisesToPay } from '../../../db/schema';
import { getState, promiseToPay, workflowIdForLoan, type CollectionResult, type CollectionState } from '../../../contracts/messages';
import { auditContacts } from '../../../scripts/lib/compliance-audit';
import { apiCaller } from '../../support/api';
import { waitForState, type Harness } from '../../support/harness';
import { startPatientApi } from '../../support/patient-api';
import { runOverdue } from '../../support/cli';

const STRATEGY = 'tasks-test';

let h: Harness;
let api: FastifyInstance;
let backendKey = '';
let operatorKey = '';
const suffix = randomUUID().slice(0, 6);

beforeAll(async () => {
  ({ h, api, backendKey, operatorKey } = await startPatientApi('tasks', STRATEGY));
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const call = (...args: Parameters<ReturnType<typeof apiCaller>>) => apiCaller(api)(...args);

const state = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);
const result = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).result() as Promise<CollectionResult>;
const waitingForOutcome = (s: CollectionState) => s.stage === 'call' && (s.waitingFor ?? '').startsWith('outcome of call');
const tasksOf = (loanId: string) => h.db.select().from(collectorTasks).where(eq(collectorTasks.loanId, loanId)).orderBy(collectorTasks.createdAt);

async function collector(name: string) {
  const id = `${name}-${suffix}`;
  return { id, key: (await createApiKey(h.db, { role: 'collector', collectorId: id })).key };
}

/** A loan on the 'late' path (call first), assigned to the collector and waiting for its first call's outcome. */
async function loanAwaitingCall(collectorId: string, seed: Parameters<Harness['seedLoan']>[0] = {}) {
  const loan = await h.seedLoan({ dpd: 100, ...seed });
  expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, backendKey, {})).status).toBe(201);
  expect((await call('POST', `/v1/loans/${loan.loanId}/collection/reassign`, operatorKey, { collectorId })).status).toBe(202);
  await waitForState(() => state(loan.loanId), (s) => waitingForOutcome(s) && s.assignedCollector === collectorId, { what: 'a call waiting for its outcome' });
  return loan;
}

describe('collector tasks pass the rule gate', () => {
  it('a dispute cancels the waiting call task: the claim hands out nothing and the outcome is refused with the rule', async () => {
    const c = await collector('disputed');
    const loan = await loanAwaitingCall(c.id);
    const [queued] = await tasksOf(loan.loanId);
    expect(queued).toMatchObject({ status: 'queued', collectorId: c.id });

    const disputed = await call('POST', `/v1/loans/${loan.loanId}/disputes`, backendKey, { idempotencyKey: `d-${loan.loanId}`, reason: 'not my loan' });
    expect(disputed.status).toBe(201);
    // The claim right after the dispute: nothing to do (before the fix: the disputed loan's task).
    const claim = await call('POST', '/v1/tasks/claim', c.key, {});
    expect(claim).toMatchObject({ status: 200, body: { task: null } });
    const [cancelled] = await tasksOf(loan.loanId);
    expect(cancelled).toMatchObject({ id: queued!.id, status: 'cancelled', cancelledRule: 'common.dispute' });
    expect(cancelled!.cancelledAt).toBeInstanceOf(Date);
    const queue = await call('GET', '/v1/tasks', c.key);
    expect(queue.body.tasks.map((t: { id: string }) => t.id)).not.toContain(queued!.id);

    const outcome = await call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, c.key, { outcome: 'right_party_contact' });
    expect(outcome).toMatchObject({ status: 422, body: { error: { type: 'validation_error', field: 'taskId' } } });
    expect(outcome.body.error.message).toContain('common.dispute');
    expect(outcome.body.error.message).toContain(cancelled!.cancelledAt!.toISOString());
    const refusals = await h.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'task.outcome_refused')));
    expect(refusals).toMatchObject([{ actor: `collector:${c.id}`, after: { taskId: queued!.id, rule: 'common.dispute', outcome: 'right_party_contact' } }]);

    // The workflow stopped waiting for the outcome and waits for the dispute instead.
    const paused = await waitForState(() => state(loan.loanId), (s) => (s.waitingFor ?? '').startsWith('end of pause'), { what: 'the call waiting for the dispute' });
    expect(paused).toMatchObject({ stage: 'call', pauses: ['disputed'] });

    // Rejected: the same attempt is queued afresh under a new key, and the call goes ahead.
    const resolved = await call('POST', `/v1/loans/${loan.loanId}/disputes/${disputed.body.disputeId}/resolution`, backendKey, { outcome: 'rejected' });
    expect(resolved.status).toBe(200);
    await waitForState(() => state(loan.loanId), waitingForOutcome, { what: 'the call queued again' });
    const tasks = await tasksOf(loan.loanId);
    expect(tasks).toHaveLength(2);
    expect(tasks[1]).toMatchObject({ status: 'queued', payload: { attempt: 1 } });
    expect(tasks[1]!.idempotencyKey).not.toBe(tasks[0]!.idempotencyKey);
    const again = await call('POST', '/v1/tasks/claim', c.key, {});
    expect(again).toMatchObject({ status: 200, body: { task: { id: tasks[1]!.id, loanId: loan.loanId, status: 'claimed' } } });
    const recorded = await call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, c.key, { outcome: 'right_party_contact' });
    expect(recorded.status).toBe(200);
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    expect((await tasksOf(loan.loanId))[1]).toMatchObject({ status: 'done', outcome: 'right_party_contact' });
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
    expect((await result(loan.loanId)).outcome).toBe('cancelled');
    // The auditor's check (npm run compliance-report -- --loan): the one call on record came after the dispute.
    expect(await auditContacts(h.db, { loanId: loan.loanId })).toMatchObject({ checked: 1, violations: [] });
    // With RECORD_HISTORIES=1, kept for the replay test (the patched call stage).
    await h.keepHistory(h.client.workflow.getHandle(workflowIdForLoan(loan.loanId)), 'call-task-cancelled-by-dispute');
  });

  it.each([
    ['operator pause', 'common.paused', (loanId: string) => call('POST', `/v1/loans/${loanId}/collection/pause`, operatorKey, { reason: 'complaint review' })],
    ['hardship', 'common.paused', (loanId: string) => call('POST', `/v1/loans/${loanId}/hardship`, backendKey)],
    ['cease request', 'common.cease', (loanId: string) => call('POST', `/v1/loans/${loanId}/cease-request`, backendKey)],
    ['call opt-out', 'common.opt-out', (loanId: string) => call('POST', `/v1/loans/${loanId}/opt-outs`, backendKey, { channel: 'call' })],
    ['bankruptcy', 'common.bankruptcy', (loanId: string) => call('POST', `/v1/loans/${loanId}/collection-bar`, backendKey, { reason: 'bankruptcy' })],
  ])('%s cancels the open call task at once with %s', async (_name, rule, report) => {
    const c = await collector(rule.replace(/\W/g, '-'));
    const loan = await loanAwaitingCall(c.id);
    const [queued] = await tasksOf(loan.loanId);
    expect((await report(loan.loanId)).status).toBe(202);
    // Cancelled by the API in the same transaction as the fact: no waiting on the workflow.
    const [task] = await tasksOf(loan.loanId);
    expect(task).toMatchObject({ id: queued!.id, status: 'cancelled', cancelledRule: rule });
    expect((await call('GET', '/v1/tasks', c.key)).body.tasks).toEqual([]);
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
    const refused = await call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, c.key, { outcome: 'no_answer' });
    expect(refused).toMatchObject({ status: 422, body: { error: { field: 'taskId' } } });
    expect(refused.body.error.message).toContain(rule);
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });

  it('an outcome on a held task completes it; one recorded without claiming leaves no task behind in the queue', async () => {
    const c = await collector('answered');
    const held = await loanAwaitingCall(c.id);
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body.task).toMatchObject({ loanId: held.loanId });
    expect((await call('POST', `/v1/loans/${held.loanId}/collection/call-outcome`, c.key, { outcome: 'right_party_contact' })).status).toBe(200);
    await waitForState(() => state(held.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    expect(await tasksOf(held.loanId)).toMatchObject([{ status: 'done', outcome: 'right_party_contact', claimedBy: c.id }]);

    const unclaimed = await loanAwaitingCall(c.id);
    expect((await call('POST', `/v1/loans/${unclaimed.loanId}/collection/call-outcome`, c.key, { outcome: 'right_party_contact' })).status).toBe(200);
    await waitForState(() => state(unclaimed.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    await waitForState(() => tasksOf(unclaimed.loanId), (tasks) => tasks[0]?.status === 'cancelled', { what: 'the unclaimed task expired' });
    expect((await call('GET', '/v1/tasks', c.key)).body.tasks).toEqual([]);
    for (const loan of [held, unclaimed]) await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });

  it('a pause keeps the call from being queued until it is resumed, then queues a fresh task', async () => {
    const c = await collector('resume');
    const loan = await loanAwaitingCall(c.id);
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/pause`, operatorKey, { reason: 'review' })).status).toBe(202);
    await waitForState(() => state(loan.loanId), (s) => (s.waitingFor ?? '').startsWith('end of pause'), { what: 'the pause' });
    expect(await tasksOf(loan.loanId)).toMatchObject([{ status: 'cancelled', cancelledRule: 'common.paused' }]);
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/resume`, operatorKey)).status).toBe(202);
    await waitForState(() => state(loan.loanId), waitingForOutcome, { what: 'the call queued again' });
    expect(await tasksOf(loan.loanId)).toMatchObject([{ status: 'cancelled' }, { status: 'queued', collectorId: c.id }]);
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body.task).toMatchObject({ loanId: loan.loanId });
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });
});

describe('the claim checks the contact window and the facts in the database', () => {
  /** The Etc/GMT zone in which it is now `hour` o'clock (Etc/GMT-8 is UTC+8). */
  function zoneAtLocalHour(hour: number): string {
    let offset = (hour - new Date().getUTCHours() + 24) % 24;
    if (offset > 14) offset -= 24;
    return offset === 0 ? 'Etc/GMT' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  }

  /** A case pinned to `strategyId` with one call task for the collector, queued outside any workflow. */
  async function queuedCall(collectorId: string, strategyId: string, borrower: Record<string, unknown>) {
    const loan = await h.seedLoan({ dpd: 100, borrower });
    const { case: row } = await openCase(h.db, { loanId: loan.loanId, strategyId, strategyVersion: 1, stage: 'call', actor: 'test' });
    const { task } = await enqueueTask(h.db, { idempotencyKey: `${row.id}/call-1`, caseId: row.id, loanId: loan.loanId, kind: 'call', collectorId, payload: { attempt: 1 } });
    return task;
  }

  it('hands out nothing at the borrower’s local night under cn-consumer, and the same call by day', async () => {
    const c = await collector('window');
    const night = await queuedCall(c.id, 'cn-consumer', { timeZone: zoneAtLocalHour(3) });
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
    // Quiet hours end by themselves: the task waits, it is not cancelled.
    expect((await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, night.id)))[0]).toMatchObject({ status: 'queued', cancelledRule: null });

    const day = await queuedCall(c.id, 'cn-consumer', { timeZone: zoneAtLocalHour(12) });
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body.task).toMatchObject({ id: day.id, status: 'claimed' });
  });

  it('hands out nothing at a time the borrower said is inconvenient', async () => {
    const c = await collector('inconvenient');
    await queuedCall(c.id, STRATEGY, { inconvenientTimes: [{ from: '00:00', to: '24:00' }] });
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
  });

  it('writes no pause and cancels nothing when no collection runs for the case (404)', async () => {
    const c = await collector('no-run');
    const task = await queuedCall(c.id, STRATEGY, {});
    const paused = await call('POST', `/v1/loans/${task.loanId}/collection/pause`, operatorKey, { reason: 'review' });
    expect(paused).toMatchObject({ status: 404, body: { error: { type: 'not_found', field: 'loanId' } } });
    expect((await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, task.id)))[0]).toMatchObject({ status: 'queued', cancelledRule: null });
    expect((await h.db.select().from(collectionCases).where(eq(collectionCases.id, task.caseId!)))[0]!.operatorPausedAt).toBeNull();
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body.task).toMatchObject({ id: task.id });
  });

  it('cancels, with its rule, a task whose borrower the database already knows asked to cease', async () => {
    const c = await collector('ceased');
    const task = await queuedCall(c.id, STRATEGY, {});
    await h.db.update(borrowers).set({ ceaseRequestedAt: new Date() }).where(eq(borrowers.id, `b-${task.loanId}`));
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
    expect((await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, task.id)))[0]).toMatchObject({ status: 'cancelled', cancelledRule: 'common.cease' });
  });

  it('queues a call for a borrower who already asked to cease as cancelled with its rule, never claimable', async () => {
    const c = await collector('ceased-first');
    const loan = await h.seedLoan({ dpd: 100, borrower: {} });
    await h.db.update(borrowers).set({ ceaseRequestedAt: new Date() }).where(eq(borrowers.id, `b-${loan.loanId}`));
    const { case: row } = await openCase(h.db, { loanId: loan.loanId, strategyId: STRATEGY, strategyVersion: 1, stage: 'call', actor: 'test' });
    const { task } = await enqueueTask(h.db, { idempotencyKey: `${row.id}/call-1`, caseId: row.id, loanId: loan.loanId, kind: 'call', collectorId: c.id });
    expect(task).toMatchObject({ status: 'cancelled', cancelledRule: 'common.cease' });
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
    const audit = await h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'task.cancelled')));
    expect(audit).toMatchObject([{ actor: 'rules', after: { taskId: task.id, rule: 'common.cease', at: 'queue' } }]);
  });

  it('leaves no claimable task when a dispute and the queueing of a call race (the fault suite’s race)', async () => {
    const c = await collector('race');
    const loans = await Promise.all(Array.from({ length: 12 }, () => h.seedLoan({ dpd: 100, borrower: {} })));
    const cases = await Promise.all(loans.map((loan) => openCase(h.db, { loanId: loan.loanId, strategyId: STRATEGY, strategyVersion: 1, stage: 'call', actor: 'test' })));
    // Each loan: the workflow queues its call while the API records a dispute (which cancels open tasks).
    await Promise.all(
      loans.flatMap((loan, n) => [
        enqueueTask(h.db, { idempotencyKey: `${cases[n]!.case.id}/call-1`, caseId: cases[n]!.case.id, loanId: loan.loanId, kind: 'call', collectorId: c.id }),
        h.db.transaction(async (tx) => {
          await openDispute(tx, { idempotencyKey: `race-${loan.loanId}`, loanId: loan.loanId, reason: 'not mine' });
          await cancelTasksForRule(tx, loan.loanId, 'common.dispute', 'test');
        }),
      ]),
    );
    const tasks = await h.db.select().from(collectorTasks).where(inArray(collectorTasks.loanId, loans.map((l) => l.loanId)));
    expect(tasks.map((t) => [t.status, t.cancelledRule])).toEqual(loans.map(() => ['cancelled', 'common.dispute']));
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body).toEqual({ task: null });
  });
});

describe('the legal team reports back', () => {
  it('is documented in the OpenAPI document like its neighbours', async () => {
    const doc = (await api.inject({ method: 'GET', url: '/openapi.json' })).json();
    const route = doc.paths['/v1/loans/{loanId}/collection/legal-outcome'].post;
    expect(route.requestBody.content['application/json'].schema).toMatchObject({ required: ['outcome'], properties: { outcome: { enum: ['paid', 'settled', 'written_off'] } } });
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['202', '404', '409']));
  });

  it('closes a case awaiting its legal outcome, over HTTP, and refuses when nothing awaits it', async () => {
    const loan = await h.seedLoan({ dpd: 70 }); // straight-to-legal, awaiting the outcome
    expect((await call('POST', `/v1/loans/no-such-loan/collection/legal-outcome`, backendKey, { outcome: 'settled' })).status).toBe(404);
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/legal-outcome`, backendKey, { outcome: 'settled' }))).toMatchObject({
      status: 404,
      body: { error: { type: 'not_found', field: 'loanId' } },
    });
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, backendKey, {})).status).toBe(201);
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'legal', { what: 'the legal stage' });
    const early = await call('POST', `/v1/loans/${loan.loanId}/collection/legal-outcome`, operatorKey, { outcome: 'settled' });
    expect(early).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
    expect(early.body.error.message).toContain('not awaiting a legal outcome');
    const bad = await call('POST', `/v1/loans/${loan.loanId}/collection/legal-outcome`, backendKey, { outcome: 'won' });
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'outcome' } } });

    await waitForState(() => state(loan.loanId), (s) => s.waitingFor === 'legal outcome', { what: 'the legal outcome wait' });
    const reported = await call('POST', `/v1/loans/${loan.loanId}/collection/legal-outcome`, backendKey, { outcome: 'settled' });
    expect(reported).toMatchObject({ status: 202, body: { loanId: loan.loanId, accepted: true, outcome: 'settled' } });
    expect((await result(loan.loanId)).outcome).toBe('settled');
    const audited = await h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'legal.outcome_reported')));
    expect(audited).toMatchObject([{ after: { outcome: 'settled' } }]);
    const after = await call('POST', `/v1/loans/${loan.loanId}/collection/legal-outcome`, backendKey, { outcome: 'paid' });
    expect(after).toMatchObject({ status: 409 });
    expect(after.body.error.message).toContain('closed (settled)');
  });

  it('takes the outcome from the CLI: overdue legal-outcome --loan ID --outcome written_off', async () => {
    const loan = await h.seedLoan({ dpd: 70 });
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, backendKey, {})).status).toBe(201);
    const env = { ...process.env, DATABASE_URL: h.databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: h.queues.collections };
    // Each CLI run is a fresh tsx process (seconds on a loaded 2-core machine): the two that need no
    // workflow run side by side.
    const [help, bad] = await Promise.all([
      overdue(['legal-outcome', '--help'], env),
      overdue(['legal-outcome', '--loan', loan.loanId, '--outcome', 'won'], env),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('overdue legal-outcome --loan ID --outcome OUTCOME');
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('--outcome must be one of paid, settled, written_off');

    await waitForState(() => state(loan.loanId), (s) => s.waitingFor === 'legal outcome', { what: 'the legal outcome wait' });
    const done = await overdue(['legal-outcome', '--loan', loan.loanId, '--outcome', 'written_off'], env);
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout).toContain('written_off');
    expect((await result(loan.loanId)).outcome).toBe('written_off');
    const again = await overdue(['legal-outcome', '--loan', loan.loanId, '--outcome', 'written_off'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('not awaiting a legal outcome');
  }, 150_000);
});

describe('promise and plan rows follow the workflow', () => {
  async function negotiating(name: string) {
    const c = await collector(name);
    const loan = await loanAwaitingCall(c.id);
    expect((await call('POST', '/v1/tasks/claim', c.key, {})).body.task).toMatchObject({ loanId: loan.loanId });
    return { c, loan };
  }
  const promiseRows = (loanId: string) => h.db.select().from(promisesToPay).where(eq(promisesToPay.loanId, loanId));
  const planRows = (loanId: string) => h.db.select().from(paymentPlans).where(eq(paymentPlans.loanId, loanId));

  it('a promise paid in time is kept', async () => {
    const { c, loan } = await negotiating('kept');
    const dueAt = new Date(Date.now() + 5_000).toISOString();
    const promised = await call('POST', `/v1/loans/${loan.loanId}/collection/promise`, c.key, { amountMinor: loan.pastDueMinor, currency: loan.currency, dueAt });
    expect(promised.body).toMatchObject({ promise: { status: 'open' } });
    await h.pay(loan.loanId, loan.pastDueMinor);
    expect((await result(loan.loanId)).outcome).toBe('cured');
    expect(await promiseRows(loan.loanId)).toMatchObject([{ status: 'kept', amountMinor: loan.pastDueMinor, createdBy: `collector:${c.id}` }]);
    await h.keepHistory(h.client.workflow.getHandle(workflowIdForLoan(loan.loanId)), 'promise-row-kept');
  });

  it('a promise not paid by its date and grace is broken', async () => {
    const { c, loan } = await negotiating('broken');
    const dueAt = new Date(Date.now() + 2_000).toISOString();
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/promise`, c.key, { amountMinor: loan.pastDueMinor, currency: loan.currency, dueAt })).status).toBe(200);
    await waitForState(() => promiseRows(loan.loanId), (rows) => rows[0]?.status === 'broken', { what: 'the broken promise row' });
    expect(await promiseRows(loan.loanId)).toMatchObject([{ status: 'broken' }]);
    expect((await promiseRows(loan.loanId))[0]!.resolvedAt).toBeInstanceOf(Date);
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });

  it('the workflow writes the row itself when it decides before the API filed it', async () => {
    const { c, loan } = await negotiating('unfiled');
    // Straight to the workflow, as if the API had died after the update: no row is filed.
    const dueAt = new Date(Date.now() + 2_000).toISOString();
    await h.client.workflow
      .getHandle(workflowIdForLoan(loan.loanId))
      .executeUpdate(promiseToPay, { args: [{ amountMinor: 1_000, currency: loan.currency, dueAt, collectorId: c.id }] });
    expect(await promiseRows(loan.loanId)).toEqual([]);
    // settlePromise creates the row, then decides it (two statements): wait for the decision.
    await waitForState(() => promiseRows(loan.loanId), (rows) => rows.length > 0 && rows[0]!.status !== 'open', { what: 'the decided promise row' });
    expect(await promiseRows(loan.loanId)).toMatchObject([{ status: 'broken', amountMinor: 1_000, createdBy: `collector:${c.id}` }]);
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });

  it('a plan paid in full is completed', async () => {
    const { c, loan } = await negotiating('plan-done');
    const installments = [{ dueAt: new Date(Date.now() + 5_000).toISOString(), amountMinor: loan.pastDueMinor }];
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/plan`, c.key, { currency: loan.currency, installments })).status).toBe(200);
    await h.pay(loan.loanId, loan.pastDueMinor);
    expect((await result(loan.loanId)).outcome).toBe('cured');
    expect(await planRows(loan.loanId)).toMatchObject([{ status: 'completed', totalMinor: loan.pastDueMinor }]);
  });

  it('a plan with a missed instalment is broken', async () => {
    const { c, loan } = await negotiating('plan-missed');
    const installments = [{ dueAt: new Date(Date.now() + 2_000).toISOString(), amountMinor: loan.pastDueMinor }];
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/plan`, c.key, { currency: loan.currency, installments })).status).toBe(200);
    await waitForState(() => planRows(loan.loanId), (rows) => rows[0]?.status === 'broken', { what: 'the broken plan row' });
    expect((await planRows(loan.loanId))[0]!.endedAt).toBeInstanceOf(Date);
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
    expect((await result(loan.loanId)).outcome).toBe('cancelled');
    await h.keepHistory(h.client.workflow.getHandle(workflowIdForLoan(loan.loanId)), 'plan-row-broken');
  });
});

// ---- the CLI, as an operator runs it ----


const overdue = (args: string[], env: NodeJS.ProcessEnv) => runOverdue(env, args);
