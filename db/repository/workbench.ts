// What the collector workbench (api/web/workbench) reads and writes: a collector's queue judged by the
// rules now, claiming one task of it, a case's timeline, and case notes. Every query of the workbench
// lives here; the actions themselves (call outcome, promise, plan) go through api/operations like the
// JSON API's.
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import {
  apiKeys,
  auditEvents,
  borrowers,
  caseNotes,
  collectionCases,
  collectorTasks,
  contactAttempts,
  disputes,
  loans,
  paymentPlans,
  payments,
  planInstallments,
  promisesToPay,
  type CaseNote,
  type CollectorTask,
} from '../schema';
import { appendAudit } from './audit';
import { ValidationError } from './errors';
import { getLoanPosition, type LoanPosition } from './ledger';
import { judgeContact } from './tasks';

/** Task kinds a collector works from the workbench: calls, and field visits. */
export const WORKBENCH_TASK_KINDS = ['call', 'visit'] as const;

export interface QueueItem {
  task: CollectorTask;
  borrower: { name: string; timeZone: string; locale: string };
  position: LoanPosition;
  /** Expected value for ordering: past-due amount × cure propensity, when a score exists. */
  expectedValueMinor: number | null;
}

/**
 * Cure propensity of a loan in [0, 1], when a scoring model has scored it. No model ships with the
 * workbench; a scorer is handed in by whoever has one (the queue orders by age without it).
 */
export type CurePropensity = (loanId: string) => Promise<number | undefined>;

/**
 * The collector's queue: tasks they hold, and tasks they may claim (theirs or anyone's) that are
 * available and that the rules allow now, judged exactly as a claim would judge them. Ordered by
 * expected value (past-due × cure propensity) when any task has a score, otherwise oldest first.
 */
export async function workbenchQueue(
  db: Database,
  collectorId: string,
  options: { now?: Date; propensity?: CurePropensity; limit?: number } = {},
): Promise<QueueItem[]> {
  const now = options.now ?? new Date();
  const rows = await db
    .select({ task: collectorTasks, name: borrowers.name, timeZone: borrowers.timeZone, locale: borrowers.locale })
    .from(collectorTasks)
    .innerJoin(loans, eq(loans.id, collectorTasks.loanId))
    .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
    .where(
      and(
        inArray(collectorTasks.kind, [...WORKBENCH_TASK_KINDS]),
        or(
          and(
            eq(collectorTasks.status, 'queued'),
            lte(collectorTasks.availableAt, now),
            or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, collectorId)),
          ),
          and(eq(collectorTasks.status, 'claimed'), eq(collectorTasks.claimedBy, collectorId)),
        ),
      ),
    )
    .orderBy(asc(collectorTasks.availableAt), asc(collectorTasks.createdAt))
    .limit(options.limit ?? 100);
  const items: QueueItem[] = [];
  for (const row of rows) {
    // A task the collector holds stays on their list; the others only while the rules allow them now.
    if (row.task.status !== 'claimed' && !(await judgeContact(db, row.task, now)).allowed) continue;
    const position = await getLoanPosition(db, row.task.loanId, now);
    const score = options.propensity ? await options.propensity(row.task.loanId) : undefined;
    items.push({
      task: row.task,
      borrower: { name: row.name, timeZone: row.timeZone, locale: row.locale },
      position,
      expectedValueMinor: score === undefined ? null : Math.round(position.pastDueMinor * score),
    });
  }
  if (items.some((i) => i.expectedValueMinor !== null)) {
    items.sort((a, b) => (b.expectedValueMinor ?? -1) - (a.expectedValueMinor ?? -1));
  }
  return items;
}

/**
 * Claims one task of the queue for the collector: it must be claimable by them (queued or with an expired
 * lease, available, theirs or anyone's) and allowed by the rules now, judged inside the claim's
 * transaction as claimNextTask judges. Returns the task, or the reason it cannot be claimed.
 */
