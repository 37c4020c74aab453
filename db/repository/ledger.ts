// Loans, instalments and payments. The database owns the ledger; balances and DPD are derived from
// the instalments by domain/ledger (never stored twice).
import { and, asc, eq, inArray, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { jsonArray, type Database } from '../client';
import { preparedFor } from '../prepared';
import { installments, ledgerAdjustments, loans, paymentAllocations, payments, type Installment, type Loan, type Payment } from '../schema';
import {
  allocatePayment,
  allocateWriteDown,
  applyAllocations,
  businessDate,
  loanPosition,
  type Allocation,
  type LedgerInstallment,
  type LedgerPosition,
} from '../../domain/ledger';
import { appendAudit } from './audit';
import { closeOpenCaseIfSettled } from './cases';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { requireCurrency, requireDate, requireDueDate, requireInstant, requireMinor, requirePastInstant, requireText } from './validate';

export interface InstallmentInput {
  seq: number;
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  amountDueMinor: number;
}

export interface LoanInput {
  id: string;
  borrowerId: string;
  product: string;
  currency: string;
  principalMinor: number;
  riskScore?: number | null;
  openedAt: Date;
  acceleratedAt?: Date | null;
  installments: InstallmentInput[];
}

/**
 * Inserts or updates a loan and its schedule in one transaction. Instalments are upserted by seq;
 * amounts paid are never taken from input (they come from recorded payments). The currency of an
 * existing loan cannot change.
 */
export async function upsertLoan(db: Database, input: LoanInput): Promise<{ loan: Loan; installments: Installment[] }> {
  requireText(input.id, 'id');
  requireText(input.borrowerId, 'borrowerId');
  requireText(input.product, 'product');
  requireCurrency(input.currency);
  requireMinor(input.principalMinor, 'principalMinor');
  requirePastInstant(input.openedAt, 'openedAt');
  if (input.riskScore != null && !Number.isInteger(input.riskScore)) {
    throw new ValidationError(`riskScore must be an integer (got ${input.riskScore})`, 'riskScore');
  }
  if (input.installments.length === 0) throw new ValidationError('installments must not be empty', 'installments');
  const seqs = new Set<number>();
  input.installments.forEach((i, n) => {
    if (!Number.isInteger(i.seq) || i.seq < 1 || seqs.has(i.seq)) {
      throw new ValidationError(`installments[${n}].seq must be a unique positive integer (got ${i.seq})`, `installments[${n}].seq`);
    }
    seqs.add(i.seq);
    requireDueDate(i.dueDate, `installments[${n}].dueDate`, input.openedAt);
    requireMinor(i.amountDueMinor, `installments[${n}].amountDueMinor`);
  });

  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(loans).where(eq(loans.id, input.id)).for('update');
    if (existing && existing.currency !== input.currency) {
      throw new ConflictError(
        `loan ${input.id} is in ${existing.currency}; currency cannot change to ${input.currency}`,
        'currency',
      );
    }
    const [loan] = await tx
      .insert(loans)
      .values({
        id: input.id,
        borrowerId: input.borrowerId,
        product: input.product,
        currency: input.currency,
        principalMinor: input.principalMinor,
        riskScore: input.riskScore ?? null,
        openedAt: input.openedAt,
        acceleratedAt: input.acceleratedAt ?? null,
      })
      .onConflictDoUpdate({
        target: loans.id,
        set: {
          borrowerId: input.borrowerId,
          product: input.product,
          principalMinor: input.principalMinor,
          riskScore: input.riskScore ?? null,
          openedAt: input.openedAt,
          ...(input.acceleratedAt !== undefined ? { acceleratedAt: input.acceleratedAt } : {}),
        },
      })
      .returning();
    await tx
      .insert(installments)
      .values(input.installments.map((i) => ({ loanId: input.id, seq: i.seq, dueDate: i.dueDate, amountDueMinor: i.amountDueMinor })))
      .onConflictDoUpdate({
        target: [installments.loanId, installments.seq],
        set: { dueDate: sql`excluded.due_date`, amountDueMinor: sql`excluded.amount_due_minor` },
      });
    const rows = await tx.select().from(installments).where(eq(installments.loanId, input.id)).orderBy(asc(installments.seq));
    return { loan: loan!, installments: rows };
  });
}

