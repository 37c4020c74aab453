// Scoring in the collection workflow, on the real Temporal dev server and PostgreSQL: a case is scored as
// it opens (no activity of its own), again after a payment that leaves it open, and says so when no
// model is active. A database of its own, because the active model is global.
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../../../db/repository/audit';
import { activateScoringModel } from '../../../db/repository/scoring';
import { caseScores, contactAttempts, scoringModels } from '../../../db/schema';
import * as m from '../../../contracts/messages';
import * as sa from '../../../contracts/search-attributes';
import { saveStrategy } from '../../../db/repository/strategies';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import type { NegotiationStage, ReminderStage } from '../../../domain/strategy/types';
import { formatMoney } from '../../../domain/money';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { apiCaller } from '../../support/api';
import { fitModel } from '../../../scripts/lib/model';
import { generatePortfolio, writePortfolio } from '../../../scripts/lib/portfolio-history';
import { NO_ACTIVE_MODEL } from '../../../activities/scoring';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
let api: FastifyInstance;
let operatorKey = '';
beforeAll(async () => {
  h = await startHarness('scoring', { ownDatabase: true });
  await writePortfolio(h.db, generatePortfolio({ loans: 200, seed: 5, asOf: new Date().toISOString(), idPrefix: 'W' }));
  const { row } = await fitModel(h.db, { days: 30 });
  await activateScoringModel(h.db, row.version, 'operator:test');
  // As in the path tests: the second reminder eight seconds out, so "pays after the first reminder" holds on a loaded machine.
  const fastTest = findDefaultStrategy('fast-test')!;
  const ladder = structuredClone(fastTest.paths['full-ladder']!);
  (ladder[0] as ReminderStage).steps[1]!.after = 'PT8S';
  await saveStrategy(h.db, { id: 'fast-test-slow-second', version: 1, document: { ...fastTest, id: 'fast-test-slow-second', version: 1, paths: { ...fastTest.paths, 'full-ladder': ladder } } });
  // The same, with a smallest plan instalment just above one scheduled instalment (500.00).
  const floored = structuredClone(ladder);
  (floored[2] as NegotiationStage).minPlanInstallmentMinor = 50_001;
  await saveStrategy(h.db, { id: 'fast-test-plan-floor', version: 1, document: { ...fastTest, id: 'fast-test-plan-floor', version: 1, paths: { ...fastTest.paths, 'full-ladder': floored } } });
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  operatorKey = (await createApiKey(h.db, { role: 'operator', label: 'scoring test' })).key;
}, 240_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
});

