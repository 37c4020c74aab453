// What must hold after any interleaving, each invariant one named function over what a user or an
// auditor can observe: rows in PostgreSQL (contacts, tasks, cases, ledger, promises, plans, the audit
// trail), what reached the SMTP sink and the SMS endpoint, and the workflows' results and states.
//
// Three invariants read features that land with other parts of issue #12 and say so in their names'
// comments: the strategy's minimum message gap (messagesKeepTheMinimumGap), terminal outcomes that
// the sweep must not reopen (noCaseReopenedAfterTerminalOutcome) and promise/plan rows that follow
// the workflow (promiseAndPlanRowsFollowTheWorkflow).
import type { Client } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import { messageIdFor } from '../../channels/email';
import type { Database } from '../../db/client';
import {
  auditEvents,
  borrowers,
  collectionCases,
  collectorTasks,
  contactAttempts,
  disputes,
  installments,
  legalCases,
  loans,
  paymentAllocations,
  paymentPlans,
  payments,
  promisesToPay,
  strategies,
  type AuditEvent,
  type CollectionCase,
  type ContactAttempt,
  type CollectorTask,
} from '../../db/schema';
import { REOPEN_ACTION } from '../../db/repository/cases';
import { getLoanPosition } from '../../db/repository/ledger';
import { contactKindOf, passesCease, passesDispute } from '../../domain/compliance';
import { loanPosition } from '../../domain/ledger';
import { findDefaultStrategy } from '../../domain/strategy/defaults';
import { minMessageGapMs, parseDuration } from '../../domain/strategy/duration';
import * as m from '../../contracts/messages';
import { auditContacts } from '../../scripts/lib/compliance-audit';
import { checkLedger } from '../support/ledger-checks';
import type { WebhookCall } from '../support/webhook-sink';
import type { LoanRecord } from './driver';

/** A letter handed to the print-and-mail queue. */
export interface LetterCall {
  idempotencyKey: string;
  loanId: string;
  at: number;
}

export interface Violation {
  invariant: string;
  loanId?: string;
  detail: string;
}

/** Everything the invariants read, loaded once after a batch. */
export interface Observed {
  loanIds: string[];
  records: Map<string, LoanRecord>;
  paymentsMade: Map<string, { loanId: string; amountMinor: number }>;
  mail: ParsedMail[];
  sms: WebhookCall[];
  letters: LetterCall[];
  cases: CollectionCase[];
  contacts: ContactAttempt[];
  tasks: CollectorTask[];
  events: AuditEvent[];
  disputes: (typeof disputes.$inferSelect)[];
  payments: (typeof payments.$inferSelect)[];
  allocations: (typeof paymentAllocations.$inferSelect)[];
  installments: (typeof installments.$inferSelect)[];
  promises: (typeof promisesToPay.$inferSelect)[];
  plans: (typeof paymentPlans.$inferSelect)[];
  legal: (typeof legalCases.$inferSelect)[];
  borrowers: (typeof borrowers.$inferSelect)[];
  /** The last run of each loan's workflow: its status, and its result or state. */
  runs: Map<string, { status: string; result?: m.CollectionResult; state?: m.CollectionState; closedAt?: Date }>;
  /** Strategy documents by "id@version". */
  strategyDocs: Map<string, Record<string, unknown>>;
  /** Notes for the report (an invariant skipped, races tolerated). */
  notes: string[];
}

export async function observe(db: Database, client: Client, input: Pick<Observed, 'loanIds' | 'records' | 'paymentsMade' | 'mail' | 'sms' | 'letters'>): Promise<Observed> {
  const ids = input.loanIds;
  const byLoan = <T extends { loanId: unknown }>(table: T) => inArray(table.loanId as never, ids);
  const [cases, contacts, tasks, events, disputeRows, paymentRows, allocationRows, installmentRows, promiseRows, planRows, legalRows, loanRows] = await Promise.all([
    db.select().from(collectionCases).where(byLoan(collectionCases)),
    db.select().from(contactAttempts).where(byLoan(contactAttempts)),
    db.select().from(collectorTasks).where(byLoan(collectorTasks)),
    db.select().from(auditEvents).where(byLoan(auditEvents)),
    db.select().from(disputes).where(byLoan(disputes)),
    db.select().from(payments).where(byLoan(payments)),
    db.select().from(paymentAllocations).where(byLoan(paymentAllocations)),
    db.select().from(installments).where(byLoan(installments)),
    db.select().from(promisesToPay).where(byLoan(promisesToPay)),
    db.select().from(paymentPlans).where(byLoan(paymentPlans)),
    db.select().from(legalCases).where(byLoan(legalCases)),
    db.select().from(loans).where(inArray(loans.id, ids)),
  ]);
  const borrowerRows = await db.select().from(borrowers).where(inArray(borrowers.id, loanRows.map((l) => l.borrowerId)));
  const strategyDocs = new Map<string, Record<string, unknown>>();
  for (const c of cases) {
    const key = `${c.strategyId}@${c.strategyVersion}`;
    if (strategyDocs.has(key)) continue;
    const [row] = await db.select().from(strategies).where(and(eq(strategies.id, c.strategyId), eq(strategies.version, c.strategyVersion)));
    strategyDocs.set(key, (row?.document as Record<string, unknown> | undefined) ?? (findDefaultStrategy(c.strategyId) as unknown as Record<string, unknown>));
  }
  const runs: Observed['runs'] = new Map();
  for (const loanId of ids) {
    const handle = client.workflow.getHandle(m.workflowIdForLoan(loanId));
    const description = await handle.describe().catch(() => undefined);
    const status = description?.status.name ?? 'NOT_STARTED';
    if (status === 'COMPLETED') runs.set(loanId, { status, result: (await handle.result()) as m.CollectionResult, closedAt: description?.closeTime });
    else if (status === 'RUNNING') runs.set(loanId, { status, state: await settledState(db, handle, loanId) });
    else runs.set(loanId, { status });
  }
  return {
    ...input,
    cases,
    contacts,
    tasks,
    events: events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id),
    disputes: disputeRows,
    payments: paymentRows,
    allocations: allocationRows,
    installments: installmentRows,
    promises: promiseRows,
    plans: planRows,
    legal: legalRows,
    borrowers: borrowerRows,
    runs,
    strategyDocs,
    notes: [],
  };
}

