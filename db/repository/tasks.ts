// The collector work queue. Claims take a time-limited lease with FOR UPDATE SKIP LOCKED, so many
// collectors can pull concurrently without ever getting the same task; an expired lease makes the
// task claimable again. A task is a contact: the claim hands out only what the rules allow now.
import { and, asc, desc, eq, inArray, isNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { evaluateContact } from '../../domain/compliance';
import { VISIT_PLACES, type ContactContext, type VisitPlace } from '../../domain/compliance/types';
import type { Channel } from '../../domain/strategy/types';
import { collectionCases, collectorTasks, type CollectorTask } from '../schema';
import { appendAudit } from './audit';
import { contactContextOf, loadContactFacts } from './contact-facts';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { requireText } from './validate';

export interface EnqueueTaskInput {
  idempotencyKey: string;
  caseId?: string | null;
  loanId: string;
  /** e.g. 'call'. */
  kind: string;
  /** Only this collector may claim it; null = anyone. */
  collectorId?: string | null;
  availableAt?: Date;
  payload?: Record<string, unknown>;
}

/**
 * Queues a task once per key; a repeated call returns the existing task (`created: false`).
 *
 * A task is queued under the loan's lock (see lockLoanTasks), which the transactions that record a fact
 * forbidding calls also take before they cancel the loan's open tasks. So either the fact lands first and
 * the task is born cancelled with its rule, or the task lands first and the fact's transaction cancels it:
 * no task is ever left claimable after a dispute, cease, bar or opt-out. Facts that end by themselves
 * (quiet hours, caps, pauses) leave it queued; the claim judges those.
 */
export async function enqueueTask(db: Database, input: EnqueueTaskInput): Promise<{ task: CollectorTask; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.loanId, 'loanId');
  requireText(input.kind, 'kind');
  return db.transaction(async (tx) => {
    await lockLoanTasks(tx, input.loanId);
    const [existing] = await tx.select().from(collectorTasks).where(eq(collectorTasks.idempotencyKey, input.idempotencyKey));
    if (existing) return { task: existing, created: false };
    const decision = await judgeContact(tx, { loanId: input.loanId, caseId: input.caseId ?? null, kind: input.kind, payload: input.payload ?? {} }, new Date());
    const forbidden = !decision.allowed && decision.until === undefined ? decision.rule : null;
    const [created] = await tx
      .insert(collectorTasks)
      .values({
        idempotencyKey: input.idempotencyKey,
        caseId: input.caseId ?? null,
        loanId: input.loanId,
        kind: input.kind,
        collectorId: input.collectorId ?? null,
        payload: input.payload ?? {},
        ...(input.availableAt ? { availableAt: input.availableAt } : {}),
        ...(forbidden ? { status: 'cancelled' as const, cancelledRule: forbidden, cancelledAt: sql`now()` } : {}),
      })
      .onConflictDoNothing({ target: collectorTasks.idempotencyKey })
      .returning();
    if (!created) {
      const [raced] = await tx.select().from(collectorTasks).where(eq(collectorTasks.idempotencyKey, input.idempotencyKey));
      return { task: raced!, created: false };
    }
    if (forbidden) {
      await appendAudit(tx, {
        actor: 'rules',
        action: 'task.cancelled',
        caseId: created.caseId,
        loanId: created.loanId,
        after: { taskId: created.id, rule: forbidden, cancelledAt: created.cancelledAt?.toISOString() ?? null, at: 'queue' },
      });
    }
    return { task: created, created: true };
  });
}

/**
 * Serialises queueing a loan's tasks with cancelling them (a transaction-scoped advisory lock on the
 * loan id). Call it inside a transaction.
 */
export async function lockLoanTasks(db: Database, loanId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tasks:${loanId}`}, 0))`);
}

/** How many blocked candidates one claim looks past before saying there is nothing to do. */
const MAX_CANDIDATES_PER_CLAIM = 25;

/**
 * Claims the oldest available task for this collector (assigned to them or to anyone) whose contact the
 * rules allow now, leasing it for `leaseMs`. A call is a contact like a message: inside the claim's
 * transaction each candidate is judged by evaluateContact on the facts the send-time gate reads
 * (borrower flags, open disputes, the case's pauses, contact history, local time). A candidate blocked
 * for now (quiet hours, a cap, a pause) is left queued; one blocked for good (dispute, cease, bar,
 * opt-out) is cancelled with its rule. Returns null when there is nothing the collector may do now.
 */
