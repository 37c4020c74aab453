// Input checks shared by the repository modules; each names the field it rejects.
import { ValidationError } from './errors';

export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${field} must be a non-empty string (got ${JSON.stringify(value)})`, field);
  }
  return value;
}

export function requireMinor(value: unknown, field: string, { positive = true } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (positive && value === 0)) {
    const want = positive ? 'a positive integer' : 'a non-negative integer';
    throw new ValidationError(`${field} must be ${want} in minor units (got ${String(value)})`, field);
  }
  return value;
}

export function requireCurrency(value: unknown, field = 'currency'): string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) {
    throw new ValidationError(`${field} must be an ISO 4217 code such as "USD" (got ${JSON.stringify(value)})`, field);
  }
  return value;
}

export function requireInstant(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`${field} must be a valid Date (got ${String(value)})`, field);
  }
  return value;
}

export function requireDate(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new ValidationError(`${field} must be a date 'YYYY-MM-DD' (got ${JSON.stringify(value)})`, field);
  }
  if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new ValidationError(`${field} ${value} is not a calendar date`, field);
  }
  return value;
}

export function requireTimeZone(value: unknown, field = 'timeZone'): string {
  const zone = requireText(value, field);
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ValidationError(`${field} must be an IANA time zone such as "Asia/Shanghai" (got ${JSON.stringify(zone)})`, field);
  }
  return zone;
}

export function requirePhone(value: unknown, field = 'phone'): string {
  if (typeof value !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(value)) {
    throw new ValidationError(`${field} must be E.164, e.g. "+8613800000000" (got ${JSON.stringify(value)})`, field);
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, words: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(words as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} must be one of ${words.join(', ')} (got ${JSON.stringify(value)})`, field);
  }
  return value as T;
}