/**
 * A running workflow's state once it has read the ledger after the last payment signal: the refresh is
 * an activity, so the state may lag the ledger briefly. Polled with a deadline; a balance that never
 * agrees is left for the invariant to report.
 */
async function settledState(db: Database, handle: ReturnType<Client['workflow']['getHandle']>, loanId: string): Promise<m.CollectionState | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [state, ledger] = await Promise.all([handle.query(m.getState).catch(() => undefined), getLoanPosition(db, loanId)]);
    const agrees = state && state.pastDueMinor === ledger.pastDueMinor && state.outstandingMinor === ledger.outstandingMinor;
    if (agrees || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 300));
  }
}

// ---- facts over time ----

/**
 * A fact and a contact decided within this long of each other are concurrent: `now()` in PostgreSQL is
 * the start of each transaction, and a fact's transaction may start before a claim's and commit after
 * the claim read. Such pairs are counted as races in the report, not as violations.
 */
export const CONCURRENT_MS = 200;

type Forbid = 'dispute' | 'cease' | 'bar' | 'pause' | 'opt-out';
interface Interval {
  fact: Forbid;
  from: number;
  to: number;
  /** Only this channel (opt-out). */
  channel?: string;
  /** Only while this case is open (workflow pauses belong to their case). */
  caseId?: string | null;
}

const ms = (d: Date) => d.getTime();
const detailOf = (e: AuditEvent) => (e.after ?? {}) as Record<string, unknown>;

/** When each forbidding fact held for a loan, from the disputes table, the borrower and the audit trail. */
export function forbiddingFacts(o: Observed, loanId: string): Interval[] {
  const events = o.events.filter((e) => e.loanId === loanId);
  const cases = o.cases.filter((c) => c.loanId === loanId);
  const caseEnd = (caseId: string | null) => {
    const c = cases.find((k) => k.id === caseId);
    return c?.closedAt ? ms(c.closedAt) : Infinity;
  };
  const out: Interval[] = [];
  const resolutions = [
    ...o.disputes.filter((d) => d.loanId === loanId && d.resolvedAt).map((d) => ms(d.resolvedAt!)),
    ...events.filter((e) => e.action === 'workflow.dispute_resolved').map((e) => ms(e.at)),
  ].sort((a, b) => a - b);
  for (const d of o.disputes.filter((r) => r.loanId === loanId)) {
    out.push({ fact: 'dispute', from: ms(d.openedAt), to: d.resolvedAt ? ms(d.resolvedAt) : Infinity });
  }
  for (const e of events) {
    const at = e.action === 'workflow.call_outcome' ? factInstantOfCallOutcome(o, e) : ms(e.at);
    const d = detailOf(e);
    switch (e.action) {
      case 'workflow.call_outcome':
        // A dispute raised on a call has no row: it holds until the next resolution on the loan.
        if (d.outcome === 'dispute_raised') out.push({ fact: 'dispute', from: at, to: resolutions.find((r) => r > at) ?? Infinity });
        if (d.outcome === 'hardship') {
          const hardship = o.strategyDocs.get(strategyKeyOf(cases.find((c) => c.id === e.caseId)))?.hardshipPause;
          if (typeof hardship === 'string') out.push({ fact: 'pause', from: at, to: Math.min(at + parseDuration(hardship), caseEnd(e.caseId)), caseId: e.caseId });
        }
        break;
      case 'borrower.cease':
        out.push({ fact: 'cease', from: at, to: Infinity });
        break;
      case 'borrower.opt_out':
        out.push({ fact: 'opt-out', from: at, to: Infinity, channel: String(d.channel) });
        break;
      case 'borrower.barred':
        out.push({ fact: 'bar', from: at, to: Infinity });
        break;
      case 'workflow.paused': {
        const resumed = events.find((r) => r.action === 'workflow.resumed' && r.caseId === e.caseId && ms(r.at) >= at);
        out.push({ fact: 'pause', from: at, to: Math.min(resumed ? ms(resumed.at) : Infinity, caseEnd(e.caseId)), caseId: e.caseId });
        break;
      }
      case 'workflow.hardship_pause': {
        const until = Date.parse(String(d.until ?? ''));
        if (!Number.isNaN(until)) out.push({ fact: 'pause', from: at, to: Math.min(until, caseEnd(e.caseId)), caseId: e.caseId });
        break;
      }
    }
  }
  return out;
}

