// Money is an integer count of the currency's minor unit (fen, cents, fils) plus an ISO 4217 code.
// Never a float: 0.1 + 0.2 is not 0.3, and a collections ledger must reconcile to the unit.
// Pure: used by the workflow sandbox, the activities and the API alike.

export interface Money {
  /** Integer count of minor units (a safe integer), e.g. 12345 = CNY 123.45. */
  amountMinor: number;
  /** ISO 4217 code, e.g. "CNY". */
  currency: string;
}

export class MoneyError extends Error {
  override name = 'MoneyError';
  constructor(
    message: string,
    /** The offending field, e.g. "payment amountMinor". */
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * ISO 4217 minor-unit exponents. Every active code not listed as 0, 3 or 4 uses 2, so the 2s below are
 * the common ones spelled out for the reader and unlisted well-formed codes default to 2.
 */
const MINOR_UNIT_EXPONENTS: Readonly<Record<string, number>> = {
  // 0: no minor unit in use
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // 2
  AUD: 2, CAD: 2, CHF: 2, CNY: 2, EUR: 2, GBP: 2, HKD: 2, INR: 2, MXN: 2, NZD: 2, SGD: 2, USD: 2,
  // 3: thousandths (fils, baisa, millimes)
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // 4: accounting units
  CLF: 4, UYW: 4,
};

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** True for a well-formed ISO 4217 code: exactly three uppercase ASCII letters. */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value);
}

export function assertCurrencyCode(value: unknown, field: string): asserts value is string {
  if (!isCurrencyCode(value)) {
    throw new MoneyError(
      `${field} must be an ISO 4217 code of 3 uppercase letters, e.g. "CNY" (got ${describe(value)})`,
      field,
    );
  }
}

/** Digits after the decimal point for `currency` (JPY 0, CNY 2, KWD 3). */
export function minorUnitExponent(currency: string): number {
  assertCurrencyCode(currency, 'currency');
  return MINOR_UNIT_EXPONENTS[currency] ?? 2;
}

export interface AmountRule {
  /** Accept 0 (e.g. a past-due amount after a cure). Default false: amounts must be positive. */
  allowZero?: boolean;
  /** Accept negative amounts (e.g. a balance difference). Implies allowZero. Default false. */
  allowNegative?: boolean;
}

/**
 * Throws unless `value` is a safe integer count of minor units, positive by default:
 * `payment amountMinor must be a positive integer (got -500)`.
 */
export function assertAmountMinor(value: unknown, field: string, rule: AmountRule = {}): asserts value is number {
  const expectation = rule.allowNegative
    ? 'a safe integer'
    : rule.allowZero
      ? 'a non-negative integer'
      : 'a positive integer';
  const ok =
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    (rule.allowNegative || value > 0 || (rule.allowZero === true && value === 0));
  if (!ok) {
    const hint =
      typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
        ? '; amounts are counted in minor units (cents, fen), not decimals'
        : typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)
          ? '; it is beyond 2^53 - 1 and cannot be counted exactly'
          : '';
    throw new MoneyError(`${field} must be ${expectation} (got ${describe(value)})${hint}`, field);
  }
}

/** A Money value, checked: a safe integer amount (zero or negative allowed) and a well-formed currency. */
export function money(amountMinor: number, currency: string): Money {
  assertAmountMinor(amountMinor, 'amountMinor', { allowNegative: true });
  assertCurrencyCode(currency, 'currency');
  return { amountMinor, currency };
}

function sameCurrency(a: Money, b: Money, operation: string): void {
  if (a.currency !== b.currency) {
    throw new MoneyError(`cannot ${operation} ${b.currency} and ${a.currency}: amounts must share a currency`, 'currency');
  }
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b, 'add');
  return money(a.amountMinor + b.amountMinor, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b, 'subtract');
  return money(a.amountMinor - b.amountMinor, a.currency);
}

/**
 * Intl formatters, built once per locale and currency: constructing one costs far more than formatting
 * with it, and the workflow formats the case's money into its current details at every step (#19). A
 * formatter's output depends only on its options, so sharing it changes no result (in the workflow
 * sandbox too). Bounded by the locales and currencies in use.
 */
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(key: string, build: () => Intl.NumberFormat): Intl.NumberFormat {
  let format = numberFormats.get(key);
  if (!format) {
    format = build();
    numberFormats.set(key, format);
  }
  return format;
}

/**
 * `amountMinor` as the locale writes money: formatMoney(123456, 'CNY', 'zh-CN') === '¥1,234.56'.
 * The digits come from integer division and remainder; Intl only supplies the locale's symbol,
 * separators and numerals, so no amount ever passes through a binary fraction.
 */
export function formatMoney(amountMinor: number, currency: string, locale = 'en-US'): string {
  assertAmountMinor(amountMinor, 'amountMinor', { allowNegative: true });
  const exponent = minorUnitExponent(currency);
  const unit = 10 ** exponent;
  const absolute = Math.abs(amountMinor);
  const major = Math.floor(absolute / unit); // exact: both are integers below 2^53
  const minor = absolute % unit;

  // -0 keeps the minus sign for amounts between -1 and 0 major units (e.g. -5 fen).
  const signedMajor = amountMinor < 0 ? -major : major;
  const parts = numberFormat(`${locale}|${currency}`, () => new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  })).formatToParts(signedMajor);
  if (exponent === 0) return parts.map((p) => p.value).join('');

  // The locale's own numerals for the minor digits (Arabic-Indic in ar-KW, for instance).
  const minorDigits = numberFormat(`${locale}|minor-${exponent}`, () => new Intl.NumberFormat(locale, {
    minimumIntegerDigits: exponent,
    useGrouping: false,
  })).format(minor);
  return parts.map((p) => (p.type === 'fraction' ? minorDigits : p.value)).join('');
}
