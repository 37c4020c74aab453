import { describe, expect, it } from 'vitest';
import { curedWithin, extractFeatures, type LoanHistory } from '../../../domain/scoring/features';

/** A 6-instalment loan of 100.00 a month from 2026-01-10, opened a month before. */
function ledger(overrides: Partial<LoanHistory> = {}): LoanHistory {
  return {
    product: 'personal-12m',
    openedAt: '2025-12-10T00:00:00Z',
    principalMinor: 60_000,
    installments: ['2026-01-10', '2026-02-10', '2026-03-10', '2026-04-10', '2026-05-10', '2026-06-10'].map((dueDate, i) => ({ seq: i + 1, dueDate, amountDueMinor: 10_000 })),
    allocations: [],
    payments: [],
    cases: [],
    promises: [],
    plans: [],
    contacts: [],
    disputes: [],
    ...overrides,
  };
}

/** A payment paying instalment `seq` with `amount` at `at`. */
const paid = (seq: number, amountMinor: number, at: string) => ({
  allocation: { installmentSeq: seq, amountMinor, receivedAt: at },
  payment: { amountMinor, receivedAt: at },
});

function withPayments(list: ReturnType<typeof paid>[], extra: Partial<LoanHistory> = {}): LoanHistory {
  return ledger({ allocations: list.map((p) => p.allocation), payments: list.map((p) => p.payment), ...extra });
}