/** How long after the workflow audits a call outcome the collector's task may be marked done. */
const OUTCOME_TO_TASK_MS = 10 * 60_000;

/**
 * A fact from a call outcome (dispute raised, hardship) starts just after the call it came from: the
 * workflow may audit the outcome before the collector's task is marked done, and the call must not be
 * judged by its own outcome (the same reading as the compliance report's).
 */
function factInstantOfCallOutcome(o: Observed, e: AuditEvent): number {
  const at = ms(e.at);
  const outcome = detailOf(e).outcome;
  const task = o.tasks.find((t) => t.caseId === e.caseId && t.outcome === outcome && t.completedAt && ms(t.completedAt) >= at && ms(t.completedAt) - at <= OUTCOME_TO_TASK_MS);
  return task ? ms(task.completedAt!) + 1 : at;
}

function strategyKeyOf(c: CollectionCase | undefined): string {
  return c ? `${c.strategyId}@${c.strategyVersion}` : '';
}

interface HumanOrMessage {
  loanId: string;
  caseId: string | null;
  what: string;
  channel: string;
  template?: string;
  /** The instant the system decided to make the contact (gate, claim, accepted outcome). */
  decidedAt: number;
}

function contactsOf(o: Observed): HumanOrMessage[] {
  const out: HumanOrMessage[] = [];
  for (const c of o.contacts) {
    if (c.status !== 'sent' && c.status !== 'presumed_sent') continue;
    // scheduledFor is the instant the send-time gate decided; the message left after it.
    out.push({ loanId: c.loanId, caseId: c.caseId, what: `${c.channel} ${c.template} sent ${c.sentAt?.toISOString() ?? '?'}`, channel: c.channel, template: c.template, decidedAt: ms(c.scheduledFor) });
  }
  for (const t of o.tasks) {
    if (t.claimedAt) out.push({ loanId: t.loanId, caseId: t.caseId, what: `task claim by ${t.claimedBy} at ${t.claimedAt.toISOString()}`, channel: 'call', decidedAt: ms(t.claimedAt) });
    if (t.status === 'done' && t.completedAt) out.push({ loanId: t.loanId, caseId: t.caseId, what: `call (${t.outcome}) at ${t.completedAt.toISOString()}`, channel: 'call', decidedAt: ms(t.completedAt) });
  }
  return out;
}

function forbids(i: Interval, c: HumanOrMessage): boolean {
  if (i.channel && i.channel !== c.channel) return false;
  if (i.caseId !== undefined && i.caseId !== c.caseId) return false;
  // What a dispute or a cease request lets through is the product's one classification (domain/compliance
  // kinds.ts), the same the planner, the gate and the compliance report read. A call is collection.
  const kind = c.template ? contactKindOf(c.template) : 'collection';
  if (i.fact === 'dispute' && passesDispute(kind)) return false;
  if (i.fact === 'cease' && passesCease(kind)) return false;
  return true;
}

// ---- the invariants ----

/** No message, call or task claim while a dispute, cease, bar, pause or opt-out forbids it. */
export function noContactWhileForbidden(o: Observed): Violation[] {
  const out: Violation[] = [];
  let races = 0;
  const facts = new Map(o.loanIds.map((id) => [id, forbiddingFacts(o, id)]));
  for (const c of contactsOf(o)) {
    for (const i of facts.get(c.loanId) ?? []) {
      if (!forbids(i, c) || c.decidedAt >= i.to || c.decidedAt < i.from) continue;
      if (c.decidedAt - i.from < CONCURRENT_MS) {
        races += 1;
        continue;
      }
      out.push({ invariant: 'noContactWhileForbidden', loanId: c.loanId, detail: `${c.what}: ${i.fact}${i.channel ? ` (${i.channel})` : ''} since ${new Date(i.from).toISOString()}` });
      break;
    }
  }
  if (races) o.notes.push(`noContactWhileForbidden: ${races} contact(s) decided within ${CONCURRENT_MS} ms of a fact, counted as concurrent`);
  return out;
}

