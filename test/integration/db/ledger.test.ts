import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { queryRows, type DatabaseHandle } from '../../../db/client';
import { auditEvents, installments, ledgerAdjustments, paymentAllocations, payments } from '../../../db/schema';
import { closeCase, getCase, openCase } from '../../../db/repository/cases';
import { writeDownPastDue } from '../../../db/repository/ledger';
import { ConflictError, getLoanPosition, recordPayment, ValidationError } from '../../../db/repository';
import { connect, givenLoan, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

const schedule = ['2025-01-15', '2025-02-15', '2025-03-15', '2025-04-15'];

async function ledgerRows(loanId: string) {
  const { db } = handle;
  return {
    installments: await db.select().from(installments).where(eq(installments.loanId, loanId)).orderBy(installments.seq),
    payments: await db.select().from(payments).where(eq(payments.loanId, loanId)),
    allocations: await db.select().from(paymentAllocations).where(eq(paymentAllocations.loanId, loanId)),
    audit: await db.select().from(auditEvents).where(eq(auditEvents.loanId, loanId)),
  };
}

describe('ledger on PostgreSQL', () => {
  it('records a payment once: the same payment id again changes nothing', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const payment = { paymentId: `${loanId}-P1`, loanId, amountMinor: 12_500, currency: 'USD', receivedAt: new Date('2025-03-01T10:00:00Z'), asOf: '2025-03-01' };

    const first = await recordPayment(handle.db, payment);
    expect(first.recorded).toBe(true);
    expect(first.allocations).toEqual([
      { seq: 1, amountMinor: 10_000 },
      { seq: 2, amountMinor: 2_500 },
    ]);
    const after = await ledgerRows(loanId);

    const again = await recordPayment(handle.db, payment);
    const [a, b] = await Promise.all([recordPayment(handle.db, payment), recordPayment(handle.db, payment)]);
    expect([again.recorded, a.recorded, b.recorded]).toEqual([false, false, false]);
    expect(again.position).toEqual(first.position);
    expect(again.allocations).toEqual(first.allocations);
    expect(await ledgerRows(loanId)).toEqual(after);
    expect(after.audit.filter((e) => e.action === 'payment.recorded')).toHaveLength(1);
  });

  it('records two concurrent first deliveries of one payment exactly once', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const payment = { paymentId: `${loanId}-P1`, loanId, amountMinor: 3_000, currency: 'USD', receivedAt: new Date('2025-03-01T10:00:00Z') };
    const results = await Promise.all([recordPayment(handle.db, payment), recordPayment(handle.db, payment)]);
    expect(results.map((r) => r.recorded).sort()).toEqual([false, true]);
    const rows = await ledgerRows(loanId);
    expect(rows.installments[0]!.amountPaidMinor).toBe(3_000);
    expect(rows.allocations).toHaveLength(1);
  });

  it('answers a payment id recorded while it waited for the loan lock as a conflict, before checking its content', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const payment = { paymentId: `${loanId}-P1`, loanId, amountMinor: 3_000, currency: 'USD', receivedAt: new Date() };
    let reused: Promise<unknown> | undefined;
    await handle.db.transaction(async (tx) => {
      // Recorded in a transaction still open, so the reuse below waits for the loan's lock.
      await recordPayment(tx, payment);
      const [{ pid }] = (await queryRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`)) as [{ pid: number }];
      reused = recordPayment(handle.db, { ...payment, amountMinor: 4_000, currency: 'EUR' }).catch((error: unknown) => error);
      const deadline = Date.now() + 10_000;
      while ((await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`))[0]!.n === 0) {
        if (Date.now() > deadline) throw new Error('the reused payment never waited for the loan lock');
      }
    });
    // A reused id with other content is a conflict, whatever else is wrong with it (here its currency).
    expect(await reused).toBeInstanceOf(ConflictError);
    expect(await reused).toMatchObject({ field: 'paymentId' });
    expect((await ledgerRows(loanId)).payments).toHaveLength(1);
  });

  it('rejects a payment id reused with a different amount', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const payment = { paymentId: `${loanId}-P1`, loanId, amountMinor: 3_000, currency: 'USD', receivedAt: new Date() };
    await recordPayment(handle.db, payment);
    const reused = recordPayment(handle.db, { ...payment, amountMinor: 4_000 });
    await expect(reused).rejects.toBeInstanceOf(ConflictError);
    await expect(reused).rejects.toMatchObject({ field: 'paymentId' });
  });

  it('rejects a payment in another currency, naming the field, and records nothing', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule, { currency: 'CNY' });
    const attempt = recordPayment(handle.db, { paymentId: `${loanId}-P1`, loanId, amountMinor: 100, currency: 'USD', receivedAt: new Date() });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ field: 'currency', message: expect.stringMatching(/USD.*CNY/) });
    expect((await ledgerRows(loanId)).payments).toHaveLength(0);
  });

  it('rejects a non-integer amount before touching the database', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    await expect(
      recordPayment(handle.db, { paymentId: `${loanId}-P1`, loanId, amountMinor: 10.5, currency: 'USD', receivedAt: new Date() }),
    ).rejects.toMatchObject({ field: 'amountMinor' });
  });

  it('derives past due, outstanding and DPD with several missed instalments', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    expect(await getLoanPosition(handle.db, loanId, '2025-01-15')).toMatchObject({ pastDueMinor: 0, outstandingMinor: 40_000, dpd: 0 });
    expect(await getLoanPosition(handle.db, loanId, '2025-01-16')).toMatchObject({ pastDueMinor: 10_000, dpd: 1 });
    const p = await getLoanPosition(handle.db, loanId, '2025-03-20');
    expect(p).toMatchObject({
      loanId,
      currency: 'USD',
      pastDueMinor: 30_000,
      outstandingMinor: 40_000,
      dpd: 64,
      oldestUnpaidDueDate: '2025-01-15',
    });
    expect(p.installments.map((i) => i.pastDue)).toEqual([true, true, true, false]);
  });

  it('derives the position after partial payments and cures when the past-due amount is paid', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const pay = (n: number, amountMinor: number) =>
      recordPayment(handle.db, { paymentId: `${loanId}-P${n}`, loanId, amountMinor, currency: 'USD', receivedAt: new Date('2025-03-20T12:00:00Z'), asOf: '2025-03-20' });

    const partial = await pay(1, 14_000);
    expect(partial.position).toMatchObject({ pastDueMinor: 16_000, outstandingMinor: 26_000, dpd: 33, oldestUnpaidDueDate: '2025-02-15' });
    expect(partial.position.installments.map((i) => i.amountPaidMinor)).toEqual([10_000, 4_000, 0, 0]);

    const cure = await pay(2, 16_000);
    expect(cure.position).toMatchObject({ pastDueMinor: 0, outstandingMinor: 10_000, dpd: 0, oldestUnpaidDueDate: null });

    const overpay = await pay(3, 15_000);
    expect(overpay.position.outstandingMinor).toBe(0);
    expect(overpay.payment.unallocatedMinor).toBe(5_000);
    expect(await getLoanPosition(handle.db, loanId, '2025-03-20')).toEqual(overpay.position);
  });

  it('writes a discount down once per key, never beyond the past-due amount, and audits it once', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, schedule);
    const { case: row } = await openCase(handle.db, { loanId, strategyId: 'default', strategyVersion: 1, segment: 'early' });
    const asOf = '2025-03-20';
    // Past due on 2025-03-20: the first three instalments, 30 000; 25 000 of it paid.
    await recordPayment(handle.db, { paymentId: `${loanId}-P1`, loanId, amountMinor: 25_000, currency: 'USD', receivedAt: new Date('2025-03-20T12:00:00Z'), asOf });
    const input = { idempotencyKey: `${loanId}/discount`, loanId, caseId: row.id, amountMinor: 8_000, currency: 'USD', actor: 'workflow:test', asOf };

    const [first, second] = await Promise.all([writeDownPastDue(handle.db, input), writeDownPastDue(handle.db, input)]);
    expect([first.written, second.written].sort()).toEqual([false, true]);
    // 8 000 asked, 5 000 past due: 5 000 written down, on the third instalment, and the loan is current.
    for (const result of [first, second]) {
      expect(result).toMatchObject({ writtenDownMinor: 5_000, allocations: [{ seq: 3, amountMinor: 5_000 }] });
      expect(result.position).toMatchObject({ pastDueMinor: 0, outstandingMinor: 10_000, dpd: 0 });
    }
    const again = await writeDownPastDue(handle.db, input);
    expect(again).toMatchObject({ written: false, writtenDownMinor: 5_000 });
    const rows = await ledgerRows(loanId);
    expect(rows.installments.map((i) => [i.amountPaidMinor, i.amountWrittenDownMinor])).toEqual([[10_000, 0], [10_000, 0], [5_000, 5_000], [0, 0]]);
    expect(await handle.db.select().from(ledgerAdjustments).where(eq(ledgerAdjustments.loanId, loanId))).toMatchObject([{ kind: 'plan_discount', amountMinor: 5_000, caseId: row.id }]);
    const audited = rows.audit.filter((e) => e.action === 'ledger.written_down');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ before: { pastDueMinor: 5_000 }, after: { pastDueMinor: 0, amountMinor: 5_000 } });

    // A later payment goes past what was written down, to the instalment still owed.
    const later = await recordPayment(handle.db, { paymentId: `${loanId}-P2`, loanId, amountMinor: 1_000, currency: 'USD', receivedAt: new Date('2025-03-20T13:00:00Z'), asOf });
    expect(later.allocations).toEqual([{ seq: 4, amountMinor: 1_000 }]);
    // Paid counts only payments: the position's paid total is cash.
    expect(later.position.installments.reduce((sum, i) => sum + i.amountPaidMinor, 0)).toBe(26_000);
  });
});

