// Collection cases: at most one open case per loan (partial unique index), opened idempotently and
// never after a terminal outcome nobody reopened (domain/lifecycle), and the delinquency sweep that
// finds loans needing one.
import { and, desc, eq, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { closingOutcome } from '../../domain/ledger';
import {
  BARRED_OUTCOMES,
  closedCaseAllowsNewCase,
  endsCollection,
  explainRefusal,
  isBarred,
  TERMINAL_OUTCOMES,
  type LifecycleInstallment,
} from '../../domain/lifecycle';
import { queryRows, type Database } from '../client';
import { preparedFor } from '../prepared';
import {
  auditEvents,
  borrowers,
  collectionCases,
  installments,
  loans,
  OUTCOMES,
  STAGES,
  strategies,
  type CaseOutcome,
  type CaseStage,
  type CollectionCase,
} from '../schema';
import { appendAudit } from './audit';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { writeDownPastDue, type WriteDownInput, type WriteDownResult } from './ledger';
import { requireDate, requireOneOf, requireText } from './validate';

export interface OpenCaseInput {
  loanId: string;
  /** Default `collection-<loanId>`. */
  workflowId?: string;
  /** The workflow run opening it: a retry of that run's open answers with this case, even closed. */
  runId?: string;
  strategyId: string;
  strategyVersion: number;
  segment?: string | null;
  stage?: CaseStage;
  assignedCollector?: string | null;
  openedAt?: Date;
  actor?: string;
}

export const workflowIdForLoan = (loanId: string) => `collection-${loanId}`;

/** The audit action of an explicit request to collect again after a terminal outcome: it lets one new case open. */
export const REOPEN_ACTION = 'collection.reopened';

/** A new case was refused because the loan's last case ended collection (domain/lifecycle). Retrying cannot help. */
export class CollectionEndedError extends ConflictError {}

/**
 * Opens a case for the loan, or returns the one already open (`created: false`), or the one `runId`
 * opened, even closed: that run's open committed but its answer was lost, and a payment may have closed
 * the case before the retry (contract 7), which must see that close rather than open a second case.
 * Safe under concurrency: the insert uses ON CONFLICT on the one-open-case-per-loan partial unique index.
 * Marks the pinned strategy version as in use (immutable from then on) when it is stored.
 * Refuses (CollectionEndedError) a new case after a terminal outcome unless a reopen request for that
 * case was audited (recordReopenRequest), and after bankruptcy or death always: the last line behind
 * the API and the sweep, for a workflow started some other way.
 */
export async function openCase(db: Database, input: OpenCaseInput): Promise<{ case: CollectionCase; created: boolean }> {
  requireText(input.loanId, 'loanId');
  requireText(input.strategyId, 'strategyId');
  if (!Number.isInteger(input.strategyVersion) || input.strategyVersion < 1) {
    throw new ValidationError(`strategyVersion must be a positive integer (got ${input.strategyVersion})`, 'strategyVersion');
  }
  const stage = input.stage === undefined ? 'reminder' : requireOneOf(input.stage, STAGES, 'stage');
  const workflowId = input.workflowId ?? workflowIdForLoan(input.loanId);

  // A concurrent close between our failed insert and the select could leave nothing to return: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await db.transaction(async (tx) => {
      const { found, lastClosed } = await getOpenAndLastClosedCase(tx, input.loanId, input.runId ?? null);
      if (found) return { case: found, created: false };
      await requireCollectable(tx, input.loanId, lastClosed);
      const [created] = await tx
        .insert(collectionCases)
        .values({
          loanId: input.loanId,
          workflowId,
          runId: input.runId ?? null,
          strategyId: input.strategyId,
          strategyVersion: input.strategyVersion,
          stage,
          segment: input.segment ?? null,
          assignedCollector: input.assignedCollector ?? null,
          ...(input.openedAt ? { openedAt: input.openedAt } : {}),
        })
        .onConflictDoNothing({ target: collectionCases.loanId, where: sql.raw('closed_at IS NULL') })
        .returning();
      if (created) {
        // Two writes that need nothing from each other, sent together on the transaction's connection (#19).
        await Promise.all([
          preparedFor(tx, 'strategy_pin', (handle) =>
            handle
              .update(strategies)
              .set({ inUse: true })
              .where(and(eq(strategies.id, sql.placeholder('id')), eq(strategies.version, sql.placeholder('version')), eq(strategies.inUse, false)))
              .prepare('strategy_pin'),
          ).execute({ id: input.strategyId, version: input.strategyVersion }),
          appendAudit(tx, {
            actor: input.actor ?? `workflow:${workflowId}`,
            action: 'case.opened',
            caseId: created.id,
            loanId: input.loanId,
            after: caseSnapshot(created),
          }),
        ]);
        return { case: created, created: true };
      }
      const existing = await getOpenCase(tx, input.loanId);
      return existing ? { case: existing, created: false } : null;
    });
    if (result) return result;
  }
  throw new ConflictError(`could not open a case for loan ${input.loanId}: it kept changing concurrently`, 'loanId');
}

