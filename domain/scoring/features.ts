// Behavioural features of one loan at one instant, from the lender's own rows: its schedule and what was
// paid against it, earlier collection cases and how they ended, promises and plans, contact attempts and
// whom they reached, disputes, the loan's age and product. Pure: the rows come in, numbers go out; the
// database loader is db/repository/scoring.ts.
//
// Only facts about the loan and how it was repaid and collected. Nothing about the person: no name,
// sex, age, address, time zone, locale, phone or currency (those identify or stand in for protected
// characteristics: place of birth, nationality, ethnicity), and no borrower flags (vulnerability,
// bankruptcy, death) — those stop or change treatment by rule, never by score.
//
// Every row is read "as of" the instant given: a row that came later is invisible, so a model fitted on
// a case's features at its opening never sees what happened after (no leakage from the label).

/** One day in milliseconds. */
const DAY_MS = 86_400_000;

export interface ScheduleRow {
  seq: number;
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  amountDueMinor: number;
}

/** A payment's share allocated to one instalment, with when the payment was received. */
export interface AllocationRow {
  installmentSeq: number;
  amountMinor: number;
  /** ISO instant the payment was received. */
  receivedAt: string;
}

export interface PaymentRow {
  amountMinor: number;
  receivedAt: string;
}

export interface CaseRow {
  openedAt: string;
  closedAt: string | null;
  outcome: string | null;
}

export interface PromiseRow {
  status: 'open' | 'kept' | 'broken' | 'cancelled';
  createdAt: string;
  resolvedAt: string | null;
}

export interface PlanRow {
  status: 'active' | 'completed' | 'broken' | 'cancelled';
  createdAt: string;
  endedAt: string | null;
}

export interface ContactRow {
  channel: string;
  status: string;
  connected: boolean | null;
  callOutcome: string | null;
  /** When it was sent (or created, when never sent). */
  at: string;
}

export interface DisputeRow {
  openedAt: string;
  resolvedAt: string | null;
}

/** Everything the features read of one loan. */
export interface LoanHistory {
  product: string;
  openedAt: string;
  principalMinor: number;
  installments: ScheduleRow[];
  allocations: AllocationRow[];
  payments: PaymentRow[];
  cases: CaseRow[];
  promises: PromiseRow[];
  plans: PlanRow[];
  contacts: ContactRow[];
  disputes: DisputeRow[];
}

/**
 * The features, each documented where it is computed (README "Prediction" lists them too). Numbers are
 * counts, shares (0..1) or days; -1 marks "no data" where a share has no denominator, and binning keeps
 * that apart from zero.
 */
export interface Features {
  /** Days past due: from the oldest instalment unpaid at `asOf` to `asOf`. */
  dpd: number;
  /** Past-due amount over outstanding balance at `asOf`, 0..1. */
  pastDueShare: number;
  /** Share of instalments due before `asOf` that were paid in full by their due date; -1 with none due. */
  onTimeShare: number;
  /** Lateness trend in days: mean lateness of the last three due instalments minus that of the earlier ones. */
  latenessTrend: number;
  /** Instalments due before `asOf` left partly paid (something paid, not all) at their due date. */
  partialPayments: number;
  /** Share of the principal repaid by `asOf`, 0..1. */
  paidShare: number;
  /** Collection cases on this loan that closed before `asOf`. */
  priorCases: number;
  /** Of those, how many ended cured or paid. */
  priorCured: number;
  /** Promises to pay kept in the 90 days before `asOf`. */
  promisesKept90: number;
  /** Promises to pay broken in the 90 days before `asOf`. */
  promisesBroken90: number;
  /** Payment plans broken in the 365 days before `asOf`. */
  plansBroken365: number;
  /** Contact attempts (messages and calls, sent or not) in the 30 days before `asOf`. */
  contactAttempts30: number;
  /** Share of calls in the 90 days before `asOf` that reached the borrower (right-party contact); -1 without calls. */
  rightPartyRate90: number;
  /** Channel responsiveness: share of messages sent in the 180 days before `asOf` followed by a payment within 3 days; -1 without messages. */
  paysAfterMessage180: number;
  /** 1 when a dispute is open at `asOf`. */
  openDispute: number;
  /** Whole months from the loan's opening to `asOf`. */
  tenureMonths: number;
  /** The product code. */
  product: string;
}

