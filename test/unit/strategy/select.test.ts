import { describe, expect, it } from 'vitest';
import { defaultStrategies, findDefaultStrategy } from '../../../domain/strategy/defaults';
import { parseDuration } from '../../../domain/strategy/duration';
import { chooseTreatment, experimentBucket, fnv1a32, scaleStrategy, treatmentOfSegment } from '../../../domain/strategy/select';
import type { Stage, Strategy } from '../../../domain/strategy/types';
import { parseStrategy } from '../../../domain/strategy/validate';

const reminder: Stage = {
  kind: 'reminder',
  steps: [{ after: 'P1D', from: 'dueDate', channel: 'sms', template: 'reminder-friendly' }],
  waitAfterLast: 'P2D',
};
const legal: Stage = { kind: 'legal', finalDemand: { channel: 'letter', template: 'final-demand' }, waitingPeriod: 'P14D', afterHandOff: 'end' };

function strategyWith(segments: Strategy['segments']): Strategy {
  return parseStrategy({
    id: 'select-test',
    version: 1,
    name: 'Select test',
    rulePack: 'sandbox',
    currency: 'CNY',
    hardshipPause: 'P30D',
    segments,
    paths: { early: [reminder, legal], gentle: [reminder], late: [legal], big: [legal], risky: [legal] },
  });
}

const loan = { loanId: 'loan-1', dpd: 10, pastDueMinor: 50_000 };

describe('chooseTreatment', () => {
  const strategy = strategyWith([
    { id: 'risky', when: { minRiskScore: 700 }, path: 'risky' },
    { id: 'big', when: { minPastDueMinor: 1_000_000 }, path: 'big' },
    { id: 'early', when: { minDpd: 1, maxDpd: 30 }, path: 'early' },
    { id: 'rest', when: {}, path: 'late' },
  ]);

  it('takes the first segment whose conditions all hold', () => {
    expect(chooseTreatment(strategy, loan)).toEqual({
      segment: 'early',
      arm: 'champion',
      pathId: 'early',
      stages: [reminder, legal],
    });
    expect(chooseTreatment(strategy, { ...loan, pastDueMinor: 2_000_000 }).segment).toBe('big');
    expect(chooseTreatment(strategy, { ...loan, pastDueMinor: 2_000_000, riskScore: 800 }).segment).toBe('risky');
  });

  it('treats DPD and amount bounds as inclusive', () => {
    expect(chooseTreatment(strategy, { ...loan, dpd: 1 }).segment).toBe('early');
    expect(chooseTreatment(strategy, { ...loan, dpd: 30 }).segment).toBe('early');
    expect(chooseTreatment(strategy, { ...loan, dpd: 31 }).segment).toBe('rest');
    expect(chooseTreatment(strategy, { ...loan, dpd: 0 }).segment).toBe('rest');
    expect(chooseTreatment(strategy, { ...loan, pastDueMinor: 1_000_000 }).segment).toBe('big');
    expect(chooseTreatment(strategy, { ...loan, pastDueMinor: 999_999 }).segment).toBe('early');
  });

  it('does not match a risk condition when the lender sends no risk score', () => {
    expect(chooseTreatment(strategy, { ...loan, riskScore: undefined }).segment).toBe('early');
    expect(chooseTreatment(strategy, { ...loan, riskScore: 699 }).segment).toBe('early');
    expect(chooseTreatment(strategy, { ...loan, riskScore: 700 }).segment).toBe('risky');
  });

  it.each([
    [{ ...loan, dpd: -1 }, 'dpd must be a non-negative integer (got -1)'],
    [{ ...loan, dpd: 1.5 }, 'dpd must be a non-negative integer (got 1.5)'],
    [{ ...loan, pastDueMinor: Number.NaN }, 'pastDueMinor must be an integer count of minor units (got NaN)'],
    [{ ...loan, riskScore: Number.NaN }, 'riskScore must be a finite number when given (got NaN)'],
  ])('rejects impossible facts %j', (facts, message) => {
    expect(() => chooseTreatment(strategy, facts)).toThrow(message);
  });

  it('explains a strategy that skipped validation and has no segment for the loan', () => {
    const unvalidated = { ...strategy, segments: [{ id: 'early', when: { maxDpd: 30 }, path: 'early' }] };
    expect(() => chooseTreatment(unvalidated, { ...loan, dpd: 45 })).toThrow(
      'strategy "select-test" v1 has no segment for loan loan-1 (dpd 45)',
    );
  });
});

