import { describe, expect, it } from 'vitest';
import type { Features } from '../../../domain/scoring/features';
import { binOf, DEFAULT_CUTS, evaluate, fitScorecard, scoreFeatures, splitByTime, type LabelledCase, type Scorecard } from '../../../domain/scoring/scorecard';
import { prng } from '../../../domain/random';


const BASE: Features = {
  dpd: 3, pastDueShare: 0.1, onTimeShare: 1, latenessTrend: 0, partialPayments: 0, paidShare: 0.3, priorCases: 0, priorCured: 0,
  promisesKept90: 0, promisesBroken90: 0, plansBroken365: 0, contactAttempts30: 0, rightPartyRate90: -1, paysAfterMessage180: -1,
  openDispute: 0, tenureMonths: 10, product: 'personal-12m',
};

/** The weights the data is generated with: days past due and broken promises lower the odds, an earlier cure raises them. */
const TRUE = { intercept: 0.8, dpd: [0, -0.5, -1.0, -1.6], promisesBroken90: [0, -0.7, -1.4], priorCured: [0, 0.9], product: { 'cash-12m': -0.6 } };

function generate(n: number, seed: number): LabelledCase[] {
  const random = prng(seed);
  const start = Date.parse('2025-01-01T00:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const features: Features = {
      ...BASE,
      dpd: [3, 20, 45, 90][Math.floor(random() * 4)]!,
      promisesBroken90: Math.floor(random() * 3),
      priorCured: random() < 0.3 ? 1 : 0,
      product: random() < 0.4 ? 'cash-12m' : 'personal-12m',
    };
    const logit =
      TRUE.intercept +
      TRUE.dpd[binOf(features.dpd, DEFAULT_CUTS.dpd)]! +
      TRUE.promisesBroken90[binOf(features.promisesBroken90, DEFAULT_CUTS.promisesBroken90)]! +
      TRUE.priorCured[features.priorCured]! +
      (features.product === 'cash-12m' ? TRUE.product['cash-12m'] : 0);
    const label = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    return { features, label, openedAt: new Date(start + i * 60_000).toISOString() };
  });
}

const weightsOf = (model: Scorecard, feature: string) => model.features.find((f) => f.feature === feature)!.weights;

describe('fitScorecard', () => {
  it('recovers the weights the data was generated with', () => {
    const model = fitScorecard(generate(20_000, 7), { labelDays: 30, numSteps: 80 });
    const tolerance = 0.15;
    expect(Math.abs(model.intercept - TRUE.intercept)).toBeLessThan(tolerance);
    weightsOf(model, 'dpd').forEach((w, bin) => expect(Math.abs(w - TRUE.dpd[bin]!), `dpd bin ${bin}: ${w}`).toBeLessThan(tolerance));
    weightsOf(model, 'promisesBroken90').forEach((w, bin) => expect(Math.abs(w - TRUE.promisesBroken90[bin]!), `promises bin ${bin}: ${w}`).toBeLessThan(tolerance));
    weightsOf(model, 'priorCured').forEach((w, bin) => expect(Math.abs(w - TRUE.priorCured[bin]!), `prior cured bin ${bin}: ${w}`).toBeLessThan(tolerance));
    expect(model.product.levels).toEqual(['other', 'cash-12m']);
    expect(Math.abs(model.product.weights[1]! - TRUE.product['cash-12m'])).toBeLessThan(tolerance);
    // Features that never vary carry no weight.
    expect(weightsOf(model, 'openDispute')).toEqual([0, 0]);
  }, 60_000);

  it('refuses data with one label only, or too little of it', () => {
    const cases = generate(100, 1).map((c) => ({ ...c, label: 1 as const }));
    expect(() => fitScorecard(cases, { labelDays: 30 })).toThrow('the labels must include both cured and not cured cases (got 100 cured of 100)');
    expect(() => fitScorecard(generate(5, 1), { labelDays: 30 })).toThrow('at least 20 labelled cases');
  });
});

