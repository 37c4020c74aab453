// The confidence intervals of the champion/challenger comparison, against published worked examples.
import { describe, expect, it } from 'vitest';
import { meanDifference, meanInterval, rateDifference, wilson } from '../../../scripts/lib/stats';

describe('wilson', () => {
  it('matches the published interval and stays within 0..1 at the extremes', () => {
    // Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662.
    const r = wilson(81, 263);
    expect(r.estimate).toBeCloseTo(81 / 263, 10);
    expect(r.low).toBeCloseTo(0.2553, 4);
    expect(r.high).toBeCloseTo(0.3662, 4);
    // 0/10 and 10/10: one bound at the edge, the other 0.2775 inside it.
    expect(wilson(0, 10)).toMatchObject({ estimate: 0, low: 0 });
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10)).toMatchObject({ estimate: 1, high: 1 });
    expect(wilson(10, 10).low).toBeCloseTo(0.7225, 4);
  });

  it('has no estimate without trials and refuses impossible counts', () => {
    expect(wilson(0, 0)).toEqual({ successes: 0, n: 0, estimate: null, low: null, high: null });
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(1.5, 2)).toThrow(RangeError);
  });
});

describe('rateDifference', () => {
  it("matches Newcombe's worked example for method 10 (56/70 vs 48/80)", () => {
    const d = rateDifference(wilson(48, 80), wilson(56, 70));
    expect(d.estimate).toBeCloseTo(0.2, 10);
    expect(d.low).toBeCloseTo(0.0524, 4);
    expect(d.high).toBeCloseTo(0.3339, 4);
  });

  it('is empty when an arm has no trials', () => {
    expect(rateDifference(wilson(0, 0), wilson(1, 2))).toEqual({ estimate: null, low: null, high: null });
  });
});

describe('meanInterval and meanDifference', () => {
  it('uses the sample standard deviation and 1.96 standard errors', () => {
    const m = meanInterval([1, 2, 3, 4, 5]);
    expect(m.estimate).toBe(3);
    expect(m.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(m.low).toBeCloseTo(3 - (1.959964 * Math.sqrt(2.5)) / Math.sqrt(5), 5);
    expect(m.high).toBeCloseTo(3 + (1.959964 * Math.sqrt(2.5)) / Math.sqrt(5), 5);
  });

  it('clips the bounds to the range the mean can take', () => {
    const shares = meanInterval([1, 1, 0], { min: 0, max: 1 });
    expect(shares.high).toBe(1);
    expect(shares.low).toBeCloseTo(2 / 3 - (1.959964 * Math.sqrt(1 / 3)) / Math.sqrt(3), 5);
    expect(meanInterval([0, 0, 5], { min: 0 }).low).toBe(0);
  });

  it('gives no interval below two observations', () => {
    expect(meanInterval([])).toEqual({ n: 0, sd: null, estimate: null, low: null, high: null });
    expect(meanInterval([4])).toEqual({ n: 1, sd: null, estimate: 4, low: null, high: null });
  });

  it("differences two means with Welch's unpooled standard error", () => {
    const a = meanInterval([1, 2, 3, 4, 5]); // mean 3, var 2.5, n 5
    const b = meanInterval([2, 4, 6, 8]); // mean 5, var 20/3, n 4
    const se = Math.sqrt(2.5 / 5 + 20 / 3 / 4);
    const d = meanDifference(a, b);
    expect(d.estimate).toBe(2);
    expect(d.low).toBeCloseTo(2 - 1.959964 * se, 5);
    expect(d.high).toBeCloseTo(2 + 1.959964 * se, 5);
    expect(meanDifference(meanInterval([1]), b)).toEqual({ estimate: 4, low: null, high: null });
  });
});
