// Borrowers and the contact profile the compliance gate needs (time zone, locale, opt-outs, flags).
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { preparedFor } from '../prepared';
import type { BorrowerRules } from '../../domain/compliance/types';
import {
  borrowers,
  CHANNELS,
  loans,
  type Borrower,
  type Channel,
  type ContactConsents,
  type InconvenientTimeRow,
  type Installment,
  type Loan,
} from '../schema';
import { installmentRowsOf, installmentsJsonSql } from './ledger';
import { brokenUniqueConstraint, ConflictError, NotFoundError, ValidationError } from './errors';
import { quote, requireEmail, requirePhone, requireText, requireTimeZone } from './validate';

export interface BorrowerInput {
  id: string;
  externalRef: string;
  name: string;
  email?: string | null;
  /** E.164. */
  phone?: string | null;
  /** IANA time zone. */
  timeZone: string;
  /** e.g. 'zh-CN', 'en'. */
  locale: string;
  consents?: ContactConsents;
  inconvenientTimes?: InconvenientTimeRow[];
  agreedToQuietHours?: boolean;
  deceased?: boolean;
  bankruptcy?: boolean;
  representedByAttorney?: boolean;
  vulnerable?: boolean;
  ceaseRequestedAt?: Date | null;
}

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export function checkInconvenientTimes(times: InconvenientTimeRow[]): InconvenientTimeRow[] {
  times.forEach((t, i) => {
    const field = `inconvenientTimes[${i}]`;
    if (!HHMM.test(t.from) || !(HHMM.test(t.to) || t.to === '24:00')) {
      throw new ValidationError(`${field} must have from/to as "HH:MM" (got ${quote(t)})`, field);
    }
    if (t.weekdays && !t.weekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
      throw new ValidationError(`${field}.weekdays must be ISO weekdays 1..7 (got ${quote(t.weekdays)})`, field);
    }
  });
  return times;
}

/** Inserts or updates a borrower by id; fields left undefined keep their stored value on update. */
export async function upsertBorrower(db: Database, input: BorrowerInput): Promise<Borrower> {
  requireText(input.id, 'id');
  const values = {
    id: input.id,
    externalRef: requireText(input.externalRef, 'externalRef'),
    name: requireText(input.name, 'name'),
    email: input.email == null ? null : requireEmail(input.email),
    phone: input.phone == null ? null : requirePhone(input.phone),
    timeZone: requireTimeZone(input.timeZone),
    locale: requireText(input.locale, 'locale'),
    consents: input.consents ?? {},
    inconvenientTimes: checkInconvenientTimes(input.inconvenientTimes ?? []),
    agreedToQuietHours: input.agreedToQuietHours ?? false,
    deceased: input.deceased ?? false,
    bankruptcy: input.bankruptcy ?? false,
    representedByAttorney: input.representedByAttorney ?? false,
    vulnerable: input.vulnerable ?? false,
    ceaseRequestedAt: input.ceaseRequestedAt ?? null,
  };
  // Only what the caller supplied is overwritten on update.
  const set: Record<string, unknown> = { updatedAt: sql`now()` };
  for (const key of Object.keys(values) as (keyof typeof values)[]) {
    if (key !== 'id' && (input as unknown as Record<string, unknown>)[key] !== undefined) set[key] = values[key];
  }
  try {
    const [row] = await db.insert(borrowers).values(values).onConflictDoUpdate({ target: borrowers.id, set }).returning();
    return row!;
  } catch (error) {
    // The unique index decides, so two borrowers racing for one reference cannot both win.
    if (brokenUniqueConstraint(error) === 'borrowers_external_ref_unique') {
      throw new ConflictError(`externalRef ${quote(values.externalRef)} belongs to another borrower`, 'externalRef');
    }
    throw error;
  }
}

export interface BorrowerContactProfile {
  borrowerId: string;
  loanId: string;
  name: string;
  email: string | null;
  phone: string | null;
  timeZone: string;
  locale: string;
  consents: ContactConsents;
  /** Channels the borrower opted out of (never used, Reg F 1006.14(h)). */
  optedOut: Channel[];
  inconvenientTimes: InconvenientTimeRow[];
  agreedToQuietHours: boolean;
  ceaseRequestedAt: Date | null;
  flags: { deceased: boolean; bankruptcy: boolean; representedByAttorney: boolean; vulnerable: boolean };
}

export function toContactProfile(b: Borrower, loanId: string): BorrowerContactProfile {
  return {
    borrowerId: b.id,
    loanId,
    name: b.name,
    email: b.email,
    phone: b.phone,
    timeZone: b.timeZone,
    locale: b.locale,
    consents: b.consents,
    optedOut: CHANNELS.filter((c) => b.consents[c]?.optedOutAt),
    inconvenientTimes: b.inconvenientTimes,
    agreedToQuietHours: b.agreedToQuietHours,
    ceaseRequestedAt: b.ceaseRequestedAt,
    flags: {
      deceased: b.deceased,
      bankruptcy: b.bankruptcy,
      representedByAttorney: b.representedByAttorney,
      vulnerable: b.vulnerable,
    },
  };
}

