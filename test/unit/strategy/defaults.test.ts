import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import cnConsumer from '../../../strategies/cn-consumer.json';
import fastTest from '../../../strategies/fast-test.json';
import usConsumer from '../../../strategies/us-consumer.json';
import { defaultStrategies, findDefaultStrategy } from '../../../domain/strategy/defaults';
import { parseDuration } from '../../../domain/strategy/duration';
import { chooseTreatment } from '../../../domain/strategy/select';
import type { Stage, Strategy } from '../../../domain/strategy/types';
import { strategyJsonSchema, validateStrategy } from '../../../domain/strategy/validate';

const documents = { 'cn-consumer': cnConsumer, 'us-consumer': usConsumer, 'fast-test': fastTest } as Record<string, unknown>;

function allDurations(strategy: Strategy): number[] {
  const out = [strategy.hardshipPause];
  for (const stage of Object.values(strategy.paths).flat()) {
    if (stage.kind === 'reminder') out.push(...stage.steps.map((s) => s.after), stage.waitAfterLast);
    if (stage.kind === 'call') out.push(stage.retryAfter, stage.outcomeTimeout);
    if (stage.kind === 'negotiation') out.push(stage.offerTimeout, stage.maxPromiseHorizon, stage.grace);
    if (stage.kind === 'legal') out.push(stage.waitingPeriod, ...(stage.outcomeTimeout ? [stage.outcomeTimeout] : []));
  }
  return out.map(parseDuration);
}

const kinds = (stages: Stage[]) => stages.map((s) => s.kind);

