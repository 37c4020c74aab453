import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../../domain/strategy/types';
import { parseStrategy, StrategyValidationError, validateStrategy } from '../../../domain/strategy/validate';

// A small valid document; each case below breaks one thing in a fresh copy of it.
function validDoc(): Record<string, any> {
  return {
    id: 'test-strategy',
    version: 1,
    name: 'Test strategy',
    rulePack: 'sandbox',
    currency: 'CNY',
    hardshipPause: 'P30D',
    segments: [
      { id: 'early', when: { minDpd: 1, maxDpd: 30 }, path: 'standard', challenger: { path: 'gentle', percent: 10 } },
      { id: 'rest', when: {}, path: 'standard' },
    ],
    paths: {
      standard: [
        {
          kind: 'reminder',
          steps: [
            { after: 'P1D', from: 'dueDate', channel: 'sms', template: 'reminder-friendly' },
            { after: 'P2D', from: 'stageEntry', channel: 'email', template: 'reminder-second' },
          ],
          waitAfterLast: 'P2D',
        },
        { kind: 'call', attempts: 3, retryAfter: 'P1D', outcomeTimeout: 'PT8H' },
        { kind: 'negotiation', offerTimeout: 'P7D', maxPromiseHorizon: 'P14D', grace: 'P1D', maxPlanInstallments: 6 },
        {
          kind: 'legal',
          finalDemand: { channel: 'letter', template: 'final-demand' },
          waitingPeriod: 'P14D',
          afterHandOff: 'awaitOutcome',
          outcomeTimeout: 'P90D',
        },
      ],
      gentle: [
        {
          kind: 'reminder',
          steps: [{ after: 'PT0S', from: 'stageEntry', channel: 'sms', template: 'reminder-friendly' }],
          waitAfterLast: 'P1D',
        },
        { kind: 'legal', finalDemand: { channel: 'email', template: 'final-demand' }, waitingPeriod: 'P7D', afterHandOff: 'end' },
      ],
    },
  };
}

type Case = [description: string, breakIt: (doc: Record<string, any>) => unknown, field: string, message: string];

