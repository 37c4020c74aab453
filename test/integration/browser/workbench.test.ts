// The collector workbench in a real browser (headless Chromium through playwright-core), against the real
// API, workers, Temporal and PostgreSQL: a collector signs in with their key, sees only the tasks the
// rules allow them now, opens a case, records an outcome and the workflow moves on; a bad amount shows
// its message and changes nothing; another collector cannot open the case; axe-core finds no serious
// accessibility violation. This file has a database of its own (a claim takes any unassigned task).
// WORKBENCH_SCREENSHOTS=1 also writes docs/screenshots/workbench-{queue,case}.png for the README.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { saveStrategy } from '../../../db/repository/strategies';
import { auditEvents, caseNotes, collectorTasks, promisesToPay } from '../../../db/schema';
import { getState, workflowIdForLoan, type CollectionState } from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';
import { patientStrategy } from '../../support/patient-strategy';

const STRATEGY = 'workbench-test';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENSHOTS = process.env.WORKBENCH_SCREENSHOTS ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url)) : undefined;

let h: Harness;
let api: FastifyInstance;
let base = '';
let browser: Browser;
const keys: Record<string, string> = {};
const loans: Record<'mine' | 'disputed', string> = { mine: '', disputed: '' };

async function state(loanId: string): Promise<CollectionState> {
  return h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);
}

async function queuedTask(loanId: string) {
  return waitForState(
    async () => (await h.db.select().from(collectorTasks).where(and(eq(collectorTasks.loanId, loanId), eq(collectorTasks.status, 'queued'))))[0],
    (t) => t !== undefined,
    { what: `a queued call task for ${loanId}` },
  );
}

async function signIn(key: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/workbench/login`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/workbench/`);
  return page;
}

