// Loan ledger arithmetic: what is owed, what is past due, how many days past due, and where a payment
// goes. Pure functions (no I/O): the repository, the activities and the tests all call these, so the
// rule is written once. Money is integer minor units; dates of due are calendar dates 'YYYY-MM-DD'.
//
// Definitions (shared/domain/collections.md):
// - an instalment is past due once its due date has passed unpaid: due on D, it is late from D+1;
// - past-due amount = unpaid part of the instalments past due (the whole outstanding after acceleration);
// - outstanding balance = unpaid part of all instalments, due or not;
// - days past due (DPD) = days from the oldest unpaid due date to the as-of date; 0 when nothing is late.

export interface LedgerInstallment {
  seq: number;
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  amountDueMinor: number;
  amountPaidMinor: number;
  /** Let go rather than paid (a completed discounted plan's write-down); absent: 0. */
  amountWrittenDownMinor?: number;
}

/** What is still owed on an instalment: due less paid less written down. */
export function unsettledMinor(i: LedgerInstallment): number {
  return i.amountDueMinor - i.amountPaidMinor - (i.amountWrittenDownMinor ?? 0);
}

export interface Allocation {
  seq: number;
  amountMinor: number;
}

export interface AllocationResult {
  allocations: Allocation[];
  /** Paid beyond the whole outstanding balance; kept as a credit on the payment, never lost. */
  unallocatedMinor: number;
}

export interface InstallmentPosition extends LedgerInstallment {
  unpaidMinor: number;
  /** Due date has passed (or the loan is accelerated) and something is unpaid. */
  pastDue: boolean;
}

export interface LedgerPosition {
  /** Instalments due and unpaid, plus fees: what collection asks for. */
  pastDueMinor: number;
  /** Everything still owed, including instalments not yet due. */
  outstandingMinor: number;
  dpd: number;
  /** Oldest unpaid due date among the past-due instalments, or null when nothing is late. */
  oldestUnpaidDueDate: string | null;
  installments: InstallmentPosition[];
}

export interface PositionOptions {
  /** 'YYYY-MM-DD' on or after which the whole outstanding balance is due (acceleration). */
  acceleratedOn?: string | null;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Throws unless `value` is a safe integer (money is never a float). */
export function assertMinor(value: number, field: string, { positive = false } = {}): void {
  if (!Number.isSafeInteger(value) || value < 0 || (positive && value === 0)) {
    const want = positive ? 'a positive integer' : 'a non-negative integer';
    throw new RangeError(`${field} must be ${want} in minor units (got ${value})`);
  }
}

/** Days since 1970-01-01 of a calendar date 'YYYY-MM-DD' (validates it). */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`date must be 'YYYY-MM-DD' (got ${JSON.stringify(date)})`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms).toISOString().slice(0, 10);
  if (back !== date) throw new RangeError(`date ${date} does not exist`);
  return ms / DAY_MS;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

export function addDays(date: string, days: number): string {
  return new Date((dayNumber(date) + days) * DAY_MS).toISOString().slice(0, 10);
}

/** Same day of month `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  dayNumber(date);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, lastDay));
  return first.toISOString().slice(0, 10);
}

/**
 * The calendar date of an instant in a time zone (default UTC): the lender's business date used as
 * the as-of date for due-date comparisons.
 */
