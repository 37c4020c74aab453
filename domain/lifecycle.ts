// A loan's collection lifecycle: whether a loan may get a new case, given how its last case closed and
// its instalments. Pure (no I/O): the API's start, the CLI and the repository's openCase call it, and the
// sweep query (db/repository/cases.ts) states the same rule in SQL; test/integration/lifecycle checks that
// the two agree. README "A loan's collection lifecycle" is the table a person reads.
import { businessDate, dayNumber } from './ledger';
import type { Outcome } from './vocabulary';

/**
 * Closing outcomes after which the sweep never opens another case on the loan: the lender decided
 * (settled, written off, cancelled, handed to legal) or the debt is not owed as claimed (dispute upheld).
 * A new case needs an explicit request with a reason, which is audited. One exception: a case closed
 * `settled` by a completed discounted plan (ClosedCaseFacts.settledByPlan) counts as a cure (endsCollection).
 */
export const TERMINAL_OUTCOMES = [
  'dispute_upheld',
  'stopped_bankruptcy',
  'stopped_deceased',
  'handed_to_legal',
  'written_off',
  'settled',
  'cancelled',
] as const satisfies readonly Outcome[];

/**
 * Terminal outcomes no request can reopen: collecting from a bankrupt borrower violates the automatic
 * stay (11 U.S.C. 362), and a deceased borrower's debt is a claim on the estate, not a collection case.
 */
export const BARRED_OUTCOMES = ['stopped_bankruptcy', 'stopped_deceased'] as const satisfies readonly Outcome[];

/**
 * Outcomes after which the loan may be collected again, once a new instalment lapses; so may a case
 * closed `settled` by a completed discounted plan (endsCollection).
 */
export const LAPSE_OUTCOMES = ['cured', 'paid'] as const satisfies readonly Outcome[];

export type TerminalOutcome = (typeof TERMINAL_OUTCOMES)[number];

export const isTerminal = (outcome: Outcome): outcome is TerminalOutcome => (TERMINAL_OUTCOMES as readonly Outcome[]).includes(outcome);
export const isBarred = (outcome: Outcome): boolean => (BARRED_OUTCOMES as readonly Outcome[]).includes(outcome);

export interface ClosedCaseFacts {
  outcome: Outcome;
  closedAt: Date | string;
  /**
   * Closed `settled` because a completed discounted plan's write-down cleared the arrears (contract 6),
   * not because the lender settled the loan: the discount forgave only what was past due, so the loan's
   * later instalments are still owed. Absent or false: any other close, a lender's `settled` included.
   */
  settledByPlan?: boolean;
}

/**
 * Whether the closed case ends collection until a reopen request (terminal). A settlement by a completed
 * discounted plan does not: like a cure, a new lapse after it opens a new case.
 */
export const endsCollection = (last: Pick<ClosedCaseFacts, 'outcome' | 'settledByPlan'>): boolean =>
  isTerminal(last.outcome) && !(last.outcome === 'settled' && last.settledByPlan === true);

export interface LifecycleInstallment {
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  amountDueMinor: number;
  amountPaidMinor: number;
  /** Written down by a completed discounted plan (domain/ledger); absent: 0. */
  amountWrittenDownMinor?: number;
}

export interface NewCaseQuestion {
  /** Business date 'YYYY-MM-DD' (UTC, like the sweep): an instalment due before it and unpaid is past due. */
  asOf: string;
  /** The loan's most recently closed case; null when it never had one. */
  lastClosedCase: ClosedCaseFacts | null;
  installments: readonly LifecycleInstallment[];
  /** The borrower's flags: either one bars collection whatever the loan's history. */
  borrower: { bankruptcy: boolean; deceased: boolean };
  /** An explicit backend or operator request with a reason to collect after a terminal outcome. */
  reopen?: boolean;
}

export type NewCaseDecision =
  | {
      allowed: true;
      /**
       * first_case: never collected; lapsed: an instalment fell past due after a cure, a payoff or a
       * settlement by a discounted plan; reopened: by request.
       */
      because: 'first_case' | 'lapsed' | 'reopened';
    }
  | {
      allowed: false;
      /**
       * barred: bankruptcy or death (borrower flag or closing outcome), nothing reopens it;
       * terminal: the last case's outcome ends collection unless reopened with a reason;
       * nothing_past_due: no instalment is past due;
       * no_new_lapse: cured, paid or settled by a discounted plan, and every past-due instalment fell due
       * before that close.
       */
      because: 'barred' | 'terminal' | 'nothing_past_due' | 'no_new_lapse';
      /** The outcome that decided, when the last closed case did. */
      outcome?: Outcome;
      /** Whether a request with a reason would be allowed. */
      reopenable: boolean;
    };