describe('shipped strategies', () => {
  it('are cn-consumer and us-consumer at version 3 (the smallest plan instalment) and fast-test at version 2 (the message gap), each with a name', () => {
    expect(defaultStrategies.map((s) => [s.id, s.version])).toEqual([['cn-consumer', 3], ['us-consumer', 3], ['fast-test', 2]]);
    for (const s of defaultStrategies) expect(s.name.length).toBeGreaterThan(0);
    expect(findDefaultStrategy('us-consumer')?.rulePack).toBe('us-regf');
    expect(findDefaultStrategy('nope')).toBeUndefined();
  });

  it('state a message gap of hours for real borrowers and under a second for fast-test', () => {
    expect(findDefaultStrategy('cn-consumer')?.minMessageGap).toBe('PT20H');
    expect(findDefaultStrategy('us-consumer')?.minMessageGap).toBe('PT20H');
    // Less than the 1 s between fast-test's reminder steps, so its paths send what they always did.
    const fast = findDefaultStrategy('fast-test')!;
    expect(parseDuration(fast.minMessageGap!)).toBeLessThan(1000);
    for (const stages of Object.values(fast.paths)) {
      for (const stage of stages) {
        if (stage.kind !== 'reminder') continue;
        const offsets = stage.steps.map((s) => parseDuration(s.after));
        for (let i = 1; i < offsets.length; i += 1) expect(offsets[i]! - offsets[i - 1]!).toBeGreaterThan(parseDuration(fast.minMessageGap!));
      }
    }
  });

  it('ask for no plan instalment below CNY 100.00 or USD 25.00, in the strategy\'s currency, and offer no discount', () => {
    for (const [id, currency, smallest] of [['cn-consumer', 'CNY', 100_00], ['us-consumer', 'USD', 25_00]] as const) {
      const strategy = findDefaultStrategy(id)!;
      expect(strategy.currency).toBe(currency);
      const negotiations = Object.values(strategy.paths).flat().filter((s) => s.kind === 'negotiation');
      expect(negotiations.length).toBeGreaterThan(0);
      for (const stage of negotiations) expect(stage).toMatchObject({ minPlanInstallmentMinor: smallest });
      for (const stage of negotiations) expect(stage).not.toHaveProperty('maxPlanDiscountPercent');
    }
  });

  it.each(Object.entries(documents))('%s validates as shipped', (_id, doc) => {
    const result = validateStrategy(doc);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(defaultStrategies.map((s) => [s.id, s] as const))('%s uses every path it defines', (_id, strategy) => {
    const used = new Set(strategy.segments.flatMap((s) => [s.path, ...(s.challenger ? [s.challenger.path] : [])]));
    expect([...used].sort()).toEqual(Object.keys(strategy.paths).sort());
  });

  it('cn-consumer: CNY under the cn rule pack, early gets reminders before calls and a gentler challenger', () => {
    const cn = findDefaultStrategy('cn-consumer')!;
    expect([cn.rulePack, cn.currency]).toEqual(['cn', 'CNY']);
    const early = cn.segments[0]!;
    expect(early.when).toMatchObject({ maxDpd: 30 });
    expect(early.challenger).toBeDefined();
    const champion = cn.paths[early.path]!;
    const challenger = cn.paths[early.challenger!.path]!;
    expect(kinds(champion)).toEqual(['reminder', 'call', 'negotiation', 'legal']);
    const smsCount = (stages: Stage[]) =>
      stages.flatMap((s) => (s.kind === 'reminder' ? s.steps : [])).filter((step) => step.channel === 'sms').length;
    expect(smsCount(challenger)).toBe(smsCount(champion) + 1);
  });

  it('cn-consumer: 90+ DPD reaches the hand-off sooner than early arrears', () => {
    const cn = findDefaultStrategy('cn-consumer')!;
    const early = chooseTreatment(cn, { loanId: 'x', dpd: 5, pastDueMinor: 100_00 });
    const late = chooseTreatment(cn, { loanId: 'x', dpd: 120, pastDueMinor: 100_00 });
    expect(late.segment).toBe('late');
    const callAttempts = (stages: Stage[]) => stages.reduce((n, s) => n + (s.kind === 'call' ? s.attempts : 0), 0);
    const legalWait = (stages: Stage[]) => stages.reduce((n, s) => n + (s.kind === 'legal' ? parseDuration(s.waitingPeriod) : 0), 0);
    expect(callAttempts(late.stages)).toBeLessThan(callAttempts(early.stages));
    expect(legalWait(late.stages)).toBeLessThan(legalWait(early.stages));
  });

  it('us-consumer: email and SMS reminders, calls inside 7-in-7, legal awaits the outcome', () => {
    const us = findDefaultStrategy('us-consumer')!;
    expect([us.rulePack, us.currency]).toEqual(['us-regf', 'USD']);
    const stages = Object.values(us.paths).flat();
    const channels = new Set(stages.flatMap((s) => (s.kind === 'reminder' ? s.steps.map((step) => step.channel) : [])));
    expect(channels).toEqual(new Set(['email', 'sms']));
    for (const stage of stages) {
      if (stage.kind === 'call') {
        // Reg F 1006.14(b)(2): attempts in any 7 days = 1 + floor(6 days / spacing) must stay <= 7.
        const perWeek = Math.min(stage.attempts, 1 + Math.floor((6 * 86_400_000) / parseDuration(stage.retryAfter)));
        expect(perWeek).toBeLessThanOrEqual(7);
      }
      if (stage.kind === 'legal') expect(stage.afterHandOff).toBe('awaitOutcome');
    }
    for (const stages of Object.values(us.paths)) expect(kinds(stages)).toContain('negotiation');
  });

  it('fast-test: a sandbox strategy in CNY where no wait is longer than ten seconds', () => {
    const fast = findDefaultStrategy('fast-test')!;
    expect([fast.rulePack, fast.currency]).toEqual(['sandbox', 'CNY']);
    expect(Math.max(...allDurations(fast))).toBeLessThanOrEqual(10_000);
  });

  it('fast-test: DPD picks each path, including the full ladder and an awaited legal outcome', () => {
    const fast = findDefaultStrategy('fast-test')!;
    const at = (dpd: number, loanId = 'loan-1') => chooseTreatment(fast, { loanId, dpd, pastDueMinor: 100_00 });
    expect(kinds(at(5).stages)).toEqual(['reminder', 'call', 'negotiation', 'legal']);
    expect(at(75).stages).toEqual([expect.objectContaining({ kind: 'legal', afterHandOff: 'awaitOutcome' })]);
    expect(kinds(at(120).stages)).toEqual(['call', 'legal']);
    const arms = new Set(Array.from({ length: 20 }, (_, i) => at(45, `loan-${i}`).arm));
    expect(arms).toEqual(new Set(['champion', 'challenger']));
  });
});

describe('strategyJsonSchema', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const check = ajv.compile(strategyJsonSchema);

  it.each(Object.entries(documents))('accepts the shipped %s', (_id, doc) => {
    expect(check(doc), JSON.stringify(check.errors)).toBe(true);
  });

  it('accepts the negotiation plan limits the validator accepts', () => {
    const doc = structuredClone(fastTest) as any;
    Object.assign(doc.paths['full-ladder'][2], { planInstallmentEvery: 'PT2S', minPlanInstallmentMinor: 100_00, maxPlanDiscountPercent: 20 });
    expect(check(doc), JSON.stringify(check.errors)).toBe(true);
    expect(validateStrategy(doc).ok).toBe(true);
  });

  it.each([
    ['a bad rule pack', (d: any) => { d.rulePack = 'us'; }],
    ['a duration in months', (d: any) => { d.hardshipPause = 'P1M'; }],
    ['zero call attempts', (d: any) => { d.paths['full-ladder'][1].attempts = 0; }],
    ['a misspelt condition', (d: any) => { d.segments[0].when.minDPD = 1; }],
    ['a reminder step by call', (d: any) => { d.paths['full-ladder'][0].steps[0].channel = 'call'; }],
    ['a discount above 100 percent', (d: any) => { d.paths['full-ladder'][2].maxPlanDiscountPercent = 101; }],
    ['a fractional smallest instalment', (d: any) => { d.paths['full-ladder'][2].minPlanInstallmentMinor = 0.5; }],
  ])('rejects %s, as the validator does', (_description, breakIt) => {
    const doc = structuredClone(fastTest) as any;
    breakIt(doc);
    expect(check(doc)).toBe(false);
    expect(validateStrategy(doc).ok).toBe(false);
  });
});
