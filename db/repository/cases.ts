// Collection cases: at most one open case per loan (partial unique index), opened idempotently, and
// the delinquency sweep that finds loans needing one.
import { and, eq, isNull, sql } from 'drizzle-orm';
import { queryRows, type Database } from '../client';
import {
  collectionCases,
  OUTCOMES,
  STAGES,
  strategies,
  type CaseOutcome,
  type CaseStage,
  type CollectionCase,
} from '../schema';
import { appendAudit } from './audit';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { requireDate, requireOneOf, requireText } from './validate';

export interface OpenCaseInput {
  loanId: string;
  /** Default `collection-<loanId>`. */
  workflowId?: string;
  strategyId: string;
  strategyVersion: number;
  segment?: string | null;
  stage?: CaseStage;
  assignedCollector?: string | null;
  openedAt?: Date;
  actor?: string;
}

export const workflowIdForLoan = (loanId: string) => `collection-${loanId}`;

/**
 * Opens a case for the loan, or returns the one already open (`created: false`). Safe under
 * concurrency: the insert uses ON CONFLICT on the one-open-case-per-loan partial unique index.
 * Marks the pinned strategy version as in use (immutable from then on) when it is stored.
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
      const [created] = await tx
        .insert(collectionCases)
        .values({
          loanId: input.loanId,
          workflowId,
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
        await tx
          .update(strategies)
          .set({ inUse: true })
          .where(and(eq(strategies.id, input.strategyId), eq(strategies.version, input.strategyVersion), eq(strategies.inUse, false)));
        await appendAudit(tx, {
          actor: input.actor ?? `workflow:${workflowId}`,
          action: 'case.opened',
          caseId: created.id,
          loanId: input.loanId,
          after: caseSnapshot(created),
        });
        return { case: created, created: true };
      }
      const existing = await getOpenCase(tx, input.loanId);
      return existing ? { case: existing, created: false } : null;
    });
    if (result) return result;
  }
  throw new ConflictError(`could not open a case for loan ${input.loanId}: it kept changing concurrently`, 'loanId');
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
  const [row] = await db
    .select()
    .from(collectionCases)
    .where(and(eq(collectionCases.loanId, loanId), isNull(collectionCases.closedAt)));
  return row ?? null;
}

export async function getCase(db: Database, caseId: string): Promise<CollectionCase | null> {
  const [row] = await db.select().from(collectionCases).where(eq(collectionCases.id, caseId));
  return row ?? null;
}

async function lockCase(db: Database, caseId: string): Promise<CollectionCase> {
  const [row] = await db.select().from(collectionCases).where(eq(collectionCases.id, caseId)).for('update');
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
): Promise<CollectionCase> {
  const [after] = await tx.update(collectionCases).set(set).where(eq(collectionCases.id, before.id)).returning();
  await appendAudit(tx, { actor, action, caseId: before.id, loanId: before.loanId, before: caseSnapshot(before), after: caseSnapshot(after!) });
  return after!;
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
    return changeCase(tx, before, { stage, segment }, 'case.stage_changed', options.actor ?? `workflow:${before.workflowId}`);
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
 * closed case; a different outcome is a conflict.
 */
export async function closeCase(
  db: Database,
  caseId: string,
  outcome: CaseOutcome,
  options: { closedAt?: Date; actor?: string } = {},
): Promise<CollectionCase> {
  requireOneOf(outcome, OUTCOMES, 'outcome');
  return db.transaction(async (tx) => {
    const before = await lockCase(tx, caseId);
    if (before.closedAt) {
      if (before.outcome === outcome) return before;
      throw new ConflictError(`case ${caseId} is already closed as ${before.outcome}, not ${outcome}`, 'outcome');
    }
    return changeCase(tx, before, { closedAt: options.closedAt ?? new Date(), outcome }, 'case.closed', options.actor ?? `workflow:${before.workflowId}`);
  });
}

export interface DelinquentLoan {
  loanId: string;
  /** Oldest instalment due before asOf and not fully paid. */
  oldestUnpaidDueDate: string;
}

/**
 * Loans with an instalment due before `asOf` and not fully paid, and no open case: the daily
 * sweep's work list. Keyset paging by loan id (`afterLoanId` = last id of the previous page).
 *
 * Driven by the partial index installments_unpaid_idx (loan_id, due_date) WHERE unpaid, read in
 * loan id order, so a page costs about `limit` index probes whatever the portfolio size; the open
 * case check probes collection_cases_one_open_per_loan.
 */
export async function findDelinquentLoansWithoutOpenCase(
  db: Database,
  input: { asOf: string | Date; afterLoanId?: string | null; limit: number },
): Promise<DelinquentLoan[]> {
  const asOf = input.asOf instanceof Date ? input.asOf.toISOString().slice(0, 10) : requireDate(input.asOf, 'asOf');
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > 10_000) {
    throw new ValidationError(`limit must be an integer 1..10000 (got ${input.limit})`, 'limit');
  }
  const after = input.afterLoanId ?? null;
  const rows = await queryRows<{ loan_id: string; oldest_unpaid_due_date: string }>(
    db,
    sql`
      SELECT i.loan_id, min(i.due_date)::text AS oldest_unpaid_due_date
      FROM installments i
      WHERE i.amount_paid_minor < i.amount_due_minor
        AND i.due_date < ${asOf}::date
        ${after === null ? sql`` : sql`AND i.loan_id > ${after}`}
        AND NOT EXISTS (
          SELECT 1 FROM collection_cases c WHERE c.loan_id = i.loan_id AND c.closed_at IS NULL
        )
      GROUP BY i.loan_id
      ORDER BY i.loan_id
      LIMIT ${input.limit}`,
  );
  return rows.map((r) => ({ loanId: r.loan_id, oldestUnpaidDueDate: r.oldest_unpaid_due_date }));
}