describe('a payment that leaves nothing past due closes the open case (contract 7)', () => {
  const day = 24 * 3600 * 1000;
  // Two instalments past due today (10 000 each), two still to come.
  const dueDates = [-40, -10, 20, 50].map((d) => new Date(Date.now() + d * day).toISOString().slice(0, 10));
  const given = async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, dueDates);
    const { case: opened } = await openCase(handle.db, { loanId, workflowId: `collection-${loanId}`, strategyId: 'default', strategyVersion: 1 });
    const pay = (n: number, amountMinor: number) => recordPayment(handle.db, { paymentId: `${loanId}-P${n}`, loanId, amountMinor, currency: 'USD', receivedAt: new Date() });
    return { loanId, caseId: opened.id, pay };
  };

  it('closes it as cured in the transaction that records the payment', async () => {
    const { loanId, caseId, pay } = await given();
    const partial = await pay(1, 15_000);
    expect(partial.closedAs).toBeUndefined();
    expect((await getCase(handle.db, caseId))!.closedAt).toBeNull();

    const cure = await pay(2, 5_000);
    expect(cure.closedAs).toBe('cured');
    // Closed by the time recordPayment returns, with the same audit event as any close.
    const row = (await getCase(handle.db, caseId))!;
    expect(row.outcome).toBe('cured');
    expect(row.closedAt).toBeInstanceOf(Date);
    const { audit } = await ledgerRows(loanId);
    const closes = audit.filter((e) => e.action === 'case.closed');
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ caseId, actor: `workflow:collection-${loanId}`, before: { closedAt: null }, after: { outcome: 'cured' } });
    // One transaction: the close's event carries the payment's transaction time (now() is the transaction's start).
    const recorded = audit.find((e) => e.action === 'payment.recorded' && (e.after as { paymentId: string }).paymentId === `${loanId}-P2`)!;
    expect(closes[0]!.at.getTime()).toBe(recorded.at.getTime());

    // The same payment again closes nothing; one after the close finds no open case.
    expect((await pay(2, 5_000)).closedAs).toBeUndefined();
    expect((await pay(3, 20_000)).closedAs).toBeUndefined();
    expect((await ledgerRows(loanId)).audit.filter((e) => e.action === 'case.closed')).toHaveLength(1);
    // The workflow's own close with the same outcome, afterwards (a run opened before contract 7), changes nothing.
    expect(await closeCase(handle.db, caseId, 'cured')).toEqual(row);
  });

  it('closes it as paid when nothing is owed any more', async () => {
    const { caseId, pay } = await given();
    expect((await pay(1, 40_000)).closedAs).toBe('paid');
    expect((await getCase(handle.db, caseId))!.outcome).toBe('paid');
  });

  it('leaves a case its workflow closed first as it was', async () => {
    const { caseId, pay } = await given();
    await closeCase(handle.db, caseId, 'written_off');
    const cure = await pay(1, 20_000);
    expect(cure.recorded).toBe(true);
    expect(cure.closedAs).toBeUndefined();
    expect((await getCase(handle.db, caseId))!.outcome).toBe('written_off');
  });
});
