import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addMonths,
  allocatePayment,
  applyAllocations,
  businessDate,
  daysBetween,
  dpdBucket,
  loanPosition,
  outstandingMinor,
  type LedgerInstallment,
} from '../../domain/ledger';

const schedule = (paid: number[] = []): LedgerInstallment[] =>
  ['2025-01-15', '2025-02-15', '2025-03-15', '2025-04-15'].map((dueDate, i) => ({
    seq: i + 1,
    dueDate,
    amountDueMinor: 10_000,
    amountPaidMinor: paid[i] ?? 0,
  }));

describe('allocatePayment', () => {
  it('pays the oldest due instalment first', () => {
    expect(allocatePayment(schedule(), 4_000)).toEqual({ allocations: [{ seq: 1, amountMinor: 4_000 }], unallocatedMinor: 0 });
  });

  it('finishes a partly paid instalment before the next one', () => {
    const r = allocatePayment(schedule([6_000]), 7_000);
    expect(r.allocations).toEqual([
      { seq: 1, amountMinor: 4_000 },
      { seq: 2, amountMinor: 3_000 },
    ]);
  });

  it('sends an overpayment to later instalments, even ones not yet due', () => {
    const r = allocatePayment(schedule([10_000]), 25_000);
    expect(r.allocations).toEqual([
      { seq: 2, amountMinor: 10_000 },
      { seq: 3, amountMinor: 10_000 },
      { seq: 4, amountMinor: 5_000 },
    ]);
  });

  it('keeps what exceeds the whole balance as unallocated', () => {
    const r = allocatePayment(schedule([10_000, 10_000, 10_000, 9_000]), 3_000);
    expect(r).toEqual({ allocations: [{ seq: 4, amountMinor: 1_000 }], unallocatedMinor: 2_000 });
  });

  it('orders by due date, not by input order', () => {
    const reversed = [...schedule()].reverse();
    expect(allocatePayment(reversed, 100).allocations).toEqual([{ seq: 1, amountMinor: 100 }]);
  });

  it('rejects amounts that are not positive integers, naming the field', () => {
    expect(() => allocatePayment(schedule(), 0)).toThrow(/amountMinor must be a positive integer/);
    expect(() => allocatePayment(schedule(), 10.5)).toThrow(/amountMinor/);
    expect(() => allocatePayment(schedule(), -500)).toThrow(/got -500/);
  });

  it('never allocates more than paid nor more than owed (property)', () => {
    const inst = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 12 })
      .map((rows) =>
        rows.map(([due, pct], i) => ({
          seq: i + 1,
          dueDate: addMonths('2024-01-31', i),
          amountDueMinor: due,
          amountPaidMinor: Math.floor((due * pct) / 100),
        })),
      );
    fc.assert(
      fc.property(inst, fc.integer({ min: 1, max: 20_000_000 }), (rows, amount) => {
        const { allocations, unallocatedMinor } = allocatePayment(rows, amount);
        const allocated = allocations.reduce((s, a) => s + a.amountMinor, 0);
        expect(allocated + unallocatedMinor).toBe(amount);
        const after = applyAllocations(rows, allocations);
        for (const i of after) expect(i.amountPaidMinor).toBeLessThanOrEqual(i.amountDueMinor);
        expect(outstandingMinor(after)).toBe(outstandingMinor(rows) - allocated);
        // Oldest first: an instalment receives money only if every earlier one ends fully paid.
        const lastTouched = Math.max(0, ...allocations.map((a) => a.seq));
        for (const i of after) if (i.seq < lastTouched) expect(i.amountPaidMinor).toBe(i.amountDueMinor);
      }),
    );
  });
});

describe('loanPosition', () => {
  it('is current with DPD 0 on the due date itself', () => {
    const p = loanPosition(schedule(), '2025-01-15');
    expect(p).toMatchObject({ pastDueMinor: 0, outstandingMinor: 40_000, dpd: 0, oldestUnpaidDueDate: null });
  });

  it('is 1 DPD the day after an unpaid due date', () => {
    const p = loanPosition(schedule(), '2025-01-16');
    expect(p).toMatchObject({ pastDueMinor: 10_000, dpd: 1, oldestUnpaidDueDate: '2025-01-15' });
  });

  it('counts DPD from the oldest unpaid due date across several missed instalments', () => {
    const p = loanPosition(schedule(), '2025-03-20');
    expect(p.pastDueMinor).toBe(30_000);
    expect(p.outstandingMinor).toBe(40_000);
    expect(p.dpd).toBe(daysBetween('2025-01-15', '2025-03-20'));
    expect(p.dpd).toBe(64);
  });

  it('keeps a partly paid instalment past due for its unpaid part', () => {
    const p = loanPosition(schedule([9_999]), '2025-02-01');
    expect(p).toMatchObject({ pastDueMinor: 1, outstandingMinor: 30_001, dpd: 17, oldestUnpaidDueDate: '2025-01-15' });
  });

  it('counts from the next unpaid instalment once the oldest is paid', () => {
    const p = loanPosition(schedule([10_000]), '2025-03-20');
    expect(p).toMatchObject({ pastDueMinor: 20_000, dpd: 33, oldestUnpaidDueDate: '2025-02-15' });
  });

  it('is cured (0 DPD, nothing past due) when every due instalment is paid, while later ones stay owed', () => {
    const p = loanPosition(schedule([10_000, 10_000]), '2025-03-01');
    expect(p).toMatchObject({ pastDueMinor: 0, outstandingMinor: 20_000, dpd: 0, oldestUnpaidDueDate: null });
  });

  it('makes the whole balance due after acceleration', () => {
    const p = loanPosition(schedule(), '2025-02-01', { acceleratedOn: '2025-02-01' });
    expect(p).toMatchObject({ pastDueMinor: 40_000, outstandingMinor: 40_000, dpd: 17 });
    expect(loanPosition(schedule(), '2025-02-01', { acceleratedOn: '2025-02-02' }).pastDueMinor).toBe(10_000);
  });

  it('handles a leap day and month ends', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(() => loanPosition(schedule(), '2025-02-30')).toThrow(/does not exist/);
  });

  it('buckets DPD at the 30/60/90 boundaries', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91].map(dpdBucket)).toEqual([
      'current',
      '1-30',
      '1-30',
      '31-60',
      '31-60',
      '61-90',
      '61-90',
      '90+',
    ]);
  });

  it('takes the business date in the lender time zone', () => {
    const at = new Date('2025-03-01T20:00:00Z');
    expect(businessDate(at)).toBe('2025-03-01');
    expect(businessDate(at, 'Asia/Shanghai')).toBe('2025-03-02');
  });
});
