// The contact record: every attempt to reach a borrower, keyed by an idempotency key derived from
// the workflow and step, so a retried activity finds its earlier attempt instead of sending twice.
import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { preparedFor } from '../prepared';
import { supersedeOlderLinksQuery } from './links';
import {
  CALL_OUTCOMES,
  CHANNELS,
  contactAttempts,
  type BorrowerLink,
  type CallOutcome,
  type Channel,
  type ContactAttempt,
  type ContactStatus,
} from '../schema';
import { NotFoundError } from './errors';
import { requireInstant, requireOneOf, requireText } from './validate';

export interface BeginContactInput {
  idempotencyKey: string;
  caseId?: string | null;
  loanId: string;
  channel: Channel;
  template: string;
  scheduledFor: Date;
}

/**
 * Records a planned attempt, or returns the attempt already recorded under this key
 * (`created: false`), whatever its status: the caller decides from the status whether to send.
 */
export async function beginContactAttempt(
  db: Database,
  input: BeginContactInput,
): Promise<{ attempt: ContactAttempt; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.loanId, 'loanId');
  requireOneOf(input.channel, CHANNELS, 'channel');
  requireText(input.template, 'template');
  requireInstant(input.scheduledFor, 'scheduledFor');
  const [created] = await preparedFor(db, 'contact_begin', (handle) =>
    handle
      .insert(contactAttempts)
      .values({
        idempotencyKey: sql.placeholder('idempotencyKey'),
        caseId: sql.placeholder('caseId'),
        loanId: sql.placeholder('loanId'),
        channel: sql.placeholder('channel'),
        template: sql.placeholder('template'),
        scheduledFor: sql.placeholder('scheduledFor'),
      })
      .onConflictDoNothing({ target: contactAttempts.idempotencyKey })
      .returning()
      .prepare('contact_begin'),
  ).execute({
    idempotencyKey: input.idempotencyKey,
    caseId: input.caseId ?? null,
    loanId: input.loanId,
    channel: input.channel,
    template: input.template,
    scheduledFor: input.scheduledFor,
  });
  if (created) return { attempt: created, created: true };
  return { attempt: await getContactAttempt(db, input.idempotencyKey), created: false };
}

export async function getContactAttempt(db: Database, idempotencyKey: string): Promise<ContactAttempt> {
  const [row] = await db.select().from(contactAttempts).where(eq(contactAttempts.idempotencyKey, idempotencyKey));
  if (!row) throw new NotFoundError(`contact attempt ${idempotencyKey} not found`, 'idempotencyKey');
  return row;
}

/**
 * Moves an attempt to `to` only from one of `from`; otherwise leaves it and returns it as stored,
 * so a late or repeated call can never turn a sent message back into a failure.
 */
async function transition(
  db: Database,
  idempotencyKey: string,
  from: ContactStatus[],
  set: Partial<typeof contactAttempts.$inferInsert> & { status: ContactStatus },
): Promise<ContactAttempt> {
  const [row] = await db
    .update(contactAttempts)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(contactAttempts.idempotencyKey, idempotencyKey), inArray(contactAttempts.status, from)))
    .returning();
  return row ?? getContactAttempt(db, idempotencyKey);
}

/** Claimed for sending (just before calling the provider). */
export function markContactSending(db: Database, idempotencyKey: string): Promise<ContactAttempt> {
  return transition(db, idempotencyKey, ['planned', 'failed'], { status: 'sending', error: null });
}

export async function markContactSent(
  db: Database,
  idempotencyKey: string,
  result: { sentAt?: Date; providerMessageId?: string | null; connected?: boolean | null; callOutcome?: CallOutcome | null } = {},
  options: { supersedeLinksBefore?: Pick<BorrowerLink, 'id' | 'loanId' | 'createdAt'> } = {},
): Promise<ContactAttempt> {
  if (result.callOutcome != null) requireOneOf(result.callOutcome, CALL_OUTCOMES, 'callOutcome');
  const values = {
    idempotencyKey,
    sentAt: (result.sentAt ?? new Date()).toISOString(),
    providerMessageId: result.providerMessageId ?? null,
    connected: result.connected ?? null,
    callOutcome: result.callOutcome ?? null,
  };
  const link = options.supersedeLinksBefore;
  // Once per message sent: prepared (#19), the same transition as the others; with the message's link,
  // the loan's older links are superseded in the same statement (a CTE; was a statement of its own).
  const [row] = link
    ? await preparedFor(db, 'contact_mark_sent_superseding', (handle) => {
        const superseded = handle.$with('superseded').as(supersedeOlderLinksQuery(handle));
        return markSentQuery(handle.with(superseded)).prepare('contact_mark_sent_superseding');
      }).execute({ ...values, linkLoanId: link.loanId, linkId: link.id, linkCreatedAt: link.createdAt.toISOString() })
    : await preparedFor(db, 'contact_mark_sent', (handle) => markSentQuery(handle).prepare('contact_mark_sent')).execute(values);
  return row ?? getContactAttempt(db, idempotencyKey);
}

