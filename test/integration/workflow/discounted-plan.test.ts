// A discounted payment plan (#15, contract 6) end to end, through the collector API, on the real Temporal
// dev server and PostgreSQL: a plan short of the past-due amount by up to the strategy's
// maxPlanDiscountPercent is taken; paid, it writes the discount down in the ledger and closes the case
// settled, with the audit trail saying so; broken, it goes to legal and writes nothing down. A plan that
// goes further, or an instalment below the strategy's smallest, is refused with the field named (by the
// API with a 422, by the `overdue plan` CLI with exit code 1).
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey } from '../../../db/repository/apiKeys';
import { getLoanPosition } from '../../../db/repository/ledger';
import { auditEvents, collectionCases, installments, ledgerAdjustments, paymentPlans } from '../../../db/schema';
import { getState, workflowIdForLoan, type CollectionResult, type CollectionState } from '../../../contracts/messages';
import { apiCaller } from '../../support/api';
import { runOverdue } from '../../support/cli';
import { waitForState, type Harness } from '../../support/harness';
import { startPatientApi } from '../../support/patient-api';

const STRATEGY = 'discount-test';
/** The test strategy's negotiation limits: at most 20% off, no instalment below CNY 100.00 but the last. */
const LIMITS = { maxPlanDiscountPercent: 20, minPlanInstallmentMinor: 10_000 };

let h: Harness;
let api: FastifyInstance;
let backendKey = '';
let operatorKey = '';
const suffix = randomUUID().slice(0, 6);

beforeAll(async () => {
  // A database of its own: a task claim takes any unassigned task in the table.
  ({ h, api, backendKey, operatorKey } = await startPatientApi('discount', STRATEGY, LIMITS));
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const call = (...args: Parameters<ReturnType<typeof apiCaller>>) => apiCaller(api)(...args);
const handleOf = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId));
const state = (loanId: string) => handleOf(loanId).query(getState);
const waitingForOutcome = (s: CollectionState) => s.stage === 'call' && (s.waitingFor ?? '').startsWith('outcome of call');
const planRows = (loanId: string) => h.db.select().from(paymentPlans).where(eq(paymentPlans.loanId, loanId));
const adjustmentRows = (loanId: string) => h.db.select().from(ledgerAdjustments).where(eq(ledgerAdjustments.loanId, loanId));
const trail = (loanId: string) => h.db.select().from(auditEvents).where(eq(auditEvents.loanId, loanId)).orderBy(asc(auditEvents.id));

/** A CNY 500.00 past-due loan on the 'late' path (call, negotiation, legal), its call claimed by a collector. */
async function negotiating(name: string) {
  const collectorId = `${name}-${suffix}`;
  const key = (await createApiKey(h.db, { role: 'collector', collectorId })).key;
  const loan = await h.seedLoan({ dpd: 100, installmentMinor: 50_000 });
  expect((await call('POST', `/v1/loans/${loan.loanId}/collection`, backendKey, {})).status).toBe(201);
  expect((await call('POST', `/v1/loans/${loan.loanId}/collection/reassign`, operatorKey, { collectorId })).status).toBe(202);
  await waitForState(() => state(loan.loanId), (s) => waitingForOutcome(s) && s.assignedCollector === collectorId, { what: 'a call waiting for its outcome' });
  expect((await call('POST', '/v1/tasks/claim', key, {})).body.task).toMatchObject({ loanId: loan.loanId });
  return { key, loan };
}

function planBody(amounts: number[], firstInMs: number, everyMs: number) {
  const now = Date.now();
  return { currency: 'CNY', installments: amounts.map((amountMinor, i) => ({ amountMinor, dueAt: new Date(now + firstInMs + i * everyMs).toISOString() })) };
}