/** Outcomes after which the sweep (or a plain start) must never open a new case on the loan. */
const TERMINAL = new Set(['dispute_upheld', 'stopped_bankruptcy', 'stopped_deceased', 'handed_to_legal', 'written_off', 'settled', 'cancelled']);
const NEVER_AGAIN = new Set(['stopped_bankruptcy', 'stopped_deceased']);

/**
 * No case reopened after a terminal outcome (issue #12, lifecycle). What decides is the loan's last case
 * closed before the new one opened (as domain/lifecycle reads it): after a terminal outcome a new case
 * needs an explicit, audited request naming that case, with a reason (collection.reopened); bankruptcy or
 * death, in any earlier case, refuse even that. After `cured` or `paid`, a new case needs an instalment
 * that fell past due after that close.
 */
export function noCaseReopenedAfterTerminalOutcome(o: Observed): Violation[] {
  const out: Violation[] = [];
  const v = (loanId: string, detail: string) => out.push({ invariant: 'noCaseReopenedAfterTerminalOutcome', loanId, detail });
  for (const loanId of o.loanIds) {
    const cases = o.cases.filter((c) => c.loanId === loanId).sort((a, b) => ms(a.openedAt) - ms(b.openedAt));
    for (const [n, c] of cases.entries()) {
      if (n === 0) continue;
      const opened = ms(c.openedAt);
      const earlier = cases.slice(0, n).filter((k) => k.closedAt && ms(k.closedAt) <= opened);
      const barred = earlier.find((k) => NEVER_AGAIN.has(k.outcome!));
      if (barred) {
        v(loanId, `case ${c.id} opened ${c.openedAt.toISOString()} after case ${barred.id} ended ${barred.outcome} at ${barred.closedAt!.toISOString()} (nothing reopens it)`);
        continue;
      }
      const last = earlier.at(-1);
      if (!last) continue;
      if (TERMINAL.has(last.outcome!)) {
        // The request names the case it reopens (db/repository/cases recordReopenRequest), with a reason.
        const request = o.events.find(
          (e) =>
            e.loanId === loanId &&
            e.action === REOPEN_ACTION &&
            (e.before as { caseId?: string } | null)?.caseId === last.id &&
            typeof detailOf(e).reason === 'string' &&
            ms(e.at) <= opened &&
            ms(e.at) >= ms(last.closedAt!),
        );
        if (!request) v(loanId, `case ${c.id} opened ${c.openedAt.toISOString()} after case ${last.id} ended ${last.outcome} at ${last.closedAt!.toISOString()} with no audited reopen request`);
        continue;
      }
      if (last.outcome === 'cured' || last.outcome === 'paid') {
        const fellDue = o.installments.some((i) => {
          const pastDueFrom = Date.parse(`${i.dueDate}T00:00:00Z`) + 86_400_000;
          return i.loanId === loanId && pastDueFrom > ms(last.closedAt!) && pastDueFrom <= opened;
        });
        if (!fellDue) v(loanId, `case ${c.id} opened after case ${last.id} was ${last.outcome} with no instalment falling past due since`);
      }
    }
  }
  return out;
}

/**
 * The strategy's minimum gap between two messages (Strategy.minMessageGap), read the way the workflow
 * reads it (domain/strategy/duration); undefined when the stored document states none.
 */
export function minimumMessageGapMs(doc: Record<string, unknown> | undefined): number | undefined {
  const gap = doc?.minMessageGap;
  return typeof gap === 'string' ? minMessageGapMs({ minMessageGap: gap }) : undefined;
}

/**
 * No two messages to one borrower closer than the strategy's minimum gap (issue #12, bursts), measured
 * as the rule gate measures it (common.message-gap): between the sent instants of the contact rows.
 */
export function messagesKeepTheMinimumGap(o: Observed): Violation[] {
  const out: Violation[] = [];
  const withoutGap = new Set<string>();
  let closest = Infinity;
  for (const loanId of o.loanIds) {
    const sent = o.contacts
      .filter((c) => c.loanId === loanId && c.channel !== 'call' && (c.status === 'sent' || c.status === 'presumed_sent') && c.sentAt)
      .sort((a, b) => ms(a.sentAt!) - ms(b.sentAt!));
    for (let n = 1; n < sent.length; n += 1) {
      const c = o.cases.find((k) => k.id === sent[n]!.caseId);
      const key = strategyKeyOf(c);
      const gap = minimumMessageGapMs(o.strategyDocs.get(key));
      const between = ms(sent[n]!.sentAt!) - ms(sent[n - 1]!.sentAt!);
      if (gap === undefined) {
        withoutGap.add(key);
        closest = Math.min(closest, between);
        continue;
      }
      if (between < gap) {
        out.push({ invariant: 'messagesKeepTheMinimumGap', loanId, detail: `${sent[n - 1]!.channel} ${sent[n - 1]!.template} then ${sent[n]!.channel} ${sent[n]!.template} ${between} ms apart (minimum ${gap} ms)` });
      }
    }
  }
  if (withoutGap.size) {
    o.notes.push(`messagesKeepTheMinimumGap: skipped for ${[...withoutGap].join(', ')} (the strategy states no minimum message gap); closest two messages to one borrower there: ${closest} ms`);
  }
  return out;
}

