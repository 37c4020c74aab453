// The HTTP API end to end: real workers, Temporal dev server and PostgreSQL (test/support/harness),
// requests through fastify.inject. Assertions are on what a caller sees and what the ledger and the
// workflow query then show.
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { payments, promisesToPay } from '../../../db/schema';
import { runSweep } from '../../../client/sweep';
import { getState, workflowIdForLoan, type CollectionResult, type CollectionState } from '../../../contracts/messages';
import { apiCaller, borrowerBody, loanBody } from '../../support/api';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
let api: FastifyInstance;
const keys = { backend: '', operator: '', collector1: '', collector2: '' };
const suffix = randomUUID().slice(0, 6);
const collector1 = `c1-${suffix}`;
const collector2 = `c2-${suffix}`;

beforeAll(async () => {
  h = await startHarness('api');
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  keys.backend = (await createApiKey(h.db, { role: 'backend', label: 'api test' })).key;
  keys.operator = (await createApiKey(h.db, { role: 'operator' })).key;
  keys.collector1 = (await createApiKey(h.db, { role: 'collector', collectorId: collector1 })).key;
  keys.collector2 = (await createApiKey(h.db, { role: 'collector', collectorId: collector2 })).key;
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const call = (...args: Parameters<ReturnType<typeof apiCaller>>) => apiCaller(api)(...args);

const state = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);
const result = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).result() as Promise<CollectionResult>;
const paymentsOf = async (loanId: string) => (await h.db.select({ n: count() }).from(payments).where(eq(payments.loanId, loanId)))[0]!.n;
const waitingForOutcome = (s: CollectionState) => s.stage === 'call' && (s.waitingFor ?? '').includes('outcome');

