import { describe, expect, it } from 'vitest';
import { dueAtOfLocalDate, parseMajorAmount } from '../../../api/web/workbench/forms';
import { ApiError } from '../../../api/errors';
import { allowedUntil } from '../../../domain/compliance';
import type { ContactContext } from '../../../domain/compliance/types';

describe('workbench form values', () => {
  it('reads amounts typed in major units into minor units of the currency', () => {
    expect(parseMajorAmount('500', 'CNY', 'amountMinor')).toBe(50_000);
    expect(parseMajorAmount(' 1,234.5 ', 'CNY', 'amountMinor')).toBe(123_450);
    expect(parseMajorAmount('0.01', 'USD', 'amountMinor')).toBe(1);
    expect(parseMajorAmount('1200', 'JPY', 'amountMinor')).toBe(1200);
  });

  it('refuses what is not a positive amount in the currency, naming the field', () => {
    for (const [value, currency] of [['abc', 'CNY'], ['0', 'CNY'], ['-5', 'CNY'], ['1.234', 'CNY'], ['1.5', 'JPY'], ['', 'CNY'], [undefined, 'CNY']] as const) {
      let error: unknown;
      try {
        parseMajorAmount(value, currency, 'amountMinor');
      } catch (e) {
        error = e;
      }
      expect(error, String(value)).toBeInstanceOf(ApiError);
      expect((error as ApiError).field).toBe('amountMinor');
      expect((error as ApiError).status).toBe(422);
      expect((error as ApiError).message).toContain(`a positive amount in ${currency}`);
    }
  });

  it('reads a date in the borrower’s calendar as 23:59 local that day', () => {
    expect(dueAtOfLocalDate('2026-12-05', 'Asia/Shanghai', 'dueAt')).toBe('2026-12-05T15:59:00.000Z');
    expect(dueAtOfLocalDate('2026-07-01', 'America/New_York', 'dueAt')).toBe('2026-07-02T03:59:00.000Z');
    expect(() => dueAtOfLocalDate('5 Dec', 'Asia/Shanghai', 'dueAt')).toThrow(/YYYY-MM-DD/);
  });
});

describe('allowedUntil', () => {
  const base: ContactContext = {
    pack: 'cn',
    channel: 'visit',
    kind: 'collection',
    timeZone: 'Asia/Shanghai',
    inconvenientTimes: [],
    optedOut: [],
    history: [],
    state: { disputed: false, ceaseRequested: false, nothingDue: false, bankruptcy: false, deceased: false, representedByAttorney: false },
    visit: { place: 'home', announcedAt: '2026-01-10T00:00:00Z' },
  };

  it('ends a cn visit window at 18:00 local, and a us-regf call window at 21:00 local', () => {
    expect(allowedUntil(base, '2026-01-15T02:00:00.000Z')).toBe('2026-01-15T10:00:00.000Z');
    const call: ContactContext = { ...base, pack: 'us-regf', channel: 'call', timeZone: 'America/New_York', visit: undefined };
    expect(allowedUntil(call, '2026-01-15T23:10:00.000Z')).toBe('2026-01-16T02:00:00.000Z');
  });

  it('stops at the look-ahead when nothing blocks', () => {
    expect(allowedUntil({ ...base, pack: 'sandbox' }, '2026-01-15T02:00:00.000Z', { maxMs: 3_600_000 })).toBe('2026-01-15T03:00:00.000Z');
  });
});
