// The append-only audit trail: who did what, when, with the state before and after.
// The database refuses UPDATE/DELETE/TRUNCATE on audit_events (migration 0001_audit_append_only).
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { preparedFor } from '../prepared';
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
  const row = auditRow(event);
  // Prepared (#19): most writes append one event, inside their own transaction. Placeholders are passed as
  // the driver takes them: JSON as text (SQL NULL stays NULL), the instant as ISO text.
  const [inserted] = await preparedFor(db, 'audit_append', (handle) =>
    handle
      .insert(auditEvents)
      .values({
        // The column's default when the event names no instant.
        at: sql`coalesce(${sql.placeholder('at')}::timestamptz, now())`,
        actor: sql.placeholder('actor'),
        action: sql.placeholder('action'),
        caseId: sql.placeholder('caseId'),
        loanId: sql.placeholder('loanId'),
        before: sql`${sql.placeholder('before')}::jsonb`,
        after: sql`${sql.placeholder('after')}::jsonb`,
      })
      .returning({ id: auditEvents.id })
      .prepare('audit_append'),
  ).execute({
    actor: row.actor,
    action: row.action,
    caseId: row.caseId,
    loanId: row.loanId,
    before: row.before === null ? null : JSON.stringify(row.before),
    after: row.after === null ? null : JSON.stringify(row.after),
    at: event.at ? event.at.toISOString() : null,
  });
  return { id: inserted!.id };
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