describe('champion/challenger split', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `loan-${String(i).padStart(6, '0')}`);

  it('hashes with FNV-1a 32-bit over UTF-8 bytes', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // Multi-byte characters hash as their UTF-8 bytes, like any other FNV-1a implementation.
    const bytesHash = (text: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193);
      return h >>> 0;
    };
    for (const text of ['贷款-123', 'prêt-é', 'loan-😀', '\u07ff\u0800']) expect(fnv1a32(text)).toBe(bytesHash(text));
  });

  it.each([10, 20, 50])('sends close to %d%% of 10,000 loans to the challenger', (percent) => {
    const strategy = strategyWith([
      { id: 'early', when: { maxDpd: 30 }, path: 'early', challenger: { path: 'gentle', percent } },
      { id: 'rest', when: {}, path: 'late' },
    ]);
    const challengers = ids.filter((loanId) => chooseTreatment(strategy, { ...loan, loanId }).arm === 'challenger');
    expect(Math.abs(challengers.length / ids.length - percent / 100)).toBeLessThan(0.015);
    for (const loanId of challengers.slice(0, 100)) {
      expect(chooseTreatment(strategy, { ...loan, loanId })).toMatchObject({ arm: 'challenger', pathId: 'gentle', segment: 'early' });
    }
  });

  it('spreads UUID-style loan ids evenly over the 100 buckets', () => {
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const hex = fnv1a32(`seed-${i}`).toString(16).padStart(8, '0');
      counts[experimentBucket(`${hex}-4b1d-8c2e-${hex}${i}`)]! += 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(60);
    expect(Math.max(...counts)).toBeLessThan(140);
  });

  it('keeps a loan in the same arm on every call, whatever its DPD within the segment', () => {
    const strategy = strategyWith([
      { id: 'early', when: { maxDpd: 30 }, path: 'early', challenger: { path: 'gentle', percent: 50 } },
      { id: 'rest', when: {}, path: 'late' },
    ]);
    for (const loanId of ids.slice(0, 500)) {
      const first = chooseTreatment(strategy, { ...loan, loanId, dpd: 1 }).arm;
      expect(chooseTreatment(strategy, { ...loan, loanId, dpd: 30 }).arm).toBe(first);
      expect(chooseTreatment(strategy, { ...loan, loanId, dpd: 1 }).arm).toBe(first);
      expect(first).toBe(experimentBucket(loanId) < 50 ? 'challenger' : 'champion');
    }
  });

  it.each([
    [0, 'champion'],
    [100, 'challenger'],
  ])('with percent %d sends every loan to the %s', (percent, arm) => {
    const strategy = strategyWith([
      { id: 'early', when: { maxDpd: 30 }, path: 'early', challenger: { path: 'gentle', percent } },
      { id: 'rest', when: {}, path: 'late' },
    ]);
    expect(ids.slice(0, 1_000).every((loanId) => chooseTreatment(strategy, { ...loan, loanId }).arm === arm)).toBe(true);
  });
});

function durations(strategy: Strategy): string[] {
  const out = [strategy.hardshipPause, ...(strategy.minMessageGap ? [strategy.minMessageGap] : [])];
  for (const stages of Object.values(strategy.paths)) {
    for (const stage of stages) {
      if (stage.kind === 'reminder') out.push(...stage.steps.map((s) => s.after), stage.waitAfterLast);
      if (stage.kind === 'call') out.push(stage.retryAfter, stage.outcomeTimeout);
      if (stage.kind === 'negotiation') out.push(stage.offerTimeout, stage.maxPromiseHorizon, stage.grace);
      if (stage.kind === 'legal') out.push(stage.waitingPeriod, ...(stage.outcomeTimeout ? [stage.outcomeTimeout] : []));
    }
  }
  return out;
}

describe('treatmentOfSegment', () => {
  it('finds again the treatment chooseTreatment gave a loan, from its segment id and loan id', () => {
    const fast = findDefaultStrategy('fast-test')!;
    const arms = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      for (const dpd of [5, 45, 75, 120]) {
        const chosen = chooseTreatment(fast, { loanId: `loan-${i}`, dpd, pastDueMinor: 100_00 });
        expect(treatmentOfSegment(fast, chosen.segment, `loan-${i}`)).toEqual(chosen);
        arms.add(chosen.arm);
      }
    }
    expect(arms).toEqual(new Set(['champion', 'challenger']));
    expect(treatmentOfSegment(fast, 'no-such-segment', 'loan-1')).toBeUndefined();
  });
});

describe('scaleStrategy', () => {
  it.each(defaultStrategies.map((s) => [s.id, s] as const))('scales every duration of %s and stays valid', (_id, strategy) => {
    const before = structuredClone(strategy);
    const scaled = scaleStrategy(strategy, 1 / 86_400);
    expect(strategy).toEqual(before);
    expect(parseStrategy(scaled)).toEqual(scaled);
    const original = durations(strategy).map(parseDuration);
    const now = durations(scaled).map(parseDuration);
    expect(now).toHaveLength(original.length);
    now.forEach((ms, i) => {
      const expected = original[i]! === 0 ? 0 : Math.max(1, Math.round(original[i]! / 86_400));
      expect(ms).toBe(expected);
    });
  });

  it('turns the cn strategy\'s days into seconds and leaves counts and segments alone', () => {
    const cn = findDefaultStrategy('cn-consumer')!;
    const scaled = scaleStrategy(cn, 1 / 86_400);
    expect(scaled.hardshipPause).toBe('PT30S');
    expect(scaled.minMessageGap).toBe('PT0.833S'); // 20 hours when a day is a second
    expect(scaled.paths.early![0]).toMatchObject({ kind: 'reminder', steps: [{ after: 'PT1S' }, { after: 'PT3S' }, { after: 'PT5S' }] });
    expect(scaled.paths.early![1]).toMatchObject({ kind: 'call', attempts: 10, retryAfter: 'PT1S' });
    expect(scaled.segments).toEqual(cn.segments);
    const rest = (s: typeof cn) => ({ ...s, paths: undefined, hardshipPause: undefined, minMessageGap: undefined });
    expect(rest(scaled)).toEqual(rest(cn));
  });

  it('rejects a factor that is not a positive number', () => {
    expect(() => scaleStrategy(defaultStrategies[0]!, 0)).toThrow('scale factor must be a positive finite number (got 0)');
  });
});