describe('reason codes', () => {
  const model: Scorecard = {
    format: 'overdue-scorecard/1',
    labelDays: 30,
    intercept: 0,
    features: [
      { feature: 'promisesBroken90', cuts: [1, 2], weights: [0, -0.5, -1.2], mean: -0.2 },
      { feature: 'dpd', cuts: [8, 31, 61], weights: [0, -0.3, -0.6, -0.9], mean: -0.4 },
      { feature: 'priorCured', cuts: [1], weights: [0, 0.8], mean: 0.3 },
      { feature: 'openDispute', cuts: [1], weights: [0, -0.1], mean: -0.01 },
    ],
    product: { levels: ['other'], weights: [0], mean: 0 },
  };
  const borrower: Features = { ...BASE, promisesBroken90: 2, dpd: 70, priorCured: 0, openDispute: 1 };

  it('names the strongest negative contributions first, in en and zh-CN', () => {
    const { probability, reasons } = scoreFeatures(model, borrower);
    expect(probability).toBeCloseTo(1 / (1 + Math.exp(1.2 + 0.9 + 0.1)), 6);
    expect(reasons.map((r) => r.code)).toEqual(['promisesBroken90', 'dpd', 'priorCured']);
    expect(reasons[0]!.text).toEqual({ en: 'two broken promises in 90 days', 'zh-CN': '90天内有2次还款承诺未兑现' });
    expect(reasons[1]!.text.en).toBe('70 days past due');
    expect(reasons[2]!.text.en).toBe('no earlier cases ended in a cure');
    expect(reasons.every((r) => r.contribution < 0)).toBe(true);
  });

  it('follows the weights\' signs: flip them and the same facts are no longer reasons', () => {
    const flipped: Scorecard = { ...model, features: model.features.map((f) => ({ ...f, weights: f.weights.map((w) => -w), mean: -f.mean })) };
    const { reasons } = scoreFeatures(flipped, borrower);
    expect(reasons.map((r) => r.code)).not.toContain('promisesBroken90');
    expect(reasons.map((r) => r.code)).not.toContain('dpd');
    // Under the flipped model every one of these facts raises the probability: nothing to explain.
    expect(reasons).toEqual([]);
  });

  it('gives no reasons for a case better than average on every feature', () => {
    expect(scoreFeatures(model, { ...BASE, priorCured: 1 }).reasons).toEqual([]);
  });
});

describe('evaluate', () => {
  it('gives AUC 1 and KS 1 for a perfect ranking and 0.5 for a constant score', () => {
    const perfect = evaluate([0.1, 0.2, 0.8, 0.9].map((probability, i) => ({ probability, label: (i >= 2 ? 1 : 0) as 0 | 1 })));
    expect(perfect).toMatchObject({ auc: 1, ks: 1, count: 4, cured: 2 });
    const flat = evaluate([0, 1, 0, 1].map((label) => ({ probability: 0.5, label: label as 0 | 1 })));
    expect(flat.auc).toBe(0.5);
    expect(flat.ks).toBe(0);
  });

  it('computes AUC as the share of cured/not-cured pairs ranked right', () => {
    // Pairs (cured, not cured): (0.6,0.3) right, (0.6,0.7) wrong, (0.9,0.3) right, (0.9,0.7) right: 3/4.
    const e = evaluate([{ probability: 0.3, label: 0 }, { probability: 0.7, label: 0 }, { probability: 0.6, label: 1 }, { probability: 0.9, label: 1 }]);
    expect(e.auc).toBe(0.75);
    expect(e.ks).toBe(0.5);
  });

  it('tables calibration by decile, lowest predictions first', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ probability: i / 100, label: (i % 2) as 0 | 1 }));
    const { calibration } = evaluate(rows);
    expect(calibration).toHaveLength(10);
    expect(calibration[0]).toEqual({ decile: 1, count: 10, predicted: 0.045, observed: 0.5 });
  });
});

describe('splitByTime', () => {
  it('holds out the cases opened at or after the date', () => {
    const cases = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'].map((d) => ({ openedAt: `${d}T00:00:00Z` }));
    const { train, holdout } = splitByTime(cases, '2026-03-01');
    expect(train).toHaveLength(2);
    expect(holdout.map((c) => c.openedAt)).toEqual(['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']);
  });
});
