// Confidence intervals for the champion/challenger comparison in the portfolio report (issue #15).
// Pure and dependency-free: no maintained statistics library is installed, and these are a few lines.
//
//  - A rate (successes of n trials): the Wilson score interval. Unlike the textbook p ± z·√(p(1−p)/n)
//    it stays inside 0..1 and keeps its coverage near 0% and 100% and for small n.
//    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
//    JASA 22 (1927) 209–212; Agresti & Coull, The American Statistician 52 (1998) 119–126.
//  - The difference of two independent rates: Newcombe's hybrid score interval (his method 10), built
//    from the two Wilson intervals. R. G. Newcombe, "Interval estimation for the difference between
//    independent proportions", Statistics in Medicine 17 (1998) 873–890.
//  - A mean (recovery share per case, contacts per resolved case): the normal approximation
//    mean ± z·s/√n with the sample standard deviation s (n − 1 in the denominator).
//  - The difference of two independent means: the same approximation with Welch's unpooled standard
//    error √(s₁²/n₁ + s₂²/n₂).
// z = 1.959964 is the two-sided 95% point of the standard normal distribution. With fewer than two
// observations a mean has no interval (null bounds); with no trials a rate has no estimate at all.

export const Z95 = 1.959963984540054;

export interface Interval {
  /** The point estimate: the rate, the mean, or the difference; null when there is nothing to estimate from. */
  estimate: number | null;
  low: number | null;
  high: number | null;
}

export interface RateEstimate extends Interval {
  successes: number;
  n: number;
}

export interface MeanEstimate extends Interval {
  n: number;
  /** Sample standard deviation (n − 1), null below two observations. */
  sd: number | null;
}

const none = { estimate: null, low: null, high: null };

/** Wilson score interval for `successes` of `n`. */
export function wilson(successes: number, n: number, z = Z95): RateEstimate {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || n < 0 || successes > n) {
    throw new RangeError(`wilson needs integers 0 <= successes <= n (got ${successes} of ${n})`);
  }
  if (n === 0) return { successes, n, ...none };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // In exact arithmetic 0 successes give a low bound of exactly 0 and n successes a high bound of exactly 1.
  const low = successes === 0 ? 0 : Math.max(0, centre - half);
  const high = successes === n ? 1 : Math.min(1, centre + half);
  return { successes, n, estimate: p, low, high };
}

/**
 * Normal-approximation interval for the mean of `values`. `range` clips the bounds to what the mean can
 * be (a share per case lies in 0..1, a count is never negative): with few or skewed observations the
 * symmetric interval would otherwise reach impossible values.
 */
export function meanInterval(values: readonly number[], range: { min?: number; max?: number } = {}, z = Z95): MeanEstimate {
  const n = values.length;
  if (n === 0) return { n, sd: null, ...none };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, sd: null, estimate: mean, low: null, high: null };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (z * sd) / Math.sqrt(n);
  return { n, sd, estimate: mean, low: Math.max(range.min ?? -Infinity, mean - half), high: Math.min(range.max ?? Infinity, mean + half) };
}

/** b − a for two independent rates, with Newcombe's hybrid score interval. */
export function rateDifference(a: RateEstimate, b: RateEstimate): Interval {
  if (a.estimate === null || b.estimate === null) return { ...none };
  const d = b.estimate - a.estimate;
  const [pa, la, ua] = [a.estimate, a.low!, a.high!];
  const [pb, lb, ub] = [b.estimate, b.low!, b.high!];
  return { estimate: d, low: d - Math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2), high: d + Math.sqrt((ub - pb) ** 2 + (pa - la) ** 2) };
}

/** b − a for two independent means, with the normal approximation and Welch's standard error. */
export function meanDifference(a: MeanEstimate, b: MeanEstimate, z = Z95): Interval {
  if (a.estimate === null || b.estimate === null) return { ...none };
  const d = b.estimate - a.estimate;
  if (a.sd === null || b.sd === null) return { estimate: d, low: null, high: null };
  const se = Math.sqrt(a.sd ** 2 / a.n + b.sd ** 2 / b.n);
  return { estimate: d, low: d - z * se, high: d + z * se };
}