const cases: Case[] = [
  ['a document that is not an object', () => [], 'strategy', 'strategy must be an object (got an array)'],
  ['null', () => null, 'strategy', 'strategy must be an object (got null)'],
  ['an unknown top-level field', (d) => { d.owner = 'ops'; }, 'owner', 'owner is not a known field'],
  ['a missing id', (d) => { delete d.id; }, 'id', 'id must be an id of up to 64 letters'],
  ['an id with spaces', (d) => { d.id = 'my strategy'; }, 'id', '(got "my strategy")'],
  ['version 0', (d) => { d.version = 0; }, 'version', 'version must be a positive integer (got 0)'],
  ['a fractional version', (d) => { d.version = 1.5; }, 'version', 'version must be a positive integer (got 1.5)'],
  ['a version as a string', (d) => { d.version = '1'; }, 'version', 'version must be a positive integer (got "1")'],
  ['an empty name', (d) => { d.name = ' '; }, 'name', 'name must be a non-empty string'],
  ['a description that is not text', (d) => { d.description = 3; }, 'description', 'description must be a string (got 3)'],
  ['an unknown rule pack', (d) => { d.rulePack = 'us'; }, 'rulePack', 'rulePack must be one of cn, us-regf, uk-conc, sandbox (got "us")'],
  ['a lowercase currency', (d) => { d.currency = 'cny'; }, 'currency', 'currency must be an ISO 4217 code of 3 uppercase letters, e.g. "CNY" (got "cny")'],
  ['a four-letter currency', (d) => { d.currency = 'RMBY'; }, 'currency', '(got "RMBY")'],
  ['a missing hardship pause', (d) => { delete d.hardshipPause; }, 'hardshipPause', 'hardshipPause must be an ISO-8601 duration string such as "P3D" or "PT1.5S" (got nothing)'],
  ['a zero hardship pause', (d) => { d.hardshipPause = 'PT0S'; }, 'hardshipPause', 'hardshipPause must be longer than zero (got "PT0S")'],
  ['a hardship pause in months', (d) => { d.hardshipPause = 'P1M'; }, 'hardshipPause', 'years and months have no fixed length'],
  ['a message gap that is not a duration', (d) => { d.minMessageGap = 20; }, 'minMessageGap', 'minMessageGap must be an ISO-8601 duration string such as "P3D" or "PT1.5S" (got 20)'],
  ['a message gap in months', (d) => { d.minMessageGap = 'P1M'; }, 'minMessageGap', 'years and months have no fixed length'],
  ['a message gap longer than the history the gate reads', (d) => { d.minMessageGap = 'P8DT1S'; }, 'minMessageGap', 'minMessageGap must be at most P8D, the contact history the rule gate reads (got "P8DT1S")'],
  ['no segments', (d) => { d.segments = []; }, 'segments', 'segments must list at least one segment (got an empty list)'],
  ['segments as an object', (d) => { d.segments = {}; }, 'segments', 'segments must be a list of segments (got an object)'],
  ['a segment path that does not exist', (d) => { d.segments[0].path = 'standrd'; }, 'segments[0].path', 'segments[0].path names no path in paths (got "standrd"; paths are: standard, gentle)'],
  ['a challenger path that does not exist', (d) => { d.segments[0].challenger.path = 'soft'; }, 'segments[0].challenger.path', 'names no path in paths (got "soft"'],
  ['a challenger on the champion path', (d) => { d.segments[0].challenger.path = 'standard'; }, 'segments[0].challenger.path', 'must differ from the champion path'],
  ['a challenger percent above 100', (d) => { d.segments[0].challenger.percent = 101; }, 'segments[0].challenger.percent', 'segments[0].challenger.percent must be an integer from 0 to 100 (got 101)'],
  ['a fractional challenger percent', (d) => { d.segments[0].challenger.percent = 12.5; }, 'segments[0].challenger.percent', '(got 12.5)'],
  ['a negative challenger percent', (d) => { d.segments[0].challenger.percent = -1; }, 'segments[0].challenger.percent', '(got -1)'],
  ['a challenger without percent', (d) => { delete d.segments[0].challenger.percent; }, 'segments[0].challenger.percent', '(got nothing)'],
  ['a misspelt condition', (d) => { d.segments[0].when.minDPD = 1; }, 'segments[0].when.minDPD', 'segments[0].when.minDPD is not a known field'],
  ['a negative DPD bound', (d) => { d.segments[0].when.minDpd = -1; }, 'segments[0].when.minDpd', 'segments[0].when.minDpd must be a non-negative integer (got -1)'],
  ['a fractional amount bound', (d) => { d.segments[0].when.minPastDueMinor = 10.5; }, 'segments[0].when.minPastDueMinor', '(got 10.5)'],
  ['a risk bound that is not a number', (d) => { d.segments[0].when.maxRiskScore = 'high'; }, 'segments[0].when.maxRiskScore', 'must be a number (got "high")'],
  ['min above max', (d) => { d.segments[0].when = { minDpd: 31, maxDpd: 30 }; }, 'segments[0].when.minDpd', 'must not exceed maxDpd (got 31 > 30)'],
  ['a segment without when', (d) => { delete d.segments[0].when; }, 'segments[0].when', 'segments[0].when must be an object (got nothing)'],
  ['duplicate segment ids', (d) => { d.segments[1].id = 'early'; }, 'segments[1].id', 'duplicates segments[0].id'],
  ['a last segment with conditions', (d) => { d.segments[1].when = { minDpd: 31 }; }, 'segments[1].when', 'segments[1].when must be empty ({}): the last segment catches every loan'],
  ['a segment after the catch-all', (d) => { d.segments.unshift({ id: 'all', when: {}, path: 'gentle' }); }, 'segments[1]', 'segments[1] is never chosen: segments[0] before it has no conditions'],
  ['no paths', (d) => { d.paths = {}; }, 'paths', 'paths must name at least one path'],
  ['an empty path', (d) => { d.paths.gentle = []; }, 'paths.gentle', 'paths.gentle must list at least one stage (got an empty list)'],
  ['a path id with spaces', (d) => { d.paths['very gentle'] = d.paths.gentle; }, 'paths["very gentle"]', 'is not a valid path id'],
  ['an unknown stage kind', (d) => { d.paths.standard[0].kind = 'sms'; }, 'paths.standard[0].kind', 'paths.standard[0].kind must be one of reminder, call, negotiation, legal (got "sms")'],
  ['a stage that is not an object', (d) => { d.paths.standard[0] = 'reminder'; }, 'paths.standard[0].kind', '(got nothing)'],
  ['a field of another stage kind', (d) => { d.paths.standard[1].steps = []; }, 'paths.standard[1].steps', 'is not a known field (known: kind, attempts, retryAfter, outcomeTimeout, visit)'],
  ['a visit step without its notice', (d) => { d.paths.standard[1].visit = { afterUnansweredCalls: 2, outcomeTimeout: 'P2D' }; }, 'paths.standard[1].visit.notice', '(got nothing)'],
  ['a visit announced by call', (d) => { d.paths.standard[1].visit = { afterUnansweredCalls: 2, outcomeTimeout: 'P2D', notice: { channel: 'call', template: 'visit-notice' } }; }, 'paths.standard[1].visit.notice.channel', 'must be one of email, sms, letter (got "call")'],
  ['a reminder without steps', (d) => { d.paths.standard[0].steps = []; }, 'paths.standard[0].steps', 'paths.standard[0].steps must list at least one step'],
  ['a reminder step by call', (d) => { d.paths.standard[0].steps[1].channel = 'call'; }, 'paths.standard[0].steps[1].channel', 'must be one of email, sms, letter (got "call"); calls are a call stage'],
  ['a reminder step by push', (d) => { d.paths.standard[0].steps[0].channel = 'push'; }, 'paths.standard[0].steps[0].channel', '(got "push")'],
  ['a reminder step counted from an unknown point', (d) => { d.paths.standard[0].steps[0].from = 'due'; }, 'paths.standard[0].steps[0].from', 'must be one of dueDate, stageEntry (got "due")'],
  ['a reminder step offset in words', (d) => { d.paths.standard[0].steps[0].after = '1 day'; }, 'paths.standard[0].steps[0].after', 'paths.standard[0].steps[0].after must be ISO-8601'],
  ['a reminder step without a template', (d) => { delete d.paths.standard[0].steps[0].template; }, 'paths.standard[0].steps[0].template', '(got nothing)'],
  ['a reminder without waitAfterLast', (d) => { delete d.paths.standard[0].waitAfterLast; }, 'paths.standard[0].waitAfterLast', '(got nothing)'],
  ['zero call attempts', (d) => { d.paths.standard[1].attempts = 0; }, 'paths.standard[1].attempts', 'paths.standard[1].attempts must be a positive integer (got 0)'],
  ['a zero call outcome timeout', (d) => { d.paths.standard[1].outcomeTimeout = 'PT0S'; }, 'paths.standard[1].outcomeTimeout', 'must be longer than zero'],
  ['a retry spacing finer than a millisecond', (d) => { d.paths.standard[1].retryAfter = 'PT1.0001S'; }, 'paths.standard[1].retryAfter', 'at most 3 decimals'],
  ['zero plan instalments', (d) => { d.paths.standard[2].maxPlanInstallments = 0; }, 'paths.standard[2].maxPlanInstallments', 'must be a positive integer (got 0)'],
  ['a fractional smallest instalment', (d) => { d.paths.standard[2].minPlanInstallmentMinor = 99.5; }, 'paths.standard[2].minPlanInstallmentMinor', 'paths.standard[2].minPlanInstallmentMinor must be a non-negative integer (got 99.5)'],
  ['a negative smallest instalment', (d) => { d.paths.standard[2].minPlanInstallmentMinor = -100; }, 'paths.standard[2].minPlanInstallmentMinor', '(got -100)'],
  ['a smallest instalment as a string', (d) => { d.paths.standard[2].minPlanInstallmentMinor = '100.00'; }, 'paths.standard[2].minPlanInstallmentMinor', '(got "100.00")'],
  ['a discount above 100 percent', (d) => { d.paths.standard[2].maxPlanDiscountPercent = 120; }, 'paths.standard[2].maxPlanDiscountPercent', 'paths.standard[2].maxPlanDiscountPercent must be an integer from 0 to 100 (got 120)'],
  ['a negative discount', (d) => { d.paths.standard[2].maxPlanDiscountPercent = -5; }, 'paths.standard[2].maxPlanDiscountPercent', '(got -5)'],
  ['a discount as a fraction', (d) => { d.paths.standard[2].maxPlanDiscountPercent = 0.2; }, 'paths.standard[2].maxPlanDiscountPercent', '(got 0.2)'],
  ['a misspelt plan limit', (d) => { d.paths.standard[2].maxPlanDiscount = 20; }, 'paths.standard[2].maxPlanDiscount', 'is not a known field'],
  ['a zero offer timeout', (d) => { d.paths.standard[2].offerTimeout = 'P0D'; }, 'paths.standard[2].offerTimeout', 'must be longer than zero'],
  ['a negotiation without grace', (d) => { delete d.paths.standard[2].grace; }, 'paths.standard[2].grace', '(got nothing)'],
  ['an unknown afterHandOff', (d) => { d.paths.standard[3].afterHandOff = 'close'; }, 'paths.standard[3].afterHandOff', 'must be one of end, awaitOutcome (got "close")'],
  ['an outcome timeout on a hand-off that ends', (d) => { d.paths.standard[3].afterHandOff = 'end'; }, 'paths.standard[3].outcomeTimeout', 'only applies when afterHandOff is "awaitOutcome"'],
  ['a final demand by call', (d) => { d.paths.standard[3].finalDemand.channel = 'call'; }, 'paths.standard[3].finalDemand.channel', '(got "call"); calls are a call stage'],
  ['a legal stage without a final demand', (d) => { delete d.paths.standard[3].finalDemand; }, 'paths.standard[3].finalDemand', 'must be an object (got nothing)'],
  ['a stage after legal', (d) => { d.paths.gentle.push({ kind: 'call', attempts: 1, retryAfter: 'P1D', outcomeTimeout: 'P1D' }); }, 'paths.gentle[1].kind', 'legal must be the last stage of its path'],
];

