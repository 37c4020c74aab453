// The portfolio report reads a small known portfolio, built directly in the shared database under
// unique ids, and every figure is checked exactly: rates, blocked-by-rule counts, recovery buckets,
// curves, time to resolution, and the HTML's funnel and curves.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../db/client';
import {
  appendAudit,
  beginContactAttempt,
  closeCase,
  markContactBlocked,
  markContactSent,
  openCase,
  recordCaseScore,
  recordPayment,
  saveScoringModel,
  saveStrategy,
  settleByPlanDiscount,
  updateCaseStage,
  upsertBorrower,
  upsertLoan,
} from '../../db/repository';
import { addDays, businessDate } from '../../domain/ledger';
import { experimentBucket } from '../../domain/strategy/select';
import { meanInterval, wilson } from '../../scripts/lib/stats';
import { buildReport, renderReportHtml, renderReportTable, type PortfolioReport } from '../../scripts/lib/report';

const DAY = 86_400_000;
const prefix = `RPT-${randomUUID().slice(0, 8)}-`;
let handle: DatabaseHandle;
let report: PortfolioReport;

/** The case opens `daysAgo` days ago at 06:00 UTC, so day offsets never cross a calendar boundary by surprise. */
function openedAt(daysAgo: number): Date {
  const today = businessDate(new Date());
  return new Date(Date.parse(`${addDays(today, -daysAgo)}T06:00:00Z`));
}

async function givenCase(input: {
  n: number;
  currency: string;
  /** Instalments due `dpd` days before the case opened. */
  installments: Array<{ dpd: number; amountMinor: number }>;
  paidBeforeOpenMinor?: number;
  opened: Date;
  /** Default `${prefix}L${n}`. */
  loanId?: string;
  strategyId?: string;
  segment?: string;
}): Promise<{ loanId: string; caseId: string }> {
  const { db } = handle;
  const loanId = input.loanId ?? `${prefix}L${input.n}`;
  const borrowerId = `${loanId}-B`;
  await upsertBorrower(db, { id: borrowerId, externalRef: `ext-${borrowerId}`, name: 'Report Borrower', timeZone: 'UTC', locale: 'en' });
  const openDate = businessDate(input.opened);
  await upsertLoan(db, {
    id: loanId,
    borrowerId,
    product: 'personal',
    currency: input.currency,
    principalMinor: input.installments.reduce((s, i) => s + i.amountMinor, 0),
    openedAt: new Date(input.opened.getTime() - 200 * DAY),
    installments: input.installments.map((i, k) => ({ seq: k + 1, dueDate: addDays(openDate, -i.dpd), amountDueMinor: i.amountMinor })),
  });
  if (input.paidBeforeOpenMinor) {
    await recordPayment(db, { paymentId: `${loanId}-pre`, loanId, amountMinor: input.paidBeforeOpenMinor, currency: input.currency, receivedAt: new Date(input.opened.getTime() - 3 * DAY) });
  }
  const { case: row } = await openCase(db, { loanId, strategyId: input.strategyId ?? 'report-test', strategyVersion: 1, segment: input.segment, openedAt: input.opened });
  return { loanId, caseId: row.id };
}

async function pay(loanId: string, currency: string, amountMinor: number, at: Date) {
  await recordPayment(handle.db, { paymentId: `${loanId}-${at.getTime()}`, loanId, amountMinor, currency, receivedAt: at });
}

/**
 * A payment that ends the case, as of its day: the case is closed at that instant first, then the payment
 * recorded (a payment recorded now that leaves nothing past due would close the still-open case now,
 * contract 7).
 */
async function payAndClose(c: { loanId: string; caseId: string }, currency: string, amountMinor: number, at: Date, outcome: 'cured' | 'paid') {
  await closeCase(handle.db, c.caseId, outcome, { closedAt: at });
  await pay(c.loanId, currency, amountMinor, at);
}

async function contact(c: { loanId: string; caseId: string }, key: string, channel: 'sms' | 'email', blockedBy?: string) {
  const idempotencyKey = `${c.loanId}/${key}`;
  await beginContactAttempt(handle.db, { idempotencyKey, caseId: c.caseId, loanId: c.loanId, channel, template: 'reminder-friendly', scheduledFor: new Date() });
  if (blockedBy) await markContactBlocked(handle.db, idempotencyKey, blockedBy);
  else await markContactSent(handle.db, idempotencyKey, { providerMessageId: key });
}

