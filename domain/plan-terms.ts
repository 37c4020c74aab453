// The negotiation stage's limits on a payment plan, as one rule for the plan Overdue proposes
// (domain/scoring/offer) and the plan a collector or borrower agrees (workflows/validators validatePlan):
// an offer that breaks one of these would be refused when taken. Pure: no Temporal, database or network.

/**
 * The largest discount a plan may carry on `pastDueMinor`, in minor units: `maxDiscountPercent` percent of
 * it, rounded down to a whole minor unit (in the lender's favour: a plan never lets go of more than the
 * strategy's percent; 1% of 12,345 is 123, not 124). 0 without a discount.
 */
export function largestPlanDiscountMinor(pastDueMinor: number, maxDiscountPercent: number | undefined): number {
  const percent = Math.min(100, Math.max(0, Math.floor(maxDiscountPercent ?? 0)));
  if (!(pastDueMinor > 0) || percent === 0) return 0;
  return Math.floor((pastDueMinor * percent) / 100);
}

/**
 * The smallest instalment that applies to a loan: the strategy's minPlanInstallmentMinor when the loan is
 * in the strategy's currency (its amounts are in that currency), else none (0).
 */
export function planInstallmentFloorMinor(minInstallmentMinor: number | undefined, strategyCurrency: string | undefined, loanCurrency: string): number {
  const floor = minInstallmentMinor ?? 0;
  if (floor <= 0) return 0;
  if (strategyCurrency !== undefined && strategyCurrency !== loanCurrency) return 0;
  return floor;
}

/**
 * Whether instalment `index` of `count` may be below the floor: only the last, which is the remainder of
 * the plan's total after the others (a plan of 250.00 at a floor of 100.00 is 100 + 100 + 50), and so
 * also a plan of one instalment whose whole total is below the floor. Every other instalment must be at
 * least the floor.
 */
export function mayFallBelowFloor(index: number, count: number): boolean {
  return index === count - 1;
}
