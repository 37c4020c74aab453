import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMoney,
  assertAmountMinor,
  formatMoney,
  isCurrencyCode,
  minorUnitExponent,
  money,
  MoneyError,
  subtractMoney,
} from '../../../domain/money';

const NBSP = '\u00a0';

describe('formatMoney', () => {
  it.each([
    [123_456, 'CNY', 'zh-CN', '¥1,234.56'],
    [100, 'CNY', 'zh-CN', '¥1.00'],
    [-99, 'CNY', 'zh-CN', '-¥0.99'],
    [123_456, 'USD', 'en-US', '$1,234.56'],
    [5, 'USD', 'en-US', '$0.05'],
    [-5, 'USD', 'en-US', '-$0.05'],
    [0, 'USD', 'en-US', '$0.00'],
    [Number.MAX_SAFE_INTEGER, 'USD', 'en-US', '$90,071,992,547,409.91'],
    [123_456, 'JPY', 'ja-JP', '￥123,456'],
    [123_456, 'JPY', 'en-US', '¥123,456'],
    [1_234_567, 'KWD', 'en-US', `KWD${NBSP}1,234.567`],
    [1, 'KWD', 'en-US', `KWD${NBSP}0.001`],
    [123_456, 'EUR', 'de-DE', `1.234,56${NBSP}€`],
    [123_456, 'GBP', 'en-GB', '£1,234.56'],
  ])('formats %d %s in %s as %s', (amountMinor, currency, locale, expected) => {
    expect(formatMoney(amountMinor, currency, locale)).toBe(expected);
  });

  it('uses the locale numerals for the minor digits too', () => {
    const text = formatMoney(1_234_567, 'KWD', 'ar-KW');
    expect(text).toContain('١٬٢٣٤٫٥٦٧');
    expect(text).not.toMatch(/[0-9]/);
  });

  it('defaults to en-US', () => {
    expect(formatMoney(1_999, 'USD')).toBe('$19.99');
  });

  it('writes exactly the digits of the integer amount, with no float rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (amountMinor) => {
        const text = formatMoney(amountMinor, 'USD', 'en-US');
        const digits = String(Math.abs(amountMinor)).padStart(3, '0');
        expect(text.replace(/[^0-9]/g, '')).toBe(digits);
        expect(text.startsWith('-')).toBe(amountMinor < 0);
      }),
    );
  });

  it.each([
    [1.5, 'USD', 'amountMinor must be a safe integer (got 1.5)'],
    [100, 'usd', 'currency must be an ISO 4217 code of 3 uppercase letters, e.g. "CNY" (got "usd")'],
  ])('rejects %d %s', (amountMinor, currency, message) => {
    expect(() => formatMoney(amountMinor, currency)).toThrow(message);
  });
});

describe('minorUnitExponent', () => {
  it.each([
    ['JPY', 0],
    ['KRW', 0],
    ['CNY', 2],
    ['USD', 2],
    ['GBP', 2],
    ['EUR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['CLF', 4],
    ['PHP', 2],
  ])('%s has %d decimals', (currency, exponent) => {
    expect(minorUnitExponent(currency)).toBe(exponent);
  });
});

describe('assertAmountMinor', () => {
  it('accepts a positive safe integer', () => {
    expect(() => assertAmountMinor(500, 'payment amountMinor')).not.toThrow();
    expect(() => assertAmountMinor(Number.MAX_SAFE_INTEGER, 'payment amountMinor')).not.toThrow();
  });

  it.each([
    [-500, 'payment amountMinor must be a positive integer (got -500)'],
    [0, 'payment amountMinor must be a positive integer (got 0)'],
    [12.5, 'payment amountMinor must be a positive integer (got 12.5); amounts are counted in minor units (cents, fen), not decimals'],
    [Number.NaN, 'payment amountMinor must be a positive integer (got NaN)'],
    [Number.POSITIVE_INFINITY, 'payment amountMinor must be a positive integer (got Infinity)'],
    [2 ** 53, 'payment amountMinor must be a positive integer (got 9007199254740992); it is beyond 2^53 - 1 and cannot be counted exactly'],
    ['500', 'payment amountMinor must be a positive integer (got "500")'],
    [500n, 'payment amountMinor must be a positive integer (got 500n)'],
    [null, 'payment amountMinor must be a positive integer (got null)'],
    [undefined, 'payment amountMinor must be a positive integer (got undefined)'],
    [{ amountMinor: 500 }, 'payment amountMinor must be a positive integer (got an object)'],
  ])('rejects %s', (value, message) => {
    let thrown: unknown;
    try {
      assertAmountMinor(value, 'payment amountMinor');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MoneyError);
    expect((thrown as MoneyError).message).toBe(message);
    expect((thrown as MoneyError).field).toBe('payment amountMinor');
  });

  it('accepts zero when asked, and negatives when asked', () => {
    expect(() => assertAmountMinor(0, 'pastDue amountMinor', { allowZero: true })).not.toThrow();
    expect(() => assertAmountMinor(-1, 'pastDue amountMinor', { allowZero: true })).toThrow(
      'pastDue amountMinor must be a non-negative integer (got -1)',
    );
    expect(() => assertAmountMinor(-1, 'difference amountMinor', { allowNegative: true })).not.toThrow();
    expect(() => assertAmountMinor(-0.5, 'difference amountMinor', { allowNegative: true })).toThrow(
      'difference amountMinor must be a safe integer (got -0.5)',
    );
  });
});

describe('isCurrencyCode', () => {
  it.each([
    ['CNY', true],
    ['USD', true],
    ['cny', false],
    ['CN', false],
    ['CNYY', false],
    ['C1Y', false],
    [' CNY', false],
    [156, false],
  ])('%j is %s', (value, expected) => {
    expect(isCurrencyCode(value)).toBe(expected);
  });
});

describe('addMoney and subtractMoney', () => {
  it('adds and subtracts amounts of one currency', () => {
    expect(addMoney(money(1_050, 'CNY'), money(250, 'CNY'))).toEqual({ amountMinor: 1_300, currency: 'CNY' });
    expect(subtractMoney(money(1_050, 'CNY'), money(2_000, 'CNY'))).toEqual({ amountMinor: -950, currency: 'CNY' });
  });

  it('refuses to mix currencies', () => {
    expect(() => addMoney(money(100, 'CNY'), money(100, 'USD'))).toThrow('cannot add USD and CNY: amounts must share a currency');
    expect(() => subtractMoney(money(100, 'CNY'), money(100, 'USD'))).toThrow('cannot subtract USD and CNY');
  });

  it('refuses a result it could not count exactly', () => {
    expect(() => addMoney(money(Number.MAX_SAFE_INTEGER, 'USD'), money(1, 'USD'))).toThrow('amountMinor must be a safe integer');
  });

  it('checks the parts of a Money value', () => {
    expect(() => money(1.5, 'CNY')).toThrow('amountMinor must be a safe integer (got 1.5)');
    expect(() => money(1, 'yuan')).toThrow('currency must be an ISO 4217 code');
  });
});
