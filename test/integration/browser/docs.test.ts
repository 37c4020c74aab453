// What a person sees in a real browser (headless Chromium through playwright-core): /docs renders
// Swagger UI's list of operations, styled, with every script, stylesheet and icon served by the API
// itself; and the demo's HTML report draws its recovery chart, wide and with its ticks. Any request to
// a host other than this machine fails the test: both must work on a machine without internet.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { renderReportHtml, type PortfolioReport } from '../../../scripts/lib/report';
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
});

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