/** Throws CollectionEndedError when the loan's last closed case (`last`) forbids a new one. */
async function requireCollectable(db: Database, loanId: string, last: ClosedCase | null): Promise<void> {
  if (!last) return;
  const reopenRequested = endsCollection(last) && !isBarred(last.outcome) && (await hasReopenRequest(db, loanId, last.id));
  if (closedCaseAllowsNewCase(last, { reopenRequested })) return;
  const because = isBarred(last.outcome) ? 'barred' : 'terminal';
  throw new CollectionEndedError(
    explainRefusal(loanId, { allowed: false, because, outcome: last.outcome, reopenable: because === 'terminal' }, last.closedAt),
    'loanId',
  );
}

/**
 * A closed case: the schema's check makes outcome and closedAt present together. `settledByPlan`: closed
 * `settled` by a completed discounted plan (settleByPlanDiscount), which the lifecycle counts as a cure.
 */
export type ClosedCase = CollectionCase & { outcome: CaseOutcome; closedAt: Date; settledByPlan: boolean };

/**
 * The audit mark of a close by a completed discounted plan: settleByPlanDiscount writes it on the
 * case.closed event (after.settledBy), so that a lender's `settled`, which stays terminal, is told apart.
 * A plan_discount ledger adjustment alone would not tell them apart: a write-down that leaves something
 * past due keeps the case open, and the lender may settle it later.
 */
export const SETTLED_BY_PLAN = 'plan_discount';

/**
 * SQL: whether the closed case (`caseId` and `outcome` columns) was settled by a completed discounted
 * plan. One probe of audit_events_case_idx, and only for a `settled` case. Shared by getLastClosedCase
 * and the sweep's query, so the two read the mark the same way.
 */
const settledByPlanSql = (caseId: SQL, outcome: SQL) => sql`(${outcome} = 'settled' AND EXISTS (
          SELECT 1 FROM audit_events e
          WHERE e.case_id = ${caseId} AND e.action = 'case.closed' AND e.after->>'settledBy' = ${SETTLED_BY_PLAN}))`;

/** A case row with its settled-by-plan mark (settledByPlanSql), as getLastClosedCase reads it. */
const caseWithPlanMark = () => ({
  c: collectionCases,
  settledByPlan: sql<boolean>`${settledByPlanSql(sql`${collectionCases.id}`, sql`${collectionCases.outcome}`)}`,
});
const asClosedCase = (row: { c: CollectionCase; settledByPlan: boolean | null }) => ({ ...row.c, settledByPlan: row.settledByPlan === true }) as ClosedCase;

/** The loan's most recently closed case, or null when none has closed. */
export async function getLastClosedCase(db: Database, loanId: string): Promise<ClosedCase | null> {
  // Prepared (#19): the lifecycle facts read it.
  const [row] = await preparedFor(db, 'last_closed_case', (handle) =>
    handle
      .select(caseWithPlanMark())
      .from(collectionCases)
      .where(and(eq(collectionCases.loanId, sql.placeholder('loanId')), isNotNull(collectionCases.closedAt)))
      .orderBy(desc(collectionCases.closedAt))
      .limit(1)
      .prepare('last_closed_case'),
  ).execute({ loanId });
  return row ? asClosedCase(row) : null;
}

