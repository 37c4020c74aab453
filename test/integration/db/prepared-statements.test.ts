// Parameterised statements run as named prepared statements (#19: one round trip each instead of a
// describe and a run), unless DATABASE_URL says ?prepare=false, as a transaction-mode pooler without
// prepared-statement support needs. pg_prepared_statements lists the session's own prepared statements.
import { sql } from 'drizzle-orm';
import { inject } from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, queryRows, type DatabaseHandle } from '../../../db/client';
import { getLoanPosition } from '../../../db/repository/ledger';
import { givenLoan, uniquePrefix } from './fixtures';

const withParameter = (url: string, parameter: string) => `${url}${url.includes('?') ? '&' : '?'}${parameter}`;

async function preparedOnTheConnection(handle: DatabaseHandle): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(handle.db, sql`select count(*)::int as n from pg_prepared_statements`);
  return Number(row!.n);
}

describe('prepared statements', () => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('prepares a parameterised read once on its connection and reuses it', async () => {
    // One connection, so the count below is the session that ran the reads.
    handle = await createDatabase(inject('databaseUrl'), { max: 1 });
    const loanId = `${uniquePrefix('prep')}-L1`;
    await givenLoan(handle, loanId, ['2026-01-15']);
    await getLoanPosition(handle.db, loanId);
    const afterFirst = await preparedOnTheConnection(handle);
    await getLoanPosition(handle.db, loanId);
    expect(afterFirst).toBeGreaterThan(0);
    expect(await preparedOnTheConnection(handle)).toBe(afterFirst);
  });

  it('prepares nothing when DATABASE_URL says prepare=false', async () => {
    handle = await createDatabase(withParameter(inject('databaseUrl'), 'prepare=false'), { max: 1 });
    const loanId = `${uniquePrefix('noprep')}-L1`;
    await givenLoan(handle, loanId, ['2026-01-15']);
    const position = await getLoanPosition(handle.db, loanId);
    expect(position.pastDueMinor).toBe(10_000);
    expect(await preparedOnTheConnection(handle)).toBe(0);
  });
});
