// A behavioural scorecard: each feature cut into a few documented bins, a logistic regression on the
// bins (one indicator per bin, the first bin the reference), fitted with ml-logistic-regression. The
// industry's explainable standard: a case's log-odds is the intercept plus one weight per feature, so
// the features that pulled its probability down are read straight off the weights (reason codes).
//
// Pure computation, no I/O. The workflow never imports this file (ml-matrix stays out of its bundle).
import { Matrix } from 'ml-matrix';
import LogisticRegressionTwoClasses from 'ml-logistic-regression/src/logreg_2classes.js';
import { NUMERIC_FEATURES, type Features, type NumericFeature } from './features';
import { reasonText, type ReasonText } from './reasons';

export const SCORECARD_FORMAT = 'overdue-scorecard/1';

/**
 * Bin edges per feature: bin k holds values v with cuts[k-1] <= v < cuts[k] (bin 0 below the first cut).
 * Chosen by hand to read as a collections manager would say them ("none", "one", "two or more"; "a
 * week", "a month", "two months"). -1 ("no data") always falls in bin 0 of the shares that use it.
 */
export const DEFAULT_CUTS: Record<NumericFeature, number[]> = {
  dpd: [8, 31, 61],
  pastDueShare: [0.2, 0.5],
  onTimeShare: [0, 0.5, 0.9],
  latenessTrend: [-2, 3],
  partialPayments: [1, 2],
  paidShare: [0.25, 0.5],
  priorCases: [1, 2],
  priorCured: [1],
  promisesKept90: [1],
  promisesBroken90: [1, 2],
  plansBroken365: [1],
  contactAttempts30: [3, 10],
  rightPartyRate90: [0, 0.2, 0.5],
  paysAfterMessage180: [0, 0.25],
  openDispute: [1],
  tenureMonths: [6, 18],
};

export interface FeatureWeights {
  feature: NumericFeature;
  cuts: number[];
  /** One weight per bin (log-odds); weights[0] = 0, the reference bin. */
  weights: number[];
  /** The weight's mean over the training cases: a case's contribution is its weight minus this. */
  mean: number;
}

export interface Scorecard {
  format: typeof SCORECARD_FORMAT;
  /** The label: cured within this many days of the case opening. */
  labelDays: number;
  intercept: number;
  features: FeatureWeights[];
  /** Product levels seen in training; the first is the reference ("other": any product not listed). */
  product: { levels: string[]; weights: number[]; mean: number };
}

export interface LabelledCase {
  features: Features;
  label: 0 | 1;
  /** When the case opened (ISO); the holdout is split on it. */
  openedAt: string;
}

export function binOf(value: number, cuts: readonly number[]): number {
  let bin = 0;
  while (bin < cuts.length && value >= cuts[bin]!) bin += 1;
  return bin;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * A bin or product seen in fewer training cases than this gets no weight of its own: it reads as the
 * reference bin (or "other"). Without the floor a bin held by a handful of cases takes an extreme weight
 * from them alone, and a small book's fit ranks its holdout worse than chance.
 */
const MIN_LEVEL_CASES = 30;

interface Column {
  /** Which weight the column estimates. */
  target: { feature: NumericFeature; bin: number } | { product: string };
}

/** The design: one column per (feature, bin > 0) and product level, for bins seen in training. */
function design(cases: readonly LabelledCase[], cuts: Record<NumericFeature, number[]>) {
  const columns: Column[] = [];
  for (const feature of NUMERIC_FEATURES) {
    const seen = new Map<number, number>();
    for (const c of cases) {
      const bin = binOf(c.features[feature], cuts[feature]);
      seen.set(bin, (seen.get(bin) ?? 0) + 1);
    }
    for (let bin = 1; bin <= cuts[feature].length; bin += 1) if ((seen.get(bin) ?? 0) >= MIN_LEVEL_CASES) columns.push({ target: { feature, bin } });
  }
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.features.product, (counts.get(c.features.product) ?? 0) + 1);
  const products = [...counts].filter(([, n]) => n >= MIN_LEVEL_CASES).map(([p]) => p).sort();
  // The most common product is the reference, so every product weight reads "against the usual one".
  const reference = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const product of products) if (product !== reference) columns.push({ target: { product } });
  return { columns, reference };
}

function indicator(column: Column, f: Features, cuts: Record<NumericFeature, number[]>): number {
  const t = column.target;
  return 'product' in t ? (f.product === t.product ? 1 : 0) : binOf(f[t.feature], cuts[t.feature]) === t.bin ? 1 : 0;
}

export interface FitOptions {
  labelDays: number;
  cuts?: Record<NumericFeature, number[]>;
  /** Gradient steps; default scales with the data so a fit of 100,000 cases stays under a minute. */
  numSteps?: number;
}