/** The ledger's position (domain/ledger) of one loan, with the loan's ids and the date it is as of. */
export interface LoanPosition extends LedgerPosition {
  loanId: string;
  borrowerId: string;
  currency: string;
  /** As-of calendar date the position was computed for ('YYYY-MM-DD'). */
  asOf: string;
  accelerated: boolean;
}

function toAsOf(asOf: string | Date): string {
  return asOf instanceof Date ? businessDate(asOf) : requireDate(asOf, 'asOf');
}

function position(loan: Loan, rows: readonly LedgerInstallment[], asOf: string): LoanPosition {
  const acceleratedOn = loan.acceleratedAt ? businessDate(loan.acceleratedAt) : null;
  const p = loanPosition(rows, asOf, { acceleratedOn });
  return {
    loanId: loan.id,
    borrowerId: loan.borrowerId,
    currency: loan.currency,
    asOf,
    pastDueMinor: p.pastDueMinor,
    outstandingMinor: p.outstandingMinor,
    dpd: p.dpd,
    oldestUnpaidDueDate: p.oldestUnpaidDueDate,
    accelerated: acceleratedOn !== null && acceleratedOn <= asOf,
    installments: p.installments,
  };
}

/**
 * The loan's money as of a date: past-due amount, outstanding balance, DPD, per-instalment breakdown.
 * A Date as-of is taken as its UTC calendar date; pass 'YYYY-MM-DD' for another business calendar.
 */
/**
 * The figures of a position the collection workflow keeps (contracts/activities Position): amounts and
 * dates only. The case activities answer with it, and a payment's signal carries it.
 */
export function positionSummary(p: LoanPosition): {
  currency: string;
  pastDueMinor: number;
  outstandingMinor: number;
  paidMinor: number;
  dpd: number;
  oldestUnpaidDueDate: LoanPosition['oldestUnpaidDueDate'];
} {
  return {
    currency: p.currency,
    pastDueMinor: p.pastDueMinor,
    outstandingMinor: p.outstandingMinor,
    paidMinor: p.installments.reduce((sum, i) => sum + i.amountPaidMinor, 0),
    dpd: p.dpd,
    oldestUnpaidDueDate: p.oldestUnpaidDueDate,
  };
}

export async function getLoanPosition(db: Database, loanId: string, asOf: string | Date = new Date()): Promise<LoanPosition> {
  const [loan] = await db.select().from(loans).where(eq(loans.id, loanId));
  if (!loan) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return getPositionOfLoan(db, loan, asOf);
}

/** getLoanPosition for a loan row the caller has just read: its instalments only (one statement fewer). */
export async function getPositionOfLoan(db: Database, loan: Loan, asOf: string | Date = new Date()): Promise<LoanPosition> {
  return positionOf(loan, await getInstallmentRows(db, loan.id), asOf);
}

/** A loan's instalments in order: with its row, what positionOf needs (read side by side with the row). */
export function getInstallmentRows(db: Database, loanId: string): Promise<Installment[]> {
  // Prepared (#19): every case open and position read reads them.
  return preparedFor(db, 'installment_rows', (handle) =>
    handle.select().from(installments).where(eq(installments.loanId, sql.placeholder('loanId'))).orderBy(asc(installments.seq)).prepare('installment_rows'),
  ).execute({ loanId });
}

/**
 * SQL: the instalments of the loan `loanId` (a column or a placeholder) as one JSON array in order, for a
 * statement that reads them beside other rows (#19); installmentRowsOf turns it into getInstallmentRows's rows.
 */
export function installmentsJsonSql(loanId: SQL | Placeholder): SQL {
  return sql`(SELECT coalesce(json_agg(json_build_object('loanId', i.loan_id, 'seq', i.seq, 'dueDate', i.due_date,
      'amountDueMinor', i.amount_due_minor, 'amountPaidMinor', i.amount_paid_minor, 'amountWrittenDownMinor', i.amount_written_down_minor) ORDER BY i.seq), '[]')
    FROM installments i WHERE i.loan_id = ${loanId})`;
}

