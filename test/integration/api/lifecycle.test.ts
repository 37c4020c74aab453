// A loan's collection lifecycle (issue #12): how a case closed decides whether the loan is collected
// again — through the real sweep, the real HTTP API and the real worker. The file brings its own
// database, because it asserts the sweep's counts, which cover every loan in the database.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { closeCase, getOpenCase, openCase, settleByPlanDiscount } from '../../../db/repository/cases';
import { recordPayment } from '../../../db/repository/ledger';
import { migrateDatabase } from '../../../db/migrate';
import { auditEvents, borrowers, collectionCases, contactAttempts } from '../../../db/schema';
import type { Outcome } from '../../../domain/vocabulary';
import { runSweep } from '../../../client/sweep';
import { workflowIdForLoan } from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseName = `overdue_lifecycle_${process.pid}_${Date.now()}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });

let h: Harness;
let api: FastifyInstance;
const keys = { backend: { id: '', key: '' }, operator: { id: '', key: '' } };

beforeAll(async () => {
  await admin.unsafe(`CREATE DATABASE ${databaseName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  await migrateDatabase(url.toString());
  h = await startHarness('lifecycle', { databaseUrl: url.toString() });
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  const backend = await createApiKey(h.db, { role: 'backend', label: 'lifecycle test' });
  const operator = await createApiKey(h.db, { role: 'operator', label: 'lifecycle test' });
  keys.backend = { id: backend.id, key: backend.key };
  keys.operator = { id: operator.id, key: operator.key };
});
afterAll(async () => {
  await api?.close();
  await h?.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  await admin.end();
});

const DAY = 24 * 3600 * 1000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);
const TERMINAL: Outcome[] = ['dispute_upheld', 'stopped_bankruptcy', 'stopped_deceased', 'settled', 'written_off', 'cancelled', 'handed_to_legal'];

async function start(loanId: string, key: string, body?: unknown) {
  const response = await api.inject({
    method: 'POST',
    url: `/v1/loans/${loanId}/collection`,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: response.json() as Record<string, any> };
}

/** A case on the loan, opened and closed in the database as a finished workflow would leave it. */
async function closedCase(loanId: string, outcome: Outcome, closedAt: Date) {
  const { case: row } = await openCase(h.db, { loanId, strategyId: 'fast-test', strategyVersion: 1, openedAt: new Date(closedAt.getTime() - DAY) });
  return closeCase(h.db, row.id, outcome, { closedAt, actor: 'test' });
}

/**
 * A case settled by a completed discounted plan, as writeDownPlanDiscount leaves it: 40 000 of the first
 * instalment paid, the other 10 000 written down as of `writtenDownAt`, which settles the case, closed at `closedAt`.
 */
async function settledByPlan(loanId: string, writtenDownAt: Date, closedAt: Date) {
  await recordPayment(h.db, { paymentId: `pay-${randomUUID()}`, loanId, amountMinor: 40_000, currency: 'CNY', receivedAt: writtenDownAt });
  const { case: row } = await openCase(h.db, { loanId, strategyId: 'fast-test', strategyVersion: 1, openedAt: new Date(writtenDownAt.getTime() - DAY) });
  const settled = await settleByPlanDiscount(h.db, {
    idempotencyKey: `${row.id}/discount`,
    loanId,
    caseId: row.id,
    amountMinor: 10_000,
    currency: 'CNY',
    actor: 'test',
    asOf: writtenDownAt,
    closedAt,
  });
  expect(settled).toMatchObject({ writtenDownMinor: 10_000, closed: true });
}

async function runExists(loanId: string): Promise<boolean> {
  try {
    await h.client.workflow.getHandle(workflowIdForLoan(loanId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

const casesOf = (loanId: string) => h.db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId));
const reopenAudits = (loanId: string) =>
  h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loanId), eq(auditEvents.action, 'collection.reopened')));

/** Closes a running collection the way a lender does, and waits for its end. */
async function stopCollection(loanId: string) {
  const handle = h.client.workflow.getHandle(workflowIdForLoan(loanId));
  await handle.signal('closedByLender', { outcome: 'cancelled' });
  await handle.result();
}

