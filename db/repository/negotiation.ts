// What comes out of talking to a borrower: promises to pay, payment plans, disputes as filed, and the
// hand-off to legal. Each insert is idempotent by key so a retried activity records it once.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import {
  disputes,
  legalCases,
  loans,
  paymentPlans,
  planInstallments,
  promisesToPay,
  type Dispute,
  type LegalCase,
  type PaymentPlan,
  type PlanInstallment,
  type PromiseToPay,
} from '../schema';
import { appendAudit } from './audit';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { quote, requireCurrency, requireDate, requireMinor, requireOneOf, requireText } from './validate';

async function loanCurrency(db: Database, loanId: string): Promise<string> {
  const [loan] = await db.select({ currency: loans.currency }).from(loans).where(eq(loans.id, loanId));
  if (!loan) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return loan.currency;
}

async function requireLoanCurrency(db: Database, loanId: string, currency: string): Promise<void> {
  requireCurrency(currency);
  const expected = await loanCurrency(db, loanId);
  if (expected !== currency) {
    throw new ValidationError(`currency ${currency} does not match loan ${loanId} currency ${expected}`, 'currency');
  }
}

export interface PromiseInput {
  idempotencyKey: string;
  caseId: string;
  loanId: string;
  amountMinor: number;
  currency: string;
  /** 'YYYY-MM-DD'. */
  promisedFor: string;
  /** e.g. 'collector:c7', 'borrower'. */
  createdBy: string;
}

export async function createPromiseToPay(db: Database, input: PromiseInput): Promise<{ promise: PromiseToPay; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireMinor(input.amountMinor, 'amountMinor');
  requireDate(input.promisedFor, 'promisedFor');
  requireText(input.createdBy, 'createdBy');
  return db.transaction(async (tx) => {
    await requireLoanCurrency(tx, input.loanId, input.currency);
    const [created] = await tx.insert(promisesToPay).values(input).onConflictDoNothing({ target: promisesToPay.idempotencyKey }).returning();
    if (!created) {
      const [existing] = await tx.select().from(promisesToPay).where(eq(promisesToPay.idempotencyKey, input.idempotencyKey));
      return { promise: existing!, created: false };
    }
    await appendAudit(tx, {
      actor: input.createdBy,
      action: 'promise.created',
      caseId: input.caseId,
      loanId: input.loanId,
      after: { promiseId: created.id, amountMinor: created.amountMinor, currency: created.currency, promisedFor: created.promisedFor },
    });
    return { promise: created, created: true };
  });
}

export async function resolvePromiseToPay(
  db: Database,
  promiseId: string,
  status: 'kept' | 'broken' | 'cancelled',
  actor = 'system',
): Promise<PromiseToPay> {
  requireOneOf(status, ['kept', 'broken', 'cancelled'] as const, 'status');
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(promisesToPay).where(eq(promisesToPay.id, promiseId)).for('update');
    if (!before) throw new NotFoundError(`promise ${promiseId} not found`, 'promiseId');
    if (before.status === status) return before;
    if (before.status !== 'open') throw new ConflictError(`promise ${promiseId} is already ${before.status}`, 'status');
    const [after] = await tx.update(promisesToPay).set({ status, resolvedAt: sql`now()` }).where(eq(promisesToPay.id, promiseId)).returning();
    await appendAudit(tx, { actor, action: `promise.${status}`, caseId: before.caseId, loanId: before.loanId, before: { status: before.status }, after: { status } });
    return after!;
  });
}

export interface PlanInput {
  idempotencyKey: string;
  caseId: string;
  loanId: string;
  currency: string;
  createdBy: string;
  installments: { seq: number; dueDate: string; amountMinor: number }[];
  /** How much less than the past-due amount the plan asks for (contract 6); absent or 0: none. */
  discountMinor?: number;
}