/** The rows of an installmentsJsonSql column (parsed by postgres.js, text from PGlite). */
export function installmentRowsOf(value: unknown): Installment[] {
  return jsonArray<Installment>(value);
}

/** The position of a loan row and its instalment rows (getInstallmentRows) as of a date. */
export function positionOf(loan: Loan, rows: readonly Installment[], asOf: string | Date = new Date()): LoanPosition {
  return position(loan, rows, toAsOf(asOf));
}

export interface PaymentInput {
  /** The platform's payment id; the idempotency key of this call. */
  paymentId: string;
  loanId: string;
  amountMinor: number;
  currency: string;
  receivedAt: Date;
  /** As-of date of the returned position (default: today, UTC). */
  asOf?: string | Date;
  actor?: string;
}

export interface RecordPaymentResult {
  /** false when this payment id was already recorded (nothing changed). */
  recorded: boolean;
  payment: Payment;
  allocations: Allocation[];
  position: LoanPosition;
  /**
   * How the payment closed the loan's open case, in its own transaction (contract 7): `cured` when nothing
   * is past due any more, `paid` when nothing is owed. Absent when it closed none (or was a repeat).
   */
  closedAs?: 'cured' | 'paid';
}

/**
 * Records a payment once: stores it, allocates it to the oldest unpaid instalments first, appends an
 * audit event and, when it leaves nothing past due, closes the loan's open case (closeOpenCaseIfSettled;
 * `closedAs`), all in one transaction. Recording the same payment id again changes nothing and
 * returns `recorded: false`; reusing the id with a different loan, amount or currency is a conflict. (A
 * repeat's receivedAt is not compared: a client retrying with "now" as the receipt time means the same
 * payment.) The payment must have been received already, and not before the loan opened.
 */
export async function recordPayment(db: Database, input: PaymentInput): Promise<RecordPaymentResult> {
  requireText(input.paymentId, 'paymentId');
  requireText(input.loanId, 'loanId');
  requireMinor(input.amountMinor, 'amountMinor');
  requireCurrency(input.currency);
  requireInstant(input.receivedAt, 'receivedAt');
  const asOf = toAsOf(input.asOf ?? new Date());

  return db.transaction(async (tx) => {
    // Locking the loan serialises payments on it, so allocation always sees the latest instalments. The
    // payment id is looked up in the same statement (#19).
    const [locked] = await tx
      .select({ loan: loans, earlier: payments })
      .from(loans)
      .leftJoin(payments, eq(payments.id, input.paymentId))
      .where(eq(loans.id, input.loanId))
      .for('update', { of: loans });
    if (!locked) throw new NotFoundError(`loan ${input.loanId} not found`, 'loanId');
    const { loan, earlier } = locked;
    // A statement of its own, sent once the lock is held: a statement's snapshot is taken before it waits
    // for a lock, so the lock's own would miss what the payment it waited for wrote.
    const before = await getInstallmentRows(tx, loan.id);
    // A repeat is answered before the new content is checked against the loan: a reused id with other
    // content is a conflict, whatever else is wrong with it.
    if (earlier) return repeatedPayment(tx, earlier, input, loan, before, asOf);
    try {
      if (input.currency !== loan.currency) {
        throw new ValidationError(
          `payment currency ${input.currency} does not match loan ${loan.id} currency ${loan.currency}`,
          'currency',
        );
      }
      requirePastInstant(input.receivedAt, 'receivedAt', { at: loan.openedAt, what: `loan ${loan.id} opened` });
    } catch (error) {
      // The lock's statement read payments as they were before it waited for the lock: one recorded with
      // this id meanwhile is still answered as a repeat.
      const recorded = await paymentById(tx, input.paymentId);
      if (recorded) return repeatedPayment(tx, recorded, input, loan, before, asOf);
      throw error;
    }

    // Allocated before the payment is stored, so its row carries what was left unallocated (#19: no
    // second write of it).
    const { allocations, unallocatedMinor } = allocatePayment(before, input.amountMinor);
    const [payment] = await tx
      .insert(payments)
      .values({
        id: input.paymentId,
        loanId: input.loanId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        receivedAt: input.receivedAt,
        unallocatedMinor,
      })
      .onConflictDoNothing({ target: payments.id })
      .returning();
    if (!payment) {
      // Recorded meanwhile: for another loan, or for this one before the lock was ours (see above).
      return repeatedPayment(tx, (await paymentById(tx, input.paymentId))!, input, loan, before, asOf);
    }

    const beforePosition = position(loan, before, asOf);
    const afterPosition = position(loan, applyAllocations(before, allocations), asOf);
    const summary = (p: LoanPosition) => ({ pastDueMinor: p.pastDueMinor, outstandingMinor: p.outstandingMinor, dpd: p.dpd });
    // Three writes that need nothing from each other, sent together on the transaction's connection (#19).
    await Promise.all([
      addToInstallments(tx, loan.id, 'amountPaidMinor', allocations),
      allocations.length > 0
        ? tx.insert(paymentAllocations).values(
            allocations.map((a) => ({ paymentId: input.paymentId, loanId: loan.id, installmentSeq: a.seq, amountMinor: a.amountMinor })),
          )
        : undefined,
      appendAudit(tx, {
        actor: input.actor ?? 'backend',
        action: 'payment.recorded',
        loanId: loan.id,
        before: summary(beforePosition),
        after: {
          ...summary(afterPosition),
          paymentId: input.paymentId,
          amountMinor: input.amountMinor,
          currency: input.currency,
          receivedAt: input.receivedAt.toISOString(),
          allocations,
          unallocatedMinor,
        },
      }),
    ]);
    // Contract 7 (#19): a payment that leaves nothing past due closes the loan's open case in this same
    // transaction, judged as of today whatever as-of the caller asked its position for.
    const today = toAsOf(new Date());
    const closing = asOf === today ? afterPosition : position(loan, applyAllocations(before, allocations), today);
    const closed = await closeOpenCaseIfSettled(tx, loan.id, closing);
    return { recorded: true, payment, allocations, position: afterPosition, ...(closed ? { closedAs: closed.closedAs } : {}) };
  });
}