describe('the sweep and a loan whose last case is closed', () => {
  it('never reopens a terminal outcome, reopens a cure or a discounted plan\'s settlement only after a new lapse, and counts what it skipped', async () => {
    // Instalments due some 20 years ago and an as-of date then: the sweep sees this portfolio only.
    const asOf = daysAgo(7260);
    const terminal: Array<{ loanId: string; outcome: Outcome }> = [];
    for (const outcome of [...TERMINAL, 'handed_to_legal' as const]) {
      const loan = await h.seedLoan({ dpd: 7300, futureInstallments: 0 });
      await closedCase(loan.loanId, outcome, daysAgo(7290));
      terminal.push({ loanId: loan.loanId, outcome });
    }
    // Cured on day -7285; the instalment due on day -7270 then lapsed: a new case.
    const lapsed = await h.seedLoan({ dpd: 7300, overdueInstallments: 2, futureInstallments: 0 });
    await recordPayment(h.db, { paymentId: `pay-${randomUUID()}`, loanId: lapsed.loanId, amountMinor: 50_000, currency: 'CNY', receivedAt: daysAgo(7286) });
    await closedCase(lapsed.loanId, 'cured', daysAgo(7285));
    // Cured on day -7285 with nothing due since: the instalment still unpaid fell due before the cure.
    const noLapse = await h.seedLoan({ dpd: 7300, futureInstallments: 0 });
    await closedCase(noLapse.loanId, 'cured', daysAgo(7285));
    // Settled by a discounted plan on day -7285 (the first instalment written down); the instalment due
    // on day -7270 then lapsed: a new case, as after a cure (the lender's settled above stays terminal).
    const planLapsed = await h.seedLoan({ dpd: 7300, overdueInstallments: 2, futureInstallments: 0 });
    await settledByPlan(planLapsed.loanId, daysAgo(7286), daysAgo(7285));
    // Written down as of day -7290, the case closed on day -7265: the instalment due on day -7270 fell
    // due before the close, so it is no new lapse.
    const planNoLapse = await h.seedLoan({ dpd: 7300, overdueInstallments: 2, futureInstallments: 0 });
    await settledByPlan(planNoLapse.loanId, daysAgo(7290), daysAgo(7265));

    const summary = await runSweep({ db: h.db, client: h.client, taskQueue: h.queues.collections, asOf, concurrency: 3, pageSize: 4 });
    expect(summary).toMatchObject({ found: 12, started: 2, alreadyRunning: 0, failed: 0, skipped: 10 });
    expect(summary.skippedBy).toEqual({
      'terminal:dispute_upheld': 1,
      'barred:stopped_bankruptcy': 1,
      'barred:stopped_deceased': 1,
      'terminal:settled': 1,
      'terminal:written_off': 1,
      'terminal:cancelled': 1,
      'terminal:handed_to_legal': 2,
      'no_new_lapse:cured': 1,
      'no_new_lapse:settled': 1,
    });

    for (const { loanId, outcome } of terminal) {
      expect(await runExists(loanId), outcome).toBe(false);
      expect((await casesOf(loanId)).map((c) => c.outcome), outcome).toEqual([outcome]);
    }
    expect(await runExists(noLapse.loanId)).toBe(false);
    expect(await runExists(planNoLapse.loanId)).toBe(false);
    for (const loanId of [lapsed.loanId, planLapsed.loanId]) {
      expect(await runExists(loanId)).toBe(true);
      await waitForState(() => getOpenCase(h.db, loanId), (c) => c !== null, { what: 'the new case after the lapse' });
      await stopCollection(loanId);
    }
    expect((await casesOf(planLapsed.loanId)).map((c) => c.outcome).sort()).toEqual(['cancelled', 'settled']);

    // A later sweep skips them all again: the lapsed loans' new cases closed as cancelled.
    const again = await runSweep({ db: h.db, client: h.client, taskQueue: h.queues.collections, asOf });
    expect(again).toMatchObject({ found: 12, started: 0, skipped: 12, failed: 0 });
  });
});