describe('validateStrategy', () => {
  it('accepts the valid document', () => {
    const result = validateStrategy(validDoc());
    expect(result).toEqual({ ok: true, strategy: validDoc() });
  });

  it.each(cases)('rejects %s', (_description, breakIt, field, message) => {
    const doc = validDoc();
    const replaced = breakIt(doc);
    const result = validateStrategy(replaced === undefined ? doc : replaced);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const error = result.errors.find((e) => e.field === field);
    expect(error, JSON.stringify(result.errors)).toBeDefined();
    expect(error!.message).toContain(message);
    expect(error!.message.startsWith(field)).toBe(true);
  });

  it('reports every problem at once, in document order', () => {
    const doc = validDoc();
    doc.version = 0;
    doc.currency = 'usd';
    doc.paths.standard[1].attempts = -1;
    const result = validateStrategy(doc);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => e.field)).toEqual(['version', 'currency', 'paths.standard[1].attempts']);
    }
  });

  it('accepts a document with only a catch-all segment and a one-stage path', () => {
    const doc = validDoc();
    doc.segments = [{ id: 'all', when: {}, path: 'gentle' }];
    expect(validateStrategy(doc).ok).toBe(true);
  });

  it('accepts a message gap up to eight days, and a document without one (no gap)', () => {
    for (const gap of ['PT0S', 'PT0.5S', 'PT20H', 'P8D']) {
      const doc = validDoc();
      doc.minMessageGap = gap;
      expect(parseStrategy(doc).minMessageGap).toBe(gap);
    }
    expect(parseStrategy(validDoc()).minMessageGap).toBeUndefined();
  });

  it('accepts plan limits on a negotiation stage, and one without them (no floor, no discount)', () => {
    const doc = validDoc();
    Object.assign(doc.paths.standard[2], { minPlanInstallmentMinor: 10_000, maxPlanDiscountPercent: 20, planInstallmentEvery: 'P14D' });
    expect(parseStrategy(doc).paths.standard![2]).toMatchObject({ minPlanInstallmentMinor: 10_000, maxPlanDiscountPercent: 20 });
    for (const [floor, discount] of [[0, 0], [1, 100]]) {
      Object.assign(doc.paths.standard[2], { minPlanInstallmentMinor: floor, maxPlanDiscountPercent: discount });
      expect(validateStrategy(doc).ok).toBe(true);
    }
    const plain = parseStrategy(validDoc()).paths.standard![2]!;
    expect(plain).not.toHaveProperty('minPlanInstallmentMinor');
    expect(plain).not.toHaveProperty('maxPlanDiscountPercent');
  });

  it('accepts a zero-percent challenger (an experiment switched off)', () => {
    const doc = validDoc();
    doc.segments[0].challenger.percent = 0;
    expect(validateStrategy(doc).ok).toBe(true);
  });

  it('accepts a legal stage that awaits the outcome without a timeout', () => {
    const doc = validDoc();
    delete doc.paths.standard[3].outcomeTimeout;
    expect(validateStrategy(doc).ok).toBe(true);
  });

  it('drops the editor $schema key and copies the document', () => {
    const doc: Record<string, any> = { $schema: './strategy.schema.json', ...validDoc() };
    const result = validateStrategy(doc);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.strategy).not.toHaveProperty('$schema');
    doc.paths.standard[1].attempts = 99;
    expect((result.strategy.paths.standard![1] as { attempts: number }).attempts).toBe(3);
  });
});

describe('parseStrategy', () => {
  it('returns the typed strategy', () => {
    const strategy: Strategy = parseStrategy(validDoc());
    expect(strategy.segments.map((s) => s.id)).toEqual(['early', 'rest']);
  });

  it('throws a StrategyValidationError naming the first bad field', () => {
    const doc = validDoc();
    doc.paths.standard[1].attempts = 0;
    doc.paths.standard[2].maxPlanInstallments = 0;
    let thrown: unknown;
    try {
      parseStrategy(doc);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StrategyValidationError);
    const error = thrown as StrategyValidationError;
    expect(error.field).toBe('paths.standard[1].attempts');
    expect(error.errors).toHaveLength(2);
    expect(error.message).toBe(
      'invalid strategy "test-strategy": paths.standard[1].attempts must be a positive integer (got 0); ' +
        'and 1 more: paths.standard[2].maxPlanInstallments must be a positive integer (got 0)',
    );
  });

  it('throws for a document that is not an object', () => {
    expect(() => parseStrategy('cn-consumer')).toThrow('invalid strategy: strategy must be an object (got "cn-consumer")');
  });
});
