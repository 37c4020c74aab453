import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../db/client';
import { collectionCases } from '../../../db/schema';
import {
  closeCase,
  ConflictError,
  findDelinquentLoansWithoutOpenCase,
  openCase,
  recordPayment,
  updateCaseStage,
} from '../../../db/repository';
import { connect, givenLoan, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

const caseFor = (loanId: string) => ({ loanId, strategyId: 'default', strategyVersion: 1, segment: 'early' });

describe('collection cases', () => {
  it('opens one case when two openings for a loan race', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const results = await Promise.all(Array.from({ length: 6 }, () => openCase(handle.db, caseFor(loanId))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.case.id)).size).toBe(1);
    expect(results[0]!.case.workflowId).toBe(`collection-${loanId}`);
    const rows = await handle.db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId));
    expect(rows).toHaveLength(1);
  });

  it('opens a new case once the previous one is closed, and the index still forbids two open ones', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const first = await openCase(handle.db, caseFor(loanId));
    await updateCaseStage(handle.db, first.case.id, 'call');
    const closed = await closeCase(handle.db, first.case.id, 'cured');
    expect(closed).toMatchObject({ outcome: 'cured', stage: 'call' });
    expect(await closeCase(handle.db, first.case.id, 'cured')).toEqual(closed);
    await expect(closeCase(handle.db, first.case.id, 'paid')).rejects.toBeInstanceOf(ConflictError);
    await expect(updateCaseStage(handle.db, first.case.id, 'legal')).rejects.toBeInstanceOf(ConflictError);

    const second = await openCase(handle.db, caseFor(loanId));
    expect(second.created).toBe(true);
    expect(second.case.id).not.toBe(first.case.id);
    await expect(
      handle.db.insert(collectionCases).values({ loanId, workflowId: `collection-${loanId}`, strategyId: 'x', strategyVersion: 1 }),
    ).rejects.toThrow();
  });
});

describe('delinquency sweep', () => {
  it('returns exactly the delinquent loans without an open case, page by page in loan id order', async () => {
    const p = uniquePrefix('S');
    const asOf = '2025-03-20';
    // current: nothing due before asOf
    await givenLoan(handle, `${p}-a-current`, ['2025-03-20', '2025-04-20']);
    // overdue
    await givenLoan(handle, `${p}-b-overdue`, ['2025-03-19', '2025-04-19']);
    // overdue, several missed instalments
    await givenLoan(handle, `${p}-c-overdue`, ['2025-01-10', '2025-02-10', '2025-03-10']);
    // overdue but already has an open case
    await givenLoan(handle, `${p}-d-with-case`, ['2025-01-10']);
    await openCase(handle.db, caseFor(`${p}-d-with-case`));
    // overdue, closed case: needs a new one
    await givenLoan(handle, `${p}-e-closed-case`, ['2025-02-01']);
    const old = await openCase(handle.db, caseFor(`${p}-e-closed-case`));
    await closeCase(handle.db, old.case.id, 'settled');
    // paid up
    await givenLoan(handle, `${p}-f-paid`, ['2025-02-01', '2025-05-01']);
    await recordPayment(handle.db, { paymentId: `${p}-f-P1`, loanId: `${p}-f-paid`, amountMinor: 10_000, currency: 'USD', receivedAt: new Date() });
    // partly paid: still overdue
    await givenLoan(handle, `${p}-g-partial`, ['2025-02-01']);
    await recordPayment(handle.db, { paymentId: `${p}-g-P1`, loanId: `${p}-g-partial`, amountMinor: 9_999, currency: 'USD', receivedAt: new Date() });

    const found: { loanId: string; oldestUnpaidDueDate: string }[] = [];
    let after: string = p; // every id of this test sorts after the bare prefix
    for (;;) {
      const page = await findDelinquentLoansWithoutOpenCase(handle.db, { asOf, afterLoanId: after, limit: 2 });
      const mine = page.filter((l) => l.loanId.startsWith(`${p}-`));
      found.push(...mine);
      if (page.length < 2 || mine.length < page.length) break;
      after = page[page.length - 1]!.loanId;
    }
    expect(found).toEqual([
      { loanId: `${p}-b-overdue`, oldestUnpaidDueDate: '2025-03-19' },
      { loanId: `${p}-c-overdue`, oldestUnpaidDueDate: '2025-01-10' },
      { loanId: `${p}-e-closed-case`, oldestUnpaidDueDate: '2025-02-01' },
      { loanId: `${p}-g-partial`, oldestUnpaidDueDate: '2025-02-01' },
    ]);
  });
});