/**
 * What openCase reads before it inserts, in one statement (#19): the case to answer with — the one `runId`
 * opened, open or closed (that run's open committed but its answer was lost, and a payment may have closed
 * the case before the retry: contract 7), else the loan's open case (getOpenCase) — and the loan's most
 * recently closed case (getLastClosedCase), which decides whether a new one may open.
 */
async function getOpenAndLastClosedCase(
  db: Database,
  loanId: string,
  runId: string | null,
): Promise<{ found: CollectionCase | null; lastClosed: ClosedCase | null }> {
  const rows = await preparedFor(db, 'open_and_last_closed_case', (handle) => {
    const closed = alias(collectionCases, 'closed');
    const lastClosedId = handle
      .select({ id: closed.id })
      .from(closed)
      .where(and(eq(closed.loanId, sql.placeholder('loanId')), isNotNull(closed.closedAt)))
      .orderBy(desc(closed.closedAt))
      .limit(1);
    return handle
      .select(caseWithPlanMark())
      .from(collectionCases)
      .where(
        and(
          eq(collectionCases.loanId, sql.placeholder('loanId')),
          or(isNull(collectionCases.closedAt), inArray(collectionCases.id, lastClosedId), eq(collectionCases.runId, sql.placeholder('runId'))),
        ),
      )
      .prepare('open_and_last_closed_case');
  }).execute({ loanId, runId });
  const ofRun = runId === null ? undefined : rows.find((r) => r.c.runId === runId);
  const found = ofRun ?? rows.find((r) => r.c.closedAt === null);
  // The run's case may be a closed one too, but never closed after the loan's last closed case.
  const closedRows = rows.filter((r) => r.c.closedAt !== null).sort((a, b) => b.c.closedAt!.getTime() - a.c.closedAt!.getTime());
  return { found: found?.c ?? null, lastClosed: closedRows[0] ? asClosedCase(closedRows[0]) : null };
}

async function hasReopenRequest(db: Database, loanId: string, caseId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(eq(auditEvents.loanId, loanId), eq(auditEvents.action, REOPEN_ACTION), sql`${auditEvents.before}->>'caseId' = ${caseId}`))
    .limit(1);
  return row !== undefined;
}

/**
 * Audits an explicit request to collect a loan again after its terminal case `closed`: who asked and
 * why. It is what lets openCase open one new case after that case (no column needed: the request names
 * the case it reopens).
 */
export async function recordReopenRequest(
  db: Database,
  input: { loanId: string; closed: ClosedCase; reason: string; actor: string },
): Promise<void> {
  await appendAudit(db, {
    actor: input.actor,
    action: REOPEN_ACTION,
    loanId: input.loanId,
    caseId: input.closed.id,
    before: { caseId: input.closed.id, outcome: input.closed.outcome, closedAt: input.closed.closedAt.toISOString() },
    after: { reason: requireText(input.reason, 'reopen.reason') },
  });
}

/** What the lifecycle rule needs about a loan: its last closed case, its instalments, its borrower's bars. */
export interface LifecycleFacts {
  lastClosedCase: ClosedCase | null;
  installments: LifecycleInstallment[];
  borrower: { bankruptcy: boolean; deceased: boolean };
}

export async function getLifecycleFacts(db: Database, loanId: string): Promise<LifecycleFacts> {
  const [lastClosedCase, rows, [flags]] = await Promise.all([
    getLastClosedCase(db, loanId),
    db
      .select({ dueDate: installments.dueDate, amountDueMinor: installments.amountDueMinor, amountPaidMinor: installments.amountPaidMinor, amountWrittenDownMinor: installments.amountWrittenDownMinor })
      .from(installments)
      .where(eq(installments.loanId, loanId)),
    db
      .select({ bankruptcy: borrowers.bankruptcy, deceased: borrowers.deceased })
      .from(loans)
      .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
      .where(eq(loans.id, loanId)),
  ]);
  if (!flags) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return { lastClosedCase, installments: rows, borrower: flags };
}

function caseSnapshot(c: CollectionCase) {
  return {
    stage: c.stage,
    segment: c.segment,
    strategyId: c.strategyId,
    strategyVersion: c.strategyVersion,
    assignedCollector: c.assignedCollector,
    closedAt: c.closedAt?.toISOString() ?? null,
    outcome: c.outcome,
  };
}