describe('a discounted payment plan (contract 6)', () => {
  it('refuses a plan beyond the largest discount, or an instalment below the smallest, naming the field', async () => {
    const { key, loan } = await negotiating('refused');
    const url = `/v1/loans/${loan.loanId}/collection/plan`;
    // 20% of 50 000 is 10 000: the plan must total at least 40 000.
    const tooFar = await call('POST', url, key, planBody([20_000, 19_999], 60_000, 60_000));
    expect(tooFar.status).toBe(422);
    expect(tooFar.body.error).toMatchObject({ type: 'validation_error', field: 'installments' });
    expect(tooFar.body.error.message).toContain('it must total at least 40000');
    const belowFloor = await call('POST', url, key, planBody([9_999, 30_001], 60_000, 60_000));
    expect(belowFloor.status).toBe(422);
    expect(belowFloor.body.error).toMatchObject({ type: 'validation_error', field: 'installments[0].amountMinor' });
    // Nothing was taken: the call still waits for its outcome, no plan on the case or in the database.
    const s = await state(loan.loanId);
    expect(waitingForOutcome(s)).toBe(true);
    expect(s.plan).toBeUndefined();
    expect(await planRows(loan.loanId)).toEqual([]);
    // The last instalment may be the remainder below the floor: 30 000 + 10 000 + 1 is taken.
    const remainder = await call('POST', url, key, planBody([30_000, 10_000, 1], 60_000, 60_000));
    expect(remainder.status).toBe(200);
    expect(remainder.body.plan).toMatchObject({ status: 'open', discountMinor: 9_999 });
    expect((await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' })).status).toBeLessThan(300);
    expect(((await handleOf(loan.loanId).result()) as CollectionResult).outcome).toBe('cancelled');
  });

  it('paid, writes the discount down in the ledger and closes the case settled, on the audit trail', async () => {
    const { key, loan } = await negotiating('settled');
    const agreed = await call('POST', `/v1/loans/${loan.loanId}/collection/plan`, key, planBody([20_000, 20_000], 4_000, 4_000));
    expect(agreed.status).toBe(200);
    expect(agreed.body.plan).toMatchObject({ status: 'open', discountMinor: 10_000 });
    await h.pay(loan.loanId, 20_000);
    await h.pay(loan.loanId, 20_000);
    const result = (await handleOf(loan.loanId).result()) as CollectionResult;
    expect(result).toMatchObject({ outcome: 'settled', pastDueMinor: 0, outstandingMinor: 100_000 });

    // The ledger: 40 000 paid, 10 000 written down on the past-due instalment, nothing past due.
    const position = await getLoanPosition(h.db, loan.loanId);
    expect(position).toMatchObject({ pastDueMinor: 0, outstandingMinor: 100_000, dpd: 0 });
    const [first] = await h.db.select().from(installments).where(and(eq(installments.loanId, loan.loanId), eq(installments.seq, 1)));
    expect(first).toMatchObject({ amountDueMinor: 50_000, amountPaidMinor: 40_000, amountWrittenDownMinor: 10_000 });
    expect(await adjustmentRows(loan.loanId)).toMatchObject([{ kind: 'plan_discount', amountMinor: 10_000, currency: 'CNY', allocations: [{ seq: 1, amountMinor: 10_000 }] }]);
    expect(await planRows(loan.loanId)).toMatchObject([{ status: 'completed', totalMinor: 40_000, discountMinor: 10_000 }]);
    const [row] = await h.db.select().from(collectionCases).where(eq(collectionCases.loanId, loan.loanId));
    expect(row).toMatchObject({ outcome: 'settled' });

    // The audit trail: the plan agreed with its discount, completed, written down, the case settled.
    const events = await trail(loan.loanId);
    const one = (action: string) => {
      const found = events.filter((e) => e.action === action);
      expect(found, action).toHaveLength(1);
      return found[0]!.after as Record<string, unknown>;
    };
    expect(one('workflow.payment_plan_agreed')).toMatchObject({ discountMinor: 10_000, pastDueMinor: 50_000 });
    expect(one('plan.created')).toMatchObject({ totalMinor: 40_000, discountMinor: 10_000 });
    expect(one('workflow.plan_completed')).toMatchObject({ discountMinor: 10_000 });
    expect(one('ledger.written_down')).toMatchObject({ kind: 'plan_discount', amountMinor: 10_000, pastDueMinor: 0 });
    expect(one('workflow.plan_discount_written_down')).toMatchObject({ discountMinor: 10_000, writtenDownMinor: 10_000, pastDueMinor: 0 });
    expect(one('case.closed')).toMatchObject({ outcome: 'settled', settledBy: 'plan_discount' });
    const order = events.map((e) => e.action);
    expect(order.indexOf('workflow.plan_completed')).toBeLessThan(order.indexOf('ledger.written_down'));
    expect(order.indexOf('ledger.written_down')).toBeLessThan(order.indexOf('case.closed'));
    await h.keepHistory(handleOf(loan.loanId), 'contract6-discounted-plan-settled');
  });

  it('broken, goes to legal and writes nothing down', async () => {
    const { key, loan } = await negotiating('broken');
    const agreed = await call('POST', `/v1/loans/${loan.loanId}/collection/plan`, key, planBody([20_000, 20_000], 2_000, 4_000));
    expect(agreed.body.plan).toMatchObject({ discountMinor: 10_000 });
    const result = (await handleOf(loan.loanId).result()) as CollectionResult;
    expect(result).toMatchObject({ outcome: 'handed_to_legal', pastDueMinor: 50_000 });
    expect(await planRows(loan.loanId)).toMatchObject([{ status: 'broken', discountMinor: 10_000 }]);
    expect(await adjustmentRows(loan.loanId)).toEqual([]);
    expect((await trail(loan.loanId)).map((e) => e.action)).not.toContain('ledger.written_down');
    await h.keepHistory(handleOf(loan.loanId), 'contract6-discounted-plan-broken');
  });

  it('the CLI takes a discounted plan and refuses one beyond the discount, naming the field', async () => {
    const { loan } = await negotiating('cli');
    const collectorId = `cli-${suffix}`;
    const env = { ...process.env, DATABASE_URL: h.databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: h.queues.collections };
    const overdue = (...args: string[]) => runOverdue(env, args);
    const list = (amounts: number[]) => amounts.map((a, i) => `${a}@${new Date(Date.now() + (i + 1) * 60_000).toISOString()}`).join(',');
    const refused = await overdue('plan', loan.loanId, '--currency', 'CNY', '--installments', list([20_000, 19_999]), '--collector', collectorId, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { type: 'validation_error', field: 'installments' } });
    const taken = await overdue('plan', loan.loanId, '--currency', 'CNY', '--installments', list([20_000, 20_000]), '--collector', collectorId);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toMatch(/plan\s+2 instalments, CN¥400\.00 \(CN¥100\.00 off\) \(open\)/);
    expect(await planRows(loan.loanId)).toMatchObject([{ totalMinor: 40_000, discountMinor: 10_000, createdBy: `collector:${collectorId}` }]);
    await call('POST', `/v1/loans/${loan.loanId}/collection/close`, backendKey, { outcome: 'cancelled' });
  });
});