export async function createPaymentPlan(
  db: Database,
  input: PlanInput,
): Promise<{ plan: PaymentPlan; installments: PlanInstallment[]; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.createdBy, 'createdBy');
  if (input.installments.length === 0) throw new ValidationError('installments must not be empty', 'installments');
  let totalMinor = 0;
  input.installments.forEach((i, n) => {
    requireDate(i.dueDate, `installments[${n}].dueDate`);
    totalMinor += requireMinor(i.amountMinor, `installments[${n}].amountMinor`);
  });
  requireMinor(totalMinor, 'installments total');
  const discountMinor = input.discountMinor === undefined ? 0 : requireMinor(input.discountMinor, 'discountMinor', { positive: false });
  return db.transaction(async (tx) => {
    await requireLoanCurrency(tx, input.loanId, input.currency);
    const [created] = await tx
      .insert(paymentPlans)
      .values({
        idempotencyKey: input.idempotencyKey,
        caseId: input.caseId,
        loanId: input.loanId,
        currency: input.currency,
        totalMinor,
        discountMinor,
        createdBy: input.createdBy,
      })
      .onConflictDoNothing({ target: paymentPlans.idempotencyKey })
      .returning();
    const plan = created ?? (await tx.select().from(paymentPlans).where(eq(paymentPlans.idempotencyKey, input.idempotencyKey)))[0]!;
    if (created) {
      await tx.insert(planInstallments).values(input.installments.map((i) => ({ planId: plan.id, ...i })));
      await appendAudit(tx, {
        actor: input.createdBy,
        action: 'plan.created',
        caseId: input.caseId,
        loanId: input.loanId,
        after: { planId: plan.id, totalMinor, currency: input.currency, installments: input.installments, ...(discountMinor > 0 ? { discountMinor } : {}) },
      });
    }
    const rows = await tx.select().from(planInstallments).where(eq(planInstallments.planId, plan.id)).orderBy(asc(planInstallments.seq));
    return { plan, installments: rows, created: Boolean(created) };
  });
}

export async function setPaymentPlanStatus(
  db: Database,
  planId: string,
  status: 'completed' | 'broken' | 'cancelled',
  actor = 'system',
): Promise<PaymentPlan> {
  requireOneOf(status, ['completed', 'broken', 'cancelled'] as const, 'status');
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(paymentPlans).where(eq(paymentPlans.id, planId)).for('update');
    if (!before) throw new NotFoundError(`plan ${planId} not found`, 'planId');
    if (before.status === status) return before;
    if (before.status !== 'active') throw new ConflictError(`plan ${planId} is already ${before.status}`, 'status');
    const [after] = await tx.update(paymentPlans).set({ status, endedAt: sql`now()` }).where(eq(paymentPlans.id, planId)).returning();
    await appendAudit(tx, { actor, action: `plan.${status}`, caseId: before.caseId, loanId: before.loanId, before: { status: before.status }, after: { status } });
    return after!;
  });
}

export interface DisputeInput {
  idempotencyKey: string;
  loanId: string;
  caseId?: string | null;
  reason: string;
  /** Disputed part; omit for the whole debt. */
  amountMinor?: number | null;
  currency?: string | null;
  openedAt?: Date;
  actor?: string;
}

export async function openDispute(db: Database, input: DisputeInput): Promise<{ dispute: Dispute; created: boolean }> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.reason, 'reason');
  if (input.amountMinor != null) {
    requireMinor(input.amountMinor, 'amountMinor');
    if (input.currency == null) throw new ValidationError('currency is required with amountMinor', 'currency');
  }
  return db.transaction(async (tx) => {
    // A repeated key is answered before the new content is checked: other content is a conflict.
    const [earlier] = await tx.select().from(disputes).where(eq(disputes.idempotencyKey, input.idempotencyKey));
    if (earlier) return { dispute: sameDispute(earlier, input), created: false };
    if (input.currency != null) await requireLoanCurrency(tx, input.loanId, input.currency);
    else await loanCurrency(tx, input.loanId);
    const [created] = await tx
      .insert(disputes)
      .values({
        idempotencyKey: input.idempotencyKey,
        loanId: input.loanId,
        caseId: input.caseId ?? null,
        reason: input.reason,
        amountMinor: input.amountMinor ?? null,
        currency: input.currency ?? null,
        ...(input.openedAt ? { openedAt: input.openedAt } : {}),
      })
      .onConflictDoNothing({ target: disputes.idempotencyKey })
      .returning();
    if (!created) {
      const [existing] = await tx.select().from(disputes).where(eq(disputes.idempotencyKey, input.idempotencyKey));
      return { dispute: sameDispute(existing!, input), created: false };
    }
    await appendAudit(tx, {
      actor: input.actor ?? 'backend',
      action: 'dispute.opened',
      caseId: created.caseId,
      loanId: created.loanId,
      after: { disputeId: created.id, reason: created.reason, amountMinor: created.amountMinor, currency: created.currency },
    });
    return { dispute: created, created: true };
  });
}