/** markContactSent's update, with placeholders idempotencyKey, sentAt (ISO), providerMessageId, connected, callOutcome. */
function markSentQuery(db: Pick<Database, 'update'>) {
  return db
    .update(contactAttempts)
    .set({
      status: 'sent',
      // Placeholders in a SET are not encoded by the column: the instant goes as ISO text.
      sentAt: sql`${sql.placeholder('sentAt')}::timestamptz`,
      providerMessageId: sql`${sql.placeholder('providerMessageId')}::text`,
      connected: sql`${sql.placeholder('connected')}::boolean`,
      callOutcome: sql`${sql.placeholder('callOutcome')}::text`,
      error: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(contactAttempts.idempotencyKey, sql.placeholder('idempotencyKey')), inArray(contactAttempts.status, ['planned', 'sending', 'presumed_sent', 'failed'])))
    .returning();
}

/**
 * The provider call's outcome is unknown (timeout after the request left): count it as sent for the
 * contact caps, and never send it again under this key.
 */
export function markContactPresumedSent(
  db: Database,
  idempotencyKey: string,
  detail: { sentAt?: Date; error?: string | null } = {},
): Promise<ContactAttempt> {
  return transition(db, idempotencyKey, ['planned', 'sending'], {
    status: 'presumed_sent',
    sentAt: detail.sentAt ?? new Date(),
    error: detail.error ?? null,
  });
}

/** The provider refused it for sure (nothing was delivered); the attempt may be retried. */
export function markContactFailed(db: Database, idempotencyKey: string, error: string): Promise<ContactAttempt> {
  return transition(db, idempotencyKey, ['planned', 'sending'], { status: 'failed', error });
}

/** A compliance rule stopped the contact; `until` is when it may be allowed again (null: not by time). */
export function markContactBlocked(
  db: Database,
  idempotencyKey: string,
  rule: string,
  until: Date | null = null,
): Promise<ContactAttempt> {
  requireText(rule, 'rule');
  return transition(db, idempotencyKey, ['planned', 'sending', 'failed'], {
    status: 'blocked',
    blockedRule: rule,
    blockedUntil: until,
  });
}

/**
 * Every attempt on the loan that happened (or was planned) at or after `since`, oldest first. The
 * contact rules count only `sent` and `presumed_sent`, by their `sentAt`.
 */
export async function listContactHistory(db: Database, loanId: string, since: Date): Promise<ContactAttempt[]> {
  const at = sql`coalesce(${contactAttempts.sentAt}, ${contactAttempts.createdAt})`;
  return db
    .select()
    .from(contactAttempts)
    .where(and(eq(contactAttempts.loanId, loanId), gte(at, sql`${since.toISOString()}::timestamptz`)))
    .orderBy(asc(at), asc(contactAttempts.createdAt));
}

// Used by the channel activities: a send claims its attempt, and gives it back when the provider refused it.
export async function findContactAttempt(db: Database, idempotencyKey: string): Promise<ContactAttempt | null> {
  const [row] = await db.select().from(contactAttempts).where(eq(contactAttempts.idempotencyKey, idempotencyKey));
  return row ?? null;
}

/** 'planned' → 'sending', only if still planned; null when another run moved it first. */
export async function claimContactForSending(db: Database, idempotencyKey: string): Promise<ContactAttempt | null> {
  const [row] = await preparedFor(db, 'contact_claim', (handle) =>
    handle
      .update(contactAttempts)
      .set({ status: 'sending', error: null, updatedAt: sql`now()` })
      .where(and(eq(contactAttempts.idempotencyKey, sql.placeholder('idempotencyKey')), eq(contactAttempts.status, 'planned')))
      .returning()
      .prepare('contact_claim'),
  ).execute({ idempotencyKey });
  return row ?? null;
}

/** 'sending' → 'planned' with the error: the provider certainly did not take it, so a retry may send. */
export async function releaseContactForRetry(db: Database, idempotencyKey: string, error: string): Promise<void> {
  await db
    .update(contactAttempts)
    .set({ status: 'planned', error, updatedAt: sql`now()` })
    .where(and(eq(contactAttempts.idempotencyKey, idempotencyKey), eq(contactAttempts.status, 'sending')));
}