/** First day an instalment due on or after counts as a new lapse: the close's own (UTC) day, when it was not yet late. */
export const lapseSince = (closedAt: Date | string): string => businessDate(closedAt instanceof Date ? closedAt : new Date(closedAt));

/** Unpaid and due before `asOf` (late from the day after its due date, as in domain/ledger). */
const isPastDue = (i: LifecycleInstallment, asOf: string) => i.amountPaidMinor + (i.amountWrittenDownMinor ?? 0) < i.amountDueMinor && dayNumber(i.dueDate) < dayNumber(asOf);

/** Whether the loan may get a new case now. Checks run from the strongest bar to the weakest. */
export function mayOpenNewCase(q: NewCaseQuestion): NewCaseDecision {
  const last = q.lastClosedCase;
  if (q.borrower.bankruptcy || q.borrower.deceased) {
    return { allowed: false, because: 'barred', reopenable: false, ...(last && isBarred(last.outcome) ? { outcome: last.outcome } : {}) };
  }
  if (last && isBarred(last.outcome)) return { allowed: false, because: 'barred', outcome: last.outcome, reopenable: false };
  if (last && endsCollection(last) && !q.reopen) return { allowed: false, because: 'terminal', outcome: last.outcome, reopenable: true };

  const pastDue = q.installments.filter((i) => isPastDue(i, q.asOf));
  if (pastDue.length === 0) return { allowed: false, because: 'nothing_past_due', reopenable: false, ...(last ? { outcome: last.outcome } : {}) };
  if (!last) return { allowed: true, because: 'first_case' };
  if (endsCollection(last)) return { allowed: true, because: 'reopened' };

  // cured / paid / settled by a plan: only an instalment that was not yet late when the case closed is a new lapse.
  const since = dayNumber(lapseSince(last.closedAt));
  if (pastDue.some((i) => dayNumber(i.dueDate) >= since)) return { allowed: true, because: 'lapsed' };
  return { allowed: false, because: 'no_new_lapse', outcome: last.outcome, reopenable: false };
}

/**
 * Whether the loan's last closed case lets the repository open another case on the loan: the
 * database's own last line, for workflows started some other way than the API or the sweep. Ledger
 * questions (is anything past due) stay with the callers, which know the business date.
 */
export function closedCaseAllowsNewCase(last: Pick<ClosedCaseFacts, 'outcome' | 'settledByPlan'>, { reopenRequested }: { reopenRequested: boolean }): boolean {
  if (isBarred(last.outcome)) return false;
  return !endsCollection(last) || reopenRequested;
}

/** What a refusal means and what to do, for the API's 409 and the CLI. */
export function explainRefusal(loanId: string, decision: Extract<NewCaseDecision, { allowed: false }>, lastClosedAt?: Date | string): string {
  const closed = lastClosedAt ? ` on ${lapseSince(lastClosedAt)}` : '';
  switch (decision.because) {
    case 'barred':
      return decision.outcome
        ? `loan ${loanId}'s last case closed as ${decision.outcome}${closed}; collection may not start again, not even with a reason (bankruptcy and death bar collection)`
        : `the borrower of loan ${loanId} is marked bankrupt or deceased; collection may not start, not even with a reason`;
    case 'terminal':
      return `loan ${loanId}'s last case closed as ${decision.outcome}${closed}, which ends collection; to collect again anyway, start it with a reopen reason (API: "reopen": { "reason": … }; CLI: --reopen-reason), which is audited`;
    case 'nothing_past_due':
      return `loan ${loanId} has no instalment past due; collection starts when one falls past due`;
    case 'no_new_lapse': {
      // Only a plan's settlement gets here as `settled`: a lender's is terminal.
      const how = decision.outcome === 'settled' ? 'settled by a discounted plan' : `as ${decision.outcome}`;
      return `loan ${loanId}'s last case closed ${how}${closed} and no instalment due since then is past due; collection starts again when one is`;
    }
  }
}