/** The payment stored with this id, if any. */
async function paymentById(tx: Database, paymentId: string): Promise<Payment | undefined> {
  const [row] = await tx.select().from(payments).where(eq(payments.id, paymentId));
  return row;
}

/**
 * Adds each allocation's amount to `field` (amount paid or written down) of its instalment: one UPDATE
 * for all of them (#19), nothing when there are none.
 */
async function addToInstallments(
  tx: Database,
  loanId: string,
  field: 'amountPaidMinor' | 'amountWrittenDownMinor',
  allocations: readonly Allocation[],
): Promise<void> {
  if (allocations.length === 0) return;
  const amountOfSeq = sql.join(allocations.map((a) => sql`WHEN ${a.seq} THEN ${a.amountMinor}::bigint`), sql` `);
  await tx
    .update(installments)
    .set({ [field]: sql`${installments[field]} + CASE ${installments.seq} ${amountOfSeq} END` })
    .where(and(eq(installments.loanId, loanId), inArray(installments.seq, allocations.map((a) => a.seq))));
}

/**
 * The answer to a payment id seen before: the same content is a no-op, other content a conflict. `rows`:
 * the loan's instalments, read under its lock.
 */
async function repeatedPayment(
  tx: Database,
  existing: Payment,
  input: PaymentInput,
  loan: Loan,
  rows: readonly Installment[],
  asOf: string,
): Promise<RecordPaymentResult> {
  if (existing.loanId !== input.loanId || existing.amountMinor !== input.amountMinor || existing.currency !== input.currency) {
    throw new ConflictError(
      `payment ${input.paymentId} was already recorded with different data ` +
        `(loan ${existing.loanId}, ${existing.amountMinor} ${existing.currency}); ` +
        'a payment id is an idempotency key: send the same content again, or use a new id for a new payment',
      'paymentId',
    );
  }
  const allocations = await tx
    .select({ seq: paymentAllocations.installmentSeq, amountMinor: paymentAllocations.amountMinor })
    .from(paymentAllocations)
    .where(eq(paymentAllocations.paymentId, existing.id))
    .orderBy(asc(paymentAllocations.installmentSeq));
  return { recorded: false, payment: existing, allocations, position: position(loan, rows, asOf) };
}