describe('POST /v1/loans/{id}/collection and a loan whose last case is closed', () => {
  it('answers 409 for each terminal outcome, naming it and what to do, and starts nothing', async () => {
    for (const outcome of TERMINAL) {
      const loan = await h.seedLoan();
      await closedCase(loan.loanId, outcome, daysAgo(1));
      const refused = await start(loan.loanId, keys.backend.key);
      expect(refused, outcome).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
      expect(refused.body.error.message, outcome).toContain(outcome);
      expect(refused.body.error.message, outcome).toMatch(outcome.startsWith('stopped_') ? /not even with a reason/ : /reopen/);
      expect(await runExists(loan.loanId), outcome).toBe(false);
    }
  });

  it('starts after a cure only once an instalment due since the cure is past due', async () => {
    const noLapse = await h.seedLoan({ dpd: 20 });
    await closedCase(noLapse.loanId, 'cured', daysAgo(10));
    const refused = await start(noLapse.loanId, keys.backend.key);
    expect(refused).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
    expect(refused.body.error.message).toContain('cured');
    expect(await runExists(noLapse.loanId)).toBe(false);

    const lapsed = await h.seedLoan({ dpd: 5 });
    await closedCase(lapsed.loanId, 'cured', daysAgo(10));
    expect((await start(lapsed.loanId, keys.backend.key)).status).toBe(201);
    await waitForState(() => getOpenCase(h.db, lapsed.loanId), (c) => c !== null, { what: 'the new case' });
    await stopCollection(lapsed.loanId);
  });

  it('starts after a discounted plan\'s settlement as after a cure, and refuses before a new lapse, saying so', async () => {
    // Two instalments 10 days apart, the first settled by the plan before the second fell due.
    const noLapse = await h.seedLoan({ dpd: 20, overdueInstallments: 2, futureInstallments: 0 });
    await settledByPlan(noLapse.loanId, daysAgo(15), daysAgo(5));
    const refused = await start(noLapse.loanId, keys.backend.key);
    expect(refused).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
    expect(refused.body.error.message).toMatch(/settled by a discounted plan.*starts again when one is/);
    expect(await runExists(noLapse.loanId)).toBe(false);

    const lapsed = await h.seedLoan({ dpd: 20, overdueInstallments: 2, futureInstallments: 0 });
    await settledByPlan(lapsed.loanId, daysAgo(15), daysAgo(12));
    expect(await start(lapsed.loanId, keys.backend.key)).toMatchObject({ status: 201, body: { started: true } });
    await waitForState(() => getOpenCase(h.db, lapsed.loanId), (c) => c !== null, { what: 'the new case after the plan' });
    await stopCollection(lapsed.loanId);
    expect(await reopenAudits(lapsed.loanId)).toEqual([]);
  });

  it('reopens a terminal loan on an explicit request with a reason, audited with who and why', async () => {
    const loan = await h.seedLoan();
    const old = await closedCase(loan.loanId, 'written_off', daysAgo(3));
    const reason = 'written off in error: the borrower’s payment was misapplied';
    const reopened = await start(loan.loanId, keys.operator.key, { reopen: { reason } });
    expect(reopened).toMatchObject({ status: 201, body: { loanId: loan.loanId, started: true } });
    expect(await reopenAudits(loan.loanId)).toMatchObject([
      { actor: `operator:${keys.operator.id}`, before: { caseId: old.id, outcome: 'written_off' }, after: { reason } },
    ]);
    const opened = await waitForState(() => getOpenCase(h.db, loan.loanId), (c) => c !== null, { what: 'the reopened case' });
    expect(opened!.id).not.toBe(old.id);
    // While it runs, asking again returns the running case, with or without a reason, and audits nothing more.
    expect(await start(loan.loanId, keys.backend.key)).toMatchObject({ status: 200, body: { started: false, runId: reopened.body.runId } });
    await stopCollection(loan.loanId);
    expect(await reopenAudits(loan.loanId)).toHaveLength(1);
    // Its new case closed as cancelled, itself terminal: a plain start is refused again.
    expect((await start(loan.loanId, keys.backend.key)).status).toBe(409);
  });

  it('refuses bankruptcy and death even with a reason, and audits nothing', async () => {
    for (const outcome of ['stopped_bankruptcy', 'stopped_deceased'] as const) {
      const loan = await h.seedLoan();
      await closedCase(loan.loanId, outcome, daysAgo(2));
      const refused = await start(loan.loanId, keys.operator.key, { reopen: { reason: 'the lender asks' } });
      expect(refused, outcome).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
      expect(refused.body.error.message, outcome).toContain(outcome);
      expect(await reopenAudits(loan.loanId), outcome).toEqual([]);
      expect(await runExists(loan.loanId), outcome).toBe(false);
    }
    const flagged = await h.seedLoan({ borrower: { bankruptcy: true } });
    const refused = await start(flagged.loanId, keys.backend.key);
    expect(refused).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'loanId' } } });
    expect(refused.body.error.message).toMatch(/bankrupt or deceased/);
  });

  it('wants a reason that says something', async () => {
    const loan = await h.seedLoan();
    await closedCase(loan.loanId, 'settled', daysAgo(2));
    expect(await start(loan.loanId, keys.backend.key, { reopen: {} })).toMatchObject({ status: 400, body: { error: { type: 'invalid_request', field: 'reopen.reason' } } });
    expect(await start(loan.loanId, keys.backend.key, { reopen: { reason: '   ' } })).toMatchObject({
      status: 422,
      body: { error: { type: 'validation_error', field: 'reopen.reason' } },
    });
    expect(await reopenAudits(loan.loanId)).toEqual([]);
    expect(await runExists(loan.loanId)).toBe(false);
  });
});

