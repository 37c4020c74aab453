// Strategies may segment on the predicted cure probability as well as on the backend's riskScore.
import { describe, expect, it } from 'vitest';
import { defaultStrategies } from '../../../domain/strategy/defaults';
import { chooseTreatment } from '../../../domain/strategy/select';
import type { Stage } from '../../../domain/strategy/types';
import { parseStrategy, validateStrategy } from '../../../domain/strategy/validate';

const reminder: Stage = { kind: 'reminder', steps: [{ after: 'P1D', from: 'dueDate', channel: 'sms', template: 'reminder-friendly' }], waitAfterLast: 'P2D' };
const legal: Stage = { kind: 'legal', finalDemand: { channel: 'letter', template: 'final-demand' }, waitingPeriod: 'P14D', afterHandOff: 'end' };
const doc = (when: Record<string, unknown>) => ({
  id: 'scored',
  version: 1,
  name: 'Scored',
  rulePack: 'sandbox',
  currency: 'CNY',
  hardshipPause: 'P30D',
  segments: [
    { id: 'likely-cure', when, path: 'light' },
    { id: 'rest', when: {}, path: 'firm' },
  ],
  paths: { light: [reminder], firm: [reminder, legal] },
});
const errorsOf = (d: unknown) => {
  const result = validateStrategy(d);
  return result.ok ? [] : result.errors;
};
const loan = { loanId: 'loan-1', dpd: 10, pastDueMinor: 50_000 };

describe('segments on curePropensity', () => {
  it('sends a loan likely to cure to the lighter path, and one without a score past the condition', () => {
    const strategy = parseStrategy(doc({ minCurePropensity: 0.7 }));
    expect(chooseTreatment(strategy, { ...loan, curePropensity: 0.82 }).segment).toBe('likely-cure');
    expect(chooseTreatment(strategy, { ...loan, curePropensity: 0.7 }).segment).toBe('likely-cure');
    expect(chooseTreatment(strategy, { ...loan, curePropensity: 0.69 }).segment).toBe('rest');
    expect(chooseTreatment(strategy, loan).segment).toBe('rest');
  });

  it('combines with riskScore: both must hold', () => {
    const strategy = parseStrategy(doc({ maxCurePropensity: 0.3, minRiskScore: 700 }));
    expect(chooseTreatment(strategy, { ...loan, curePropensity: 0.2, riskScore: 720 }).segment).toBe('likely-cure');
    expect(chooseTreatment(strategy, { ...loan, curePropensity: 0.2, riskScore: 650 }).segment).toBe('rest');
  });

  it('refuses bounds outside 0..1 or crossed, naming the field', () => {
    expect(errorsOf(doc({ minCurePropensity: 1.5 }))).toContainEqual({ field: 'segments[0].when.minCurePropensity', message: 'segments[0].when.minCurePropensity must be a probability from 0 to 1 (got 1.5)' });
    expect(errorsOf(doc({ minCurePropensity: 0.8, maxCurePropensity: 0.2 })).map((e) => e.field)).toContain('segments[0].when.minCurePropensity');
    expect(() => chooseTreatment(parseStrategy(doc({ minDpd: 1 })), { ...loan, curePropensity: 2 })).toThrow('curePropensity must be a probability within 0..1 when given (got 2)');
  });

  it('keeps every shipped strategy document valid', () => {
    for (const strategy of defaultStrategies) expect(errorsOf(strategy), strategy.id).toEqual([]);
  });
});