export async function claimTaskById(
  db: Database,
  collectorId: string,
  taskId: string,
  leaseMs: number,
): Promise<{ task: CollectorTask } | { refused: string }> {
  return db.transaction(async (tx) => {
    const [task] = await tx
      .select()
      .from(collectorTasks)
      .where(
        and(
          eq(collectorTasks.id, taskId),
          inArray(collectorTasks.kind, [...WORKBENCH_TASK_KINDS]),
          or(
            eq(collectorTasks.status, 'queued'),
            and(eq(collectorTasks.status, 'claimed'), or(eq(collectorTasks.claimedBy, collectorId), lt(collectorTasks.leaseUntil, sql`now()`))),
          ),
          lte(collectorTasks.availableAt, sql`now()`),
          or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, collectorId)),
        ),
      )
      .for('update', { skipLocked: true });
    if (!task) return { refused: 'this task is no longer in your queue (taken, done or cancelled)' };
    if (task.status === 'claimed' && task.claimedBy === collectorId) return { task };
    const decision = await judgeContact(tx, task, new Date());
    if (!decision.allowed) {
      return { refused: `the rules do not allow this contact now (${decision.rule}${decision.until ? ` until ${decision.until}` : ''})` };
    }
    const [claimed] = await tx
      .update(collectorTasks)
      .set({ status: 'claimed', claimedBy: collectorId, claimedAt: sql`now()`, leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where(eq(collectorTasks.id, task.id))
      .returning();
    return { task: claimed! };
  });
}

export type TimelineKind = 'contact' | 'blocked' | 'task' | 'payment' | 'promise' | 'plan' | 'dispute' | 'note' | 'stage';

export interface TimelineEntry {
  at: Date;
  kind: TimelineKind;
  /** One line a collector reads. */
  text: string;
  /** The rule behind a blocked contact or a cancelled task. */
  rule?: string;
}

/**
 * One timeline of the case's loan, newest first: contacts sent and blocked (with their rules), call and
 * visit tasks (outcomes, cancellations with their rules), payments, promises, plans, disputes, notes and
 * stage changes. Amounts are returned in minor units inside the text by `money`.
 */
export async function caseTimeline(db: Database, loanId: string, money: (amountMinor: number) => string): Promise<TimelineEntry[]> {
  const [contacts, tasks, paid, promises, plans, disputeRows, notes, stages] = await Promise.all([
    db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loanId)),
    db.select().from(collectorTasks).where(eq(collectorTasks.loanId, loanId)),
    db.select().from(payments).where(eq(payments.loanId, loanId)),
    db.select().from(promisesToPay).where(eq(promisesToPay.loanId, loanId)),
    db
      .select({ plan: paymentPlans, count: sql<number>`(select count(*)::int from ${planInstallments} where ${planInstallments.planId} = ${paymentPlans.id})` })
      .from(paymentPlans)
      .where(eq(paymentPlans.loanId, loanId)),
    db.select().from(disputes).where(eq(disputes.loanId, loanId)),
    listCaseNotes(db, loanId),
    db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.loanId, loanId), inArray(auditEvents.action, ['workflow.stage_entered', 'case.opened', 'case.closed', 'workflow.paused', 'workflow.resumed', 'workflow.hardship_pause']))),
  ]);
  const entries: TimelineEntry[] = [];
  for (const c of contacts) {
    if (c.status === 'blocked') {
      entries.push({ at: c.updatedAt, kind: 'blocked', text: `${c.channel} (${c.template}) blocked`, rule: c.blockedRule ?? undefined });
    } else if (c.status === 'sent' || c.status === 'presumed_sent') {
      entries.push({ at: c.sentAt ?? c.createdAt, kind: 'contact', text: `${c.channel} sent: ${c.template}` });
    }
  }
  for (const t of tasks) {
    const what = t.kind === 'visit' ? 'field visit' : 'call';
    if (t.status === 'done') entries.push({ at: t.completedAt ?? t.createdAt, kind: 'task', text: `${what} by ${t.claimedBy ?? 'a collector'}: ${t.outcome ?? 'done'}` });
    else if (t.status === 'cancelled' && t.cancelledRule) entries.push({ at: t.cancelledAt ?? t.createdAt, kind: 'blocked', text: `${what} task cancelled`, rule: t.cancelledRule });
    else if (t.status === 'queued' || t.status === 'claimed') entries.push({ at: t.createdAt, kind: 'task', text: `${what} task ${t.status}${t.claimedBy ? ` by ${t.claimedBy}` : ''}` });
  }
  for (const p of paid) entries.push({ at: p.receivedAt, kind: 'payment', text: `payment received: ${money(p.amountMinor)}` });
  for (const p of promises) entries.push({ at: p.createdAt, kind: 'promise', text: `promise to pay ${money(p.amountMinor)} by ${p.promisedFor}: ${p.status}` });
  for (const { plan, count } of plans) entries.push({ at: plan.createdAt, kind: 'plan', text: `payment plan of ${money(plan.totalMinor)} in ${count} instalments: ${plan.status}` });
  for (const d of disputeRows) {
    entries.push({ at: d.openedAt, kind: 'dispute', text: `dispute opened` });
    if (d.resolvedAt) entries.push({ at: d.resolvedAt, kind: 'dispute', text: `dispute ${d.outcome}` });
  }
  for (const n of notes) entries.push({ at: n.createdAt, kind: 'note', text: `${n.author}: ${n.body}` });
  for (const e of stages) {
    const detail = (e.after ?? {}) as Record<string, unknown>;
    const text =
      e.action === 'workflow.stage_entered' ? `stage: ${String(detail.stage ?? '')}` : e.action.replace(/^workflow\./, '').replace(/^case\./, 'case ').replace(/_/g, ' ');
    entries.push({ at: e.at, kind: 'stage', text });
  }
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime());
}

