import { describe, expect, it } from 'vitest';
import { DISCOUNT_BELOW_PROBABILITY, proposePlan, typicalMonthlyPayment, type OfferInput, type PlanOffer } from '../../../domain/scoring/offer';

const asOf = '2026-06-01T00:00:00Z';
const monthly = (amounts: number[]) => amounts.map((amountMinor, i) => ({ amountMinor, receivedAt: new Date(Date.parse(asOf) - (i * 30 + 5) * 86_400_000).toISOString() }));
const schedule = [{ seq: 1, dueDate: '2026-01-10', amountDueMinor: 20_000 }];

describe('typicalMonthlyPayment', () => {
  it('is the median of the months with a payment in the last six', () => {
    expect(typicalMonthlyPayment(monthly([10_000, 30_000, 20_000]), asOf)).toBe(20_000);
    expect(typicalMonthlyPayment(monthly([10_000, 30_000]), asOf)).toBe(20_000);
    expect(typicalMonthlyPayment(monthly([0, 0, 0, 0, 0, 0, 50_000]), asOf)).toBeUndefined();
  });
});

describe('proposePlan', () => {
  it('spreads the past-due amount over the months the borrower can likely afford', () => {
    // Pays 20 000 a month; p = 0.6 -> 80% of it = 16 000 a month; 60 000 past due -> 4 instalments of 15 000.
    const offer = proposePlan({ pastDueMinor: 60_000, currency: 'USD', probability: 0.6, payments: monthly([20_000, 20_000, 20_000]), installments: schedule, asOf, limits: { maxInstallments: 6 } })!;
    expect(offer).toMatchObject({ installments: 4, amountMinor: 15_000, lastAmountMinor: 15_000, totalMinor: 60_000, pastDueMinor: 60_000, discountMinor: 0, currency: 'USD' });
    expect(offer.reasons[0]!.en).toBe('pays about $200.00 a month (median of the last six months)');
    expect(offer.reasons[1]!.en).toBe('predicted cure probability 60%: instalments set at 80% of that');
  });

  it('gives a borrower less likely to cure more, smaller instalments', () => {
    const base = { pastDueMinor: 60_000, currency: 'USD', payments: monthly([20_000]), installments: schedule, asOf, limits: { maxInstallments: 12 } };
    const strong = proposePlan({ ...base, probability: 0.9 })!;
    const weak = proposePlan({ ...base, probability: 0.1 })!;
    expect(weak.installments).toBeGreaterThan(strong.installments);
    expect(weak.amountMinor).toBeLessThan(strong.amountMinor);
  });

  it('stays within the strategy\'s longest term and smallest instalment, and says so', () => {
    const capped = proposePlan({ pastDueMinor: 100_000, currency: 'USD', probability: 0, payments: [], installments: schedule, asOf, limits: { maxInstallments: 3 } })!;
    expect(capped).toMatchObject({ installments: 3, amountMinor: 33_334, lastAmountMinor: 33_332 });
    expect(capped.reasons.map((r) => r.en)).toContain("capped at the strategy's 3 instalments");
    expect(capped.reasons[0]!.en).toBe('no payments in six months: based on the scheduled instalment of $200.00');
    const floored = proposePlan({ pastDueMinor: 30_000, currency: 'USD', probability: 0, payments: monthly([2_000]), installments: schedule, asOf, limits: { maxInstallments: 12, minInstallmentMinor: 10_000 } })!;
    expect(floored).toMatchObject({ installments: 3, amountMinor: 10_000, lastAmountMinor: 10_000 });
  });

  it('never leaves an empty last instalment, and offers nothing when nothing is past due', () => {
    const offer = proposePlan({ pastDueMinor: 9, currency: 'USD', probability: 0, payments: monthly([6]), installments: schedule, asOf, limits: { maxInstallments: 12 } })!;
    expect(offer.lastAmountMinor).toBeGreaterThan(0);
    expect(offer.amountMinor * (offer.installments - 1) + offer.lastAmountMinor).toBe(9);
    expect(proposePlan({ pastDueMinor: 0, currency: 'USD', probability: 0.5, payments: [], installments: schedule, asOf, limits: { maxInstallments: 6 } })).toBeUndefined();
  });

  it('asks for fewer, larger instalments rather than one below the smallest, the last one included', () => {
    // Pays 0.02 a month, so the plan is capped at 3; 3.01 over 3 would be 1.01, 1.01 and 0.99, the last below
    // the 1.00 floor: 2 of 1.51 and 1.50 instead.
    const offer = proposePlan({ pastDueMinor: 301, currency: 'USD', probability: 0, payments: monthly([2]), installments: schedule, asOf, limits: { maxInstallments: 3, minInstallmentMinor: 100, currency: 'USD' } })!;
    expect(offer).toMatchObject({ installments: 2, amountMinor: 151, lastAmountMinor: 150, totalMinor: 301 });
    expect(offer.reasons.map((r) => r.en)).toContain("no instalment below the strategy's $1.00");
    expect(offer.reasons.map((r) => r['zh-CN'])).toContain('每期不低于策略规定的$1.00');
  });

  it('asks for a past-due amount below the smallest instalment in one payment, and says why', () => {
    const offer = proposePlan({ pastDueMinor: 6_000, currency: 'USD', probability: 0, payments: monthly([1_000]), installments: schedule, asOf, limits: { maxInstallments: 12, minInstallmentMinor: 10_000, currency: 'USD' } })!;
    expect(offer).toMatchObject({ installments: 1, amountMinor: 6_000, lastAmountMinor: 6_000, totalMinor: 6_000 });
    expect(offer.reasons.at(-1)).toEqual({ en: "less than the strategy's smallest instalment of $100.00: asked for in one payment", 'zh-CN': '不足策略规定的最低每期$100.00：一次还清' });
  });

  it('does not apply a smallest instalment stated in another currency than the loan\'s', () => {
    const offer = proposePlan({ pastDueMinor: 30_000, currency: 'USD', probability: 0, payments: monthly([2_000]), installments: schedule, asOf, limits: { maxInstallments: 12, minInstallmentMinor: 10_000, currency: 'CNY' } })!;
    expect(offer.installments).toBe(12);
    expect(offer.reasons.map((r) => r.en)).toContain("the strategy's smallest instalment is in CNY, not the loan's USD: not applied");
  });

  describe('a discount', () => {
    // Pays 100.00 a month; 1,200.00 past due; at most 12 instalments.
    const base = { pastDueMinor: 120_000, currency: 'USD', payments: monthly([10_000, 10_000]), installments: schedule, asOf };

    it('lets go just what the longest plan the borrower can afford leaves uncovered, when a cure is unlikely', () => {
      // p = 0.2 -> 60% of 100.00 = 60.00 a month; 12 of them cover 720.00, so 480.00 (40%) goes; the strategy allows 50%.
      const offer = proposePlan({ ...base, probability: 0.2, limits: { maxInstallments: 12, maxDiscountPercent: 50 } })!;
      expect(offer).toMatchObject({ installments: 12, amountMinor: 6_000, lastAmountMinor: 6_000, totalMinor: 72_000, pastDueMinor: 120_000, discountMinor: 48_000 });
      expect(offer.reasons.at(-1)).toEqual({
        en: '$480.00 off the $1,200.00 past due (40%): a cure is unlikely and 12 instalments of $60.00 cover only $720.00',
        'zh-CN': '逾期$1,200.00减免$480.00（40%）：结清可能性低，12期每期$60.00只能还$720.00',
      });
    });

    it('never exceeds the strategy\'s largest discount: the rest is capped at the longest term', () => {
      const offer = proposePlan({ ...base, probability: 0.2, limits: { maxInstallments: 12, maxDiscountPercent: 25 } })!;
      expect(offer).toMatchObject({ installments: 12, amountMinor: 7_500, lastAmountMinor: 7_500, totalMinor: 90_000, discountMinor: 30_000 });
      const said = offer.reasons.map((r) => r.en);
      expect(said).toContain('$300.00 off the $1,200.00 past due (25%): a cure is unlikely and 12 instalments of $60.00 cover only $720.00; the strategy allows at most 25% off');
      expect(said).toContain("capped at the strategy's 12 instalments");
    });

    it('is not offered to a borrower likely to cure, and the offer says so', () => {
      // p = 0.6: 80.00 a month covers 960.00 of 1,200.00, but a cure is likely: no discount.
      const offer = proposePlan({ ...base, probability: 0.6, limits: { maxInstallments: 12, maxDiscountPercent: 50 } })!;
      expect(offer).toMatchObject({ installments: 12, totalMinor: 120_000, discountMinor: 0 });
      expect(offer.reasons.map((r) => r.en)).toContain('no discount: a cure is likely (60%)');
      expect(DISCOUNT_BELOW_PROBABILITY).toBe(0.5);
    });

    it('is not offered when the borrower can afford the whole past-due amount, nor when the strategy allows none', () => {
      const affordable = proposePlan({ ...base, pastDueMinor: 60_000, probability: 0.2, limits: { maxInstallments: 12, maxDiscountPercent: 50 } })!;
      expect(affordable).toMatchObject({ installments: 10, totalMinor: 60_000, discountMinor: 0 });
      expect(affordable.reasons.map((r) => r.en).join('; ')).not.toContain('discount');
      const none = proposePlan({ ...base, probability: 0.2, limits: { maxInstallments: 12 } })!;
      expect(none).toMatchObject({ totalMinor: 120_000, discountMinor: 0 });
      expect(none.reasons.map((r) => r.en).join('; ')).not.toMatch(/discount|off the/);
    });

    it('then still keeps every instalment at or above the smallest', () => {
      // 720.00 in 12 of 60.00 would be below the 100.00 floor: 7 instalments of 102.86 (the last 102.84).
      const offer = proposePlan({ ...base, probability: 0.2, limits: { maxInstallments: 12, maxDiscountPercent: 50, minInstallmentMinor: 10_000, currency: 'USD' } })!;
      expect(offer).toMatchObject({ installments: 7, amountMinor: 10_286, lastAmountMinor: 10_284, totalMinor: 72_000, discountMinor: 48_000 });
    });
  });

  // formatMoney builds an Intl.NumberFormat per amount: about a millisecond an offer on a loaded machine.
  it('holds every limit over a grid of amounts, histories, probabilities and strategies', { timeout: 60_000 }, () => {
    const histories = [[], monthly([1]), monthly([10_000, 30_000, 20_000])];
    let checked = 0;
    for (const pastDueMinor of [1, 99, 101, 30_100, 1_234_567]) {
      for (const payments of histories) {
        for (const probability of [0, 0.49, 0.5, 1]) {
          for (const maxInstallments of [1, 3, 12]) {
            for (const minInstallmentMinor of [undefined, 100, 10_000]) {
              for (const maxDiscountPercent of [undefined, 10, 100]) {
                const input: OfferInput = { pastDueMinor, currency: 'USD', probability, payments, installments: schedule, asOf, limits: { maxInstallments, minInstallmentMinor, maxDiscountPercent, currency: 'USD' } };
                expectWithinLimits(proposePlan(input)!, input);
                checked += 1;
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(5 * 3 * 4 * 3 * 3 * 3);
  });
});

function expectWithinLimits(offer: PlanOffer, { pastDueMinor, probability, limits }: OfferInput): void {
  const where = JSON.stringify({ pastDueMinor, probability, limits });
  const amounts = [...Array<number>(offer.installments - 1).fill(offer.amountMinor), offer.lastAmountMinor];
  for (const amount of [...amounts, offer.totalMinor, offer.discountMinor]) expect(Number.isSafeInteger(amount), where).toBe(true);
  expect(amounts.reduce((a, b) => a + b, 0), where).toBe(offer.totalMinor);
  expect(offer.totalMinor + offer.discountMinor, where).toBe(pastDueMinor);
  expect(offer.installments, where).toBeGreaterThanOrEqual(1);
  expect(offer.installments, where).toBeLessThanOrEqual(limits.maxInstallments);
  expect(offer.lastAmountMinor, where).toBeGreaterThan(0);
  expect(offer.lastAmountMinor, where).toBeLessThanOrEqual(offer.amountMinor);
  if (offer.installments > 1) expect(Math.min(...amounts), where).toBeGreaterThanOrEqual(limits.minInstallmentMinor ?? 0);
  expect(offer.discountMinor, where).toBeGreaterThanOrEqual(0);
  expect(offer.discountMinor, where).toBeLessThanOrEqual(Math.floor((pastDueMinor * (limits.maxDiscountPercent ?? 0)) / 100));
  if (probability >= DISCOUNT_BELOW_PROBABILITY) expect(offer.discountMinor, where).toBe(0);
  expect(offer.reasons.every((r) => r.en.length > 0 && r['zh-CN'].length > 0), where).toBe(true);
}
