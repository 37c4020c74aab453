// The collector work queue. Claims take a time-limited lease with FOR UPDATE SKIP LOCKED, so many
// collectors can pull concurrently without ever getting the same task; an expired lease makes the
// task claimable again.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { collectorTasks, type CollectorTask } from '../schema';
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

/** Queues a task once per key; a repeated call returns the existing task (`created: false`). */
export async function enqueueTask(db: Database, input: EnqueueTaskInput): Promise<{ task: CollectorTask; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.loanId, 'loanId');
  requireText(input.kind, 'kind');
  const [created] = await db
    .insert(collectorTasks)
    .values({
      idempotencyKey: input.idempotencyKey,
      caseId: input.caseId ?? null,
      loanId: input.loanId,
      kind: input.kind,
      collectorId: input.collectorId ?? null,
      payload: input.payload ?? {},
      ...(input.availableAt ? { availableAt: input.availableAt } : {}),
    })
    .onConflictDoNothing({ target: collectorTasks.idempotencyKey })
    .returning();
  if (created) return { task: created, created: true };
  const [existing] = await db.select().from(collectorTasks).where(eq(collectorTasks.idempotencyKey, input.idempotencyKey));
  return { task: existing!, created: false };
}

/**
 * Claims the oldest available task for this collector (assigned to them or to anyone), leasing it
 * for `leaseMs`. Returns null when there is nothing to do.
 */
export async function claimNextTask(
  db: Database,
  collectorId: string,
  leaseMs: number,
  options: { kinds?: string[] } = {},
): Promise<CollectorTask | null> {
  requireText(collectorId, 'collectorId');
  if (!Number.isInteger(leaseMs) || leaseMs < 1) {
    throw new ValidationError(`leaseMs must be a positive integer (got ${leaseMs})`, 'leaseMs');
  }
  return db.transaction(async (tx) => {
    const [candidate] = await tx
      .select({ id: collectorTasks.id })
      .from(collectorTasks)
      .where(
        and(
          inArray(collectorTasks.status, ['queued', 'claimed']),
          or(eq(collectorTasks.status, 'queued'), lt(collectorTasks.leaseUntil, sql`now()`)),
          lte(collectorTasks.availableAt, sql`now()`),
          or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, collectorId)),
          options.kinds?.length ? inArray(collectorTasks.kind, options.kinds) : undefined,
        ),
      )
      .orderBy(asc(collectorTasks.availableAt), asc(collectorTasks.createdAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!candidate) return null;
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
  });
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

/** Cancels a task that is not done (e.g. the loan was cured). Returns null if it was already done. */
export async function cancelTask(db: Database, taskId: string): Promise<CollectorTask | null> {
  const [row] = await db
    .update(collectorTasks)
    .set({ status: 'cancelled', leaseUntil: null })
    .where(and(eq(collectorTasks.id, taskId), inArray(collectorTasks.status, ['queued', 'claimed'])))
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