export async function getOpenCase(db: Database, loanId: string): Promise<CollectionCase | null> {
  // Prepared (#19): every case open reads it.
  const [row] = await preparedFor(db, 'open_case', (handle) =>
    handle
      .select()
      .from(collectionCases)
      .where(and(eq(collectionCases.loanId, sql.placeholder('loanId')), isNull(collectionCases.closedAt)))
      .prepare('open_case'),
  ).execute({ loanId });
  return row ?? null;
}

export async function getCase(db: Database, caseId: string): Promise<CollectionCase | null> {
  const [row] = await db.select().from(collectionCases).where(eq(collectionCases.id, caseId));
  return row ?? null;
}

async function lockCase(db: Database, caseId: string): Promise<CollectionCase> {
  // Prepared (#19): every close and stage change locks its case.
  const [row] = await preparedFor(db, 'lock_case', (handle) =>
    handle.select().from(collectionCases).where(eq(collectionCases.id, sql.placeholder('caseId'))).for('update').prepare('lock_case'),
  ).execute({ caseId });
  if (!row) throw new NotFoundError(`case ${caseId} not found`, 'caseId');
  return row;
}

/** Updates a locked case and appends the audit event with the case before and after, in the caller's transaction. */
async function changeCase(
  tx: Database,
  before: CollectionCase,
  set: Partial<typeof collectionCases.$inferInsert>,
  action: string,
  actor: string,
  mark: Record<string, unknown> = {},
): Promise<CollectionCase> {
  const [after] = await tx.update(collectionCases).set(set).where(eq(collectionCases.id, before.id)).returning();
  await auditCaseChange(tx, before, after!, action, actor, mark);
  return after!;
}

/** The audit action of a case's close, by closeCase and by a payment's close alike. */
const CASE_CLOSED = 'case.closed';

/** Who changes a case when no actor is named: the case's workflow. */
const workflowActor = (row: Pick<CollectionCase, 'workflowId'>) => `workflow:${row.workflowId}`;

/** The audit event of a change to a case: the case before and after (caseSnapshot), and the change's mark. */
async function auditCaseChange(
  tx: Database,
  before: CollectionCase,
  after: CollectionCase,
  action: string,
  actor: string,
  mark: Record<string, unknown> = {},
): Promise<void> {
  await appendAudit(tx, { actor, action, caseId: before.id, loanId: before.loanId, before: caseSnapshot(before), after: { ...caseSnapshot(after), ...mark } });
}

/** Mirrors the workflow's stage onto the case (the workflow owns it); a no-op when unchanged. */
export async function updateCaseStage(
  db: Database,
  caseId: string,
  stage: CaseStage,
  options: { segment?: string | null; actor?: string } = {},
): Promise<CollectionCase> {
  requireOneOf(stage, STAGES, 'stage');
  return db.transaction(async (tx) => {
    const before = await lockCase(tx, caseId);
    if (before.closedAt) throw new ConflictError(`case ${caseId} is closed (${before.outcome}); its stage cannot change`, 'caseId');
    const segment = options.segment === undefined ? before.segment : options.segment;
    if (before.stage === stage && before.segment === segment) return before;
    return changeCase(tx, before, { stage, segment }, 'case.stage_changed', options.actor ?? workflowActor(before));
  });
}

export async function assignCollector(db: Database, caseId: string, collectorId: string | null, actor = 'system'): Promise<CollectionCase> {
  return db.transaction(async (tx) => {
    const before = await lockCase(tx, caseId);
    if (before.assignedCollector === collectorId) return before;
    return changeCase(tx, before, { assignedCollector: collectorId }, 'case.assigned', actor);
  });
}

/**
 * Closes the case with an outcome. Idempotent: closing again with the same outcome returns the
 * closed case; a different outcome is a conflict. `settledBy` marks a settlement by a completed
 * discounted plan on the audit event (settleByPlanDiscount; the lifecycle reads it).
 */