/** Every payment in the ledger once, allocations adding up, and the workflow's balance equal to the ledger's. */
export function paymentsInLedgerOnceAndBalancesAgree(o: Observed): Violation[] {
  const out: Violation[] = checkLedger({ loanIds: o.loanIds, paymentsMade: o.paymentsMade, payments: o.payments, allocations: o.allocations, installments: o.installments }).map((f) => ({
    invariant: 'paymentsInLedgerOnceAndBalancesAgree',
    loanId: f.loanId,
    detail: `${f.kind}: ${f.detail}`,
  }));
  for (const loanId of o.loanIds) {
    const run = o.runs.get(loanId);
    if (run?.state) {
      // Every payment was signalled before the checks: a running workflow has read them all.
      const now = ledgerAt(o, loanId, Infinity, new Date().toISOString().slice(0, 10));
      if (run.state.outstandingMinor !== now.outstandingMinor || run.state.pastDueMinor !== now.pastDueMinor) {
        out.push({ invariant: 'paymentsInLedgerOnceAndBalancesAgree', loanId, detail: `running workflow shows past due ${run.state.pastDueMinor}, outstanding ${run.state.outstandingMinor}; ledger ${now.pastDueMinor}, ${now.outstandingMinor}` });
      }
    }
    if (run?.result) {
      // A finished workflow's balance is the ledger's after some payment recorded before the workflow
      // ended (it re-reads the ledger on every payment signal until it completes, even after the case closed).
      const closedAt = run.closedAt ? ms(run.closedAt) : Infinity;
      const day = (run.closedAt ?? new Date()).toISOString().slice(0, 10);
      const instants = [0, ...o.payments.filter((p) => p.loanId === loanId && ms(p.createdAt) <= closedAt).map((p) => ms(p.createdAt))];
      const possible = instants.map((t) => ledgerAt(o, loanId, t, day).outstandingMinor);
      if (!possible.includes(run.result.outstandingMinor)) {
        out.push({ invariant: 'paymentsInLedgerOnceAndBalancesAgree', loanId, detail: `result outstanding ${run.result.outstandingMinor} is no ledger balance before the workflow ended (${[...new Set(possible)].join(', ')})` });
      }
    }
  }
  return out;
}

/** The loan's position from the ledger counting only payments recorded by `until` (ms), as of `day`. */
function ledgerAt(o: Observed, loanId: string, until: number, day: string) {
  const counted = new Set(o.payments.filter((p) => p.loanId === loanId && ms(p.createdAt) <= until).map((p) => p.id));
  const paid = new Map<number, number>();
  for (const a of o.allocations) if (a.loanId === loanId && counted.has(a.paymentId)) paid.set(a.installmentSeq, (paid.get(a.installmentSeq) ?? 0) + a.amountMinor);
  const rows = o.installments.filter((i) => i.loanId === loanId).map((i) => ({ seq: i.seq, dueDate: i.dueDate, amountDueMinor: i.amountDueMinor, amountPaidMinor: paid.get(i.seq) ?? 0 }));
  return loanPosition(rows, day);
}

/**
 * Promise and plan rows follow the workflow (issue #12): one row per accepted promise or plan; as many
 * broken rows as the workflow audited promise_broken/plan_broken; as many kept/completed rows as it
 * audited promise_kept/plan_completed, plus at most one settled when the case closed repaid (cured or
 * paid) under an offer still open; `cancelled` only for an offer still open when the case closed for
 * another reason; nothing left open or active once its case closed.
 */
