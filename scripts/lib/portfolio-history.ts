// A synthetic lender's book with a past: borrowers with a hidden ability to pay (the same quantity that
// drives the demo's simulated borrowers, scripts/lib/borrower-sim.ts hiddenAbility), twelve monthly
// instalments each, and what happened when they fell behind: collection cases, reminders, calls, promises
// kept or broken, cures or hand-offs to legal. The backend's `riskScore` is an application-time score: it
// knows the ability only partly (correlation about 0.5), as a real bureau score would.
//
// Used to fit and evaluate the scorecard honestly (fit on one seed, evaluate on another: scripts/model-
// evidence.ts), to fill a database for the model CLI's integration test, and by the bench.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/client';
import {
  borrowers,
  collectionCases,
  contactAttempts,
  installments,
  loans as loansTable,
  paymentAllocations,
  payments,
  promisesToPay,
  type CallOutcome,
  type CaseOutcome,
  type Channel,
} from '../../db/schema';
import type { CaseRow, ContactRow, LoanHistory, PromiseRow } from '../../domain/scoring/features';
import { hiddenAbility, prng } from './borrower-sim';

const DAY_MS = 86_400_000;

export interface HistoricalLoan {
  loanId: string;
  /** The hidden ability to pay (standard normal); never a feature. */
  ability: number;
  /** The backend-supplied score, 300..850, higher = safer. */
  riskScore: number;
  history: LoanHistory;
  cases: CaseRow[];
  /** Per case (same order as `cases`), its promises and contacts, for writing the rows. */
  casePromises: PromiseRow[][];
  caseContacts: ContactRow[][];
}