export async function claimNextTask(
  db: Database,
  collectorId: string,
  leaseMs: number,
  /** `now`: the instant the rules judge the calls at (default: the clock). */
  options: { kinds?: string[]; now?: Date } = {},
): Promise<CollectorTask | null> {
  requireText(collectorId, 'collectorId');
  if (!Number.isInteger(leaseMs) || leaseMs < 1) {
    throw new ValidationError(`leaseMs must be a positive integer (got ${leaseMs})`, 'leaseMs');
  }
  return db.transaction(async (tx) => {
    const passed: string[] = [];
    for (let n = 0; n < MAX_CANDIDATES_PER_CLAIM; n += 1) {
      const [candidate] = await tx
        .select({ id: collectorTasks.id, loanId: collectorTasks.loanId, caseId: collectorTasks.caseId, kind: collectorTasks.kind, payload: collectorTasks.payload })
        .from(collectorTasks)
        .where(
          and(
            inArray(collectorTasks.status, ['queued', 'claimed']),
            or(eq(collectorTasks.status, 'queued'), lt(collectorTasks.leaseUntil, sql`now()`)),
            lte(collectorTasks.availableAt, sql`now()`),
            or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, collectorId)),
            options.kinds?.length ? inArray(collectorTasks.kind, options.kinds) : undefined,
            passed.length ? notInArray(collectorTasks.id, passed) : undefined,
          ),
        )
        .orderBy(asc(collectorTasks.availableAt), asc(collectorTasks.createdAt))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!candidate) return null;
      const decision = await judgeContact(tx, candidate, options.now ?? new Date());
      if (!decision.allowed) {
        passed.push(candidate.id);
        if (decision.until === undefined) {
          const cancelled = await cancelTaskByRule(tx, candidate.id, decision.rule);
          await appendAudit(tx, {
            actor: 'rules',
            action: 'task.cancelled',
            caseId: candidate.caseId,
            loanId: candidate.loanId,
            after: { taskId: candidate.id, rule: decision.rule, cancelledAt: cancelled?.cancelledAt?.toISOString() ?? null, at: 'claim' },
          });
        }
        continue;
      }
      const [task] = await tx
        .update(collectorTasks)
        .set({
          status: 'claimed',
          claimedBy: collectorId,
          claimedAt: sql`now()`,
          leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
        })
        .where(eq(collectorTasks.id, candidate.id))
        .returning();
      return task ?? null;
    }
    return null;
  });
}

/** Task kinds and the channel of the contact they make: a call task calls, a visit task visits. */
const CHANNEL_OF_KIND: Record<string, Channel> = { call: 'call', visit: 'visit' };

/** What a visit task's payload says of the visit (place, when it was announced), as the rules read it. */
export function visitFactsOf(payload: Record<string, unknown> | null | undefined): ContactContext['visit'] {
  const visit = (payload?.visit ?? undefined) as { place?: unknown; announcedAt?: unknown } | undefined;
  const place = typeof visit?.place === 'string' && (VISIT_PLACES as readonly string[]).includes(visit.place) ? (visit.place as VisitPlace) : 'other';
  return { place, ...(typeof visit?.announcedAt === 'string' ? { announcedAt: visit.announcedAt } : {}) };
}

/**
 * The rules' answer for a task's contact now. A task outside any collection case (no case on the task or
 * open on the loan) has no rule pack to judge it by and is not a collection contact: it is allowed.
 */
export async function judgeContact(
  db: Database,
  task: { loanId: string; caseId: string | null; kind: string; payload?: Record<string, unknown> | null },
  at: Date,
): Promise<{ allowed: true } | { allowed: false; rule: string; until?: string }> {
  const caseId = task.caseId ?? (await openCaseId(db, task.loanId));
  if (!caseId) return { allowed: true };
  const facts = await loadContactFacts(db, { loanId: task.loanId, caseId, at });
  const channel = CHANNEL_OF_KIND[task.kind] ?? 'call';
  const context = contactContextOf(facts, channel, 'collection');
  if (channel === 'visit') context.visit = visitFactsOf(task.payload);
  return evaluateContact(context, at.toISOString());
}

async function openCaseId(db: Database, loanId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: collectionCases.id })
    .from(collectionCases)
    .where(and(eq(collectionCases.loanId, loanId), isNull(collectionCases.closedAt)));
  return row?.id ?? null;
}

/**
 * Cancels a task the rules now forbid (dispute, cease, bar, opt-out, pause), recording the rule and the
 * instant. Idempotent: a task already done or cancelled is left as it is; returns the row either way.
 */
export async function cancelTaskByRule(db: Database, taskId: string, rule: string): Promise<CollectorTask | null> {
  requireText(rule, 'rule');
  const [row] = await db
    .update(collectorTasks)
    .set({ status: 'cancelled', leaseUntil: null, cancelledRule: rule, cancelledAt: sql`now()` })
    .where(and(eq(collectorTasks.id, taskId), inArray(collectorTasks.status, ['queued', 'claimed'])))
    .returning();
  return row ?? getTask(db, taskId);
}

