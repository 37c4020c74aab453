// US Regulation F (12 CFR 1006) helpers that are dates, not contact gates: validation-notice timing and
// the time-barred debt predicate. Pure; local dates are "YYYY-MM-DD".
import { formatLocalDate, isoWeekday, localDay, parseInstant, parseLocalDate } from './local-time';

/** The borrower-local (or collector-local) calendar date of an instant. */
export function localDateOf(at: string, timeZone: string): string {
  return formatLocalDate(localDay(parseInstant(at, 'at'), timeZone));
}

/**
 * Last date the validation notice may be sent: Reg F 1006.34(a)(1): in the initial communication or within
 * 5 days after it.
 */
export function validationNoticeDueBy(initialCommunicationOn: string): string {
  return formatLocalDate(parseLocalDate(initialCommunicationOn, 'initialCommunicationOn') + 5);
}

/**
 * The date the consumer may be assumed to receive the validation information: Reg F 1006.34(b)(5): at least
 * 5 days after sending, excluding legal public holidays, Saturdays and Sundays.
 */
export function assumedReceiptDate(sentOn: string, holidays: readonly string[] = usLegalPublicHolidaysAround(sentOn)): string {
  const excluded = new Set(holidays.map((h) => parseLocalDate(h, 'holidays[]')));
  let day = parseLocalDate(sentOn, 'sentOn');
  for (let counted = 0; counted < 5; ) {
    day += 1;
    if (isoWeekday(day) <= 5 && !excluded.has(day)) counted += 1;
  }
  return formatLocalDate(day);
}

/** Last day of the validation period: Reg F 1006.34(b)(5): 30 days after (assumed) receipt. */
export function validationPeriodEnd(sentOn: string, holidays?: readonly string[]): string {
  const receipt = assumedReceiptDate(sentOn, holidays);
  return formatLocalDate(parseLocalDate(receipt, 'receipt') + 30);
}

/**
 * Legal public holidays of 5 U.S.C. 6103(a) (the list 1006.34(b)(5) refers to) for a year, each with its
 * observed weekday when it falls on a weekend (Saturday → Friday before, Sunday → Monday after). Both the
 * date and the observed date are listed: excluding more days only moves the assumed receipt later, which
 * never shortens the consumer's validation period.
 */
export function usLegalPublicHolidays(year: number): string[] {
  if (!Number.isInteger(year) || year < 1971 || year > 9999) {
    throw new RangeError(`year must be an integer from 1971 (got ${year})`);
  }
  const date = (month: number, day: number) => Math.round(Date.UTC(year, month - 1, day) / 86_400_000);
  /** nth (1-based) ISO weekday of a month; n = -1 for the last one. */
  const nth = (month: number, weekday: number, n: number) => {
    if (n > 0) {
      const first = date(month, 1);
      return first + ((weekday - isoWeekday(first) + 7) % 7) + (n - 1) * 7;
    }
    const last = date(month + 1, 1) - 1;
    return last - ((isoWeekday(last) - weekday + 7) % 7);
  };
  const fixed = [date(1, 1), date(7, 4), date(11, 11), date(12, 25)];
  if (year >= 2021) fixed.push(date(6, 19)); // Juneteenth, added 2021
  const floating = [
    nth(1, 1, 3), // Birthday of Martin Luther King, Jr.: third Monday of January
    nth(2, 1, 3), // Washington's Birthday: third Monday of February
    nth(5, 1, -1), // Memorial Day: last Monday of May
    nth(9, 1, 1), // Labor Day: first Monday of September
    nth(10, 1, 2), // Columbus Day: second Monday of October
    nth(11, 4, 4), // Thanksgiving Day: fourth Thursday of November
  ];
  const days = new Set<number>(floating);
  for (const d of fixed) {
    days.add(d);
    const wd = isoWeekday(d);
    if (wd === 6) days.add(d - 1);
    if (wd === 7) days.add(d + 1);
  }
  return [...days].sort((a, b) => a - b).map(formatLocalDate);
}

function usLegalPublicHolidaysAround(sentOn: string): string[] {
  const year = Number(sentOn.slice(0, 4));
  // The 5-day count can cross New Year (and New Year's Day observed on Dec 31).
  return [...usLegalPublicHolidays(year), ...usLegalPublicHolidays(year + 1)];
}

/** Reg F 1006.26(b): no suing or threatening to sue on time-barred debt. */
export function mayThreatenLegalAction({ timeBarred }: { timeBarred: boolean }): boolean {
  return !timeBarred;
}