export const MAX_NOTE_LENGTH = 4000;

/**
 * Appends a collector's note to the case, with an audit event naming the note (its id and length, not
 * its text: the audit trail is read widely, the note only on the case). One transaction.
 */
export async function addCaseNote(db: Database, input: { caseId: string; loanId: string; author: string; body: string }): Promise<CaseNote> {
  const body = typeof input.body === 'string' ? input.body.trim() : '';
  if (body.length === 0) throw new ValidationError('note must not be empty', 'body');
  if (body.length > MAX_NOTE_LENGTH) throw new ValidationError(`note must be at most ${MAX_NOTE_LENGTH} characters (got ${body.length})`, 'body');
  return db.transaction(async (tx) => {
    const [note] = await tx.insert(caseNotes).values({ caseId: input.caseId, loanId: input.loanId, author: input.author, body }).returning();
    await appendAudit(tx, { actor: input.author, action: 'case.note_added', caseId: input.caseId, loanId: input.loanId, after: { noteId: note!.id, length: body.length } });
    return note!;
  });
}

export async function listCaseNotes(db: Database, loanId: string): Promise<CaseNote[]> {
  return db.select().from(caseNotes).where(eq(caseNotes.loanId, loanId)).orderBy(desc(caseNotes.createdAt));
}

/** The borrower of a loan as the workbench shows them (a collector's desktop: name and phone to call). */
export async function borrowerOfLoan(db: Database, loanId: string) {
  const [row] = await db
    .select({ id: borrowers.id, name: borrowers.name, phone: borrowers.phone, timeZone: borrowers.timeZone, locale: borrowers.locale, currency: loans.currency })
    .from(loans)
    .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
    .where(eq(loans.id, loanId));
  return row ?? null;
}

/** The open case of a loan, or its latest one. */
export async function latestCaseOfLoan(db: Database, loanId: string) {
  const [row] = await db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId)).orderBy(desc(collectionCases.openedAt)).limit(1);
  return row ?? null;
}

/** A collector key that is still active, by id (the workbench session names its key). */
export async function activeCollectorKey(db: Database, keyId: string): Promise<{ id: string; collectorId: string } | null> {
  const [row] = await db
    .select({ id: apiKeys.id, collectorId: apiKeys.collectorId })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.role, 'collector'), isNull(apiKeys.revokedAt)));
  return row?.collectorId ? { id: row.id, collectorId: row.collectorId } : null;
}
