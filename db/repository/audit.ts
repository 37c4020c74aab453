// The append-only audit trail: who did what, when, with the state before and after.
// The database refuses UPDATE/DELETE/TRUNCATE on audit_events (migration 0001_audit_append_only).
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { auditEvents, type AuditEvent } from '../schema';
import { requireText } from './validate';

export interface AuditInput {
  actor: string;
  action: string;
  caseId?: string | null;
  loanId?: string | null;
  before?: unknown;
  after?: unknown;
  at?: Date;
}

export async function appendAudit(db: Database, event: AuditInput): Promise<{ id: number }> {
  const [row] = await db
    .insert(auditEvents)
    .values(auditRow(event))
    .returning({ id: auditEvents.id });
  return { id: row!.id };
}

/** One event as its row, its text fields checked. */
function auditRow(event: AuditInput) {
  return {
    actor: requireText(event.actor, 'actor'),
    action: requireText(event.action, 'action'),
    caseId: event.caseId ?? null,
    loanId: event.loanId ?? null,
    before: event.before ?? null,
    after: event.after ?? null,
    ...(event.at ? { at: event.at } : {}),
  };
}

export async function listAuditEvents(
  db: Database,
  filter: { loanId?: string; caseId?: string; afterId?: number; limit?: number },
): Promise<AuditEvent[]> {
  const where: SQL[] = [];
  if (filter.loanId) where.push(eq(auditEvents.loanId, filter.loanId));
  if (filter.caseId) where.push(eq(auditEvents.caseId, filter.caseId));
  if (filter.afterId !== undefined) where.push(gt(auditEvents.id, filter.afterId));
  return db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(asc(auditEvents.id))
    .limit(filter.limit ?? 500);
}

/**
 * Appends events that each carry an idempotency key, in one statement; an event whose key is already on
 * record is skipped, so an activity retried after writing them writes them no second time. Returns how
 * many were new.
 */
export async function appendAuditsOnce(db: Database, events: Array<AuditInput & { idempotencyKey: string }>): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await db
    .insert(auditEvents)
    .values(
      events.map((event) => ({ ...auditRow(event), idempotencyKey: requireText(event.idempotencyKey, 'idempotencyKey') })),
    )
    .onConflictDoNothing({ target: auditEvents.idempotencyKey })
    .returning({ id: auditEvents.id });
  return rows.length;
}