async function shown(loanId: string) {
  const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loanId));
  const [description, metadata, state] = await Promise.all([handle.describe(), handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata'), handle.query(m.getState)]);
  return { state, cure: description.typedSearchAttributes.get(sa.CurePropensity), details: metadata.currentDetails ?? '' };
}

describe('cure-propensity scoring in the collection workflow', () => {
  it('scores the case as it opens: the state, the current details, the search attribute, the audit trail and a plan offer', async () => {
    const loan = await h.seedLoan({ dpd: 3, overdueInstallments: 2 });
    await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    const state = await waitForState(() => h.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId)).query(m.getState), (s) => s.score !== undefined, { what: 'a score' });
    const score = state.score!;
    if (score.status !== 'scored') throw new Error(`expected a score, got ${JSON.stringify(score)}`);
    expect(score).toMatchObject({ trigger: 'case_opened', modelVersion: 1 });
    expect(score.probability).toBeGreaterThan(0);
    expect(score.probability).toBeLessThan(1);
    expect(score.reasons.length).toBeLessThanOrEqual(3);
    for (const reason of score.reasons) {
      expect(reason.contribution).toBeLessThan(0);
      expect(reason.en.length).toBeGreaterThan(0);
      expect(reason['zh-CN'].length).toBeGreaterThan(0);
    }
    // fast-test's negotiation allows 3 instalments: the offer covers the past-due amount within them.
    expect(score.offer).toBeDefined();
    expect(score.offer!.installments).toBeLessThanOrEqual(3);
    expect(score.offer!.amountMinor * (score.offer!.installments - 1) + score.offer!.lastAmountMinor).toBe(loan.pastDueMinor);

    const ui = await waitForState(() => shown(loan.loanId), (s) => s.cure !== undefined, { what: 'the CurePropensity search attribute' });
    expect(ui.cure).toBe(score.probability);
    expect(ui.details.split('\n\n')[0]).toContain(`cure ${Math.round(score.probability * 100)}% (model v1`);

    const [row] = await h.db.select().from(caseScores).where(eq(caseScores.loanId, loan.loanId));
    expect(row).toMatchObject({ trigger: 'case_opened', modelVersion: 1, probability: score.probability, caseId: state.caseId });
    const audit = await listAuditEvents(h.db, { loanId: loan.loanId });
    expect(audit.find((e) => e.action === 'case.scored')?.after).toMatchObject({ modelVersion: 1, trigger: 'case_opened', probability: score.probability });
    const [model] = await h.db.select().from(scoringModels).where(eq(scoringModels.version, 1));
    expect(model!.inUse).toBe(true);
  });

  it('proposes no plan instalment below the pinned strategy\'s smallest, at the open and after a payment, and the API shows the offer', async () => {
    // Two instalments of 500.00 past due and nothing paid: fast-test's 3 instalments would be 2 or 3 of at most 500.00.
    const loan = await h.seedLoan({ dpd: 3, overdueInstallments: 2 });
    expect(loan.pastDueMinor).toBe(100_000);
    await h.startCollection(loan.loanId, { strategyId: 'fast-test-plan-floor' });
    const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId));
    const floorReason = `no instalment below the strategy's ${formatMoney(50_001, 'CNY')}`;
    const opened = await waitForState(() => handle.query(m.getState), (s) => s.score?.status === 'scored', { what: 'the first score' });
    const openOffer = opened.score?.status === 'scored' ? opened.score.offer : undefined;
    expect(openOffer).toMatchObject({ installments: 1, amountMinor: 100_000, lastAmountMinor: 100_000, totalMinor: 100_000, pastDueMinor: 100_000, discountMinor: 0 });
    expect(openOffer!.reasons.map((r) => r.en)).toContain(floorReason);

    // 250.00 paid: the borrower's month now reads 250.00, which would make it 3 of 250.00; the rescore reads the floor from the pinned version.
    await h.pay(loan.loanId, 25_000);
    const after = await waitForState(() => handle.query(m.getState), (s) => s.score?.trigger === 'payment', { what: 'a score after the payment' });
    const offer = after.score?.status === 'scored' ? after.score.offer : undefined;
    expect(offer).toMatchObject({ installments: 1, amountMinor: 75_000, totalMinor: 75_000, pastDueMinor: 75_000, discountMinor: 0 });
    expect(offer!.reasons.map((r) => r.en)).toContain(floorReason);

    const shownByApi = await apiCaller(api)('GET', `/v1/loans/${loan.loanId}/collection`, operatorKey);
    expect(shownByApi.status).toBe(200);
    expect(shownByApi.body.score.offer).toEqual(offer);
    await handle.terminate('test done');
  });

  it('scores again after a payment that leaves the case open', async () => {
    const loan = await h.seedLoan({ dpd: 3, overdueInstallments: 2 });
    await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId));
    await waitForState(() => handle.query(m.getState), (s) => s.score?.status === 'scored', { what: 'the first score' });
    await h.pay(loan.loanId, Math.floor(loan.pastDueMinor / 4));
    const after = await waitForState(() => handle.query(m.getState), (s) => s.score?.trigger === 'payment', { what: 'a score after the payment' });
    expect(after.stage).not.toBe('closed');
    const rows = await h.db.select().from(caseScores).where(eq(caseScores.loanId, loan.loanId));
    expect(rows.map((r) => r.trigger).sort()).toEqual(['case_opened', 'payment']);
    // The rest cures the loan: no score after that (the case is closed).
    await h.pay(loan.loanId, loan.pastDueMinor - Math.floor(loan.pastDueMinor / 4));
    expect((await handle.result()).outcome).toBe('cured');
    expect(await h.db.select().from(caseScores).where(eq(caseScores.loanId, loan.loanId))).toHaveLength(2);
    await h.keepHistory(handle, 'contract5-scored-partial-payment-rescored');
  });

  /** Issue #19's budget: the path's history length in events. */
  async function paysAfterFirstReminder(name?: string): Promise<{ loanId: string; events: number }> {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    await waitForState(() => h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId)), (rows) => rows.some((r) => r.status === 'sent'), { what: 'the first reminder' });
    await h.pay(loan.loanId, loan.pastDueMinor);
    expect((await handle.result()).outcome).toBe('cured');
    return { loanId: loan.loanId, events: name ? await h.keepHistory(handle, name) : ((await handle.fetchHistory()).events?.length ?? 0) };
  }

  it('keeps "pays after the first reminder" within 40 history events with a model active', async () => {
    const scored = await paysAfterFirstReminder('contract5-scored-pays-after-first-reminder');
    console.log(`pays after the first reminder, scored at open: ${scored.events} history events`);
    expect(scored.events).toBeLessThanOrEqual(40);
    expect((await h.db.select().from(caseScores).where(eq(caseScores.loanId, scored.loanId))).map((r) => r.trigger)).toEqual(['case_opened']);
  });

  async function waitForCallOutcome(loanId: string) {
    const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loanId));
    await waitForState(() => handle.query(m.getState), (s) => s.stage === 'call' && (s.waitingFor ?? '').includes('outcome of call'), { what: 'a call waiting for its outcome' });
    return handle;
  }
  const triggers = async (loanId: string) => (await h.db.select().from(caseScores).where(eq(caseScores.loanId, loanId))).map((r) => r.trigger).sort();

  it('scores again after a broken promise, before the case goes to legal', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    await h.startCollection(loan.loanId);
    const handle = await waitForCallOutcome(loan.loanId);
    await handle.executeUpdate(m.promiseToPay, { args: [{ amountMinor: loan.pastDueMinor, currency: 'CNY', dueAt: new Date(Date.now() + 3_000).toISOString(), collectorId: 'c-1' }] });
    const legal = await waitForState(() => handle.query(m.getState), (s) => s.stage === 'legal', { what: 'legal escalation' });
    expect(legal.score).toMatchObject({ status: 'scored', trigger: 'promise_broken' });
    expect((await handle.result()).outcome).toBe('handed_to_legal');
    expect(await triggers(loan.loanId)).toEqual(['case_opened', 'promise_broken']);
    await h.keepHistory(handle, 'contract5-scored-broken-promise-to-legal');
  });

  it('scores again after a missed plan instalment', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    await h.startCollection(loan.loanId);
    const handle = await waitForCallOutcome(loan.loanId);
    const half = loan.pastDueMinor / 2;
    await handle.executeUpdate(m.agreePaymentPlan, {
      args: [{ currency: 'CNY', collectorId: 'c-2', installments: [{ dueAt: new Date(Date.now() + 3_000).toISOString(), amountMinor: half }, { dueAt: new Date(Date.now() + 6_000).toISOString(), amountMinor: half }] }],
    });
    const legal = await waitForState(() => handle.query(m.getState), (s) => s.stage === 'legal', { what: 'legal escalation' });
    expect(legal.score).toMatchObject({ status: 'scored', trigger: 'plan_missed' });
    await handle.terminate('test done');
    expect(await triggers(loan.loanId)).toEqual(['case_opened', 'plan_missed']);
  });

  it('skips scoring cleanly when no model is active, and the state says so', async () => {
    await h.db.update(scoringModels).set({ active: false }).where(eq(scoringModels.active, true));
    const loan = await h.seedLoan({ dpd: 3 });
    await h.startCollection(loan.loanId, { strategyId: 'fast-test-slow-second' });
    const ui = await waitForState(() => shown(loan.loanId), (s) => s.state.score !== undefined && s.details !== '', { what: 'the skipped score' });
    expect(ui.state.score).toMatchObject({ status: 'skipped', trigger: 'case_opened', reason: NO_ACTIVE_MODEL });
    expect(ui.details).toContain('not scored (no active model)');
    expect(ui.cure).toBeUndefined();
    expect(await h.db.select().from(caseScores).where(eq(caseScores.loanId, loan.loanId))).toEqual([]);
    await h.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId)).terminate('test done');
    // Without a model the path is as long as with one: scoring at open adds no event.
    const unscored = await paysAfterFirstReminder();
    console.log(`pays after the first reminder, no active model: ${unscored.events} history events`);
    expect(unscored.events).toBeLessThanOrEqual(40);
  });
});
