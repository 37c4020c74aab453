// Complaints (issue #16): filed once per idempotency key, reviewed once by an operator. The text stays in
// this table; the audit trail and the workflow only ever see the complaint's id.
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { complaints, type Complaint, type ComplaintSource } from '../schema';
import { appendAudit } from './audit';
import { ConflictError, NotFoundError, ValidationError } from './errors';

export interface ComplaintInput {
  idempotencyKey: string;
  loanId: string;
  caseId: string | null;
  source: ComplaintSource;
  text: string;
  createdBy: string;
}

export const COMPLAINT_TEXT_MAX = 4000;

export async function fileComplaintRow(db: Database, input: ComplaintInput): Promise<{ complaint: Complaint; created: boolean }> {
  const text = typeof input.text === 'string' ? input.text.trim() : '';
  if (text === '') throw new ValidationError('text must say what the complaint is about', 'text');
  if (text.length > COMPLAINT_TEXT_MAX) throw new ValidationError(`text must be at most ${COMPLAINT_TEXT_MAX} characters (got ${text.length})`, 'text');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(complaints)
      .values({ ...input, text })
      .onConflictDoNothing({ target: complaints.idempotencyKey })
      .returning();
    if (row) {
      await appendAudit(tx, { actor: input.createdBy, action: 'complaint.filed', caseId: input.caseId, loanId: input.loanId, after: { complaintId: row.id, source: input.source } });
      return { complaint: row, created: true };
    }
    const [existing] = await tx.select().from(complaints).where(eq(complaints.idempotencyKey, input.idempotencyKey));
    if (!existing || existing.loanId !== input.loanId || existing.text !== text) {
      throw new ConflictError(`idempotencyKey ${input.idempotencyKey} was used for another complaint`, 'idempotencyKey');
    }
    return { complaint: existing, created: false };
  });
}

export async function listComplaints(db: Database, filter: { open?: boolean; loanId?: string; limit?: number } = {}): Promise<Complaint[]> {
  const where = and(filter.open ? isNull(complaints.reviewedAt) : undefined, filter.loanId ? eq(complaints.loanId, filter.loanId) : undefined);
  return db
    .select()
    .from(complaints)
    .where(where)
    .orderBy(filter.open ? asc(complaints.createdAt) : desc(complaints.createdAt))
    .limit(filter.limit ?? 100);
}

export async function getComplaint(db: Database, id: string): Promise<Complaint | null> {
  const [row] = await db.select().from(complaints).where(eq(complaints.id, id));
  return row ?? null;
}

/** Marks a complaint reviewed (once; a second review is 409) and audits who reviewed it. */
export async function reviewComplaintRow(db: Database, id: string, resolution: string, reviewedBy: string): Promise<Complaint> {
  const text = typeof resolution === 'string' ? resolution.trim() : '';
  if (text === '') throw new ValidationError('resolution must say what was found and done', 'resolution');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(complaints)
      .set({ reviewedAt: sql`now()`, reviewedBy, resolution: text })
      .where(and(eq(complaints.id, id), isNull(complaints.reviewedAt)))
      .returning();
    if (!row) {
      const existing = await getComplaint(tx, id);
      if (!existing) throw new NotFoundError(`complaint ${id} not found`, 'complaintId');
      throw new ConflictError(`complaint ${id} was already reviewed at ${existing.reviewedAt!.toISOString()} by ${existing.reviewedBy}`, 'complaintId');
    }
    await appendAudit(tx, { actor: reviewedBy, action: 'complaint.reviewed', caseId: row.caseId, loanId: row.loanId, after: { complaintId: id } });
    return row;
  });
}

export async function openComplaintCount(db: Database, loanId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(complaints)
    .where(and(eq(complaints.loanId, loanId), isNull(complaints.reviewedAt)));
  return row?.n ?? 0;
}
