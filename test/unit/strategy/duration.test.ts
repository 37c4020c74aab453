import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, isDuration, parseDuration, scaleDuration } from '../../../domain/strategy/duration';
import { DURATION_PATTERN } from '../../../domain/strategy/vocabulary';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['P3D', 3 * DAY],
    ['PT4H', 4 * HOUR],
    ['PT30M', 30 * 60 * SECOND],
    ['PT2S', 2 * SECOND],
    ['PT1.5S', 1_500],
    ['PT0.001S', 1],
    ['PT0.25S', 250],
    ['P2W', 14 * DAY],
    ['P0W', 0],
    ['P1DT2H3M4.5S', DAY + 2 * HOUR + 3 * 60 * SECOND + 4_500],
    ['P1DT12H', DAY + 12 * HOUR],
    ['PT90M', 90 * 60 * SECOND],
    ['PT36H', 36 * HOUR],
    ['PT0S', 0],
    ['P0D', 0],
    ['P365D', 365 * DAY],
  ])('reads %s as %d ms', (iso, ms) => {
    expect(parseDuration(iso)).toBe(ms);
  });

  it.each([
    ['', 'must be ISO-8601'],
    ['P', 'must be ISO-8601'],
    ['PT', 'must be ISO-8601'],
    ['P1DT', 'must be ISO-8601'],
    ['P1Y', 'years and months have no fixed length'],
    ['P1M', 'years and months have no fixed length'],
    ['P1Y2M3D', 'years and months have no fixed length'],
    ['P1W2D', 'must be ISO-8601'],
    ['-P1D', 'must be ISO-8601'],
    ['p1d', 'must be ISO-8601'],
    ['P1d', 'must be ISO-8601'],
    ['PT1.5M', 'must be ISO-8601'],
    ['P1.5D', 'must be ISO-8601'],
    ['PT1,5S', 'must be ISO-8601'],
    ['PT.5S', 'must be ISO-8601'],
    ['PT1.S', 'must be ISO-8601'],
    ['PT1.0001S', 'at most 3 decimals'],
    [' P1D', 'must be ISO-8601'],
    ['P1D ', 'must be ISO-8601'],
    ['PT1S1M', 'must be ISO-8601'],
    ['3 days', 'must be ISO-8601'],
    ['86400', 'must be ISO-8601'],
    ['P999999999999999D', 'too long'],
  ])('rejects %j (%s)', (iso, message) => {
    expect(() => parseDuration(iso)).toThrow(message);
    expect(isDuration(iso)).toBe(false);
  });

  it('names what it got in the error', () => {
    expect(() => parseDuration('P1M')).toThrow('(got "P1M")');
  });

  it('rejects values that are not strings', () => {
    expect(() => parseDuration(86_400 as unknown as string)).toThrow('(got 86400)');
    expect(isDuration(undefined)).toBe(false);
  });

  it('agrees with the JSON Schema pattern published for editors', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    const samples = ['P3D', 'PT4H', 'PT1.5S', 'P2W', 'P1DT2H3M4.5S', 'PT0S', 'P0D', '', 'P', 'PT', 'P1DT', 'P1Y',
      'P1M', 'P1W2D', '-P1D', 'PT1.5M', 'PT1.0001S', 'PT1S1M', 'PT.5S', 'PT1.S', 'P1DT1M', 'PT10H0.5S'];
    for (const iso of samples) expect(pattern.test(iso), iso).toBe(isDuration(iso));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, 'PT0S'],
    [1, 'PT0.001S'],
    [10, 'PT0.01S'],
    [1_500, 'PT1.5S'],
    [1_010, 'PT1.01S'],
    [2 * SECOND, 'PT2S'],
    [90 * 60 * SECOND, 'PT1H30M'],
    [DAY, 'P1D'],
    [14 * DAY, 'P14D'],
    [DAY + 2 * HOUR + 3 * 60 * SECOND + 4_500, 'P1DT2H3M4.5S'],
    [DAY + 1, 'P1DT0.001S'],
  ])('writes %d ms as %s', (ms, iso) => {
    expect(formatDuration(ms)).toBe(iso);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('rejects %d ms', (ms) => {
    expect(() => formatDuration(ms)).toThrow('must be a non-negative integer');
  });

  it('round-trips every millisecond count through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 * 365 * DAY }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('scaleDuration', () => {
  const dayIsASecond = 1 / 86_400;

  it.each([
    ['P1D', dayIsASecond, 'PT1S'],
    ['P3D', dayIsASecond, 'PT3S'],
    ['P2W', dayIsASecond, 'PT14S'],
    ['PT12H', dayIsASecond, 'PT0.5S'],
    ['PT4H', dayIsASecond, 'PT0.167S'],
    ['PT1.5S', 2, 'PT3S'],
    ['PT1S', 1, 'PT1S'],
    ['PT0S', dayIsASecond, 'PT0S'],
  ])('scales %s by %d to %s', (iso, factor, expected) => {
    expect(scaleDuration(iso, factor)).toBe(expected);
  });

  it('keeps a non-zero wait at least one millisecond', () => {
    expect(scaleDuration('PT1S', dayIsASecond)).toBe('PT0.001S');
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the factor %d', (factor) => {
    expect(() => scaleDuration('P1D', factor)).toThrow('scale factor must be a positive finite number');
  });

  it('rejects a duration it cannot parse', () => {
    expect(() => scaleDuration('P1M', 2)).toThrow('years and months');
  });
});
