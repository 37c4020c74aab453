// The borrower's self-service page (issue #16) in headless Chromium, end to end with real parts: the link
// is taken from a real email in the SMTP sink, the page is served by the real API over HTTP, and every
// action goes through the real workflow on the shared Temporal dev server and PostgreSQL.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { and, eq, like } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { selfServiceConfigFromEnv, signLink } from '../../../channels/self-service-link';
import { getState, workflowIdForLoan, type CollectionState } from '../../../contracts/messages';
import { issueLink } from '../../../db/repository/links';
import { saveStrategy } from '../../../db/repository/strategies';
import { auditEvents, borrowerLinks, collectorTasks, complaints, disputes, paymentPlans, promisesToPay } from '../../../db/schema';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import { buildReport, renderReportTable } from '../../../scripts/lib/report';
import { startHarness, waitForState, type Harness, type SeededLoan } from '../../support/harness';

const CHROMIUM = '/usr/bin/chromium';
const STRATEGY = 'self-service-test';
const LINK = /https?:\/\/[^\s"<>]+\/b\/[0-9a-f-]{36}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}/;

/**
 * fast-test's ladder with two emails seven seconds apart (the second one's link supersedes the first's, so
 * a test acting on the first link does so in that window), then a negotiation that waits ten minutes.
 */
function selfServiceStrategy(): Record<string, unknown> {
  const doc = structuredClone(findDefaultStrategy('fast-test')!) as unknown as { id: string; version: number; paths: Record<string, unknown[]> };
  doc.id = STRATEGY;
  doc.version = 1;
  doc.paths['full-ladder'] = [
    {
      kind: 'reminder',
      steps: [
        { after: 'PT1S', from: 'stageEntry', channel: 'email', template: 'reminder-friendly' },
        { after: 'PT8S', from: 'stageEntry', channel: 'email', template: 'reminder-firm' },
      ],
      waitAfterLast: 'PT1S',
    },
    { kind: 'negotiation', offerTimeout: 'PT10M', maxPromiseHorizon: 'P30D', grace: 'PT1S', maxPlanInstallments: 3, planInstallmentEvery: 'PT2S' },
    { kind: 'legal', finalDemand: { channel: 'email', template: 'final-demand' }, waitingPeriod: 'PT10M', afterHandOff: 'end' },
  ];
  return doc;
}

let h: Harness;
let api: FastifyInstance;
let browser: Browser;
let base = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM}; install it with: apt-get install -y chromium (.ci/run does this when it is missing)`);
  }
  h = await startHarness('borrower-page', { strategyId: STRATEGY });
  await saveStrategy(h.db, { id: STRATEGY, version: 1, document: selfServiceStrategy() });
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections, borrowerPages: { rateLimitPerMinute: 10_000 } });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  // The links the worker puts in messages point at this API (read at each send).
  process.env.BORROWER_PORTAL_URL = base;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
});

const state = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);
const emailsTo = (loan: SeededLoan) => h.smtp.messages.filter((m) => JSON.stringify(m.to).includes(`${loan.borrowerId}@example.com`));

/** Waits for the borrower's `count`th email and returns the self-service link in it. */
async function linkFromEmail(loan: SeededLoan, count: number): Promise<string> {
  const mails = await waitForState(async () => emailsTo(loan), (m) => m.length >= count, { what: `email ${count} to ${loan.borrowerId}` });
  const text = mails[count - 1]!.text ?? '';
  const match = LINK.exec(text);
  if (!match) throw new Error(`no self-service link in the email: ${text}`);
  expect(mails[count - 1]!.html || '').toContain(match[0]);
  return match[0];
}

async function startLoan(locale: 'zh-CN' | 'en'): Promise<SeededLoan> {
  const loan = await h.seedLoan({ dpd: 5, locale });
  await h.startCollection(loan.loanId);
  return loan;
}

async function open(url: string): Promise<Page> {
  const page = await browser.newPage({ locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  return page;
}

/** Tomorrow in Asia/Shanghai (the seeded borrower's zone), YYYY-MM-DD. */
const tomorrow = () => new Date(Date.now() + 8 * 3600_000 + 24 * 3600_000).toISOString().slice(0, 10);

describe('the borrower self-service page', () => {
  it('opens from the link in a real email, takes a promise, and shows it in the workflow and the audit trail', async () => {
    const loan = await startLoan('zh-CN');
    const first = await linkFromEmail(loan, 1);
    expect(first.startsWith(`${base}/b/`)).toBe(true);
    // No personal data in the URL: no name, email, phone or loan id.
    expect(first).not.toContain(loan.loanId);
    expect(first).not.toContain(loan.borrowerId);

    await waitForState(() => state(loan.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    const link = await linkFromEmail(loan, 2);
    // Once the second message is recorded as sent, its link supersedes the first one.
    await waitForState(() => state(loan.loanId), (s) => s.contacts.sent === 2, { what: 'second email counted' });
    const old = await browser.newPage();
    expect((await old.goto(first))?.status()).toBe(403);
    expect(await old.textContent('main')).toContain('更新的消息');
    await old.close();

    const page = await open(link);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('[data-testid=past-due]')).toContain('500.00');
    expect(await page.textContent('main')).toContain('还款计划');

    // A bad amount is answered in the borrower's language, and nothing is recorded.
    await page.fill('#promise-date', tomorrow());
    await page.fill('#promise-amount', '-3');
    await page.click('form[action$="/promise"] button');
    expect(await page.textContent('[data-testid=error]')).toContain('请输入大于零的金额');
    expect((await state(loan.loanId)).promise).toBeUndefined();

    await page.fill('#promise-date', tomorrow());
    await page.fill('#promise-amount', '500.00');
    await page.click('form[action$="/promise"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('还款承诺已记录');
    expect(await page.textContent('[data-testid=next]')).toContain('您已承诺在');

    const s = await state(loan.loanId);
    expect(s.promise).toMatchObject({ amountMinor: 50_000, status: 'open' });
    // The borrower's own promise assigns the case to no collector.
    expect(s.assignedCollector).toBeNull();
    const [row] = await waitForState(
      () => h.db.select().from(promisesToPay).where(eq(promisesToPay.loanId, loan.loanId)),
      (rows) => rows.length === 1,
      { what: 'promise row' },
    );
    expect(row!.createdBy).toMatch(/^borrower:/);
    const audits = await waitForState(
      () => h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), like(auditEvents.action, '%promise%'))),
      (rows) => rows.length > 0,
      { what: 'promise audit' },
    );
    expect(JSON.stringify(audits)).toContain('self-service');
    // Kept (RECORD_HISTORIES=1) for the replay test: a run that took the borrower-self-service patch.
    await h.keepHistory(h.client.workflow.getHandle(workflowIdForLoan(loan.loanId)), 'self-service-promise');
    await page.close();
  });

  it('takes a plan from the strategy’s offers, then shows the plan ended when an instalment is missed', async () => {
    const loan = await startLoan('en');
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'negotiation', { what: 'negotiation' });
    const page = await open(await linkFromEmail(loan, 2));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    const offers = await page.$$eval('input[name=offer]', (inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
    expect(offers).toEqual(['2', '3']);
    await page.check('input[name=offer][value="2"]');
    await page.click('form[action$="/plan"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('Your payment plan is set up');
    expect(await page.textContent('[data-testid=next]')).toContain('payment plan of 2 instalments');
    expect((await state(loan.loanId)).plan?.installments.map((i) => i.amountMinor)).toEqual([25_000, 25_000]);

    // Nothing is paid: the first instalment is missed after its grace, the plan breaks.
    const [plan] = await waitForState(
      () => h.db.select().from(paymentPlans).where(eq(paymentPlans.loanId, loan.loanId)),
      (rows) => rows[0]?.status === 'broken',
      { what: 'plan broken' },
    );
    expect(plan!.createdBy).toMatch(/^borrower:/);
    await page.close();
    // The broken plan moves the case on to legal, whose final demand (the third email) supersedes the
    // earlier links as every message does; its own link stays the newest for the ten-minute wait after it.
    const afterBreak = await open(await linkFromEmail(loan, 3));
    expect(emailsTo(loan)[2]!.subject).toMatch(/^Final reminder: /);
    expect(await afterBreak.textContent('[data-testid=next]')).toContain('An instalment of your payment plan was missed');
    await afterBreak.close();
  });

  it('opens a dispute: contact stops and the page says so', async () => {
    const loan = await startLoan('en');
    const link = await linkFromEmail(loan, 1);
    const before = await waitForState(() => state(loan.loanId), (x) => x.contacts.sent === 1, { what: 'first email counted' });
    const secondEmailAt = Date.parse(before.nextAction?.at ?? new Date().toISOString());
    const page = await open(link);
    await page.fill('#dispute-reason', 'I repaid this instalment in cash at the branch.');
    await page.click('form[action$="/dispute"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('Your dispute is recorded');
    expect(await page.textContent('[data-testid=next]')).toContain('Collection is paused while we look into your dispute');
    const s = await waitForState(() => state(loan.loanId), (x: CollectionState) => x.pauses.includes('disputed'), { what: 'disputed' });
    expect(s.dispute?.status).toBe('open');
    const [dispute] = await h.db.select().from(disputes).where(eq(disputes.loanId, loan.loanId));
    expect(dispute!.reason).toContain('cash');
    // The second reminder was due a few seconds later; once that time is well past, still one email.
    await waitForState(async () => Date.now(), (now) => now > secondEmailAt + 2_000, { what: 'the second reminder’s time to pass' });
    expect(emailsTo(loan)).toHaveLength(1);
    expect((await state(loan.loanId)).contacts.sent).toBe(before.contacts.sent);
    // The workflow history carries no words of the dispute.
    const history = JSON.stringify(await h.client.workflow.getHandle(workflowIdForLoan(loan.loanId)).fetchHistory());
    expect(history).not.toContain('cash at the branch');
    await page.close();
  });

  it('takes a complaint, which pauses the case until an operator reviews it', async () => {
    const loan = await startLoan('en');
    const page = await open(await linkFromEmail(loan, 2));
    await page.fill('#complaint-text', 'Your caller was rude to me.');
    await page.click('form[action$="/complaint"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('Your complaint is recorded');
    expect(await page.textContent('[data-testid=next]')).toContain('paused for review');
    await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('paused'), { what: 'operator pause' });
    const [row] = await h.db.select().from(complaints).where(eq(complaints.loanId, loan.loanId));
    expect(row).toMatchObject({ source: 'self_service', reviewedAt: null });
    await page.close();
  });

  it('records inconvenient times, and a call back becomes a call task at the first time the rules allow', async () => {
    const loan = await startLoan('en');
    const page = await open(await linkFromEmail(loan, 2));
    await page.fill('#inc-from', '00:00');
    await page.fill('#inc-to', '09:30');
    await page.click('form[action$="/inconvenient"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('We will not call you at those times');

    // 03:00 local is inside the stated inconvenient time: the task waits until it ends.
    const day = tomorrow();
    await page.fill('#callback-at', `${day}T03:00`);
    await page.click('form[action$="/callback"] button');
    expect(await page.textContent('[data-testid=result]')).toContain('call-back request is recorded');
    const tasks = await h.db.select().from(collectorTasks).where(eq(collectorTasks.loanId, loan.loanId));
    const callback = tasks.find((t) => (t.payload as { reason?: string }).reason === 'callback_requested');
    expect(callback?.status).toBe('queued');
    expect(callback!.kind).toBe('call');
    expect(callback!.availableAt.toISOString()).toBe(new Date(`${day}T09:30:00+08:00`).toISOString());
    await page.close();
  });

  it('refuses forged, expired and revoked links, and another borrower’s form, with a page that says what to do', async () => {
    const loan = await startLoan('en');
    const other = await startLoan('en');
    const link = await linkFromEmail(loan, 2);
    const otherLink = await linkFromEmail(other, 2);
    const page = await browser.newPage();

    const forged = link.slice(0, -2) + (link.endsWith('AA') ? 'BB' : 'AA');
    let response = await page.goto(forged);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('main')).toContain('This link is not valid');
    expect(await page.textContent('main')).toContain('most recent message');

    response = await page.goto(`${base}/b/not-a-token`);
    expect(response?.status()).toBe(403);

    const config = selfServiceConfigFromEnv();
    const expiredRow = await issueLink(h.db, { loanId: loan.loanId, caseId: null, contactKey: null, expiresAt: new Date(Date.now() - 1000) });
    response = await page.goto(`${base}/b/${signLink(config.secret, expiredRow.id, expiredRow.expiresAt)}`);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('main')).toContain('This link has expired');
    // Issuing that link superseded the message's link.
    response = await page.goto(link);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('main')).toContain('no longer valid');

    // The other borrower's page shows their account only, and its form token does not work on another link.
    const otherPage = await open(otherLink);
    expect(await otherPage.textContent('main')).toContain(other.loanId);
    expect(await otherPage.textContent('main')).not.toContain(loan.loanId);
    const otherForm = await otherPage.getAttribute('form[action$="/hardship"] input[name=form]', 'value');
    const fresh = await issueLink(h.db, { loanId: loan.loanId, caseId: null, contactKey: null, expiresAt: new Date(Date.now() + 3600_000) });
    const freshToken = signLink(config.secret, fresh.id, fresh.expiresAt);
    const crossed = await fetch(`${base}/b/${freshToken}/hardship`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ form: otherForm ?? '' }).toString(),
      redirect: 'manual',
    });
    expect(crossed.status).toBe(403);
    expect(await crossed.text()).toContain('This form has expired');
    expect((await state(loan.loanId)).pauses).not.toContain('hardship');
    const [links] = await h.db.select().from(borrowerLinks).where(eq(borrowerLinks.id, fresh.id));
    expect(links!.revokedAt).toBeNull();
    await otherPage.close();
    await page.close();
  });

  it('has no serious or critical accessibility violations (axe-core), in zh-CN and en', async () => {
    const loan = await startLoan('zh-CN');
    const link = await linkFromEmail(loan, 2);
    const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    for (const lang of ['zh-CN', 'en']) {
      // The page allows no scripts (CSP script-src 'none'); this context bypasses it to run axe only.
      const context = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      expect((await page.goto(`${link}?lang=${lang}`))?.status()).toBe(200);
      await page.addScriptTag({ path: axeSource });
      const violations = await page.evaluate(async () => {
        const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
      });
      expect(violations, `axe violations in ${lang}`).toEqual([]);
      // `npm run screenshots` (scripts/borrower-screenshots.ts) keeps what this test sees, phone-sized.
      if (process.env.SCREENSHOTS_DIR) await page.screenshot({ path: `${process.env.SCREENSHOTS_DIR}/borrower-page-${lang}.png`, fullPage: true });
      await context.close();
    }
  });

  it('counts what borrowers did on the page in the portfolio report’s self-service line', async () => {
    const report = await buildReport(h.db, { loanIdPrefix: 'borrower-page-' });
    expect(report.selfService?.promises.page).toBeGreaterThanOrEqual(1);
    expect(report.selfService?.plans.page).toBeGreaterThanOrEqual(1);
    expect(report.selfService?.disputes.page).toBeGreaterThanOrEqual(1);
    expect(report.selfService?.complaints.page).toBeGreaterThanOrEqual(1);
    expect(renderReportTable(report)).toContain('self-service (made on the borrower page / all)');
  });
});