describe('a collection workflow started some other way', () => {
  async function failure(loanId: string): Promise<ApplicationFailure> {
    const handle = await h.startCollection(loanId);
    const error = await handle.result().then(
      () => {
        throw new Error('expected the workflow to fail');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activity = (error as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    return cause as ApplicationFailure;
  }

  it('closes at once as stopped for a bankrupt or deceased borrower, planning no contact and leaving no open case', async () => {
    for (const flag of ['bankruptcy', 'deceased'] as const) {
      const loan = await h.seedLoan({ borrower: { [flag]: true } });
      const result = await (await h.startCollection(loan.loanId)).result();
      expect(result.outcome, flag).toBe(flag === 'bankruptcy' ? 'stopped_bankruptcy' : 'stopped_deceased');
      expect(result.contactsSent, flag).toBe(0);
      expect(await getOpenCase(h.db, loan.loanId), flag).toBeNull();
      expect((await casesOf(loan.loanId)).map((c) => c.outcome), flag).toEqual([result.outcome]);
      expect(await h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId)), flag).toEqual([]);
    }
  });

  it('fails fast after a terminal outcome nobody reopened', async () => {
    const loan = await h.seedLoan();
    await closedCase(loan.loanId, 'dispute_upheld', daysAgo(1));
    const cause = await failure(loan.loanId);
    expect(cause.message).toContain('dispute_upheld');
    expect((await casesOf(loan.loanId)).map((c) => c.outcome)).toEqual(['dispute_upheld']);
    expect(await h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId))).toEqual([]);
  });

  it('closes as stopped a case it opened before the borrower was marked bankrupt, when its open is retried', async () => {
    // The first attempt opened the case; the borrower is then marked bankrupt; a retried openCase
    // must not leave that case open with no workflow behind it.
    const loan = await h.seedLoan();
    await openCase(h.db, { loanId: loan.loanId, workflowId: workflowIdForLoan(loan.loanId), strategyId: 'fast-test', strategyVersion: 1 });
    await h.db.update(borrowers).set({ bankruptcy: true }).where(eq(borrowers.id, loan.borrowerId));
    expect((await (await h.startCollection(loan.loanId)).result()).outcome).toBe('stopped_bankruptcy');
    expect((await casesOf(loan.loanId)).map((c) => c.outcome)).toEqual(['stopped_bankruptcy']);
  });
});
