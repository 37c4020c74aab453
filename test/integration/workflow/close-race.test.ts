// A payment cures the loan and the lender closes the case while the workflow's ledger read is closing it
// (found by the model suite, issue #12): closeCaseIfSettled closes the case row as cured, so the cure came
// first, and the workflow must report the same outcome, not the lender's. The test holds the case row's
// lock so the lender's close provably arrives while closeCaseIfSettled waits to close the case.
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectionCases } from '../../../db/schema';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
let raw: postgres.Sql;
beforeAll(async () => {
  h = await startHarness('close-race');
  raw = postgres(h.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await raw?.end();
  await h?.close();
});

it('a cure the ledger read recorded first stands against a lender close that arrives meanwhile', { timeout: 60_000 }, async () => {
  const loan = await h.seedLoan({ dpd: 3 });
  const handle = await h.startCollection(loan.loanId);
  const opened = await waitForState(() => handle.query(m.getState), (s) => s.caseId !== undefined && s.stage !== 'opening', { what: 'the case to open' });
  const caseId = opened.caseId!;

  await raw.begin(async (tx) => {
    // Hold the case row: closeCaseIfSettled reads the cured ledger, then waits here to close the case.
    await tx`SELECT id FROM collection_cases WHERE id = ${caseId} FOR UPDATE`;
    await h.pay(loan.loanId, loan.pastDueMinor);
    await waitForState(
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const waiting = await raw`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return { closing: pending.some((a) => a.activityType?.name === 'closeCaseIfSettled'), lockWaiters: waiting[0]!.n as number };
      },
      (s) => s.closing && s.lockWaiters > 0,
      { what: 'closeCaseIfSettled waiting on the case row' },
    );
    await handle.signal(m.closedByLender, { outcome: 'written_off', reason: 'lender closes meanwhile' });
    await waitForState(() => handle.query(m.getState), (s) => s.outcome === 'written_off', { what: 'the lender close applied' });
  });

  const result = await handle.result();
  const [row] = await h.db.select().from(collectionCases).where(eq(collectionCases.id, caseId));
  expect(row!.outcome).toBe('cured');
  expect(result.outcome).toBe('cured');
  expect(result.pastDueMinor).toBe(0);
});