/** What the rules need to know of the borrower, without contact details: the workflow's copy and the gate's. */
export function borrowerRulesOf(b: BorrowerContactProfile): BorrowerRules {
  return {
    timeZone: b.timeZone,
    locale: b.locale,
    inconvenientTimes: b.inconvenientTimes,
    optedOut: b.optedOut,
    agreedToQuietHours: b.agreedToQuietHours,
    ceaseRequested: b.ceaseRequestedAt !== null,
    bankruptcy: b.flags.bankruptcy,
    deceased: b.flags.deceased,
    representedByAttorney: b.flags.representedByAttorney,
  };
}

/** The loan row and its borrower as the contact rules see them, in one statement. Throws NotFoundError for an unknown loan. */
export async function getLoanWithBorrower(db: Database, loanId: string): Promise<{ loan: Loan; borrower: BorrowerContactProfile }> {
  // Prepared (#19): every case open reads it.
  const [row] = await preparedFor(db, 'loan_with_borrower', (handle) =>
    handle
      .select({ loan: loans, borrower: borrowers })
      .from(loans)
      .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
      .where(eq(loans.id, sql.placeholder('loanId')))
      .prepare('loan_with_borrower'),
  ).execute({ loanId });
  if (!row) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return { loan: row.loan, borrower: toContactProfile(row.borrower, loanId) };
}

/**
 * What a case open reads first, in one prepared statement (#19; was three): the loan row, its borrower as
 * the contact rules see them, its instalments, and the strategy the run `workflowId` pinned when its
 * latest case on the loan is still open (a retried openCase keeps it), else null. Throws NotFoundError for
 * an unknown loan.
 */
export async function getCaseOpenFacts(
  db: Database,
  loanId: string,
  workflowId: string,
): Promise<{ loan: Loan; borrower: BorrowerContactProfile; installments: Installment[]; pinnedStrategyId: string | null }> {
  const [row] = await preparedFor(db, 'case_open_facts', (handle) =>
    handle
      .select({
        loan: loans,
        borrower: borrowers,
        installments: sql<unknown>`${installmentsJsonSql(sql`${loans.id}`)}`,
        pinnedStrategyId: sql<string | null>`(SELECT CASE WHEN c.closed_at IS NULL THEN c.strategy_id END FROM collection_cases c
            WHERE c.loan_id = ${loans.id} AND c.workflow_id = ${sql.placeholder('workflowId')} ORDER BY c.opened_at DESC LIMIT 1)`,
      })
      .from(loans)
      .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
      .where(eq(loans.id, sql.placeholder('loanId')))
      .prepare('case_open_facts'),
  ).execute({ loanId, workflowId });
  if (!row) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return { loan: row.loan, borrower: toContactProfile(row.borrower, loanId), installments: installmentRowsOf(row.installments), pinnedStrategyId: row.pinnedStrategyId ?? null };
}

/** The borrower of a loan as the contact rules see them. Throws NotFoundError for an unknown loan. */
export async function getBorrowerForLoan(db: Database, loanId: string): Promise<BorrowerContactProfile> {
  const [row] = await db
    .select({ borrower: borrowers })
    .from(loans)
    .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
    .where(eq(loans.id, loanId));
  if (!row) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  return toContactProfile(row.borrower, loanId);
}

/** Records (or clears, with null) an opt-out of one channel, keeping any consent timestamp. */
export async function setChannelOptOut(
  db: Database,
  borrowerId: string,
  channel: Channel,
  optedOutAt: Date | null,
): Promise<Borrower> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(borrowers).where(eq(borrowers.id, borrowerId)).for('update');
    if (!current) throw new NotFoundError(`borrower ${borrowerId} not found`, 'borrowerId');
    const entry = { ...current.consents[channel] };
    if (optedOutAt) entry.optedOutAt = optedOutAt.toISOString();
    else delete entry.optedOutAt;
    const [row] = await tx
      .update(borrowers)
      .set({ consents: { ...current.consents, [channel]: entry }, updatedAt: new Date() })
      .where(eq(borrowers.id, borrowerId))
      .returning();
    return row!;
  });
}

/** Whether the borrower exists (an upsert answers 201 or 200, a loan needs its borrower first). */
export async function borrowerExists(db: Database, borrowerId: string): Promise<boolean> {
  const [row] = await db.select({ id: borrowers.id }).from(borrowers).where(eq(borrowers.id, borrowerId));
  return row !== undefined;
}

/** Records the borrower's request to stop collection contact; the first request's instant is kept. */
export async function recordCeaseRequest(db: Database, borrowerId: string): Promise<void> {
  await db
    .update(borrowers)
    .set({ ceaseRequestedAt: sql`coalesce(${borrowers.ceaseRequestedAt}, now())`, updatedAt: sql`now()` })
    .where(eq(borrowers.id, borrowerId));
}

/** Marks the borrower bankrupt or deceased: collection is barred from then on (domain/lifecycle). */
export async function recordBorrowerBar(db: Database, borrowerId: string, reason: 'bankruptcy' | 'deceased'): Promise<void> {
  await db
    .update(borrowers)
    .set(reason === 'bankruptcy' ? { bankruptcy: true, updatedAt: sql`now()` } : { deceased: true, updatedAt: sql`now()` })
    .where(eq(borrowers.id, borrowerId));
}
