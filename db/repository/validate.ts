// Input checks shared by the repository modules; each names the field it rejects. The API answers
// their ValidationError with 422, so this is where a rule about a value is written, once.
import { ValidationError } from './errors';

/** Longest echo of a caller's value in an error message: enough to recognise it, never the whole input. */
const QUOTE_MAX = 60;

/** A caller's value as an error message quotes it: JSON, cut short with … when long. */
export function quote(value: unknown): string {
  const text = value instanceof Date ? (Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()) : (JSON.stringify(value) ?? String(value));
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text;
}

export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${field} must be a non-empty string (got ${quote(value)})`, field);
  }
  return value;
}

export function requireMinor(value: unknown, field: string, { positive = true } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (positive && value === 0)) {
    const want = positive ? 'a positive integer' : 'a non-negative integer';
    throw new ValidationError(`${field} must be ${want} in minor units (got ${quote(value)})`, field);
  }
  return value;
}

/** ISO 4217 codes (Node's ICU data): three capital letters alone would let "ZZZ" through. */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function requireCurrency(value: unknown, field = 'currency'): string {
  if (typeof value !== 'string' || !CURRENCIES.has(value)) {
    throw new ValidationError(`${field} must be an ISO 4217 code such as "USD" (got ${quote(value)})`, field);
  }
  return value;
}

export function requireInstant(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`${field} must be a valid Date (got ${quote(value)})`, field);
  }
  return value;
}

/** Earliest instant a loan's facts may carry: anything older is a typo (a year 1900), not a loan. */
export const EARLIEST_INSTANT = new Date('1970-01-01T00:00:00Z');
/** How far a caller's clock may run ahead of ours before "now" counts as the future. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * An instant that has already happened: not after now (give or take clock skew), and not before
 * `notBefore` (another fact, e.g. the loan's opening) or else 1970.
 */
export function requirePastInstant(value: unknown, field: string, notBefore?: { at: Date; what: string }): Date {
  const at = requireInstant(value, field);
  const earliest = notBefore?.at ?? EARLIEST_INSTANT;
  if (at < earliest) {
    throw new ValidationError(`${field} must not be before ${notBefore ? `${notBefore.what} (${earliest.toISOString()})` : earliest.toISOString()} (got ${quote(at)})`, field);
  }
  if (at.getTime() > Date.now() + CLOCK_SKEW_MS) throw new ValidationError(`${field} must not be in the future (got ${quote(at)})`, field);
  return at;
}

export function requireDate(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new ValidationError(`${field} must be a date 'YYYY-MM-DD' (got ${quote(value)})`, field);
  }
  if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new ValidationError(`${field} ${value} is not a calendar date`, field);
  }
  return value;
}

/** Longest loan term accepted: an instalment due further out is a typo (a year 9999), not a schedule. */
export const MAX_TERM_YEARS = 50;
const DAY_MS = 24 * 3600 * 1000;

/**
 * An instalment's due date: a calendar date within the loan's term. The earliest is the day before
 * openedAt's UTC date, because openedAt is an instant and the schedule's dates are local: that day of
 * slack accepts the opening day in every time zone.
 */
export function requireDueDate(value: unknown, field: string, openedAt: Date): string {
  const date = requireDate(value, field);
  const earliest = new Date(openedAt.getTime() - DAY_MS).toISOString().slice(0, 10);
  const latest = new Date(openedAt);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_TERM_YEARS);
  if (date < earliest) throw new ValidationError(`${field} ${date} is before the loan opened (${openedAt.toISOString()})`, field);
  if (date > latest.toISOString().slice(0, 10)) {
    throw new ValidationError(`${field} ${date} is more than ${MAX_TERM_YEARS} years after the loan opened (${openedAt.toISOString()})`, field);
  }
  return date;
}

export function requireTimeZone(value: unknown, field = 'timeZone'): string {
  const zone = requireText(value, field);
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ValidationError(`${field} must be an IANA time zone such as "Asia/Shanghai" (got ${quote(zone)})`, field);
  }
  return zone;
}

// One address a message can go to: a local part, one @, and a domain with at least one dot. Not the
// whole of RFC 5322 (quoted local parts are not accepted), but "not-an-email" and "a@b@c" are refused.
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\.]+(\.[^\s@"(),:;<>[\]\\.]+)+$/;

export function requireEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string' || !EMAIL.test(value)) {
    throw new ValidationError(`${field} must be one email address such as "name@example.com" (got ${quote(value)})`, field);
  }
  return value;
}

export function requirePhone(value: unknown, field = 'phone'): string {
  if (typeof value !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(value)) {
    throw new ValidationError(`${field} must be E.164, e.g. "+8613800000000" (got ${quote(value)})`, field);
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, words: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(words as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} must be one of ${words.join(', ')} (got ${quote(value)})`, field);
  }
  return value as T;
}