export async function closeCase(
  db: Database,
  caseId: string,
  outcome: CaseOutcome,
  options: { closedAt?: Date; actor?: string; settledBy?: typeof SETTLED_BY_PLAN } = {},
): Promise<CollectionCase> {
  requireOneOf(outcome, OUTCOMES, 'outcome');
  return db.transaction(async (tx) => {
    const before = await lockCase(tx, caseId);
    if (before.closedAt) {
      if (before.outcome === outcome) return before;
      throw new ConflictError(`case ${caseId} is already closed as ${before.outcome}, not ${outcome}`, 'outcome');
    }
    if (options.settledBy && outcome !== 'settled') throw new ValidationError(`settledBy goes with outcome settled (got ${outcome})`, 'outcome');
    const mark = options.settledBy ? { settledBy: options.settledBy } : {};
    return changeCase(tx, before, { closedAt: options.closedAt ?? new Date(), outcome }, CASE_CLOSED, options.actor ?? workflowActor(before), mark);
  });
}

/**
 * A completed discounted plan (contract 6): writes its discount down (writeDownPastDue) and, when nothing
 * is past due after that, closes the case `settled` with the plan's mark (SETTLED_BY_PLAN) — one
 * transaction, so the case is never settled on a ledger that still shows the discount past due, nor the
 * discount written down on a case left open by a crash. Idempotent like its two parts.
 */
export async function settleByPlanDiscount(
  db: Database,
  input: WriteDownInput & { closedAt?: Date },
): Promise<WriteDownResult & { closed: boolean }> {
  return db.transaction(async (tx) => {
    const { closedAt, ...writeDown } = input;
    const result = await writeDownPastDue(tx, writeDown);
    if (closingOutcome(result.position) === undefined) return { ...result, closed: false };
    // The close's actor stays the case's workflow (closeCase's default), as for every other close.
    await closeCase(tx, input.caseId, 'settled', { settledBy: SETTLED_BY_PLAN, ...(closedAt ? { closedAt } : {}) });
    return { ...result, closed: true };
  });
}

/**
 * The close a payment makes in its own transaction (recordPayment, contract 7, #19): when `position`, the
 * loan's after the payment, leaves nothing past due (closingOutcome: cured, or paid when nothing is owed
 * at all), the loan's open case closes with that outcome as closeCase closes it (the same case.closed audit
 * event, the case's workflow as its actor), under the payment's loan lock. The same rule as the
 * closeCaseIfSettled activity. Returns the outcome, or nothing when the position is not settled or no
 * case is open (none was, or its workflow closed it first: that close stands).
 */
export async function closeOpenCaseIfSettled(
  tx: Database,
  loanId: string,
  position: { pastDueMinor: number; outstandingMinor: number },
): Promise<{ caseId: string; closedAs: 'cured' | 'paid' } | undefined> {
  const closedAs = closingOutcome(position);
  if (!closedAs) return undefined;
  // One UPDATE finds, locks and closes the open case (#19: no read before it): a case its workflow closes
  // meanwhile no longer matches once its lock is released, and is skipped rather than closed again as a
  // conflict.
  const [closed] = await tx
    .update(collectionCases)
    .set({ closedAt: new Date(), outcome: closedAs })
    .where(and(eq(collectionCases.loanId, loanId), isNull(collectionCases.closedAt)))
    .returning();
  if (!closed) return undefined;
  // The case before: the same row, open (the UPDATE set its closedAt and outcome only).
  await auditCaseChange(tx, { ...closed, closedAt: null, outcome: null }, closed, CASE_CLOSED, workflowActor(closed));
  return { caseId: closed.id, closedAs };
}

export interface DelinquentLoan {
  loanId: string;
  /** Oldest instalment due before asOf and not fully paid. */
  oldestUnpaidDueDate: string;
  /**
   * Why the loan gets no new case (domain/lifecycle mayOpenNewCase, stated in SQL), or null when it
   * should get one. `outcome` is the last closed case's, or null when a borrower flag bars collection.
   */
  skip: { because: SweepSkip; outcome: CaseOutcome | null } | null;
}

export type SweepSkip = 'barred' | 'terminal' | 'no_new_lapse';

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);