export function businessDate(at: Date, timeZone = 'UTC'): string {
  if (timeZone === 'UTC') return at.toISOString().slice(0, 10);
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

function byDueDate(a: LedgerInstallment, b: LedgerInstallment): number {
  return a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.seq - b.seq;
}

function validate(installments: readonly LedgerInstallment[]): void {
  for (const i of installments) {
    dayNumber(i.dueDate);
    assertMinor(i.amountDueMinor, `installment ${i.seq} amountDueMinor`);
    assertMinor(i.amountPaidMinor, `installment ${i.seq} amountPaidMinor`);
    assertMinor(i.amountWrittenDownMinor ?? 0, `installment ${i.seq} amountWrittenDownMinor`);
    if (unsettledMinor(i) < 0) {
      throw new RangeError(
        `installment ${i.seq} amountPaidMinor (${i.amountPaidMinor}) and amountWrittenDownMinor (${i.amountWrittenDownMinor ?? 0}) exceed amountDueMinor (${i.amountDueMinor})`,
      );
    }
  }
}

/**
 * Splits a payment over the unpaid instalments, oldest due date first; what is left after an
 * instalment is fully paid goes to the next one, and anything beyond the whole balance is returned
 * as `unallocatedMinor`.
 */
export function allocatePayment(installments: readonly LedgerInstallment[], amountMinor: number): AllocationResult {
  assertMinor(amountMinor, 'payment amountMinor', { positive: true });
  validate(installments);
  let left = amountMinor;
  const allocations: Allocation[] = [];
  for (const i of [...installments].sort(byDueDate)) {
    if (left === 0) break;
    const unpaid = unsettledMinor(i);
    if (unpaid === 0) continue;
    const take = Math.min(unpaid, left);
    allocations.push({ seq: i.seq, amountMinor: take });
    left -= take;
  }
  return { allocations, unallocatedMinor: left };
}

/**
 * Where a write-down of `amountMinor` goes: the oldest unsettled instalments first, like a payment (so
 * it settles past-due instalments before any not yet due), never beyond what is owed.
 */
export function allocateWriteDown(installments: readonly LedgerInstallment[], amountMinor: number): Allocation[] {
  assertMinor(amountMinor, 'write-down amountMinor', { positive: true });
  return allocatePayment(installments, amountMinor).allocations;
}

/** Instalments after applying allocations (does not mutate the input). */
export function applyAllocations(
  installments: readonly LedgerInstallment[],
  allocations: readonly Allocation[],
): LedgerInstallment[] {
  const bySeq = new Map(allocations.map((a) => [a.seq, a.amountMinor]));
  return installments.map((i) => ({ ...i, amountPaidMinor: i.amountPaidMinor + (bySeq.get(i.seq) ?? 0) }));
}

/** Past-due amount, outstanding balance and DPD as of a calendar date 'YYYY-MM-DD'. */
export function loanPosition(
  installments: readonly LedgerInstallment[],
  asOf: string,
  options: PositionOptions = {},
): LedgerPosition {
  validate(installments);
  const asOfDay = dayNumber(asOf);
  const accelerated = options.acceleratedOn != null && dayNumber(options.acceleratedOn) <= asOfDay;
  let pastDueMinor = 0;
  let outstandingMinor = 0;
  let oldest: string | null = null;
  const rows: InstallmentPosition[] = [...installments].sort(byDueDate).map((i) => {
    const unpaidMinor = unsettledMinor(i);
    const late = unpaidMinor > 0 && dayNumber(i.dueDate) < asOfDay;
    const pastDue = unpaidMinor > 0 && (late || accelerated);
    outstandingMinor += unpaidMinor;
    if (pastDue) pastDueMinor += unpaidMinor;
    if (late && (oldest === null || i.dueDate < oldest)) oldest = i.dueDate;
    return { ...i, unpaidMinor, pastDue };
  });
  const dpd = oldest === null ? 0 : asOfDay - dayNumber(oldest);
  return { pastDueMinor, outstandingMinor, dpd, oldestUnpaidDueDate: oldest, installments: rows };
}

export function pastDueMinor(installments: readonly LedgerInstallment[], asOf: string, options?: PositionOptions) {
  return loanPosition(installments, asOf, options).pastDueMinor;
}

export function outstandingMinor(installments: readonly LedgerInstallment[]): number {
  validate(installments);
  return installments.reduce((sum, i) => sum + unsettledMinor(i), 0);
}

export function daysPastDue(installments: readonly LedgerInstallment[], asOf: string): number {
  return loanPosition(installments, asOf).dpd;
}

/** DPD bucket as lenders report it: 0 = current, then 1-30, 31-60, 61-90, 90+. */
export function dpdBucket(dpd: number): 'current' | '1-30' | '31-60' | '61-90' | '90+' {
  if (dpd <= 0) return 'current';
  if (dpd <= 30) return '1-30';
  if (dpd <= 60) return '31-60';
  if (dpd <= 90) return '61-90';
  return '90+';
}

/**
 * How a case closes on the ledger's word alone: `paid` when nothing at all is owed, `cured` when nothing
 * is past due (the loan is current again); undefined while collection still has something to ask for.
 * The workflow and the case activity both decide with this one function.
 */
export function closingOutcome(position: { pastDueMinor: number; outstandingMinor: number }): 'paid' | 'cured' | undefined {
  if (position.outstandingMinor <= 0) return 'paid';
  if (position.pastDueMinor <= 0) return 'cured';
  return undefined;
}