/** A dispute filed again with its key: the same one, or a conflict when the content differs. */
function sameDispute(existing: Dispute, input: DisputeInput): Dispute {
  const same =
    existing.loanId === input.loanId &&
    existing.reason === input.reason &&
    existing.amountMinor === (input.amountMinor ?? null) &&
    existing.currency === (input.currency ?? null);
  if (!same) {
    throw new ConflictError(
      `idempotencyKey ${quote(input.idempotencyKey)} was already used for another dispute (loan ${existing.loanId}); ` +
        'send the same content again, or use a new key for a new dispute',
      'idempotencyKey',
    );
  }
  return existing;
}

export async function resolveDispute(
  db: Database,
  disputeId: string,
  outcome: 'upheld' | 'rejected' | 'withdrawn',
  options: { resolvedAt?: Date; actor?: string } = {},
): Promise<Dispute> {
  requireOneOf(outcome, ['upheld', 'rejected', 'withdrawn'] as const, 'outcome');
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(disputes).where(eq(disputes.id, disputeId)).for('update');
    if (!before) throw new NotFoundError(`dispute ${disputeId} not found`, 'disputeId');
    if (before.resolvedAt) {
      if (before.outcome === outcome) return before;
      throw new ConflictError(`dispute ${disputeId} is already resolved as ${before.outcome}`, 'outcome');
    }
    const [after] = await tx
      .update(disputes)
      .set({ outcome, resolvedAt: options.resolvedAt ?? new Date() })
      .where(eq(disputes.id, disputeId))
      .returning();
    await appendAudit(tx, {
      actor: options.actor ?? 'operator',
      action: 'dispute.resolved',
      caseId: before.caseId,
      loanId: before.loanId,
      before: { outcome: null },
      after: { outcome },
    });
    return after!;
  });
}

/** A dispute filed on the loan, or null (also when the id belongs to another loan's dispute). */
export async function getDispute(db: Database, loanId: string, disputeId: string): Promise<Dispute | null> {
  const [row] = await db.select().from(disputes).where(and(eq(disputes.id, disputeId), eq(disputes.loanId, loanId)));
  return row ?? null;
}

export async function listOpenDisputes(db: Database, loanId: string): Promise<Dispute[]> {
  return db
    .select()
    .from(disputes)
    .where(sql`${disputes.loanId} = ${loanId} AND ${disputes.resolvedAt} IS NULL`)
    .orderBy(asc(disputes.openedAt));
}

/**
 * Hands the case to legal once (unique per case), audited as `legal.handed_off` in the same transaction;
 * a repeat returns the existing legal case and writes nothing.
 */
export async function createLegalCase(
  db: Database,
  input: { caseId: string; loanId: string; agency?: string | null; reference?: string | null; actor?: string; idempotencyKey?: string },
): Promise<{ legalCase: LegalCase; created: boolean }> {
  requireText(input.caseId, 'caseId');
  requireText(input.loanId, 'loanId');
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(legalCases)
      .values({ caseId: input.caseId, loanId: input.loanId, agency: input.agency ?? null, reference: input.reference ?? null })
      .onConflictDoNothing({ target: legalCases.caseId })
      .returning();
    if (!created) {
      const [existing] = await tx.select().from(legalCases).where(eq(legalCases.caseId, input.caseId));
      return { legalCase: existing!, created: false };
    }
    await appendAudit(tx, {
      actor: input.actor ?? 'system',
      action: 'legal.handed_off',
      caseId: input.caseId,
      loanId: input.loanId,
      after: {
        legalCaseId: created.id,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(created.agency ? { agency: created.agency } : {}),
        ...(created.reference ? { reference: created.reference } : {}),
      },
    });
    return { legalCase: created, created: true };
  });
}