/**
 * Loans with an instalment due before `asOf` and not fully paid, and no open case: the daily sweep's
 * work list, each with the lifecycle's verdict (`skip`). Keyset paging by loan id (`afterLoanId` =
 * last id of the previous page).
 *
 * The verdict is domain/lifecycle's mayOpenNewCase in SQL, in the same order: a bankrupt or deceased
 * borrower, then the last closed case's outcome (barred, terminal; a `settled` by a discounted plan is not
 * terminal), then after a cure, payoff or plan's settlement whether
 * any past-due instalment fell due on or after the day it closed (UTC). test/integration/db/cases.test.ts
 * checks the two agree.
 *
 * Driven by the partial index installments_unpaid_idx (loan_id, due_date) WHERE unpaid, read in
 * loan id order, so a page costs about `limit` index probes whatever the portfolio size; the open
 * case check probes collection_cases_one_open_per_loan, the last closed case collection_cases_loan_idx
 * (and, when it closed `settled`, its close's audit event audit_events_case_idx: a plan's or the lender's),
 * and the borrower's flags two primary keys — a few probes per loan of the page only.
 */
export async function findDelinquentLoansWithoutOpenCase(
  db: Database,
  input: { asOf: string | Date; afterLoanId?: string | null; limit: number },
): Promise<DelinquentLoan[]> {
  const asOf = input.asOf instanceof Date ? input.asOf.toISOString().slice(0, 10) : requireDate(input.asOf, 'asOf');
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > 10_000) {
    throw new ValidationError(`limit must be an integer 1..10000 (got ${input.limit})`, 'limit');
  }
  const rows = await queryRows<{ loan_id: string; oldest_unpaid_due_date: string; skip: SweepSkip | null; outcome: CaseOutcome | null }>(
    db,
    sweepPageQuery({ asOf, afterLoanId: input.afterLoanId ?? null, limit: input.limit }),
  );
  return rows.map((r) => ({
    loanId: r.loan_id,
    oldestUnpaidDueDate: r.oldest_unpaid_due_date,
    // Barred by a borrower flag rather than by the outcome: the outcome did not decide.
    skip: r.skip === null ? null : { because: r.skip, outcome: r.skip === 'barred' && r.outcome !== null && !isBarred(r.outcome) ? null : r.outcome },
  }));
}

/** The sweep's page query (exported for bench/sweep.ts, which prints its plan). */
export function sweepPageQuery(input: { asOf: string; afterLoanId: string | null; limit: number }) {
  const { asOf, afterLoanId: after, limit } = input;
  return sql`
      SELECT d.loan_id, d.oldest_unpaid_due_date::text AS oldest_unpaid_due_date, last.outcome,
        CASE
          WHEN b.bankruptcy OR b.deceased OR last.outcome IN (${inList(BARRED_OUTCOMES)}) THEN 'barred'
          WHEN last.outcome IN (${inList(TERMINAL_OUTCOMES)}) AND NOT last.settled_by_plan THEN 'terminal'
          WHEN last.outcome IS NOT NULL AND d.newest_unpaid_due_date < (last.closed_at AT TIME ZONE 'UTC')::date THEN 'no_new_lapse'
        END AS skip
      FROM (
        SELECT i.loan_id, min(i.due_date) AS oldest_unpaid_due_date, max(i.due_date) AS newest_unpaid_due_date
        FROM installments i
        WHERE i.amount_paid_minor + i.amount_written_down_minor < i.amount_due_minor
          AND i.due_date < ${asOf}::date
          ${after === null ? sql`` : sql`AND i.loan_id > ${after}`}
          AND NOT EXISTS (
            SELECT 1 FROM collection_cases c WHERE c.loan_id = i.loan_id AND c.closed_at IS NULL
          )
        GROUP BY i.loan_id
        ORDER BY i.loan_id
        LIMIT ${limit}
      ) d
      JOIN loans l ON l.id = d.loan_id
      JOIN borrowers b ON b.id = l.borrower_id
      LEFT JOIN LATERAL (
        SELECT c.outcome, c.closed_at, ${settledByPlanSql(sql`c.id`, sql`c.outcome`)} AS settled_by_plan
        FROM collection_cases c
        WHERE c.loan_id = d.loan_id AND c.closed_at IS NOT NULL
        ORDER BY c.closed_at DESC
        LIMIT 1
      ) last ON true
      ORDER BY d.loan_id`;
}