/** Cancels every open task on the loan with the rule that now forbids its contact; returns those cancelled. */
export async function cancelOpenTasksForLoan(db: Database, loanId: string, rule: string): Promise<CollectorTask[]> {
  requireText(rule, 'rule');
  await lockLoanTasks(db, loanId);
  return db
    .update(collectorTasks)
    .set({ status: 'cancelled', leaseUntil: null, cancelledRule: rule, cancelledAt: sql`now()` })
    .where(and(eq(collectorTasks.loanId, loanId), inArray(collectorTasks.status, ['queued', 'claimed'])))
    .returning();
}

/** The newest task of `kind` on the loan (on one case of it, with `caseId`), whatever its status. */
export async function latestTaskForLoan(db: Database, loanId: string, options: { kind?: string; caseId?: string } = {}): Promise<CollectorTask | null> {
  const [row] = await db
    .select()
    .from(collectorTasks)
    .where(
      and(
        eq(collectorTasks.loanId, loanId),
        eq(collectorTasks.kind, options.kind ?? 'call'),
        options.caseId ? eq(collectorTasks.caseId, options.caseId) : undefined,
      ),
    )
    .orderBy(desc(collectorTasks.createdAt))
    .limit(1);
  return row ?? null;
}

/**
 * Completes a task the collector holds. Repeating the same completion returns the task; completing
 * a task someone else now holds (the lease expired and it was re-claimed) is a conflict.
 */
export async function completeTask(
  db: Database,
  input: { taskId: string; collectorId: string; outcome?: string | null; notes?: string | null },
): Promise<CollectorTask> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(collectorTasks).where(eq(collectorTasks.id, input.taskId)).for('update');
    if (!task) throw new NotFoundError(`task ${input.taskId} not found`, 'taskId');
    if (task.status === 'done' && task.claimedBy === input.collectorId && task.outcome === (input.outcome ?? null)) return task;
    if (task.status !== 'claimed' || task.claimedBy !== input.collectorId) {
      throw new ConflictError(
        `task ${input.taskId} is ${task.status}${task.claimedBy ? ` by ${task.claimedBy}` : ''}; ${input.collectorId} cannot complete it`,
        'taskId',
      );
    }
    const [done] = await tx
      .update(collectorTasks)
      .set({ status: 'done', completedAt: sql`now()`, outcome: input.outcome ?? null, notes: input.notes ?? null, leaseUntil: null })
      .where(eq(collectorTasks.id, input.taskId))
      .returning();
    return done!;
  });
}

/**
 * Cancels a task that is not done (e.g. the loan was cured); with `onlyQueued`, only one nobody holds.
 * Returns null if it was not cancelled.
 */
export async function cancelTask(db: Database, taskId: string, options: { onlyQueued?: boolean } = {}): Promise<CollectorTask | null> {
  const [row] = await db
    .update(collectorTasks)
    .set({ status: 'cancelled', leaseUntil: null })
    .where(and(eq(collectorTasks.id, taskId), inArray(collectorTasks.status, options.onlyQueued ? ['queued'] : ['queued', 'claimed'])))
    .returning();
  return row ?? null;
}

export async function getTask(db: Database, taskId: string): Promise<CollectorTask | null> {
  const [row] = await db.select().from(collectorTasks).where(eq(collectorTasks.id, taskId));
  return row ?? null;
}

export async function getTaskByKey(db: Database, idempotencyKey: string): Promise<CollectorTask | null> {
  const [row] = await db.select().from(collectorTasks).where(eq(collectorTasks.idempotencyKey, idempotencyKey));
  return row ?? null;
}

/** The collector's work list: queued tasks open to them (unassigned or theirs) and those they hold. */
export async function listTasksForCollector(db: Database, collectorId: string, limit = 50): Promise<CollectorTask[]> {
  return db
    .select()
    .from(collectorTasks)
    .where(
      or(
        and(eq(collectorTasks.status, 'queued'), or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, collectorId))),
        and(eq(collectorTasks.status, 'claimed'), eq(collectorTasks.claimedBy, collectorId)),
      ),
    )
    .orderBy(collectorTasks.availableAt, collectorTasks.createdAt)
    .limit(limit);
}

/** The newest task on the loan the collector holds (claimed), or null. */
export async function claimedTaskOf(db: Database, loanId: string, collectorId: string): Promise<CollectorTask | null> {
  const [task] = await db
    .select()
    .from(collectorTasks)
    .where(and(eq(collectorTasks.loanId, loanId), eq(collectorTasks.status, 'claimed'), eq(collectorTasks.claimedBy, collectorId)))
    .orderBy(desc(collectorTasks.createdAt))
    .limit(1);
  return task ?? null;
}

/** Queued tasks of the loan follow its case to another collector (null: anyone may claim them). */
export async function reassignQueuedTasks(db: Database, loanId: string, collectorId: string | null): Promise<void> {
  await db
    .update(collectorTasks)
    .set({ collectorId })
    .where(and(eq(collectorTasks.loanId, loanId), eq(collectorTasks.status, 'queued')));
}
