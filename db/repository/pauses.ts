// The facts that stop a collector's call at once, written where the task claim reads them: the case's
// pauses (operator pause, hardship) and the cancellation of the loan's open tasks with the rule that now
// forbids them. The API calls these inside the same transaction as the fact itself (a dispute, a cease
// request, a bar, a call opt-out, a pause), so no collector can claim or keep a task the fact forbids.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { collectionCases, type CollectorTask } from '../schema';
import { appendAudit } from './audit';
import { cancelOpenTasksForLoan } from './tasks';

/** Cancels the loan's open collector tasks with `rule`, one audit event per task cancelled. */
export async function cancelTasksForRule(db: Database, loanId: string, rule: string, actor: string): Promise<CollectorTask[]> {
  const cancelled = await cancelOpenTasksForLoan(db, loanId, rule);
  for (const task of cancelled) {
    await appendAudit(db, {
      actor,
      action: 'task.cancelled',
      caseId: task.caseId,
      loanId,
      before: { status: 'open' },
      after: { taskId: task.id, status: 'cancelled', rule, cancelledAt: task.cancelledAt?.toISOString() ?? null },
    });
  }
  return cancelled;
}

/** Marks the loan's open case paused by an operator (until resumed), or clears it; false when no case is open. */
export async function setOperatorPause(db: Database, loanId: string, paused: boolean): Promise<boolean> {
  const rows = await db
    .update(collectionCases)
    .set({ operatorPausedAt: paused ? sql`coalesce(${collectionCases.operatorPausedAt}, now())` : null })
    .where(and(eq(collectionCases.loanId, loanId), isNull(collectionCases.closedAt)))
    .returning({ id: collectionCases.id });
  return rows.length > 0;
}

/** Pauses the loan's open case for hardship until `until`; false when no case is open. */
export async function setHardshipPause(db: Database, loanId: string, until: Date): Promise<boolean> {
  const rows = await db
    .update(collectionCases)
    .set({ hardshipUntil: until })
    .where(and(eq(collectionCases.loanId, loanId), isNull(collectionCases.closedAt)))
    .returning({ id: collectionCases.id });
  return rows.length > 0;
}