async function workflowEvent(c: { loanId: string; caseId: string }, action: string, after: Record<string, unknown> = {}) {
  await appendAudit(handle.db, { actor: `workflow:collection-${c.loanId}`, action: `workflow.${action}`, caseId: c.caseId, loanId: c.loanId, after });
}

beforeAll(async () => {
  handle = await createDatabase(inject('databaseUrl'), { max: 3 });
  const open = openedAt(10);
  const at = (days: number) => new Date(open.getTime() + days * DAY);

  // 1: 12 DPD at open, CNY 100.00 past due, promise kept, paid in full 2 days in: cured.
  const cured = await givenCase({ n: 1, currency: 'CNY', installments: [{ dpd: 12, amountMinor: 10_000 }, { dpd: -18, amountMinor: 10_000 }], opened: open });
  await contact(cured, 'sms-1', 'sms');
  await contact(cured, 'sms-2', 'sms');
  await workflowEvent(cured, 'promise_kept', { amountMinor: 10_000 });
  await payAndClose(cured, 'CNY', 10_000, at(2), 'cured');

  // 2: 45 DPD at open (two instalments, CNY 200.00), a quarter paid on day 1, promise broken, still negotiating.
  const negotiating = await givenCase({ n: 2, currency: 'CNY', installments: [{ dpd: 45, amountMinor: 10_000 }, { dpd: 15, amountMinor: 10_000 }], opened: open });
  await contact(negotiating, 'sms-1', 'sms');
  await contact(negotiating, 'email-1', 'email', 'common.opted_out');
  await workflowEvent(negotiating, 'stage_entered', { stage: 'call' });
  await workflowEvent(negotiating, 'call_outcome', { outcome: 'no_answer', collectorId: 'c1' });
  await workflowEvent(negotiating, 'call_outcome', { outcome: 'right_party_contact', collectorId: 'c1' });
  await workflowEvent(negotiating, 'stage_entered', { stage: 'negotiation' });
  await updateCaseStage(handle.db, negotiating.caseId, 'negotiation');
  await workflowEvent(negotiating, 'promise_to_pay', { amountMinor: 15_000, collectorId: 'c1' });
  await workflowEvent(negotiating, 'promise_broken', { amountMinor: 15_000 });
  await pay(negotiating.loanId, 'CNY', 5_000, at(1));

  // 3: 100 DPD at open, nothing paid, refused on the phone, handed to legal on day 4.
  const legal = await givenCase({ n: 3, currency: 'CNY', installments: [{ dpd: 100, amountMinor: 30_000 }], opened: open });
  await contact(legal, 'email-1', 'email');
  await contact(legal, 'sms-1', 'sms', 'cn.contact_hours');
  await workflowEvent(legal, 'stage_entered', { stage: 'call' });
  await workflowEvent(legal, 'call_outcome', { outcome: 'wrong_number', collectorId: 'c2' });
  await workflowEvent(legal, 'call_outcome', { outcome: 'refused', collectorId: 'c2' });
  await workflowEvent(legal, 'stage_entered', { stage: 'legal' });
  await workflowEvent(legal, 'handed_to_legal');
  await closeCase(handle.db, legal.caseId, 'handed_to_legal', { closedAt: at(4) });

  // 4: USD, 20 DPD, USD 30.00 of 80.00 paid before the case opened: USD 50.00 past due, paid on day 1.
  const paid = await givenCase({ n: 4, currency: 'USD', installments: [{ dpd: 20, amountMinor: 8_000 }], paidBeforeOpenMinor: 3_000, opened: open });
  await contact(paid, 'sms-1', 'sms', 'common.opted_out');
  await payAndClose(paid, 'USD', 5_000, at(1), 'paid');

  report = await buildReport(handle.db, { loanIdPrefix: prefix });
});

afterAll(async () => {
  await handle?.close();
});