export function promiseAndPlanRowsFollowTheWorkflow(o: Observed): Violation[] {
  const out: Violation[] = [];
  const v = (loanId: string, detail: string) => out.push({ invariant: 'promiseAndPlanRowsFollowTheWorkflow', loanId, detail });
  for (const c of o.cases) {
    const events = o.events.filter((e) => e.caseId === c.id);
    const count = (action: string) => events.filter((e) => e.action === `workflow.${action}`).length;
    const promises = o.promises.filter((p) => p.caseId === c.id);
    const plans = o.plans.filter((p) => p.caseId === c.id);
    const rows = (list: Array<{ status: string }>, status: string) => list.filter((p) => p.status === status).length;
    const compare = (what: string, rowCount: number, eventCount: number) => {
      if (rowCount !== eventCount) v(c.loanId, `case ${c.id}: ${rowCount} ${what} row(s), workflow audited ${eventCount}`);
    };
    // An offer still open when the case closed is settled by the close (workflows/collection.ts
    // settleOffersLeftOpen): kept/completed if the case closed repaid, cancelled otherwise.
    const repaid = c.outcome === 'cured' || c.outcome === 'paid';
    const closedOtherwise = c.closedAt !== null && !repaid;
    const settledOnClose = (what: string, rowCount: number, eventCount: number, allowed: boolean) => {
      const extra = rowCount - eventCount;
      if (extra < 0 || extra > (allowed ? 1 : 0)) v(c.loanId, `case ${c.id} (${c.outcome ?? 'open'}): ${rowCount} ${what} row(s), workflow audited ${eventCount}`);
    };
    compare('promise', promises.length, count('promise_to_pay'));
    settledOnClose('kept promise', rows(promises, 'kept'), count('promise_kept'), repaid);
    compare('broken promise', rows(promises, 'broken'), count('promise_broken'));
    settledOnClose('cancelled promise', rows(promises, 'cancelled'), 0, closedOtherwise);
    compare('plan', plans.length, count('payment_plan_agreed'));
    settledOnClose('completed plan', rows(plans, 'completed'), count('plan_completed'), repaid);
    compare('broken plan', rows(plans, 'broken'), count('plan_broken'));
    settledOnClose('cancelled plan', rows(plans, 'cancelled'), 0, closedOtherwise);
    if (c.closedAt) {
      if (rows(promises, 'open')) v(c.loanId, `case ${c.id} closed ${c.outcome} with ${rows(promises, 'open')} promise row(s) still open`);
      if (rows(plans, 'active')) v(c.loanId, `case ${c.id} closed ${c.outcome} with ${rows(plans, 'active')} plan row(s) still active`);
    }
  }
  return out;
}

/** How long after a case closed the lender's close request may be audited (api/operations closeByLender). */
const REQUEST_AUDIT_LAG_MS = 5_000;

/** Why a case may end with each outcome, from the record. */
function outcomeJustified(o: Observed, c: CollectionCase): string | undefined {
  const closedAt = ms(c.closedAt!);
  const before = (e: AuditEvent) => e.loanId === c.loanId && ms(e.at) <= closedAt;
  const day = c.closedAt!.toISOString().slice(0, 10);
  switch (c.outcome) {
    case 'cured':
      return ledgerAt(o, c.loanId, closedAt, day).pastDueMinor === 0 ? undefined : 'closed cured but the ledger had past-due money when it closed';
    case 'paid':
      if (o.events.some((e) => before(e) && /legal/.test(e.action) && detailOf(e).outcome === 'paid')) return undefined;
      return ledgerAt(o, c.loanId, closedAt, day).outstandingMinor === 0 ? undefined : 'closed paid but the ledger had an outstanding balance';
    case 'stopped_bankruptcy':
    case 'stopped_deceased': {
      const reason = c.outcome === 'stopped_bankruptcy' ? 'bankruptcy' : 'deceased';
      return o.events.some((e) => before(e) && e.action === 'borrower.barred' && detailOf(e).reason === reason) ? undefined : `closed ${c.outcome} with no ${reason} reported`;
    }
    case 'dispute_upheld':
      return o.disputes.some((d) => d.loanId === c.loanId && d.outcome === 'upheld' && d.resolvedAt && ms(d.resolvedAt) <= closedAt) ? undefined : 'closed dispute_upheld with no upheld dispute';
    case 'settled':
    case 'written_off':
    case 'cancelled':
      // closeByLender signals the workflow first and audits the request after, so the event may trail the close.
      return o.events.some((e) => e.loanId === c.loanId && ms(e.at) <= closedAt + REQUEST_AUDIT_LAG_MS && (e.action === 'collection.close_requested' || /legal/.test(e.action)) && detailOf(e).outcome === c.outcome)
        ? undefined
        : `closed ${c.outcome} with no such request from the lender or the legal team`;
    case 'handed_to_legal':
      return o.legal.some((l) => l.caseId === c.id) ? undefined : 'closed handed_to_legal with no legal case';
    default:
      return `unknown outcome ${c.outcome}`;
  }
}

/**
 * Every loan ends where its script says, or is legitimately still waiting: each closed case's outcome
 * follows from the record, the outcome the workflow showed the script is the one the database kept,
 * and a workflow still running is paused (an open dispute or an operator pause nobody lifted).
 */