async function seriousViolations(page: Page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> }> } }).axe.run());
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help}`);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  h = await startHarness('workbench', { strategyId: STRATEGY, ownDatabase: true });
  // Up to 20% off the past-due amount in a plan (contract 6): the case page shows a plan's discount.
  await saveStrategy(h.db, { id: STRATEGY, version: 1, document: patientStrategy(STRATEGY, { maxPlanDiscountPercent: 20 }) });
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  base = await api.listen({ host: '127.0.0.1', port: 0 });
  keys.first = (await createApiKey(h.db, { role: 'collector', collectorId: `c-first-${randomUUID().slice(0, 4)}` })).key;
  keys.second = (await createApiKey(h.db, { role: 'collector', collectorId: `c-second-${randomUUID().slice(0, 4)}` })).key;
  keys.backend = (await createApiKey(h.db, { role: 'backend' })).key;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

  // Two loans in the call stage (the 'late' path: 91+ days past due calls first); one then disputed.
  for (const which of ['mine', 'disputed'] as const) {
    const loan = await h.seedLoan({ dpd: 100, installmentMinor: 120_000, borrower: { name: which === 'mine' ? 'Wang Fang' : 'Zhao Lei' } });
    loans[which] = loan.loanId;
    await h.startCollection(loan.loanId);
    await queuedTask(loan.loanId);
  }
  const disputed = await api.inject({
    method: 'POST',
    url: `/v1/loans/${loans.disputed}/disputes`,
    headers: { authorization: `Bearer ${keys.backend}` },
    payload: { idempotencyKey: `d-${loans.disputed}`, reason: 'not my loan' },
  });
  expect(disputed.statusCode).toBeLessThan(300);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
});

describe('collector workbench in the browser', () => {
  let page: Page;

  it('signs in with the key, exchanged for an HttpOnly session cookie, and lists only the tasks the rules allow now', async () => {
    page = await signIn(keys.first!);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'ovd_workbench');
    expect(session?.httpOnly).toBe(true);
    expect(session?.value).not.toContain(keys.first!);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    const listed = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-loan')));
    expect(listed).toContain(loans.mine);
    // The disputed loan's task was cancelled with common.dispute: it is not in anyone's queue.
    expect(listed).not.toContain(loans.disputed);
    const row = page.locator(`tr[data-loan="${loans.mine}"]`);
    await expect.poll(() => row.textContent()).toContain('Asia/Shanghai');
    expect(await row.textContent()).toContain('call attempt 1');
    expect(await seriousViolations(page)).toEqual([]);
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}workbench-queue.png`, fullPage: true });
    }
  });

  it('a form without the session is sent back to sign in, and a form without the CSRF token is refused', async () => {
    const anonymous = await fetch(`${base}/workbench/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/workbench/login');
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const forged = await fetch(`${base}/workbench/cases/${loans.mine}/outcome`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=refused',
    });
    expect(forged.status).toBe(403);
  });

  it('opens the case with its statement, the workflow’s wait, the script and the timeline', async () => {
    await page.locator(`tr[data-loan="${loans.mine}"] button`).click();
    await page.waitForURL(`${base}/workbench/cases/${loans.mine}`);
    expect(await page.getByTestId('stage').textContent()).toBe('call');
    expect(await page.getByTestId('waiting').textContent()).toContain('outcome of call attempt 1');
    expect(await page.getByTestId('past-due').textContent()).toContain('1,200.00');
    expect(await page.getByTestId('held').textContent()).toContain('call attempt 1');
    // The borrower's language is zh-CN: the script is in Chinese, with what never to say.
    expect(await page.locator('section[lang="zh-CN"]').textContent()).toContain('不得声称或暗示不还款会被逮捕');
    await expect.poll(() => page.locator('tr[data-kind="contact"], tr[data-kind="task"]').count()).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('a bad amount shows the validation message on the form and records nothing', async () => {
    await page.getByLabel('Amount (CNY)').first().fill('12,00.5x');
    await page.getByLabel('By (borrower’s date)').fill('2099-01-01');
    await page.getByRole('button', { name: 'Record promise' }).click();
    await expect.poll(() => page.locator('#promise-amount-error').textContent()).toContain('amount must be a positive amount in CNY');
    expect(await page.getByLabel('Amount (CNY)').first().inputValue()).toBe('12,00.5x');
    expect(await h.db.select().from(promisesToPay).where(eq(promisesToPay.loanId, loans.mine))).toEqual([]);
    const s = await state(loans.mine);
    expect(s.promise).toBeUndefined();
    expect(s.stage).toBe('call');
  });

  it('a note is kept on the case and audited without its text', async () => {
    await page.locator('#note-body').fill('Borrower asked to be called after 18:00.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => page.locator('tr[data-kind="note"]').textContent()).toContain('asked to be called after 18:00');
    const [note] = await h.db.select().from(caseNotes).where(eq(caseNotes.loanId, loans.mine));
    const audits = await h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loans.mine), eq(auditEvents.action, 'case.note_added')));
    expect(audits.map((a) => a.after)).toEqual([{ noteId: note!.id, length: note!.body.length }]);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}workbench-case.png`, fullPage: true });
  });

  it('recording an outcome moves the workflow on', async () => {
    await page.locator('#outcome').selectOption('right_party_contact');
    await page.getByRole('button', { name: 'Record outcome' }).click();
    await expect.poll(() => page.locator('.done').textContent()).toContain('Outcome recorded');
    await waitForState(() => state(loans.mine), (s) => s.stage === 'negotiation', { what: 'negotiation after a right-party contact' });
    await page.reload();
    expect(await page.getByTestId('stage').textContent()).toBe('negotiation');
    const [task] = await h.db.select().from(collectorTasks).where(eq(collectorTasks.loanId, loans.mine));
    expect(task).toMatchObject({ status: 'done', outcome: 'right_party_contact' });
  });

  it('a discounted plan recorded on the form shows its discount on the case', async () => {
    // The borrower's dates a month and two months ahead: CNY 1,000.00 of the 1,200.00 past due, 200.00 off.
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#plan-date-1').fill(day(30));
    await page.locator('#plan-amount-1').fill('500.00');
    await page.locator('#plan-date-2').fill(day(60));
    await page.locator('#plan-amount-2').fill('500.00');
    await page.getByRole('button', { name: 'Record plan' }).click();
    await expect.poll(() => page.locator('.done').textContent()).toContain('Plan recorded');
    expect(await page.getByTestId('plan').textContent()).toMatch(/^open, 2 instalments, .*200\.00 off the past-due amount$/);
    expect((await state(loans.mine)).plan).toMatchObject({ status: 'open', discountMinor: 20_000 });
    expect(await seriousViolations(page)).toEqual([]);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}workbench-discounted-plan.png`, fullPage: true });
  });

  it('a second collector cannot open the first collector’s case (403)', async () => {
    const other = await signIn(keys.second!);
    const response = await other.goto(`${base}/workbench/cases/${loans.mine}`);
    expect(response?.status()).toBe(403);
    expect(await other.getByRole('alert').textContent()).toContain('assigned to another collector');
    expect(await other.locator('tbody tr').count()).toBe(0);
  });
});