export interface PortfolioOptions {
  loans: number;
  seed: number;
  /** The instant the book is looked at; default 2026-06-01. */
  asOf?: string;
  idPrefix?: string;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const iso = (ms: number) => new Date(ms).toISOString();
const date = (ms: number) => iso(ms).slice(0, 10);

/** A standard normal draw from a uniform source (Box-Muller). */
function normal(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const PRODUCTS = ['personal-12m', 'bnpl-12m', 'cash-12m'] as const;

export function generatePortfolio(options: PortfolioOptions): HistoricalLoan[] {
  const random = prng(options.seed * 7919 + 17);
  const asOf = Date.parse(options.asOf ?? '2026-06-01T00:00:00Z');
  const prefix = options.idPrefix ?? `H${options.seed}`;
  const result: HistoricalLoan[] = [];
  for (let n = 1; n <= options.loans; n += 1) {
    const loanId = `${prefix}-L${String(n).padStart(7, '0')}`;
    const ability = hiddenAbility(loanId, options.seed);
    const riskScore = Math.round(Math.min(850, Math.max(300, 600 + 90 * (0.5 * ability + Math.sqrt(0.75) * normal(random)))));
    const product = PRODUCTS[Math.floor(random() * PRODUCTS.length)]!;
    // Cash loans are taken by borrowers a little short of money: slightly worse repayment at equal ability.
    const productShift = product === 'cash-12m' ? -0.3 : 0;
    // Some borrowers hit a shock part-way through (job loss, illness): their payments get later from then on.
    const shockAt = random() < 0.25 ? 3 + Math.floor(random() * 9) : Number.POSITIVE_INFINITY;
    const amountDueMinor = (50 + Math.floor(random() * 450)) * 100;
    const openedAt = asOf - (90 + Math.floor(random() * 300)) * DAY_MS;
    const firstDue = openedAt + 30 * DAY_MS;
    const history: LoanHistory = {
      product,
      openedAt: iso(openedAt),
      principalMinor: amountDueMinor * 12,
      installments: [],
      allocations: [],
      payments: [],
      cases: [],
      promises: [],
      plans: [],
      contacts: [],
      disputes: [],
    };
    const casePromises: PromiseRow[][] = [];
    const caseContacts: ContactRow[][] = [];
    let defaulted = false;
    for (let seq = 1; seq <= 12; seq += 1) {
      const due = firstDue + (seq - 1) * 30 * DAY_MS;
      history.installments.push({ seq, dueDate: date(due), amountDueMinor });
      if (due >= asOf || defaulted) continue;
      const a = ability + productShift + (seq >= shockAt ? -1.2 : 0) + 0.3 * normal(random);
      const pay = (at: number, amountMinor: number) => {
        if (at > asOf) return;
        history.payments.push({ amountMinor, receivedAt: iso(at) });
        history.allocations.push({ installmentSeq: seq, amountMinor, receivedAt: iso(at) });
      };
      if (random() < sigmoid(1.4 + 1.3 * a)) {
        pay(due - Math.floor(random() * 5) * DAY_MS, amountDueMinor);
        continue;
      }
      // Late: a case opens the day after the due date.
      const opened = due + DAY_MS;
      if (opened > asOf) continue;
      const partial = random() < 0.3 ? Math.floor(amountDueMinor / 2) : 0;
      if (partial) pay(due, partial);
      const neverPays = random() < sigmoid(-2.2 - 1.6 * a);
      const lateDays = neverPays ? Number.POSITIVE_INFINITY : 2 + -Math.log(Math.max(1e-9, random())) * 14 * Math.exp(-0.7 * a);
      const paidAt = opened + lateDays * DAY_MS;
      const contacts: ContactRow[] = [];
      const promises: PromiseRow[] = [];
      const stillOpen = (at: number) => at < paidAt && at <= asOf;
      // Reminders on days 1, 4 and 8 while unpaid.
      for (const day of [0, 3, 7]) {
        const at = opened + day * DAY_MS + 9 * 3600_000;
        if (stillOpen(at)) contacts.push({ channel: day === 3 ? 'email' : 'sms', status: 'sent', connected: null, callOutcome: null, at: iso(at) });
      }
      // Calls from day 10, every 3 days, up to 5; a reached borrower promises, and keeps it if able.
      for (let call = 0; call < 5; call += 1) {
        const at = opened + (10 + 3 * call) * DAY_MS + 11 * 3600_000;
        if (!stillOpen(at)) break;
        const reached = random() < sigmoid(-0.2 + 0.9 * a);
        contacts.push({ channel: 'call', status: 'sent', connected: reached, callOutcome: reached ? 'promise_to_pay' : random() < 0.15 ? 'wrong_number' : 'no_answer', at: iso(at) });
        if (reached) {
          const resolvedAt = at + 5 * DAY_MS;
          const kept = paidAt <= resolvedAt;
          if (resolvedAt <= asOf) promises.push({ status: kept ? 'kept' : 'broken', createdAt: iso(at), resolvedAt: iso(resolvedAt) });
          else promises.push({ status: 'open', createdAt: iso(at), resolvedAt: null });
          break;
        }
      }
      let caseRow: CaseRow;
      if (paidAt <= asOf && paidAt <= opened + 75 * DAY_MS) {
        pay(paidAt, amountDueMinor - partial);
        caseRow = { openedAt: iso(opened), closedAt: iso(paidAt), outcome: 'cured' };
      } else if (opened + 75 * DAY_MS <= asOf) {
        // Nothing within 75 days: handed to legal, and the loan leaves the book's collection history.
        caseRow = { openedAt: iso(opened), closedAt: iso(opened + 75 * DAY_MS), outcome: 'handed_to_legal' };
        defaulted = true;
      } else {
        caseRow = { openedAt: iso(opened), closedAt: null, outcome: null };
      }
      history.cases.push(caseRow);
      history.contacts.push(...contacts);
      history.promises.push(...promises);
      casePromises.push(promises);
      caseContacts.push(contacts);
      if (caseRow.closedAt === null) break;
    }
    result.push({ loanId, ability, riskScore, history, cases: history.cases, casePromises, caseContacts });
  }
  return result;
}

/**
 * Writes a generated book into the database as the lender's own rows (fictional borrowers, no contact
 * details), so `overdue model fit` can learn from it.
 */
export async function writePortfolio(db: Database, loans: readonly HistoricalLoan[], options: { currency?: string } = {}): Promise<void> {
  const currency = options.currency ?? 'USD';
  for (let start = 0; start < loans.length; start += 200) {
    const batch = loans.slice(start, start + 200);
    await db.transaction(async (tx) => {
      await tx.insert(borrowers).values(batch.map((l) => ({ id: `${l.loanId}-B`, externalRef: `${l.loanId}-ext`, name: 'Synthetic Borrower', timeZone: 'UTC', locale: 'en' })));
      await tx.insert(loansTable).values(
        batch.map((l) => ({ id: l.loanId, borrowerId: `${l.loanId}-B`, product: l.history.product, currency, principalMinor: l.history.principalMinor, riskScore: l.riskScore, openedAt: new Date(l.history.openedAt) })),
      );
      await tx.insert(installments).values(
        batch.flatMap((l) => {
          const paid = new Map<number, number>();
          for (const a of l.history.allocations) paid.set(a.installmentSeq, (paid.get(a.installmentSeq) ?? 0) + a.amountMinor);
          return l.history.installments.map((i) => ({ loanId: l.loanId, seq: i.seq, dueDate: i.dueDate, amountDueMinor: i.amountDueMinor, amountPaidMinor: paid.get(i.seq) ?? 0 }));
        }),
      );
      const paymentRows = batch.flatMap((l) => l.history.allocations.map((a, n) => ({ id: `${l.loanId}-P${n + 1}`, loanId: l.loanId, amountMinor: a.amountMinor, currency, receivedAt: new Date(a.receivedAt) })));
      if (paymentRows.length) {
        await tx.insert(payments).values(paymentRows);
        await tx.insert(paymentAllocations).values(
          batch.flatMap((l) => l.history.allocations.map((a, n) => ({ paymentId: `${l.loanId}-P${n + 1}`, loanId: l.loanId, installmentSeq: a.installmentSeq, amountMinor: a.amountMinor }))),
        );
      }
      // Case ids are made here, so a batch's cases, promises and contacts go in three statements rather
      // than three per loan (the demo writes this book into embedded PGlite before its loans open).
      const caseRows: Array<typeof collectionCases.$inferInsert> = [];
      const promiseRows: Array<typeof promisesToPay.$inferInsert> = [];
      const contactRows: Array<typeof contactAttempts.$inferInsert> = [];
      for (const l of batch) {
        const ids = l.cases.map(() => randomUUID());
        l.cases.forEach((c, k) =>
          caseRows.push({
            id: ids[k]!,
            loanId: l.loanId,
            workflowId: `collection-${l.loanId}`,
            strategyId: 'history',
            strategyVersion: 1,
            openedAt: new Date(c.openedAt),
            closedAt: c.closedAt ? new Date(c.closedAt) : null,
            outcome: (c.outcome as CaseOutcome | null) ?? null,
          }),
        );
        l.casePromises.forEach((list, k) =>
          list.forEach((p, n) =>
            promiseRows.push({
              idempotencyKey: `${l.loanId}-c${k}-p${n}`,
              caseId: ids[k]!,
              loanId: l.loanId,
              amountMinor: l.history.installments[0]!.amountDueMinor,
              currency,
              promisedFor: p.createdAt.slice(0, 10),
              status: p.status,
              createdBy: 'collector:history',
              createdAt: new Date(p.createdAt),
              resolvedAt: p.resolvedAt ? new Date(p.resolvedAt) : null,
            }),
          ),
        );
        l.caseContacts.forEach((list, k) =>
          list.forEach((c, n) =>
            contactRows.push({
              idempotencyKey: `${l.loanId}-c${k}-m${n}`,
              caseId: ids[k]!,
              loanId: l.loanId,
              channel: c.channel as Channel,
              template: c.channel === 'call' ? 'call' : 'reminder-friendly',
              scheduledFor: new Date(c.at),
              sentAt: new Date(c.at),
              status: 'sent' as const,
              connected: c.connected,
              callOutcome: (c.callOutcome as CallOutcome | null) ?? null,
              createdAt: new Date(c.at),
            }),
          ),
        );
      }
      // At most 2,000 rows a statement: PostgreSQL takes at most 65,535 parameters in one.
      for (let at = 0; at < caseRows.length; at += 2000) await tx.insert(collectionCases).values(caseRows.slice(at, at + 2000));
      for (let at = 0; at < promiseRows.length; at += 2000) await tx.insert(promisesToPay).values(promiseRows.slice(at, at + 2000));
      for (let at = 0; at < contactRows.length; at += 2000) await tx.insert(contactAttempts).values(contactRows.slice(at, at + 2000));
    });
  }
}
