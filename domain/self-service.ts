// The borrower's self-service page (issue #16), the rules it applies on its own: which payment plans it
// offers and what a promised date means as an instant. Pure: no Temporal, database or network.
import { localDay, localToInstant, parseLocalDate, MS_PER_DAY } from './compliance/local-time';
import { parseDuration } from './strategy/duration';
import type { NegotiationStage } from './strategy/types';

/** Instalment spacing when the strategy does not say (negotiation.planInstallmentEvery). */
export const DEFAULT_PLAN_INSTALLMENT_EVERY = 'P30D';

export interface PlanOffer {
  /** Number of instalments, 2..maxPlanInstallments. */
  count: number;
  installments: Array<{ dueAt: string; amountMinor: number }>;
}

/**
 * The plans the page offers: the past-due amount split into 2..maxPlanInstallments equal instalments
 * (the remainder of the division on the first), the first one `every` from now and each next one `every`
 * later, none with an instalment below minPlanInstallmentMinor (pass it only when the loan is in the
 * strategy's currency). The workflow validates whichever the borrower takes against the same strategy terms.
 */
export function planOffers(pastDueMinor: number, terms: Pick<NegotiationStage, 'maxPlanInstallments' | 'planInstallmentEvery' | 'minPlanInstallmentMinor'>, nowMs: number): PlanOffer[] {
  if (!Number.isSafeInteger(pastDueMinor) || pastDueMinor <= 0) return [];
  const every = parseDuration(terms.planInstallmentEvery ?? DEFAULT_PLAN_INSTALLMENT_EVERY);
  const smallest = Math.max(1, terms.minPlanInstallmentMinor ?? 0);
  const offers: PlanOffer[] = [];
  for (let count = 2; count <= terms.maxPlanInstallments && count <= pastDueMinor; count += 1) {
    const base = Math.floor(pastDueMinor / count);
    // More instalments only make them smaller.
    if (base < smallest) break;
    const first = pastDueMinor - base * (count - 1);
    offers.push({
      count,
      installments: Array.from({ length: count }, (_, i) => ({
        dueAt: new Date(nowMs + (i + 1) * every).toISOString(),
        amountMinor: i === 0 ? first : base,
      })),
    });
  }
  return offers;
}

/**
 * A promised calendar date ('YYYY-MM-DD', the borrower's own) as the instant the workflow watches: the
 * last millisecond of that day in the borrower's zone. Throws RangeError naming `field` for a bad date.
 */
export function promisedDateToInstant(date: string, timeZone: string, field = 'date'): string {
  const day = parseLocalDate(date, field);
  return new Date(localToInstant(day + 1, 0, timeZone) - 1).toISOString();
}

/** Today's date in the borrower's zone, 'YYYY-MM-DD' (the earliest a promise form offers). */
export function localToday(nowMs: number, timeZone: string): string {
  return new Date(localDay(nowMs, timeZone) * MS_PER_DAY).toISOString().slice(0, 10);
}

/** A 'YYYY-MM-DDTHH:MM' local wall time (an <input type=datetime-local>) as a UTC instant. */
export function localDateTimeToInstant(value: string, timeZone: string, field = 'at'): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new RangeError(`${field} must be a local date and time YYYY-MM-DDTHH:MM (got ${JSON.stringify(value)})`);
  const day = parseLocalDate(m[1]!, field);
  const msOfDay = (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  if (Number(m[2]) > 23 || Number(m[3]) > 59) throw new RangeError(`${field} has no such time of day (got ${JSON.stringify(value)})`);
  return new Date(localToInstant(day, msOfDay, timeZone)).toISOString();
}