describe('extractFeatures', () => {
  it('reads a loan paid on time as current, every instalment on time', () => {
    const loan = withPayments([paid(1, 10_000, '2026-01-09T10:00:00Z'), paid(2, 10_000, '2026-02-10T20:00:00Z'), paid(3, 10_000, '2026-03-01T08:00:00Z')]);
    const f = extractFeatures(loan, '2026-03-20T12:00:00Z');
    expect(f).toMatchObject({ dpd: 0, pastDueShare: 0, onTimeShare: 1, partialPayments: 0, paidShare: 0.5, latenessTrend: 0, tenureMonths: 3, product: 'personal-12m' });
  });

  it('counts days past due from the oldest unpaid instalment, and the past-due share of the balance', () => {
    const loan = withPayments([paid(1, 10_000, '2026-01-10T09:00:00Z')]);
    const f = extractFeatures(loan, '2026-03-20T12:00:00Z');
    // Feb 10 and Mar 10 unpaid: 20 000 past due of 50 000 outstanding; Feb 10 -> Mar 20 is 38 days.
    expect(f.dpd).toBe(38);
    expect(f.pastDueShare).toBe(0.4);
    expect(f.onTimeShare).toBeCloseTo(1 / 3, 4);
  });

  it('ignores what happened after the as-of instant', () => {
    const loan = withPayments([paid(1, 10_000, '2026-01-10T09:00:00Z'), paid(2, 10_000, '2026-04-01T09:00:00Z'), paid(3, 10_000, '2026-04-01T09:00:00Z')]);
    const f = extractFeatures(loan, '2026-03-20T12:00:00Z');
    expect(f.dpd).toBe(38);
    expect(f.paidShare).toBeCloseTo(1 / 6, 4);
  });

  it('sees a partial payment and a lateness that grows', () => {
    // Four instalments paid on time, then the 5th half paid on its due date and nothing after.
    const loan = withPayments([
      paid(1, 10_000, '2026-01-10T09:00:00Z'),
      paid(2, 10_000, '2026-02-10T09:00:00Z'),
      paid(3, 10_000, '2026-03-10T09:00:00Z'),
      paid(4, 10_000, '2026-04-10T09:00:00Z'),
      paid(5, 5_000, '2026-05-10T09:00:00Z'),
    ]);
    const f = extractFeatures(loan, '2026-06-20T00:00:00Z');
    expect(f.partialPayments).toBe(1);
    // Last three due: Apr 10 (0 late), May 10 (41 days unpaid), Jun 10 (10 days): mean 17; earlier mean 0.
    expect(f.latenessTrend).toBe(17);
    expect(f.onTimeShare).toBe(0.6667);
  });

  it('counts earlier cases and how they ended, promises kept and broken in 90 days, and broken plans', () => {
    const loan = ledger({
      cases: [
        { openedAt: '2025-06-01T00:00:00Z', closedAt: '2025-06-20T00:00:00Z', outcome: 'cured' },
        { openedAt: '2025-09-01T00:00:00Z', closedAt: '2025-10-01T00:00:00Z', outcome: 'handed_to_legal' },
        // The current case: open, not an earlier one.
        { openedAt: '2026-03-01T00:00:00Z', closedAt: null, outcome: null },
      ],
      promises: [
        { status: 'broken', createdAt: '2026-02-01T00:00:00Z', resolvedAt: '2026-02-10T00:00:00Z' },
        { status: 'broken', createdAt: '2026-02-15T00:00:00Z', resolvedAt: '2026-03-01T00:00:00Z' },
        { status: 'kept', createdAt: '2026-03-02T00:00:00Z', resolvedAt: '2026-03-05T00:00:00Z' },
        // Broken, but more than 90 days ago.
        { status: 'broken', createdAt: '2025-10-01T00:00:00Z', resolvedAt: '2025-10-10T00:00:00Z' },
        // Still open at the as-of instant.
        { status: 'broken', createdAt: '2026-03-15T00:00:00Z', resolvedAt: '2026-03-25T00:00:00Z' },
      ],
      plans: [{ status: 'broken', createdAt: '2025-11-01T00:00:00Z', endedAt: '2025-12-15T00:00:00Z' }],
    });
    const f = extractFeatures(loan, '2026-03-20T00:00:00Z');
    expect(f).toMatchObject({ priorCases: 2, priorCured: 1, promisesBroken90: 2, promisesKept90: 1, plansBroken365: 1 });
  });

  it('measures contact attempts, the right-party-contact rate and whether messages are followed by payments', () => {
    const loan = withPayments([paid(1, 10_000, '2026-03-12T09:00:00Z')], {
      contacts: [
        { channel: 'email', status: 'sent', connected: null, callOutcome: null, at: '2026-03-11T09:00:00Z' },
        { channel: 'sms', status: 'sent', connected: null, callOutcome: null, at: '2026-02-01T09:00:00Z' },
        { channel: 'sms', status: 'blocked', connected: null, callOutcome: null, at: '2026-03-15T09:00:00Z' },
        { channel: 'call', status: 'sent', connected: false, callOutcome: 'no_answer', at: '2026-03-13T09:00:00Z' },
        { channel: 'call', status: 'sent', connected: false, callOutcome: 'no_answer', at: '2026-03-14T09:00:00Z' },
        { channel: 'call', status: 'sent', connected: false, callOutcome: 'wrong_number', at: '2026-03-16T09:00:00Z' },
        { channel: 'call', status: 'sent', connected: true, callOutcome: 'right_party_contact', at: '2026-03-17T09:00:00Z' },
      ],
    });
    const f = extractFeatures(loan, '2026-03-20T00:00:00Z');
    expect(f.contactAttempts30).toBe(6);
    expect(f.rightPartyRate90).toBe(0.25);
    expect(f.paysAfterMessage180).toBe(0.5);
  });

  it('marks missing denominators as -1 and sees an open dispute', () => {
    const loan = ledger({ disputes: [{ openedAt: '2026-01-01T00:00:00Z', resolvedAt: null }, { openedAt: '2025-12-20T00:00:00Z', resolvedAt: '2025-12-25T00:00:00Z' }] });
    const f = extractFeatures(loan, '2026-01-05T00:00:00Z');
    expect(f).toMatchObject({ onTimeShare: -1, rightPartyRate90: -1, paysAfterMessage180: -1, openDispute: 1, dpd: 0 });
    expect(extractFeatures(ledger({ disputes: [{ openedAt: '2026-01-01T00:00:00Z', resolvedAt: '2026-01-03T00:00:00Z' }] }), '2026-01-05T00:00:00Z').openDispute).toBe(0);
  });

  it('refuses an as-of that is not an instant', () => {
    expect(() => extractFeatures(ledger(), 'yesterday')).toThrow('asOf must be an ISO instant (got "yesterday")');
  });
});

describe('curedWithin', () => {
  const opened = '2026-03-01T00:00:00Z';
  it('is 1 for a cure or repayment within the window, 0 for a later cure or another ending', () => {
    expect(curedWithin({ openedAt: opened, closedAt: '2026-03-20T00:00:00Z', outcome: 'cured' }, 30, '2026-06-01T00:00:00Z')).toBe(1);
    expect(curedWithin({ openedAt: opened, closedAt: '2026-03-20T00:00:00Z', outcome: 'paid' }, 30, '2026-06-01T00:00:00Z')).toBe(1);
    expect(curedWithin({ openedAt: opened, closedAt: '2026-04-20T00:00:00Z', outcome: 'cured' }, 30, '2026-06-01T00:00:00Z')).toBe(0);
    expect(curedWithin({ openedAt: opened, closedAt: '2026-03-05T00:00:00Z', outcome: 'handed_to_legal' }, 30, '2026-06-01T00:00:00Z')).toBe(0);
  });
  it('is 0 for a case still open after the window and unknown before it ends', () => {
    expect(curedWithin({ openedAt: opened, closedAt: null, outcome: null }, 30, '2026-06-01T00:00:00Z')).toBe(0);
    expect(curedWithin({ openedAt: opened, closedAt: null, outcome: null }, 30, '2026-03-10T00:00:00Z')).toBeUndefined();
  });
});
