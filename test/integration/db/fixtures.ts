// Shared helpers for the database integration tests: every test uses its own random id prefix,
// because all integration files share one migrated database.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { upsertBorrower, upsertLoan } from '../../../db/repository';

export const uniquePrefix = (label = 't') => `${label}${randomBytes(4).toString('hex')}`;

export function connect(): Promise<DatabaseHandle> {
  return createDatabase(inject('databaseUrl'), { max: 8 });
}

/** A borrower and a loan with equal monthly instalments due on the given dates. */
export async function givenLoan(
  handle: DatabaseHandle,
  loanId: string,
  dueDates: string[],
  { amountDueMinor = 10_000, currency = 'USD' } = {},
) {
  const borrowerId = `${loanId}-B`;
  await upsertBorrower(handle.db, {
    id: borrowerId,
    externalRef: `${borrowerId}-ext`,
    name: 'Test Borrower',
    email: `${borrowerId.toLowerCase()}@example.com`,
    phone: '+12135550100',
    timeZone: 'America/Los_Angeles',
    locale: 'en',
  });
  return upsertLoan(handle.db, {
    id: loanId,
    borrowerId,
    product: 'personal-12m',
    currency,
    principalMinor: amountDueMinor * dueDates.length,
    openedAt: new Date('2025-01-01T00:00:00Z'),
    installments: dueDates.map((dueDate, i) => ({ seq: i + 1, dueDate, amountDueMinor })),
  });
}

/** The database's own message for a rejected query (drizzle wraps the driver error as `cause`). */
export async function databaseError(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    return cause?.message ?? (error as Error).message;
  }
  throw new Error('expected the database to reject the query, but it succeeded');
}
