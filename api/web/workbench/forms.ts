// Reading the workbench's form fields into what the operations take: amounts typed in major units
// ("500.00") become integer minor units of the loan's currency, and a date in the borrower's calendar
// becomes the last minute of that local day. A value that cannot be read is a 422 naming the field.
import { localToInstant, parseLocalDate } from '../../../domain/compliance/local-time';
import { minorUnitExponent } from '../../../domain/money';
import { ApiError } from '../../errors';

/** "1234.5" in CNY → 123450. Refuses anything but a positive amount with at most the currency's decimals. */
export function parseMajorAmount(value: string | undefined, currency: string, field: string): number {
  const text = (value ?? '').trim().replace(/,/g, '');
  const exponent = minorUnitExponent(currency);
  const pattern = exponent === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${exponent}})?$`);
  const example = exponent === 0 ? '500' : `500.${'0'.repeat(exponent)}`;
  if (!pattern.test(text)) {
    throw new ApiError('validation_error', `amount must be a positive amount in ${currency}, e.g. ${example} (got ${JSON.stringify(value ?? '')})`, field);
  }
  const [whole, fraction = ''] = text.split('.');
  const minor = Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  if (!Number.isSafeInteger(minor) || minor <= 0) {
    throw new ApiError('validation_error', `amount must be a positive amount in ${currency}, e.g. ${example} (got ${JSON.stringify(value ?? '')})`, field);
  }
  return minor;
}

/** "2026-12-05" in the borrower's zone → the instant of 23:59 local that day (a promise "by" that date). */
export function dueAtOfLocalDate(value: string | undefined, timeZone: string, field: string): string {
  const text = (value ?? '').trim();
  let day: number;
  try {
    day = parseLocalDate(text, field);
  } catch {
    throw new ApiError('validation_error', `date must be a calendar date YYYY-MM-DD (got ${JSON.stringify(value ?? '')})`, field);
  }
  return new Date(localToInstant(day, (23 * 60 + 59) * 60_000, timeZone)).toISOString();
}
