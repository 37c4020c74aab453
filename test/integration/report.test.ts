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
  recordPayment,
  updateCaseStage,
  upsertBorrower,
  upsertLoan,
} from '../../db/repository';
import { addDays, businessDate } from '../../domain/ledger';
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
}): Promise<{ loanId: string; caseId: string }> {
  const { db } = handle;
  const loanId = `${prefix}L${input.n}`;
  const borrowerId = `${prefix}B${input.n}`;
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
  const { case: row } = await openCase(db, { loanId, strategyId: 'report-test', strategyVersion: 1, openedAt: input.opened });
  return { loanId, caseId: row.id };
}

async function pay(loanId: string, currency: string, amountMinor: number, at: Date) {
  await recordPayment(handle.db, { paymentId: `${loanId}-${at.getTime()}`, loanId, amountMinor, currency, receivedAt: at });
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
  await pay(cured.loanId, 'CNY', 10_000, at(2));
  await closeCase(handle.db, cured.caseId, 'cured', { closedAt: at(2) });

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
  await pay(paid.loanId, 'USD', 5_000, at(1));
  await closeCase(handle.db, paid.caseId, 'paid', { closedAt: at(1) });

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
