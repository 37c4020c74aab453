// Self-service link rows (issue #16). A message's link is issued once per contact attempt (a retried send
// reuses it); once the message has gone out, its link supersedes every older live link of the loan, so only
// the newest message's link opens the page (a message that never went out supersedes nothing). Revoking is
// a timestamp and a reason; rows are never deleted.
import { and, eq, isNull, lte, ne, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { preparedFor } from '../prepared';
import { borrowerLinks, type BorrowerLink } from '../schema';
import { appendAudit } from './audit';

export interface IssueLinkInput {
  loanId: string;
  caseId: string | null;
  /** The contact attempt carrying the link; null for a link issued by hand. */
  contactKey: string | null;
  expiresAt: Date;
}

export async function issueLink(db: Database, input: IssueLinkInput): Promise<BorrowerLink> {
  const values = { loanId: input.loanId, caseId: input.caseId, contactKey: input.contactKey, expiresAt: input.expiresAt };
  if (input.contactKey) {
    // A message's link: one statement on the first attempt (the unique contact key makes a retry's insert a
    // no-op, which then reads the link the first attempt issued); it supersedes nothing until the message
    // has gone out. Was a transaction of four statements per send (#19).
    // Prepared (#19): once per message.
    const [row] = await preparedFor(db, 'link_issue', (handle) =>
      handle
        .insert(borrowerLinks)
        .values({ loanId: sql.placeholder('loanId'), caseId: sql.placeholder('caseId'), contactKey: sql.placeholder('contactKey'), expiresAt: sql.placeholder('expiresAt') })
        .onConflictDoNothing({ target: borrowerLinks.contactKey })
        .returning()
        .prepare('link_issue'),
    ).execute(values);
    return row ?? (await db.select().from(borrowerLinks).where(eq(borrowerLinks.contactKey, input.contactKey)))[0]!;
  }
  return db.transaction(async (tx) => {
    const [link] = await tx.insert(borrowerLinks).values(values).returning();
    await supersedeOlderLinks(tx, link!);
    return link!;
  });
}

/** Revokes the loan's live links issued before `link` (reason `superseded`). */
export async function supersedeOlderLinks(db: Database, link: Pick<BorrowerLink, 'id' | 'loanId' | 'createdAt'>): Promise<void> {
  await preparedFor(db, 'link_supersede', (handle) => supersedeOlderLinksQuery(handle).prepare('link_supersede')).execute({
    linkLoanId: link.loanId,
    linkId: link.id,
    linkCreatedAt: link.createdAt.toISOString(),
  });
}

/**
 * supersedeOlderLinks's update, with placeholders linkLoanId, linkId, linkCreatedAt (ISO); also a CTE of
 * markContactSent, which supersedes them as it records the message sent.
 */
export function supersedeOlderLinksQuery(db: Pick<Database, 'update'>) {
  return db
    .update(borrowerLinks)
    .set({ revokedAt: sql`now()`, revokedReason: 'superseded' })
    .where(
      and(
        eq(borrowerLinks.loanId, sql.placeholder('linkLoanId')),
        isNull(borrowerLinks.revokedAt),
        ne(borrowerLinks.id, sql.placeholder('linkId')),
        lte(borrowerLinks.createdAt, sql`${sql.placeholder('linkCreatedAt')}::timestamptz`),
      ),
    )
    .returning({ id: borrowerLinks.id });
}

export async function findLink(db: Database, id: string): Promise<BorrowerLink | null> {
  const [row] = await db.select().from(borrowerLinks).where(eq(borrowerLinks.id, id));
  return row ?? null;
}

export async function touchLink(db: Database, id: string): Promise<void> {
  await db.update(borrowerLinks).set({ lastUsedAt: sql`now()` }).where(eq(borrowerLinks.id, id));
}

/** Revokes every live link of a loan (an operator's decision, audited). Returns how many were revoked. */
export async function revokeLinks(db: Database, loanId: string, actor: string, reason: string): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(borrowerLinks)
      .set({ revokedAt: sql`now()`, revokedReason: reason })
      .where(and(eq(borrowerLinks.loanId, loanId), isNull(borrowerLinks.revokedAt)))
      .returning({ id: borrowerLinks.id });
    if (rows.length) await appendAudit(tx, { actor, action: 'links.revoked', loanId, after: { count: rows.length, reason } });
    return rows.length;
  });
}
