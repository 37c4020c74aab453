// The report as a reader sees it: the recovery chart's axes have round ticks over a range that shows
// the curves, the lines can be told apart, and the figures table says what each count is.
import { describe, expect, it } from 'vitest';
import { curvesSvg, niceTicks, renderReportHtml, renderReportTable, type DpdBucket, type PortfolioReport } from '../../../scripts/lib/report';

/** A curve that rises to `plateau` by `flatFrom` days in steps and then stays flat to day `days`. */
function stepCurve(bucket: DpdBucket, cases: number, plateau: number, flatFrom: number, days = 119) {
  return { bucket, cases, points: Array.from({ length: days + 1 }, (_, day) => ({ day, share: (plateau * Math.min(day, flatFrom)) / flatFrom })) };
}

// Two curves at the same 90% plateau (the demo's usual picture), 119 days of data, flat after day 30.
const report: PortfolioReport = {
  asOf: '2026-11-29T07:00:00.000Z',
  loanIdPrefix: null,
  dayMs: 86_400_000,
  cases: { total: 200, open: 0, resolved: 200 },
  byStage: {},
  byOutcome: { cured: 180, written_off: 20 },
  funnel: [{ stage: 'opened', cases: 200 }],
  cureRate: { numerator: 180, denominator: 200, rate: 0.9 },
  rightPartyContactRate: { numerator: 80, denominator: 120, rate: 80 / 120 },
  promiseKeptRate: { numerator: 20, denominator: 30, rate: 20 / 30 },
  recovery: [],
  curves: [stepCurve('1-30', 90, 0.9, 10), stepCurve('31-60', 60, 0.9, 20), stepCurve('61-90', 30, 0.6, 30), stepCurve('90+', 20, 0.3, 30)],
  contactsPerResolvedCase: { messages: 116, calls: 167, resolvedCases: 60, perCase: 283 / 60 },
  blockedByRule: [],
  timeToResolutionDays: { median: 12, p90: 60, cases: 200 },
};

const ticks = (svg: string, axis: 'x' | 'y') =>
  [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="(middle|end)">([\d.]+)%?<\/text>/g)].filter((m) => (m[1] === 'middle') === (axis === 'x')).map((m) => Number(m[2]));

const isRoundStep = (step: number) => [1, 2, 5].some((f) => Number.isInteger(Math.log10(step / f)) && Math.abs(10 ** Math.round(Math.log10(step / f)) * f - step) < 1e-9);

describe('niceTicks', () => {
  it('covers the range with a 1, 2 or 5 step', () => {
    expect(niceTicks(119)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(niceTicks(90, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(35, 8)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    expect(niceTicks(0.4)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
  });
});

describe('the recovery chart', () => {
  const svg = curvesSvg(report);

  it('has round, evenly spaced ticks on both axes, ending at or past the data', () => {
    for (const axis of ['x', 'y'] as const) {
      const values = ticks(svg, axis);
      expect(values.length, axis).toBeGreaterThanOrEqual(4);
      expect(values[0]).toBe(0);
      const step = values[1]! - values[0]!;
      expect(isRoundStep(step), `${axis} step ${step}`).toBe(true);
      values.forEach((v, i) => expect(v).toBeCloseTo(i * step));
    }
    expect(ticks(svg, 'y').at(-1)).toBe(100);
    // Every curve is flat after day 30: the day axis ends just past it, not at day 119, and says so.
    expect(ticks(svg, 'x').at(-1)).toBeGreaterThanOrEqual(30);
    expect(ticks(svg, 'x').at(-1)).toBeLessThan(60);
    expect(svg).toContain('no curve moves after day 30; the data run to day 119');
  });

  it('draws each bucket with its own colour and dash, named in a legend', () => {
    const curves = [...svg.matchAll(/<path class="curve" data-bucket="([^"]+)"[^>]* stroke="([^"]+)" stroke-width="([\d.]+)"[^>]*?(?: stroke-dasharray="([^"]+)")?\/>/g)];
    expect(curves.map((c) => c[1])).toEqual(['1-30', '31-60', '61-90', '90+']);
    expect(new Set(curves.map((c) => c[2])).size).toBe(4);
    expect(new Set(curves.map((c) => `${c[4] ?? 'solid'}/${c[3]}`)).size).toBe(4);
    for (const bucket of ['1-30', '31-60', '61-90', '90+']) expect(svg).toMatch(new RegExp(`<g class="legend" data-bucket="${bucket.replace('+', '\\+')}">.*?${bucket.replace('+', '\\+')} DPD`));
    expect(svg).toContain('1-30 DPD · 90 cases');
  });

  it('fills the width of the page', () => {
    expect(svg).toMatch(/^<svg id="recovery-curves"[^>]* width="100%" viewBox="0 0 960 \d+"/);
    expect(renderReportHtml(report)).toContain('.wide svg{display:block;width:100%;height:auto}');
  });
});

describe('the figures table', () => {
  it('names what each count is instead of bare numbers', () => {
    const text = renderReportTable(report);
    expect(text).toMatch(/^figure\s+value\s+counted from$/m);
    expect(text).toContain('(116 messages + 167 calls) / 60 resolved cases');
    expect(text).toContain('180 cured or paid of 200 resolved');
    expect(text).toContain('20 kept, 10 broken');
    expect(text).not.toContain('116+167/60');
  });
});