export function endsWhereTheScriptSays(o: Observed): Violation[] {
  const out: Violation[] = [];
  const v = (loanId: string, detail: string) => out.push({ invariant: 'endsWhereTheScriptSays', loanId, detail });
  for (const loanId of o.loanIds) {
    const run = o.runs.get(loanId);
    if (!run || run.status === 'NOT_STARTED') {
      v(loanId, 'collection never started');
      continue;
    }
    if (run.status === 'RUNNING' && !(run.state?.pauses.includes('disputed') || run.state?.pauses.includes('paused'))) {
      v(loanId, `still running and not paused: waiting for ${run.state?.waitingFor ?? '?'} until ${run.state?.nextAction?.at ?? '?'}`);
    }
    if (run.status !== 'RUNNING' && run.status !== 'COMPLETED') v(loanId, `workflow ${run.status}`);
    for (const c of o.cases.filter((k) => k.loanId === loanId && k.closedAt)) {
      const why = outcomeJustified(o, c);
      if (why) v(loanId, `case ${c.id}: ${why}`);
    }
    for (const [caseId, outcome] of o.records.get(loanId)?.observedOutcomes ?? []) {
      const c = o.cases.find((k) => k.id === caseId);
      if (c?.outcome !== outcome) v(loanId, `the workflow showed outcome ${outcome} for case ${caseId}; the database says ${c?.outcome ?? 'open'}`);
    }
    if (run.result) {
      const c = o.cases.find((k) => k.id === run.result!.caseId);
      if (c?.outcome !== run.result.outcome) v(loanId, `workflow result ${run.result.outcome}, case row ${c?.outcome ?? 'open'}`);
    }
  }
  return out;
}

/**
 * For a case a payment closed (cured or paid): when the API answered the first payment accepted at or
 * after the case's closedAt, an upper bound on when that payment's transaction, and so the close,
 * committed; otherwise the closedAt itself.
 */
function paymentCommittedBy(o: Observed, kase: CollectionCase): number {
  const closedAt = ms(kase.closedAt!);
  if (kase.outcome !== 'cured' && kase.outcome !== 'paid') return closedAt;
  const answered = (o.records.get(kase.loanId)?.actions ?? [])
    .filter((a) => a.kind.startsWith('pay') && a.result === 'accepted' && Date.parse(a.at) >= closedAt)
    .map((a) => Date.parse(a.at));
  return answered.length ? Math.min(...answered) : closedAt;
}