export type NumericFeature = Exclude<keyof Features, 'product'>;

export const NUMERIC_FEATURES: readonly NumericFeature[] = [
  'dpd',
  'pastDueShare',
  'onTimeShare',
  'latenessTrend',
  'partialPayments',
  'paidShare',
  'priorCases',
  'priorCured',
  'promisesKept90',
  'promisesBroken90',
  'plansBroken365',
  'contactAttempts30',
  'rightPartyRate90',
  'paysAfterMessage180',
  'openDispute',
  'tenureMonths',
];

/** Call outcomes that mean the borrower was reached. */
const REACHED = new Set(['right_party_contact', 'promise_to_pay', 'refused', 'dispute_raised', 'hardship']);
const CURED = new Set(['cured', 'paid']);
const SENT = new Set(['sent', 'presumed_sent']);

const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`);
const round = (value: number, places = 4) => Math.round(value * 10 ** places) / 10 ** places;

/** The features of `loan` as they stood at `asOf` (an ISO instant); rows after it are ignored. */
export function extractFeatures(loan: LoanHistory, asOf: string): Features {
  const now = Date.parse(asOf);
  if (!Number.isFinite(now)) throw new RangeError(`asOf must be an ISO instant (got ${JSON.stringify(asOf)})`);
  const before = (at: string | null) => at !== null && Date.parse(at) <= now;
  const within = (at: string, days: number) => before(at) && now - Date.parse(at) < days * DAY_MS;
  const today = Math.floor(now / DAY_MS) * DAY_MS;

  const { schedule, dueBefore, unpaid, pastDue, outstanding } = scheduleAt(loan, now);
  const oldest = unpaid[0];

  // Lateness of an instalment in days: paid off late, or still unpaid (counted to `asOf`), capped at 90.
  const lateness = (i: (typeof schedule)[number]) => Math.min(90, Math.max(0, Math.floor(((i.paidOffAt ?? now) - i.due) / DAY_MS)));
  const recent = dueBefore.slice(-3);
  const earlier = dueBefore.slice(0, -3);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  const latenessTrend = earlier.length ? mean(recent.map(lateness)) - mean(earlier.map(lateness)) : 0;

  const paidTotal = loan.payments.filter((p) => before(p.receivedAt)).reduce((s, p) => s + p.amountMinor, 0);

  const closedCases = loan.cases.filter((c) => before(c.closedAt));
  const promises = loan.promises.filter((p) => before(p.resolvedAt) && within(p.resolvedAt!, 90));
  const contacts = loan.contacts.filter((c) => before(c.at));
  const calls90 = contacts.filter((c) => c.channel === 'call' && within(c.at, 90) && (c.callOutcome !== null || c.connected !== null));
  const messages180 = contacts.filter((c) => c.channel !== 'call' && c.channel !== 'visit' && SENT.has(c.status) && within(c.at, 180));
  const paymentTimes = loan.payments.filter((p) => before(p.receivedAt)).map((p) => Date.parse(p.receivedAt));
  const answered = messages180.filter((m) => {
    const sent = Date.parse(m.at);
    return paymentTimes.some((t) => t >= sent && t - sent <= 3 * DAY_MS);
  });

  const opened = Date.parse(loan.openedAt);
  return {
    dpd: oldest ? Math.round((today - oldest.due) / DAY_MS) : 0,
    pastDueShare: outstanding > 0 ? round(pastDue / outstanding) : 0,
    onTimeShare: dueBefore.length ? round(dueBefore.filter((i) => i.paidByDue >= i.amountDueMinor).length / dueBefore.length) : -1,
    latenessTrend: round(latenessTrend, 2),
    partialPayments: dueBefore.filter((i) => i.paidByDue > 0 && i.paidByDue < i.amountDueMinor).length,
    paidShare: loan.principalMinor > 0 ? round(Math.min(1, paidTotal / loan.principalMinor)) : 0,
    priorCases: closedCases.length,
    priorCured: closedCases.filter((c) => c.outcome !== null && CURED.has(c.outcome)).length,
    promisesKept90: promises.filter((p) => p.status === 'kept').length,
    promisesBroken90: promises.filter((p) => p.status === 'broken').length,
    plansBroken365: loan.plans.filter((p) => p.status === 'broken' && before(p.endedAt) && within(p.endedAt!, 365)).length,
    contactAttempts30: contacts.filter((c) => within(c.at, 30)).length,
    rightPartyRate90: calls90.length ? round(calls90.filter((c) => (c.callOutcome !== null ? REACHED.has(c.callOutcome) : c.connected === true)).length / calls90.length) : -1,
    paysAfterMessage180: messages180.length ? round(answered.length / messages180.length) : -1,
    openDispute: loan.disputes.some((d) => before(d.openedAt) && !before(d.resolvedAt)) ? 1 : 0,
    tenureMonths: Math.max(0, Math.floor((now - opened) / (30.4375 * DAY_MS))),
    product: loan.product,
  };
}

/** The schedule as it stood at `now`: what was paid against each instalment, and when it was paid off. */
function scheduleAt(loan: LoanHistory, now: number) {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const allocations = loan.allocations.filter((a) => Date.parse(a.receivedAt) <= now).sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
  const schedule = [...loan.installments].sort((a, b) => a.seq - b.seq).map((i) => {
    let paid = 0;
    let paidByDue = 0;
    let paidOffAt: number | undefined;
    const due = dayOf(i.dueDate);
    for (const a of allocations) {
      if (a.installmentSeq !== i.seq) continue;
      paid += a.amountMinor;
      // Paid on the due date (any time that day, UTC) counts as on time.
      if (Date.parse(a.receivedAt) < due + DAY_MS) paidByDue += a.amountMinor;
      if (paidOffAt === undefined && paid >= i.amountDueMinor) paidOffAt = Date.parse(a.receivedAt);
    }
    return { ...i, due, paid: Math.min(paid, i.amountDueMinor), paidByDue, paidOffAt };
  });
  const dueBefore = schedule.filter((i) => i.due < today);
  const unpaid = dueBefore.filter((i) => i.paid < i.amountDueMinor);
  const pastDue = unpaid.reduce((s, i) => s + i.amountDueMinor - i.paid, 0);
  const outstanding = schedule.reduce((s, i) => s + i.amountDueMinor - i.paid, 0);
  return { schedule, dueBefore, unpaid, pastDue, outstanding };
}

/** The past-due amount and outstanding balance at `asOf` (instalments due before that day, unpaid). */
export function balancesAt(loan: LoanHistory, asOf: string): { pastDueMinor: number; outstandingMinor: number } {
  const { pastDue, outstanding } = scheduleAt(loan, Date.parse(asOf));
  return { pastDueMinor: pastDue, outstandingMinor: outstanding };
}

/**
 * The label a scorecard learns: the case was cured (or the loan repaid) within `days` of opening. A case
 * still open `days` after it opened, or closed otherwise, is a 0; a case opened less than `days` before
 * `now` and still open has no label yet (undefined).
 */
export function curedWithin(c: CaseRow, days: number, now: string): 0 | 1 | undefined {
  const opened = Date.parse(c.openedAt);
  const horizon = opened + days * DAY_MS;
  if (c.closedAt !== null) {
    return c.outcome !== null && CURED.has(c.outcome) && Date.parse(c.closedAt) <= horizon ? 1 : 0;
  }
  return Date.parse(now) > horizon ? 0 : undefined;
}
