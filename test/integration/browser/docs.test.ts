// What a person sees in a real browser (headless Chromium through playwright-core): /docs renders
// Swagger UI's list of operations, styled, with every script, stylesheet and icon served by the API
// itself; and the demo's HTML report draws its recovery chart, wide and with its ticks, and shows the
// cure-propensity calibration and champion-vs-challenger tables with the figures of the report's JSON. Any request to
// a host other than this machine fails the test: both must work on a machine without internet.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createRequire } from 'node:module';
import { compareArms, renderReportHtml, type PortfolioReport } from '../../../scripts/lib/report';
import { meanInterval, wilson, type Interval, type MeanEstimate, type RateEstimate } from '../../../scripts/lib/stats';
import { startHarness, type Harness } from '../../support/harness';

let h: Harness;
let api: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
let dir: string;
/** Every request the page made to a host other than this machine (aborted, and a failure). */
let external: string[];
/** Requests to this machine that failed or answered 4xx/5xx. */
let broken: string[];

/** The SVG element methods used below (the project's TypeScript has no DOM library). */
interface Svg {
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}
interface Window {
  getComputedStyle(element: unknown): { borderTopStyle: string; borderTopLeftRadius: string };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

beforeAll(async () => {
  h = await startHarness('browser-docs');
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  base = await api.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  dir = mkdtempSync(join(tmpdir(), 'overdue-browser-'));
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  external = [];
  broken = [];
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'file:' || url.protocol === 'data:' || LOCAL_HOSTS.has(url.hostname)) return route.continue();
    external.push(route.request().url());
    return route.abort();
  });
  page.on('requestfailed', (request) => broken.push(`${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) broken.push(`${response.url()} answered ${response.status()}`);
  });
  return page;
}
afterEach(async () => {
  await page?.close();
});

describe('in a real browser', () => {
  it('/docs lists every operation of the API, styled, with nothing fetched from elsewhere', { timeout: 60_000 }, async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item).filter((m) => methods.has(m))).length;
    expect(operations).toBeGreaterThan(10);

    const p = await openPage();
    await p.goto(`${base}/docs`, { waitUntil: 'load' });
    const blocks = p.locator('.opblock');
    await expect.poll(() => blocks.count(), { timeout: 20_000 }).toBe(operations);
    await expect.poll(() => p.locator('.opblock-summary-path', { hasText: '/v1/loans/{loanId}/payments' }).first().isVisible()).toBe(true);
    // Swagger UI's stylesheet applied: an operation is a coloured, bordered block, not bare text.
    const style = await blocks.first().evaluate((el) => {
      const s = (globalThis as unknown as Window).getComputedStyle(el);
      return { border: s.borderTopStyle, radius: s.borderTopLeftRadius, height: el.getBoundingClientRect().height };
    });
    expect(style.border).toBe('solid');
    expect(style.radius).not.toBe('0px');
    expect(style.height).toBeGreaterThan(20);
    // Opening one shows its parameters and answers.
    await p.locator('.opblock-summary', { hasText: '/v1/loans/{loanId}/payments' }).first().click();
    await expect.poll(() => p.locator('.opblock.is-open .responses-table').first().isVisible()).toBe(true);

    expect(external).toEqual([]);
    expect(broken).toEqual([]);
  });

  it("the demo report draws its recovery chart across the page, with round ticks on both axes", { timeout: 60_000 }, async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(sampleReport()));
    const p = await openPage();
    await p.goto(pathToFileURL(file).toString(), { waitUntil: 'load' });

    const chart = p.locator('svg#recovery-curves');
    expect(await chart.isVisible()).toBe(true);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(800);
    expect(box.height).toBeGreaterThan(250);

    const ticks = await chart.locator('text.tick').evaluateAll((nodes) =>
      nodes.map((n) => ({ text: n.textContent ?? '', visible: (n as unknown as Svg).getBBox().width > 0 })),
    );
    const dayTicks = ticks.filter((t) => !t.text.endsWith('%')).map((t) => t.text);
    const shareTicks = ticks.filter((t) => t.text.endsWith('%')).map((t) => t.text);
    expect(ticks.every((t) => t.visible)).toBe(true);
    expect(dayTicks).toEqual(['0', '5', '10', '15', '20', '25', '30', '35']);
    expect(shareTicks).toEqual(['0%', '20%', '40%', '60%', '80%']);

    // One visible line per DPD bucket, each named in the legend with its case count.
    const curves = await chart.locator('path.curve').evaluateAll((nodes) => nodes.map((n) => ({ bucket: n.getAttribute('data-bucket'), length: (n as unknown as Svg).getTotalLength() })));
    expect(curves.map((c) => c.bucket)).toEqual(['1-30', '31-60']);
    expect(curves.every((c) => c.length > 100)).toBe(true);
    expect(await chart.locator('g.legend').allTextContents()).toEqual(['1-30 DPD · 3 cases', '31-60 DPD · 1 case']);

    expect(external).toEqual([]);
    expect(broken).toEqual([]);
  });

  it('the report shows the calibration and champion-vs-challenger tables with the figures of its JSON', { timeout: 60_000 }, async () => {
    // What `npm run report -- --json` prints is the report object; the page must show the same numbers.
    const json = JSON.parse(JSON.stringify(scoredReport())) as PortfolioReport;
    const file = join(dir, 'report-scored.html');
    writeFileSync(file, renderReportHtml(json));
    const p = await openPage();
    await p.goto(pathToFileURL(file).toString(), { waitUntil: 'load' });

    const pc = (v: number | null) => `${(v! * 100).toFixed(1)}%`;
    const pp = (v: number | null) => `${v! > 0 ? '+' : ''}${(v! * 100).toFixed(1)} pp`;
    const n2 = (v: number | null) => `${v! > 0 ? '+' : ''}${v!.toFixed(2)}`;
    const within = (i: Interval, f: (v: number | null) => string) => `${f(i.estimate)} (${f(i.low)} to ${f(i.high)})`;
    const rate = (r: RateEstimate) => `${within(r, pc)} · ${r.successes}/${r.n}`;
    const mean = (m: MeanEstimate, f: (v: number | null) => string) => `${within(m, f)} · n ${m.n}`;
    const rowsOf = (table: ReturnType<Page['getByRole']>) =>
      table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Array.from((r as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (c) => c.textContent ?? '')));

    const scoring = json.scoring!;
    const calibration = p.getByRole('table', { name: 'Calibration on resolved scored cases, by band of predicted propensity' });
    expect(await calibration.isVisible()).toBe(true);
    expect(await calibration.getByRole('columnheader').allTextContents()).toEqual(['predicted band', 'resolved cases', 'mean predicted', 'observed cure rate (95% CI) · cured/resolved']);
    expect(await rowsOf(calibration)).toEqual(
      scoring.calibration.map((b) => [`${Math.round(b.from * 100)}-${Math.round(b.to * 100)}%`, String(b.cases), pc(b.meanPredicted), rate(b.observed)]),
    );
    expect(await p.getByText(`${scoring.scoredCases} of ${json.cases.total} cases scored`).isVisible()).toBe(true);

    const { champion: a, challenger: b, difference: d } = json.experiment!;
    const arms = p.getByRole('table', { name: 'Champion vs challenger, each with its 95% interval' });
    expect(await arms.isVisible()).toBe(true);
    expect(await arms.getByRole('columnheader').allTextContents()).toEqual(['figure', 'champion', 'challenger', 'challenger − champion']);
    expect(await rowsOf(arms)).toEqual([
      ['cases (resolved)', `${a.cases} (${a.resolved})`, `${b.cases} (${b.resolved})`, ''],
      ['cure rate', rate(a.cureRate), rate(b.cureRate), within(d.cureRate, pp)],
      ['recovery (mean share of past due per case)', mean(a.recovery, pc), mean(b.recovery, pc), within(d.recovery, pp)],
      ['contacts per resolved case', mean(a.contactsPerResolvedCase, (v) => v!.toFixed(2)), mean(b.contactsPerResolvedCase, (v) => v!.toFixed(2)), within(d.contactsPerResolvedCase, n2)],
      ['broken-plan rate (broken / agreed plans)', rate(a.brokenPlanRate), rate(b.brokenPlanRate), within(d.brokenPlanRate, pp)],
    ]);
    // The fixture's challenger cures more and needs fewer contacts: the page shows it in plain numbers.
    expect(await arms.getByRole('row', { name: /^cure rate/ }).getByRole('cell').last().textContent()).toMatch(/^\+\d+\.\d pp \(/);
    expect(await arms.getByRole('row', { name: /^contacts per resolved case/ }).getByRole('cell').last().textContent()).toMatch(/^-\d+\.\d\d \(/);

    // Headers a screen reader can announce with each cell, and no serious or critical axe-core finding.
    await p.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    const violations = await p.evaluate(async () => {
      const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
    });
    expect(violations).toEqual([]);
    expect(external).toEqual([]);
    expect(broken).toEqual([]);
  });
});

/**
 * sampleReport with the issue #15 figures, built from counts by the same helpers buildReport uses: three
 * bands of predicted propensity, and a champion and a challenger arm with their differences.
 */
function scoredReport(): PortfolioReport {
  const band = (from: number, predicted: number[], cured: number) => ({ from, to: from + 0.1, cases: predicted.length, meanPredicted: predicted.reduce((s, v) => s + v, 0) / predicted.length, observed: wilson(cured, predicted.length) });
  const calibration = [band(0.1, [0.12, 0.15, 0.18, 0.15], 1), band(0.5, [0.52, 0.55, 0.58, 0.5, 0.56, 0.59], 3), band(0.8, [0.81, 0.84, 0.86, 0.83, 0.86], 4)];
  const arm = (cases: number, cured: number, resolved: number, recovery: number[], contacts: number[], broken: number, plans: number) => ({
    cases,
    resolved,
    cureRate: wilson(cured, resolved),
    recovery: meanInterval(recovery, { min: 0, max: 1 }),
    contactsPerResolvedCase: meanInterval(contacts, { min: 0 }),
    brokenPlanRate: wilson(broken, plans),
  });
  const champion = arm(10, 4, 8, [1, 0, 0.5, 1, 0, 0, 1, 0.25, 1, 0], [5, 7, 3, 9, 4, 6, 8, 2], 2, 3);
  const challenger = arm(9, 6, 9, [1, 1, 0, 1, 0.5, 1, 0, 1, 1], [3, 2, 4, 5, 3, 2, 6, 3, 4], 1, 2);
  return {
    ...sampleReport(),
    scoring: {
      scoredCases: 19,
      resolvedScoredCases: 15,
      meanPredicted: calibration.reduce((s, b) => s + b.meanPredicted * b.cases, 0) / 15,
      observedCureRate: { numerator: 8, denominator: 15, rate: 8 / 15 },
      calibration,
    },
    experiment: compareArms(19, champion, challenger),
  };
}

/** A small portfolio's report: two buckets whose curves stop moving at day 30 of 40. */
function sampleReport(): PortfolioReport {
  const curve = (days: number, at: (d: number) => number) => Array.from({ length: days + 1 }, (_, day) => ({ day, share: at(day) }));
  const none = { numerator: 0, denominator: 0, rate: null };
  return {
    asOf: '2026-03-05',
    loanIdPrefix: 'DEMO-',
    dayMs: 86_400_000,
    cases: { total: 4, open: 1, resolved: 3 },
    byStage: { call: 1 },
    byOutcome: { cured: 2, handed_to_legal: 1 },
    funnel: [
      { stage: 'all', cases: 4 },
      { stage: 'reminder', cases: 4 },
      { stage: 'call', cases: 2 },
      { stage: 'negotiation', cases: 1 },
      { stage: 'legal', cases: 1 },
    ],
    cureRate: { numerator: 2, denominator: 3, rate: 2 / 3 },
    rightPartyContactRate: none,
    promiseKeptRate: none,
    recovery: [
      { bucket: '1-30', currency: 'CNY', cases: 3, pastDueAtOpenMinor: 300_000, recoveredMinor: 200_000, collectedMinor: 200_000, rate: 2 / 3 },
      { bucket: '31-60', currency: 'CNY', cases: 1, pastDueAtOpenMinor: 100_000, recoveredMinor: 25_000, collectedMinor: 25_000, rate: 0.25 },
    ] as PortfolioReport['recovery'],
    curves: [
      { bucket: '1-30', cases: 3, points: curve(40, (d) => (d < 3 ? 0 : d < 12 ? 1 / 3 : d < 30 ? 1 / 2 : 2 / 3)) },
      { bucket: '31-60', cases: 1, points: curve(40, (d) => (d < 20 ? 0 : 0.25)) },
    ],
    contactsPerResolvedCase: { messages: 9, calls: 2, resolvedCases: 3, perCase: 11 / 3 },
    blockedByRule: [{ rule: 'cn.quiet-hours', contacts: 2 }],
    timeToResolutionDays: { median: 12, p90: 30, cases: 3 },
  };
}