/** What reached the SMTP sink, the SMS endpoint and the letter queue is what the contact record says, once each. */
export function deliveriesMatchTheContactRecord(o: Observed): Violation[] {
  const out: Violation[] = [];
  const v = (detail: string, loanId?: string) => out.push({ invariant: 'deliveriesMatchTheContactRecord', loanId, detail });
  const inFlight: string[] = [];
  const ours = new Set(o.loanIds);
  const byMessageId = new Map(o.contacts.filter((c) => c.channel === 'email').map((c) => [messageIdFor(c.idempotencyKey), c]));
  const byKey = new Map(o.contacts.map((c) => [c.idempotencyKey, c]));
  const seen = new Map<string, number>();
  for (const mail of o.mail) seen.set(`email:${mail.messageId}`, (seen.get(`email:${mail.messageId}`) ?? 0) + 1);
  for (const call of o.sms) seen.set(`sms:${call.idempotencyKey}`, (seen.get(`sms:${call.idempotencyKey}`) ?? 0) + 1);
  for (const letter of o.letters) seen.set(`letter:${letter.idempotencyKey}`, (seen.get(`letter:${letter.idempotencyKey}`) ?? 0) + 1);
  for (const [key, n] of seen) {
    const [channel, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const row = channel === 'email' ? byMessageId.get(id) : byKey.get(id);
    if (!row) {
      v(`${key} delivered with no contact record`);
      continue;
    }
    if (!ours.has(row.loanId)) continue;
    if (n > 1) v(`${key} delivered ${n} times`, row.loanId);
    if (row.status !== 'sent' && row.status !== 'presumed_sent') v(`${key} delivered but recorded ${row.status}`, row.loanId);
  }
  for (const c of o.contacts) {
    const delivered = seen.has(c.channel === 'email' ? `email:${messageIdFor(c.idempotencyKey)}` : `${c.channel}:${c.idempotencyKey}`);
    if (c.status === 'sent' && !delivered) v(`${c.channel} ${c.idempotencyKey} recorded sent but never reached its provider`, c.loanId);
    const kase = o.cases.find((k) => k.id === c.caseId);
    if ((c.status === 'sent' || c.status === 'presumed_sent') && c.sentAt && kase?.closedAt && ms(c.sentAt) > ms(kase.closedAt)) {
      // Since contract 7 a payment that cures closes the case in its own ledger transaction, which may
      // commit while a message the send-time gate allowed before it (scheduledFor: the gate's instant) is
      // with the provider: nothing recalls it, as nothing did when the case closed later. A message the
      // gate allowed after the case closed is still a violation. The case's closedAt is stamped inside that
      // transaction, before its COMMIT, and the gate cannot see the close until then: under load a gate
      // may decide between the two, on the case as still open. The payment's answer from the API comes
      // after the COMMIT, so a gate instant before it counts as before the close (paymentCommittedBy).
      if (ms(c.scheduledFor) < paymentCommittedBy(o, kase)) inFlight.push(`${c.channel} ${c.template}`);
      else v(`${c.channel} ${c.template} sent ${c.sentAt.toISOString()} after its case closed ${kase.closedAt.toISOString()}`, c.loanId);
    }
  }
  if (inFlight.length) o.notes.push(`deliveriesMatchTheContactRecord: ${inFlight.length} message(s) allowed before their case closed and delivered after it (with the provider when a payment closed the case): ${inFlight.join(', ')}`);
  return out;
}

/**
 * `compliance-report` (scripts/lib/compliance-audit.ts) finds nothing wrong on any of the loans, judging
 * each message at the instant the send-time gate decided it. A message the strict reading (its sent
 * instant) flags only because a fact was put on record while it was with the provider is counted as in
 * flight in the report: no gate could have stopped it.
 */
export async function complianceReportIsClean(db: Database, o: Observed): Promise<Violation[]> {
  const out: Violation[] = [];
  let inFlight = 0;
  let concurrent = 0;
  for (const loanId of o.loanIds) {
    if (!o.cases.some((c) => c.loanId === loanId)) continue;
    const audit = await auditContacts(db, { loanId, messageInstant: 'decided' });
    const facts = forbiddingFacts(o, loanId);
    for (const x of audit.violations) {
      if ((await paidWhileDeciding(db, x)) || factWhileDeciding(facts, x)) {
        concurrent += 1;
        continue;
      }
      out.push({ invariant: 'complianceReportIsClean', loanId, detail: `${x.channel} at ${x.at}: ${x.rule} — ${x.detail}` });
    }
    const strict = await auditContacts(db, { loanId });
    inFlight += Math.max(0, strict.violations.length - audit.violations.length);
  }
  if (inFlight) o.notes.push(`complianceReportIsClean: ${inFlight} message(s) flagged only at their sent instant (a fact recorded while they were with the provider)`);
  if (concurrent) o.notes.push(`complianceReportIsClean: ${concurrent} message(s) decided while a payment that cured the loan, or a fact that forbids it, was being committed, counted as concurrent`);
  return out;
}

/**
 * A message decided within CONCURRENT_MS of the instant a forbidding fact was stamped (a dispute, a cease
 * request, a pause, a bar or an opt-out): as for noContactWhileForbidden, the fact's transaction began
 * before the gate read and committed after it, so the gate could not have seen it.
 */
function factWhileDeciding(facts: readonly Interval[], x: { at: string }): boolean {
  const at = Date.parse(x.at);
  return facts.some((i) => Math.abs(at - i.from) < CONCURRENT_MS);
}

/**
 * A message judged "nothing due" at its decision instant, where a payment's row is stamped within
 * CONCURRENT_MS before it: the row's time is when its transaction began, and the gate read the ledger
 * before that transaction committed (read committed), so the gate could not have seen it.
 */
async function paidWhileDeciding(db: Database, x: { loanId: string; at: string; rule: string }): Promise<boolean> {
  if (x.rule !== 'common.nothing-due') return false;
  const at = Date.parse(x.at);
  const rows = await db.select({ createdAt: payments.createdAt }).from(payments).where(eq(payments.loanId, x.loanId));
  return rows.some((r) => r.createdAt.getTime() <= at && at - r.createdAt.getTime() < CONCURRENT_MS);
}

/** No operation answered a client's ordinary request with a server error. */
export function noServerErrors(o: Observed): Violation[] {
  const out: Violation[] = [];
  for (const [loanId, record] of o.records) {
    for (const a of record.actions) if ((a.status ?? 0) >= 500) out.push({ invariant: 'noServerErrors', loanId, detail: `${a.kind} answered ${a.status}: ${a.note}` });
  }
  return out;
}

export const INVARIANTS = [
  'noContactWhileForbidden',
  'noCaseReopenedAfterTerminalOutcome',
  'messagesKeepTheMinimumGap',
  'paymentsInLedgerOnceAndBalancesAgree',
  'promiseAndPlanRowsFollowTheWorkflow',
  'endsWhereTheScriptSays',
  'deliveriesMatchTheContactRecord',
  'complianceReportIsClean',
  'noServerErrors',
] as const;

export async function checkInvariants(db: Database, o: Observed): Promise<Violation[]> {
  return [
    ...noContactWhileForbidden(o),
    ...noCaseReopenedAfterTerminalOutcome(o),
    ...messagesKeepTheMinimumGap(o),
    ...paymentsInLedgerOnceAndBalancesAgree(o),
    ...promiseAndPlanRowsFollowTheWorkflow(o),
    ...endsWhereTheScriptSays(o),
    ...deliveriesMatchTheContactRecord(o),
    ...(await complianceReportIsClean(db, o)),
    ...noServerErrors(o),
  ];
}