/**
 * Fits the scorecard. The indicators are standardised (mean 0, variance 1) before the regression so
 * plain gradient steps converge in tens of iterations, with a step size from the largest
 * eigenvalue of their covariance (the curvature bound), and the weights are mapped back to 0/1
 * indicators afterwards. An intercept column of ones is added (the library has none).
 */
export function fitScorecard(cases: readonly LabelledCase[], options: FitOptions): Scorecard {
  if (cases.length < 20) throw new RangeError(`a scorecard needs at least 20 labelled cases (got ${cases.length})`);
  const positives = cases.filter((c) => c.label === 1).length;
  if (positives === 0 || positives === cases.length) throw new RangeError(`the labels must include both cured and not cured cases (got ${positives} cured of ${cases.length})`);
  const cuts = options.cuts ?? DEFAULT_CUTS;
  const { columns, reference } = design(cases, cuts);
  const n = cases.length;
  const k = columns.length;

  // Raw indicators, then their means and standard deviations; a column with no variance is dropped.
  const raw = cases.map((c) => columns.map((col) => indicator(col, c.features, cuts)));
  const mean = columns.map((_, j) => raw.reduce((s, row) => s + row[j]!, 0) / n);
  const sd = columns.map((_, j) => Math.sqrt(raw.reduce((s, row) => s + (row[j]! - mean[j]!) ** 2, 0) / n));
  const kept = columns.map((_, j) => j).filter((j) => sd[j]! > 1e-9);
  const X = new Matrix(n, kept.length + 1);
  const y = new Matrix(n, 1);
  for (let i = 0; i < n; i += 1) {
    X.set(i, 0, 1);
    kept.forEach((j, m) => X.set(i, m + 1, (raw[i]![j]! - mean[j]!) / sd[j]!));
    y.set(i, 0, cases[i]!.label);
  }
  const lambda = largestEigenvalue(covariance(X));
  const numSteps = options.numSteps ?? Math.max(30, Math.min(400, Math.floor(2e7 / (n * (kept.length + 1)))));
  // The log-likelihood's curvature is at most n/4 times the covariance's largest eigenvalue: a step of
  // 6/(n λ) stays below the 8/(n λ) at which gradient ascent would diverge.
  const model = new LogisticRegressionTwoClasses({ numSteps, learningRate: 6 / (n * lambda) });
  model.train(X, y);
  const w = model.weights!.to1DArray();

  // Back to 0/1 indicators: w_j (x - m) / s = (w_j / s) x - w_j m / s.
  let intercept = w[0]!;
  const beta = new Map<number, number>();
  kept.forEach((j, m) => {
    const b = w[m + 1]! / sd[j]!;
    beta.set(j, b);
    intercept -= b * mean[j]!;
  });
  const features: FeatureWeights[] = NUMERIC_FEATURES.map((feature) => {
    const weights = Array.from({ length: cuts[feature].length + 1 }, () => 0);
    columns.forEach((col, j) => {
      const t = col.target;
      if (!('product' in t) && t.feature === feature) weights[t.bin] = round(beta.get(j) ?? 0);
    });
    const meanWeight = cases.reduce((s, c) => s + weights[binOf(c.features[feature], cuts[feature])]!, 0) / n;
    return { feature, cuts: [...cuts[feature]], weights, mean: round(meanWeight) };
  });
  const levels = [`other`];
  const productWeights = [0];
  columns.forEach((col, j) => {
    if ('product' in col.target) {
      levels.push(col.target.product);
      productWeights.push(round(beta.get(j) ?? 0));
    }
  });
  const productOf = (p: string) => Math.max(0, levels.indexOf(p));
  const productMean = cases.reduce((s, c) => s + productWeights[productOf(c.features.product)]!, 0) / n;
  void reference;
  return {
    format: SCORECARD_FORMAT,
    labelDays: options.labelDays,
    intercept: round(intercept),
    features,
    product: { levels, weights: productWeights, mean: round(productMean) },
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** X'X / n (X's first column is the intercept). */
function covariance(X: Matrix): number[][] {
  const n = X.rows;
  const k = X.columns;
  const rows = X.to2DArray();
  const c = Array.from({ length: k }, () => new Float64Array(k));
  for (const row of rows) {
    for (let a = 0; a < k; a += 1) {
      const va = row[a]!;
      if (va === 0) continue;
      const ca = c[a]!;
      for (let b = a; b < k; b += 1) ca[b] = ca[b]! + va * row[b]!;
    }
  }
  return c.map((ca, a) => Array.from({ length: k }, (_, b) => (b >= a ? ca[b]! : c[b]![a]!) / n));
}

/** Power iteration on a symmetric positive semi-definite matrix. */
function largestEigenvalue(m: number[][]): number {
  let v = m.map(() => 1);
  let lambda = 1;
  for (let iteration = 0; iteration < 200; iteration += 1) {
    const next = m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
    const norm = Math.sqrt(next.reduce((s, x) => s + x * x, 0));
    if (norm === 0) return 1;
    v = next.map((x) => x / norm);
    if (Math.abs(norm - lambda) < 1e-9 * norm) return norm;
    lambda = norm;
  }
  return lambda;
}

// ---- scoring and explaining ----

export interface Reason {
  /** The feature, e.g. `promisesBroken90`. */
  code: NumericFeature | 'product';
  /** Its contribution to the log-odds against the average case (negative: lowers the probability). */
  contribution: number;
  text: ReasonText;
}

export interface Score {
  /** Predicted probability of a cure within the model's label window, 0..1. */
  probability: number;
  /** The three strongest negative contributions, strongest first (fewer when fewer are negative). */
  reasons: Reason[];
}

export function scoreFeatures(model: Scorecard, f: Features): Score {
  let logit = model.intercept;
  const contributions: Reason[] = [];
  for (const fw of model.features) {
    const value = f[fw.feature];
    const weight = fw.weights[binOf(value, fw.cuts)] ?? 0;
    logit += weight;
    contributions.push({ code: fw.feature, contribution: round(weight - fw.mean), text: reasonText(fw.feature, value) });
  }
  const level = Math.max(0, model.product.levels.indexOf(f.product));
  const productWeight = model.product.weights[level] ?? 0;
  logit += productWeight;
  contributions.push({ code: 'product', contribution: round(productWeight - model.product.mean), text: reasonText('product', f.product) });
  const reasons = contributions
    .filter((r) => r.contribution < -1e-6)
    .sort((a, b) => a.contribution - b.contribution)
    .slice(0, 3);
  return { probability: round(sigmoid(logit)), reasons };
}

// ---- measuring on a holdout ----

export interface CalibrationRow {
  decile: number;
  count: number;
  /** Mean predicted probability in the decile. */
  predicted: number;
  /** Observed cure rate in the decile. */
  observed: number;
}

export interface Evaluation {
  count: number;
  cured: number;
  auc: number;
  ks: number;
  calibration: CalibrationRow[];
}

/** AUC (Mann-Whitney, ties counted half), KS (largest gap between the cured and not-cured CDFs) and deciles. */
export function evaluate(predictions: ReadonlyArray<{ probability: number; label: 0 | 1 }>): Evaluation {
  const sorted = [...predictions].sort((a, b) => a.probability - b.probability);
  const pos = sorted.filter((p) => p.label === 1).length;
  const neg = sorted.length - pos;
  let rankSum = 0;
  let ks = 0;
  let seenPos = 0;
  let seenNeg = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.probability === sorted[i]!.probability) j += 1;
    const averageRank = (i + 1 + j) / 2;
    for (let t = i; t < j; t += 1) {
      if (sorted[t]!.label === 1) {
        rankSum += averageRank;
        seenPos += 1;
      } else seenNeg += 1;
    }
    if (pos && neg) ks = Math.max(ks, Math.abs(seenNeg / neg - seenPos / pos));
    i = j;
  }
  const auc = pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : Number.NaN;
  const calibration: CalibrationRow[] = [];
  for (let d = 0; d < 10; d += 1) {
    const slice = sorted.slice(Math.floor((d * sorted.length) / 10), Math.floor(((d + 1) * sorted.length) / 10));
    if (!slice.length) continue;
    calibration.push({
      decile: d + 1,
      count: slice.length,
      predicted: round(slice.reduce((s, p) => s + p.probability, 0) / slice.length),
      observed: round(slice.filter((p) => p.label === 1).length / slice.length),
    });
  }
  return { count: sorted.length, cured: pos, auc: round(auc), ks: round(ks), calibration };
}

/** Splits by time: cases opened at or after `holdoutFrom` are the holdout (default: the latest fifth). */
export function splitByTime<T extends { openedAt: string }>(cases: readonly T[], holdoutFrom?: string): { train: T[]; holdout: T[]; holdoutFrom: string } {
  const sorted = [...cases].sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt));
  const from = holdoutFrom ?? sorted[Math.floor(sorted.length * 0.8)]?.openedAt;
  if (!from) throw new RangeError('no cases to split');
  const cut = Date.parse(from);
  if (!Number.isFinite(cut)) throw new RangeError(`holdoutFrom must be a date or ISO instant (got ${JSON.stringify(holdoutFrom)})`);
  return {
    train: sorted.filter((c) => Date.parse(c.openedAt) < cut),
    holdout: sorted.filter((c) => Date.parse(c.openedAt) >= cut),
    holdoutFrom: new Date(cut).toISOString(),
  };
}