describe('portfolio report', () => {
  it('counts cases by stage and outcome and computes the cure rate over resolved cases', () => {
    expect(report.cases).toEqual({ total: 4, open: 1, resolved: 3 });
    expect(report.byStage).toEqual({ negotiation: 1 });
    expect(report.byOutcome).toEqual({ cured: 1, handed_to_legal: 1, paid: 1 });
    expect(report.cureRate).toEqual({ numerator: 2, denominator: 3, rate: 2 / 3 });
  });

  it('computes right-party contact over call outcomes, promises and plans, and the promise-kept rate', () => {
    // 5 recorded: no_answer, right_party_contact, promise, wrong_number, refused; 3 reached the borrower.
    expect(report.rightPartyContactRate).toEqual({ numerator: 3, denominator: 5, rate: 0.6 });
    expect(report.promiseKeptRate).toEqual({ numerator: 1, denominator: 2, rate: 0.5 });
  });

  it('counts contacts blocked by each rule and contacts per resolved case', () => {
    expect(report.blockedByRule).toEqual([
      { rule: 'common.opted_out', contacts: 2 },
      { rule: 'cn.contact_hours', contacts: 1 },
    ]);
    // Resolved: 2 sms (case 1) + 1 email (case 3) sent, 2 call outcomes (case 3): 5 over 3 cases.
    expect(report.contactsPerResolvedCase).toEqual({ messages: 3, calls: 2, resolvedCases: 3, perCase: 5 / 3 });
  });

  it('buckets recovery by DPD at case open, per currency, from the past-due amount at open', () => {
    expect(report.recovery).toEqual([
      { bucket: '1-30', currency: 'CNY', cases: 1, pastDueAtOpenMinor: 10_000, recoveredMinor: 10_000, collectedMinor: 10_000, rate: 1 },
      { bucket: '1-30', currency: 'USD', cases: 1, pastDueAtOpenMinor: 5_000, recoveredMinor: 5_000, collectedMinor: 5_000, rate: 1 },
      { bucket: '31-60', currency: 'CNY', cases: 1, pastDueAtOpenMinor: 20_000, recoveredMinor: 5_000, collectedMinor: 5_000, rate: 0.25 },
      { bucket: '90+', currency: 'CNY', cases: 1, pastDueAtOpenMinor: 30_000, recoveredMinor: 0, collectedMinor: 0, rate: 0 },
    ]);
  });

  it('draws recovery curves by days since case open and the stage funnel', () => {
    const curve = (bucket: string) => report.curves.find((c) => c.bucket === bucket)!.points.slice(0, 3).map((p) => p.share);
    expect(curve('1-30')).toEqual([0, 0.5, 1]);
    expect(curve('31-60')).toEqual([0, 0.25, 0.25]);
    expect(curve('90+')).toEqual([0, 0, 0]);
    expect(report.funnel).toEqual([
      { stage: 'opened', cases: 4 },
      { stage: 'reminder', cases: 4 },
      { stage: 'call', cases: 2 },
      { stage: 'negotiation', cases: 1 },
      { stage: 'legal', cases: 1 },
      { stage: 'resolved', cases: 3 },
    ]);
  });

  it('reports time to resolution as median and p90 in days', () => {
    expect(report.timeToResolutionDays).toEqual({ median: 2, p90: 4, cases: 3 });
  });

  it('renders a terminal table and a self-contained HTML page with the funnel and the curves', () => {
    const text = renderReportTable(report);
    expect(text).toContain('cure rate');
    expect(text).toContain('66.7%');
    expect(text).toContain('CN¥200.00');
    const html = renderReportHtml(report);
    expect(html).toContain('<svg id="funnel"');
    expect(html).toContain('<svg id="recovery-curves"');
    for (const bucket of ['1-30', '31-60', '90+']) expect(html).toContain(`data-bucket="${bucket}"`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('leaves out facts recorded after asOf', async () => {
    const before = await buildReport(handle.db, { loanIdPrefix: prefix, asOf: openedAt(11) });
    expect(before.cases.total).toBe(0);
  });
});

// Issue #15: the cure propensity at case open against what happened, and champion against challenger.
// A second small portfolio: a strategy whose one segment sends half the loans (experimentBucket < 50)
// to the challenger path, three loans in each arm, and one case outside the experiment.
describe('portfolio report: cure propensity and champion/challenger', () => {
  const abPrefix = `RAB-${randomUUID().slice(0, 8)}-`;
  let ab: PortfolioReport;

  beforeAll(async () => {
    const strategyId = `${abPrefix}strategy`;
    await saveStrategy(handle.db, {
      id: strategyId,
      version: 1,
      document: { id: strategyId, version: 1, segments: [{ id: 'all', when: {}, path: 'champ', challenger: { path: 'chall', percent: 50 } }], paths: { champ: [], chall: [] } },
    });
    const ids = Array.from({ length: 60 }, (_, k) => `${abPrefix}L${k}`);
    const challengerIds = ids.filter((id) => experimentBucket(id) < 50).slice(0, 3);
    const championIds = ids.filter((id) => experimentBucket(id) >= 50).slice(0, 3);
    const open = openedAt(10);
    const at = (days: number) => new Date(open.getTime() + days * DAY);
    const inArm = (loanId: string, amountMinor = 10_000) =>
      givenCase({ n: 0, loanId, strategyId, segment: 'all', currency: 'CNY', installments: [{ dpd: 10, amountMinor }], opened: open });
    const model = await saveScoringModel(handle.db, { document: { test: 'report' }, metrics: {}, actor: 'operator:test' });
    const score = (c: { loanId: string; caseId: string }, probability: number, trigger = 'case_opened') =>
      recordCaseScore(handle.db, { idempotencyKey: `${c.caseId}/${trigger}`, caseId: c.caseId, loanId: c.loanId, modelVersion: model.version, trigger, probability, reasons: [], features: {}, offer: null, actor: 'workflow:test' });

    // Champion: a plan kept and cured; a plan broken and handed to legal; half paid and still open.
    const [c1, c2, c3] = [await inArm(championIds[0]!), await inArm(championIds[1]!), await inArm(championIds[2]!)];
    await contact(c1, 'sms-1', 'sms');
    await contact(c1, 'sms-2', 'sms');
    await workflowEvent(c1, 'payment_plan_agreed', { instalments: 2 });
    await payAndClose(c1, 'CNY', 10_000, at(2), 'cured');
    await contact(c2, 'sms-1', 'sms');
    await workflowEvent(c2, 'call_outcome', { outcome: 'refused', collectorId: 'c1' });
    await workflowEvent(c2, 'payment_plan_agreed', { instalments: 3 });
    await workflowEvent(c2, 'plan_broken', { instalment: 1 });
    await closeCase(handle.db, c2.caseId, 'handed_to_legal', { closedAt: at(5) });
    await pay(c3.loanId, 'CNY', 5_000, at(1));
    // Challenger: two cured, one with a kept-so-far plan handed to legal.
    const [d1, d2, d3] = [await inArm(challengerIds[0]!), await inArm(challengerIds[1]!), await inArm(challengerIds[2]!)];
    await contact(d1, 'sms-1', 'sms');
    await payAndClose(d1, 'CNY', 10_000, at(1), 'cured');
    await payAndClose(d2, 'CNY', 10_000, at(3), 'paid');
    for (const k of [1, 2, 3]) await contact(d3, `sms-${k}`, 'sms');
    await workflowEvent(d3, 'payment_plan_agreed', { instalments: 4 });
    await closeCase(handle.db, d3.caseId, 'handed_to_legal', { closedAt: at(6) });
    // Outside the experiment: no segment recorded, unscored, cured.
    const outside = await givenCase({ n: 0, loanId: `${abPrefix}X`, currency: 'CNY', installments: [{ dpd: 10, amountMinor: 10_000 }], opened: open });
    await closeCase(handle.db, outside.caseId, 'cured', { closedAt: at(1) });

    for (const [c, p] of [[c1, 0.82], [c2, 0.15], [c3, 0.55], [d1, 0.88], [d2, 0.45], [d3, 0.12]] as const) await score(c, p);
    await score(d3, 0.95, 'payment'); // a later rescore is not the score at open
    ab = await buildReport(handle.db, { loanIdPrefix: abPrefix });
  });

  it('compares the mean predicted propensity at open with the observed cure rate, by band', () => {
    const s = ab.scoring!;
    expect(s.scoredCases).toBe(6);
    expect(s.resolvedScoredCases).toBe(5);
    expect(s.meanPredicted).toBeCloseTo((0.82 + 0.15 + 0.88 + 0.45 + 0.12) / 5, 12);
    expect(s.observedCureRate).toEqual({ numerator: 3, denominator: 5, rate: 0.6 });
    expect(s.calibration.map((b) => ({ from: b.from, cases: b.cases, cured: b.observed.successes }))).toEqual([
      { from: 0.1, cases: 2, cured: 0 },
      { from: 0.4, cases: 1, cured: 1 },
      { from: 0.8, cases: 2, cured: 2 },
    ]);
    expect(s.calibration[0]!.meanPredicted).toBeCloseTo(0.135, 12);
    expect(s.calibration[0]!.observed).toEqual(wilson(0, 2));
  });

  it('splits the experiment by the stable hash and measures each arm with 95% intervals', () => {
    const e = ab.experiment!;
    expect(e.cases).toBe(6);
    const { champion, challenger } = e;
    expect([champion.cases, champion.resolved, challenger.cases, challenger.resolved]).toEqual([3, 2, 3, 3]);
    expect(champion.cureRate).toEqual(wilson(1, 2));
    expect(challenger.cureRate).toEqual(wilson(2, 3));
    // Shares of past due recovered: champion 1, 0, 0.5; challenger 1, 1, 0.
    expect(champion.recovery.estimate).toBeCloseTo(0.5, 12);
    expect(challenger.recovery.estimate).toBeCloseTo(2 / 3, 12);
    expect(challenger.recovery).toMatchObject({ n: 3, low: meanInterval([1, 1, 0]).low, high: 1 }); // clipped to 0..1
    // Messages + call outcomes (a plan agreed is one): champion 3, 3; challenger 1, 0, 4.
    expect(champion.contactsPerResolvedCase).toEqual(meanInterval([3, 3], { min: 0 }));
    expect(challenger.contactsPerResolvedCase.estimate).toBeCloseTo(5 / 3, 12);
    expect(champion.brokenPlanRate).toEqual(wilson(1, 2));
    expect(challenger.brokenPlanRate).toEqual(wilson(0, 1));
    expect(e.difference.cureRate.estimate).toBeCloseTo(2 / 3 - 1 / 2, 12);
    expect(e.difference.brokenPlanRate.estimate).toBeCloseTo(-0.5, 12);
    expect(e.difference.cureRate.low!).toBeLessThan(0);
    expect(e.difference.cureRate.high!).toBeGreaterThan(0);
  });

  it('renders the calibration and the comparison in the terminal table', () => {
    const text = renderReportTable(ab);
    expect(text).toContain('Cure propensity at case open: 6 of 7 cases scored');
    expect(text).toMatch(/10-20%\s+2\s+13\.5%\s+0\.0% \(0\.0% to \d+\.\d%\) · 0\/2/);
    expect(text).toMatch(/cure rate\s+50\.0% \([\d.]+% to [\d.]+%\) · 1\/2\s+66\.7% \([\d.]+% to [\d.]+%\) · 2\/3\s+\+16\.7 pp \(-[\d.]+ pp to \+[\d.]+ pp\)/);
    expect(text).toContain('broken-plan rate');
  });
});

// A loan collected twice: the first case settled by a discounted plan (part paid, the rest written
// down), the second opened when the next instalment lapsed. What the plan wrote down is not past due at
// the second case's opening; only that instalment is.
describe('portfolio report: a case opened after a discounted plan settled the loan\'s earlier case', () => {
  const planPrefix = `RPL-${randomUUID().slice(0, 8)}-`;
  let planned: PortfolioReport;

  beforeAll(async () => {
    const second = openedAt(10);
    const first = new Date(second.getTime() - 30 * DAY);
    const at = (days: number) => new Date(first.getTime() + days * DAY);
    // Instalments due 10 days before the first case opened and 25 days after it (5 days before the second).
    const earlier = await givenCase({ n: 1, loanId: `${planPrefix}L`, currency: 'CNY', installments: [{ dpd: 10, amountMinor: 10_000 }, { dpd: -25, amountMinor: 10_000 }], opened: first });
    await pay(earlier.loanId, 'CNY', 6_000, at(5));
    const settled = await settleByPlanDiscount(handle.db, {
      idempotencyKey: `${earlier.caseId}/discount`,
      loanId: earlier.loanId,
      caseId: earlier.caseId,
      amountMinor: 4_000,
      currency: 'CNY',
      actor: 'test',
      asOf: at(10),
      closedAt: at(10),
    });
    expect(settled).toMatchObject({ writtenDownMinor: 4_000, closed: true });
    await openCase(handle.db, { loanId: earlier.loanId, strategyId: 'report-test', strategyVersion: 1, openedAt: second });
    planned = await buildReport(handle.db, { loanIdPrefix: planPrefix });
  });

  it('counts the write-down as settled at the later case\'s opening, and not as recovered', () => {
    expect(planned.cases).toEqual({ total: 2, open: 1, resolved: 1 });
    expect(planned.byOutcome).toEqual({ settled: 1 });
    // First case: 100.00 past due at open, 60.00 collected. Second: only the lapsed 100.00 past due at open.
    expect(planned.recovery).toEqual([
      { bucket: '1-30', currency: 'CNY', cases: 2, pastDueAtOpenMinor: 20_000, recoveredMinor: 6_000, collectedMinor: 6_000, rate: 0.3 },
    ]);
  });
});