describe('HTTP API', () => {
  it('publishes its OpenAPI document and a docs page', async () => {
    const doc = await api.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const json = doc.json();
    expect(json.openapi).toBe('3.1.0');
    expect(json.paths['/v1/loans/{loanId}/payments'].post.requestBody.content['application/json'].schema.required).toContain('paymentId');
    const docs = await api.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui-bundle.js');
    // The page renders /docs/json, the same document (test/integration/api/docs.test.ts checks the assets).
    expect((await api.inject({ method: 'GET', url: '/docs/json' })).json().paths).toHaveProperty(['/v1/loans/{loanId}/collection/promise']);
  });

  it('lets a backend upsert a borrower and a loan with its schedule', async () => {
    const borrowerId = `b-api-put-${suffix}`;
    const loanId = `api-put-${suffix}`;
    const borrower = borrowerBody(`ext-${borrowerId}`, { phone: '+8613800138000' });
    expect((await call('PUT', `/v1/borrowers/${borrowerId}`, keys.backend, borrower)).status).toBe(201);
    expect((await call('PUT', `/v1/borrowers/${borrowerId}`, keys.backend, borrower)).status).toBe(200);
    const loan = loanBody(borrowerId);
    const created = await call('PUT', `/v1/loans/${loanId}`, keys.backend, loan);
    expect(created).toMatchObject({ status: 201, body: { loanId, installments: 1 } });
    const changed = await call('PUT', `/v1/loans/${loanId}`, keys.backend, { ...loan, currency: 'USD' });
    expect(changed).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'currency' } } });
  });

  it('starts collection once however often a backend asks', async () => {
    const loan = await h.seedLoan();
    const first = await call('POST', `/v1/loans/${loan.loanId}/collection`, keys.backend, {});
    const second = await call('POST', `/v1/loans/${loan.loanId}/collection`, keys.backend);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.runId).toBe(first.body.runId);
    expect(first.body.workflowId).toBe(`collection-${loan.loanId}`);
    const description = await h.client.workflow.getHandle(first.body.workflowId).describe();
    expect(description.runId).toBe(first.body.runId);
    // The Temporal UI's list shows the loan, its strategy and the day it opened; ids only.
    const summary = await description.staticSummary();
    expect(summary?.startsWith(`Loan ${loan.loanId} · product default strategy · opened `)).toBe(true);
    expect(summary).toMatch(/ · opened \d{4}-\d{2}-\d{2}$/);
    expect(await description.staticDetails()).toContain('reminder → call → negotiation → legal');
    const closed = await call('POST', `/v1/loans/${loan.loanId}/collection/close`, keys.backend, { outcome: 'cancelled', reason: 'test' });
    expect(closed.status).toBe(202);
    expect((await result(loan.loanId)).outcome).toBe('cancelled');
  });

  it('records a payment posted twice once, and the payment cures the case', async () => {
    const loan = await h.seedLoan();
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, keys.backend)).status).toBe(201);
    const payment = { paymentId: `pay-${randomUUID()}`, amountMinor: loan.pastDueMinor, currency: loan.currency, receivedAt: new Date().toISOString() };
    const first = await call('POST', `/v1/loans/${loan.loanId}/payments`, keys.backend, payment);
    const again = await call('POST', `/v1/loans/${loan.loanId}/payments`, keys.backend, payment);
    expect(first).toMatchObject({ status: 201, body: { recorded: true, signalled: true, position: { pastDueMinor: 0 } } });
    expect(again).toMatchObject({ status: 200, body: { recorded: false } });
    const reused = await call('POST', `/v1/loans/${loan.loanId}/payments`, keys.backend, { ...payment, amountMinor: 1 });
    expect(reused).toMatchObject({ status: 409, body: { error: { type: 'conflict', field: 'paymentId' } } });
    expect(await paymentsOf(loan.loanId)).toBe(1);
    const outcome = await result(loan.loanId);
    expect(outcome).toMatchObject({ outcome: 'cured', pastDueMinor: 0 });
  });

  it('records a payment for a loan whose collection is not running', async () => {
    const loan = await h.seedLoan();
    const paid = await call('POST', `/v1/loans/${loan.loanId}/payments`, keys.backend, {
      paymentId: `pay-${randomUUID()}`,
      amountMinor: 100,
      currency: loan.currency,
      receivedAt: new Date().toISOString(),
    });
    expect(paid).toMatchObject({ status: 201, body: { recorded: true, signalled: false } });
  });

  it('lets the assigned collector record a promise that the workflow then watches, and nobody else', async () => {
    const loan = await h.seedLoan({ dpd: 5 });
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, keys.backend)).status).toBe(201);
    const reassigned = await call('POST', `/v1/loans/${loan.loanId}/collection/reassign`, keys.operator, { collectorId: collector1 });
    expect(reassigned.status).toBe(202);
    await waitForState(() => state(loan.loanId), (s) => s.assignedCollector === collector1, { what: 'the assignment' });

    // Another collector may neither read nor act on the case.
    expect((await call('GET', `/v1/loans/${loan.loanId}/collection`, keys.collector2)).status).toBe(403);
    const intruder = await call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, keys.collector2, { outcome: 'refused' });
    expect(intruder).toMatchObject({ status: 403, body: { error: { type: 'forbidden' } } });

    await waitForState(() => state(loan.loanId), waitingForOutcome, { what: 'a call waiting for its outcome' });
    const dueAt = new Date(Date.now() + 5_000).toISOString();
    const promised = await call('POST', `/v1/loans/${loan.loanId}/collection/promise`, keys.collector1, { amountMinor: loan.pastDueMinor, currency: loan.currency, dueAt });
    expect(promised.status).toBe(200);
    expect(promised.body.promise).toMatchObject({ amountMinor: loan.pastDueMinor, status: 'open' });

    const seen = await call('GET', `/v1/loans/${loan.loanId}/collection`, keys.operator);
    expect(seen).toMatchObject({ status: 200, body: { loanId: loan.loanId, assignedCollector: collector1, promise: { amountMinor: loan.pastDueMinor } } });
    expect((await state(loan.loanId)).promise?.dueAt).toBe(dueAt);
    const filed = await h.db.select().from(promisesToPay).where(eq(promisesToPay.loanId, loan.loanId));
    expect(filed).toMatchObject([{ amountMinor: loan.pastDueMinor, createdBy: `collector:${collector1}`, status: 'open' }]);

    // Operators find the case by its collector (visibility catches up within a moment).
    await waitForState(
      () => call('GET', `/v1/collections?assignedCollector=${collector1}`, keys.operator),
      (r) => r.status === 200 && r.body.collections.some((c: { loanId: string }) => c.loanId === loan.loanId),
      { what: 'the case in the search' },
    );
    // A promise further out than the strategy allows (PT10S) is refused by the workflow's validator.
    const tooFar = await call('POST', `/v1/loans/${loan.loanId}/collection/promise`, keys.collector1, {
      amountMinor: 100,
      currency: loan.currency,
      dueAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(tooFar).toMatchObject({ status: 422, body: { error: { type: 'validation_error' } } });
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, keys.backend, { outcome: 'cancelled' });
  });

  it('answers each bad request with a clear 4xx and changes neither the ledger nor the workflow', async () => {
    const loan = await h.seedLoan();
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, keys.backend)).status).toBe(201);
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/pause`, keys.operator, { reason: 'bad-input test' })).status).toBe(202);
    const before = await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('paused'), { what: 'the pause' });

    const url = `/v1/loans/${loan.loanId}/payments`;
    const good = { paymentId: `pay-${randomUUID()}`, amountMinor: 1000, currency: loan.currency, receivedAt: new Date().toISOString() };
    const cases: Array<[string, Promise<{ status: number; body: Record<string, any> }>, number, string, string?]> = [
      ['negative amount', call('POST', url, keys.backend, { ...good, amountMinor: -500 }), 422, 'validation_error', 'amountMinor'],
      ['fractional amount', call('POST', url, keys.backend, { ...good, amountMinor: 10.5 }), 422, 'validation_error', 'amountMinor'],
      ['amount as a string', call('POST', url, keys.backend, { ...good, amountMinor: '1000' }), 400, 'invalid_request', 'amountMinor'],
      ['wrong currency', call('POST', url, keys.backend, { ...good, currency: 'USD' }), 422, 'validation_error', 'currency'],
      ['unknown loan', call('POST', '/v1/loans/no-such-loan/payments', keys.backend, good), 404, 'not_found', 'loanId'],
      ['malformed JSON', call('POST', url, keys.backend, undefined, '{"paymentId": "p1", '), 400, 'invalid_request'],
      ['missing fields', call('POST', url, keys.backend, { paymentId: good.paymentId }), 400, 'invalid_request', 'amountMinor'],
      ['unknown field', call('POST', url, keys.backend, { ...good, note: 'x' }), 400, 'invalid_request', 'note'],
      ['oversized body', call('POST', url, keys.backend, { ...good, paymentId: 'x'.repeat(100 * 1024) }), 413, 'payload_too_large'],
      ['wrong role', call('POST', url, keys.collector1, good), 403, 'forbidden'],
      ['no key', call('POST', url, null, good), 401, 'unauthorized'],
      ['unknown key', call('POST', url, 'ovd_backend_not-a-real-key-at-all', good), 401, 'unauthorized'],
      ['promise in the past', call('POST', `/v1/loans/${loan.loanId}/collection/promise`, keys.collector1, { amountMinor: 100, currency: loan.currency, dueAt: '2020-01-01T00:00:00Z' }), 422, 'validation_error', 'dueAt'],
      ['promise on a case not yours', call('POST', `/v1/loans/${loan.loanId}/collection/promise`, keys.collector2, { amountMinor: 100, currency: loan.currency, dueAt: new Date(Date.now() + 5000).toISOString() }), 403, 'forbidden'],
      ['bad call outcome', call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, keys.collector1, { outcome: 'maybe' }), 400, 'invalid_request', 'outcome'],
      ['bad stage filter', call('GET', '/v1/collections?stage=everything', keys.operator), 400, 'invalid_request', 'stage'],
    ];
    for (const [name, pending, status, type, field] of cases) {
      const response = await pending;
      expect({ name, status: response.status, type: response.body.error?.type }).toEqual({ name, status, type });
      expect(response.body.error.message, name).toEqual(expect.any(String));
      if (field) expect(response.body.error.field, name).toBe(field);
    }

    expect(await paymentsOf(loan.loanId)).toBe(0);
    const after = await state(loan.loanId);
    for (const key of ['pastDueMinor', 'outstandingMinor', 'pauses', 'assignedCollector', 'promise', 'plan', 'dispute', 'outcome'] as const) {
      expect(after[key], key).toEqual(before[key]);
    }
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, keys.backend, { outcome: 'cancelled' });
  });

  it('sweeps each delinquent loan into collection once, however often it runs', async () => {
    // Loans due years ago, and an as-of date only they are overdue for: other test files share the database.
    const loans = await Promise.all([1, 2, 3].map(() => h.seedLoan({ dpd: 4000, futureInstallments: 0 })));
    const asOf = new Date(Date.now() - 3990 * 24 * 3600 * 1000);
    const progress: number[] = [];
    const first = await runSweep({ db: h.db, client: h.client, taskQueue: h.queues.collections, asOf, concurrency: 2, pageSize: 2, onProgress: (p) => progress.push(p.done) });
    expect(first).toMatchObject({ found: 3, started: 3, alreadyRunning: 0, failed: 0 });
    expect(progress.at(-1)).toBe(3);
    const second = await runSweep({ db: h.db, client: h.client, taskQueue: h.queues.collections, asOf, concurrency: 2, pageSize: 2 });
    expect(second.started).toBe(0);
    expect(second.failed).toBe(0);
    // Loans whose workflow has not opened its case row yet are found again and counted as running.
    expect(second.alreadyRunning).toBe(second.found);
    for (const loan of loans) {
      const handle = h.client.workflow.getHandle(workflowIdForLoan(loan.loanId));
      expect((await handle.describe()).runId).toBeTruthy();
      await handle.signal('closedByLender', { outcome: 'cancelled' });
    }
  });
});