export async function getLoan(db: Database, loanId: string): Promise<Loan | null> {
  const [loan] = await db.select().from(loans).where(eq(loans.id, loanId));
  return loan ?? null;
}

export interface WriteDownInput {
  /** Written once per key: a retry finds the adjustment it made and changes nothing. */
  idempotencyKey: string;
  loanId: string;
  caseId: string;
  /** The most to write down; less when less is past due (never more than the past-due amount). */
  amountMinor: number;
  currency: string;
  actor: string;
  /** As-of date of the position (default: today, UTC). */
  asOf?: string | Date;
}

export interface WriteDownResult {
  /** false when the key was written down before (nothing changed now). */
  written: boolean;
  /** What was written down (0: nothing was past due). */
  writtenDownMinor: number;
  allocations: Allocation[];
  position: LoanPosition;
}

/**
 * Writes down part of the past-due amount (a completed discounted plan's discount): up to `amountMinor`,
 * never more than is past due, over the oldest unsettled instalments first. The adjustment row, the
 * instalments' amount_written_down_minor and the audit event (`ledger.written_down`, with the position
 * before and after) are one transaction, under the loan's lock like a payment. Idempotent by key.
 * `db` may be a transaction the caller holds (the case activity closes the case in the same one).
 */
export async function writeDownPastDue(db: Database, input: WriteDownInput): Promise<WriteDownResult> {
  requireText(input.idempotencyKey, 'idempotencyKey');
  requireText(input.loanId, 'loanId');
  requireMinor(input.amountMinor, 'amountMinor');
  requireCurrency(input.currency);
  const asOf = toAsOf(input.asOf ?? new Date());
  return db.transaction(async (tx) => {
    const [loan] = await tx.select().from(loans).where(eq(loans.id, input.loanId)).for('update');
    if (!loan) throw new NotFoundError(`loan ${input.loanId} not found`, 'loanId');
    const rows = async () => tx.select().from(installments).where(eq(installments.loanId, loan.id)).orderBy(asc(installments.seq));
    const [earlier] = await tx.select().from(ledgerAdjustments).where(eq(ledgerAdjustments.idempotencyKey, input.idempotencyKey));
    if (earlier) return { written: false, writtenDownMinor: earlier.amountMinor, allocations: earlier.allocations, position: position(loan, await rows(), asOf) };
    if (input.currency !== loan.currency) {
      throw new ValidationError(`write-down currency ${input.currency} does not match loan ${loan.id} currency ${loan.currency}`, 'currency');
    }
    const before = await rows();
    const beforePosition = position(loan, before, asOf);
    const amountMinor = Math.min(input.amountMinor, beforePosition.pastDueMinor);
    if (amountMinor <= 0) return { written: false, writtenDownMinor: 0, allocations: [], position: beforePosition };
    const allocations = allocateWriteDown(before, amountMinor);
    await addToInstallments(tx, loan.id, 'amountWrittenDownMinor', allocations);
    const [adjustment] = await tx
      .insert(ledgerAdjustments)
      .values({ idempotencyKey: input.idempotencyKey, loanId: loan.id, caseId: input.caseId, kind: 'plan_discount', amountMinor, currency: loan.currency, allocations, createdBy: input.actor })
      .returning();
    const afterPosition = position(loan, await rows(), asOf);
    const summary = (p: LoanPosition) => ({ pastDueMinor: p.pastDueMinor, outstandingMinor: p.outstandingMinor, dpd: p.dpd });
    await appendAudit(tx, {
      actor: input.actor,
      action: 'ledger.written_down',
      caseId: input.caseId,
      loanId: loan.id,
      before: summary(beforePosition),
      after: { ...summary(afterPosition), adjustmentId: adjustment!.id, kind: 'plan_discount', amountMinor, currency: loan.currency, allocations },
    });
    return { written: true, writtenDownMinor: amountMinor, allocations, position: afterPosition };
  });
}
