// The plan update's validator against the negotiation stage's limits (#15): the smallest instalment, the
// largest discount (contract 6 on), and a plan that covers the whole past-due amount, which behaves as
// before. And the plan Overdue proposes (domain/scoring/offer) always passes it, taken as it stands.
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../contracts/activities';
import type { PlanInput } from '../../../contracts/messages';
import { largestPlanDiscountMinor } from '../../../domain/plan-terms';
import { proposePlan } from '../../../domain/scoring/offer';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import type { NegotiationStage } from '../../../domain/strategy/types';
import { newCaseState, type CaseState } from '../../../workflows/case-state';
import { validatePlan } from '../../../workflows/validators';

const DAY = 86_400_000;
const strategy = findDefaultStrategy('fast-test')!;

function caseWith(terms: Partial<NegotiationStage>, { pastDueMinor = 30_000, contract = 6, currency = strategy.currency }: { pastDueMinor?: number; contract?: number; currency?: string } = {}): CaseState {
  const negotiation: NegotiationStage = { kind: 'negotiation', offerTimeout: 'P7D', maxPromiseHorizon: 'P14D', grace: 'P1D', maxPlanInstallments: 6, ...terms };
  const facts = {
    caseId: 'case-1',
    loanId: 'loan-1',
    strategy,
    treatment: { segment: 'early', arm: 'champion', pathId: 'p', stages: [negotiation] },
    riskScore: null,
    position: { currency, pastDueMinor, outstandingMinor: pastDueMinor * 2, paidMinor: 0, dpd: 10, oldestUnpaidDueDate: '2026-01-01' },
    borrower: { timeZone: 'UTC', locale: 'en', inconvenientTimes: [], optedOut: [], agreedToQuietHours: false, ceaseRequested: false, bankruptcy: false, deceased: false, representedByAttorney: false },
    history: [],
    queues: { email: 'e', sms: 's', letter: 'l' },
    contract,
  } as unknown as CaseFacts;
  return newCaseState('collection-loan-1', facts, facts.treatment);
}

function plan(amounts: number[], currency = strategy.currency): PlanInput {
  const now = Date.now();
  return { currency, collectorId: 'c-1', installments: amounts.map((amountMinor, i) => ({ amountMinor, dueAt: new Date(now + (i + 1) * 30 * DAY).toISOString() })) };
}

/** The field a rejection names, or undefined when the plan passes. */
function rejectedField(state: CaseState, input: PlanInput): string | undefined {
  try {
    validatePlan(state, input);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('ValidationError');
    return ((error as ApplicationFailure).details?.[0] as { field: string }).field;
  }
}

describe('validatePlan: the smallest instalment', () => {
  const state = caseWith({ minPlanInstallmentMinor: 10_000 });

  it('rejects an instalment below the floor, naming it', () => {
    expect(rejectedField(state, plan([20_000, 5_000, 5_000]))).toBe('installments[1].amountMinor');
    expect(rejectedField(state, plan([9_999, 20_001]))).toBe('installments[0].amountMinor');
  });

  it('lets the last instalment, the remainder, be smaller', () => {
    expect(rejectedField(state, plan([10_000, 10_000, 10_000]))).toBeUndefined();
    expect(rejectedField(caseWith({ minPlanInstallmentMinor: 10_000 }, { pastDueMinor: 25_000 }), plan([10_000, 10_000, 5_000]))).toBeUndefined();
    // A past-due amount below the floor is asked for in one payment.
    expect(rejectedField(caseWith({ minPlanInstallmentMinor: 10_000 }, { pastDueMinor: 4_000 }), plan([4_000]))).toBeUndefined();
  });

  it('applies no floor to a loan in another currency than the strategy\'s, and none without one', () => {
    expect(rejectedField(caseWith({ minPlanInstallmentMinor: 10_000 }, { currency: 'EUR' }), plan([5_000, 5_000, 20_000], 'EUR'))).toBeUndefined();
    expect(rejectedField(caseWith({}), plan([1, 1, 29_998]))).toBeUndefined();
  });

  it('applies on every contract: a validator leaves no history', () => {
    expect(rejectedField(caseWith({ minPlanInstallmentMinor: 10_000 }, { contract: 5 }), plan([5_000, 25_000]))).toBe('installments[0].amountMinor');
  });
});

describe('validatePlan: the largest discount', () => {
  it('takes a plan short of the past-due amount by up to the strategy\'s percent, rounded down', () => {
    // 10% of 30 001 is 3 000.1: at most 3 000 off, so at least 27 001.
    const state = caseWith({ maxPlanDiscountPercent: 10 }, { pastDueMinor: 30_001 });
    expect(largestPlanDiscountMinor(30_001, 10)).toBe(3_000);
    expect(rejectedField(state, plan([13_501, 13_500]))).toBeUndefined();
    expect(rejectedField(state, plan([13_500, 13_500]))).toBe('installments');
  });

  it('says how far the plan may go when it goes further', () => {
    expect(() => validatePlan(caseWith({ maxPlanDiscountPercent: 20 }), plan([10_000, 10_000]))).toThrow(
      'the plan totals 20000 but 30000 is past due and the strategy lets go of at most 20% (6000); it must total at least 24000',
    );
  });

  it('takes no discount without one in the strategy, nor on a case opened before contract 6', () => {
    expect(rejectedField(caseWith({}), plan([14_999, 15_000]))).toBe('installments');
    expect(rejectedField(caseWith({ maxPlanDiscountPercent: 50 }, { contract: 5 }), plan([15_000, 14_999]))).toBe('installments');
    expect(rejectedField(caseWith({ maxPlanDiscountPercent: 50 }, { contract: 5 }), plan([15_000, 15_000]))).toBeUndefined();
  });

  it('still takes a plan that covers the whole past-due amount, or more', () => {
    const state = caseWith({ maxPlanDiscountPercent: 10, minPlanInstallmentMinor: 10_000 });
    expect(rejectedField(state, plan([15_000, 15_000]))).toBeUndefined();
    expect(rejectedField(state, plan([20_000, 20_000]))).toBeUndefined();
  });
});

describe('the proposed plan passes validatePlan as it stands', () => {
  it('for any past-due amount, payments, probability and limits', { timeout: 60_000 }, () => {
    const limits = fc.record({
      maxInstallments: fc.integer({ min: 1, max: 24 }),
      minInstallmentMinor: fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: undefined }),
      maxDiscountPercent: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 200_000 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 200_000 }),
        limits,
        (pastDueMinor, probability, monthly, scheduled, l) => {
          const asOf = new Date().toISOString();
          const payments = monthly.map((amountMinor, i) => ({ amountMinor, receivedAt: new Date(Date.now() - (i * 30 + 3) * DAY).toISOString() }));
          const offer = proposePlan({
            pastDueMinor,
            currency: strategy.currency,
            probability,
            payments,
            installments: [{ seq: 1, dueDate: '2026-01-01', amountDueMinor: scheduled }],
            asOf,
            limits: { ...l, currency: strategy.currency },
          })!;
          const amounts = [...Array.from({ length: offer.installments - 1 }, () => offer.amountMinor), offer.lastAmountMinor];
          expect(amounts.reduce((a, b) => a + b, 0)).toBe(offer.totalMinor);
          const state = caseWith(
            { maxPlanInstallments: l.maxInstallments, minPlanInstallmentMinor: l.minInstallmentMinor, maxPlanDiscountPercent: l.maxDiscountPercent },
            { pastDueMinor },
          );
          expect(rejectedField(state, plan(amounts))).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});
