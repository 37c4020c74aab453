import { describe, expect, it } from 'vitest';
import { proposePlan, typicalMonthlyPayment } from '../../../domain/scoring/offer';

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
    expect(offer).toMatchObject({ installments: 4, amountMinor: 15_000, lastAmountMinor: 15_000, totalMinor: 60_000, currency: 'USD' });
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
});
