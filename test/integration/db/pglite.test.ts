import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createDatabase, queryRows } from '../../../db/client';
import { migrateDatabase, migrateDb } from '../../../db/migrate';
import {
  findDelinquentLoansWithoutOpenCase,
  getLoanPosition,
  openCase,
  recordPayment,
} from '../../../db/repository';
import { seedPortfolio } from '../../../db/seed';
import { auditEvents } from '../../../db/schema';
import { databaseError } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'overdue-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded PGlite', () => {
  it('applies the same migrations and runs the repository', async () => {
    const previous = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      await migrateDatabase(undefined, { pgliteDir: dir });
    } finally {
      if (previous !== undefined) process.env.DATABASE_URL = previous;
    }
    const handle = await createDatabase(undefined, { pgliteDir: dir });
    try {
      expect(handle.kind).toBe('pglite');
      await migrateDb(handle.db); // idempotent
      const applied = await queryRows<{ n: number }>(handle.db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
      expect(applied[0]!.n).toBeGreaterThanOrEqual(3);

      const seeded = await seedPortfolio(handle.db, { loans: 40, seed: 3, asOf: '2025-06-30' });
      const delinquent = await findDelinquentLoansWithoutOpenCase(handle.db, { asOf: '2025-06-30', limit: 1000 });
      expect(delinquent.map((l) => l.loanId)).toEqual(seeded.overdueLoanIds);

      const loanId = seeded.overdueLoanIds[0]!;
      const before = await getLoanPosition(handle.db, loanId, '2025-06-30');
      expect(before.dpd).toBeGreaterThan(0);
      const paid = await recordPayment(handle.db, {
        paymentId: 'pglite-P1',
        loanId,
        amountMinor: before.pastDueMinor,
        currency: before.currency,
        receivedAt: new Date('2025-06-30T12:00:00Z'),
        asOf: '2025-06-30',
      });
      expect(paid.position).toMatchObject({ pastDueMinor: 0, dpd: 0 });
      expect((await openCase(handle.db, { loanId, strategyId: 's', strategyVersion: 1 })).created).toBe(true);

      expect(await databaseError(handle.db.delete(auditEvents))).toMatch(/append-only/);
    } finally {
      await handle.close();
    }
  });
});
