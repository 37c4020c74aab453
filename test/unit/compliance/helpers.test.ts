import { describe, expect, it } from 'vitest';
import {
  assumedReceiptDate,
  breathingSpaceUntil,
  debtAdviceHoldUntil,
  findViolations,
  localDateOf,
  mayEscalateToLegal,
  mayThreatenLegalAction,
  usLegalPublicHolidays,
  validationNoticeDueBy,
  validationPeriodEnd,
  type AuditBorrower,
  type AuditContact,
} from '../../../domain/compliance';

describe('us-regf validation notice timing', () => {
  it('is due within 5 days of the initial communication', () => {
    expect(validationNoticeDueBy('2025-01-29')).toBe('2025-02-03');
  });

  it('assumes receipt 5 days after sending, skipping weekends and legal public holidays', () => {
    expect(assumedReceiptDate('2021-03-01')).toBe('2021-03-08'); // Mon → next Mon
    expect(validationPeriodEnd('2021-03-01')).toBe('2021-04-07');
    // Thu 2025-12-18: Fri 19, Mon 22, Tue 23, Wed 24, (Christmas Thu 25 skipped), Fri 26.
    expect(assumedReceiptDate('2025-12-18')).toBe('2025-12-26');
    // Wed 2025-11-26: Fri 28 (Thanksgiving Thu 27 skipped), Mon 1, Tue 2, Wed 3, Thu 4.
    expect(assumedReceiptDate('2025-11-26')).toBe('2025-12-04');
    expect(validationPeriodEnd('2025-11-26')).toBe('2026-01-03');
    expect(assumedReceiptDate('2025-12-18', [])).toBe('2025-12-25');
  });

  it('lists the legal public holidays of 5 U.S.C. 6103(a) with their observed days', () => {
    expect(usLegalPublicHolidays(2026)).toEqual([
      '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-07-04',
      '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
    ]);
  });

  it('gives the local date of an instant', () => {
    expect(localDateOf('2025-01-01T03:00:00Z', 'America/Los_Angeles')).toBe('2024-12-31');
  });

  it('never threatens legal action on time-barred debt', () => {
    expect(mayThreatenLegalAction({ timeBarred: true })).toBe(false);
    expect(mayThreatenLegalAction({ timeBarred: false })).toBe(true);
  });
});

describe('uk-conc holds and escalation', () => {
  it('holds 30 days for a debt adviser and up to 60 for Breathing Space', () => {
    expect(debtAdviceHoldUntil('2025-03-01T10:00:00Z')).toBe('2025-03-31T10:00:00.000Z');
    expect(breathingSpaceUntil('2025-03-01T10:00:00Z')).toBe('2025-04-30T10:00:00.000Z');
    expect(breathingSpaceUntil('2025-03-01T10:00:00Z', 10)).toBe('2025-03-11T10:00:00.000Z');
    expect(() => breathingSpaceUntil('2025-03-01T10:00:00Z', 61)).toThrow(/1 to 60/);
  });

  it('escalates to legal under uk-conc only after forbearance was offered', () => {
    expect(mayEscalateToLegal({ pack: 'uk-conc', forbearanceOffered: false })).toBe(false);
    expect(mayEscalateToLegal({ pack: 'uk-conc', forbearanceOffered: true })).toBe(true);
    expect(mayEscalateToLegal({ pack: 'us-regf', forbearanceOffered: false })).toBe(true);
  });
});

describe('the auditor check', () => {
  const borrower: AuditBorrower = {
    pack: 'us-regf',
    timeZone: 'America/New_York',
    inconvenientTimes: [],
    optedOut: [],
    state: { disputed: false, ceaseRequested: false, nothingDue: false, bankruptcy: false, deceased: false, representedByAttorney: false },
    changes: [{ at: '2025-01-20T00:00:00Z', set: { state: { disputed: true } } }],
  };
  const c = (at: string, extra: Partial<AuditContact> = {}): AuditContact => ({ caseId: 'c1', loanId: 'L1', channel: 'call', at, status: 'sent', ...extra });

  it('finds the contacts the gate should have blocked, with the rule and when it would have allowed them', () => {
    const contacts = [
      c('2025-01-06T15:00:00Z', { connected: true }), // Mon 10:00, conversation
      c('2025-01-07T15:00:00Z'), // day 2 after the conversation
      c('2025-01-08T03:00:00Z', { channel: 'email' }), // 22:00 local
      c('2025-01-09T15:00:00Z', { status: 'failed' }), // never sent: not checked
      c('2025-01-21T15:00:00Z', { channel: 'email' }), // disputed by then
      c('2025-01-21T16:00:00Z', { channel: 'letter', kind: 'required_disclosure' }), // a required disclosure passes a dispute
      c('2025-01-21T16:30:00Z', { channel: 'letter', kind: 'collection' }), // a final demand does not
      c('2025-01-21T17:00:00Z', { loanId: 'L2' }),
    ];
    expect(findViolations(contacts, { L1: borrower }).map((v) => [v.at, v.rule, v.allowedFrom])).toEqual([
      ['2025-01-07T15:00:00Z', 'us-regf.after-conversation', '2025-01-13T05:00:00.000Z'],
      ['2025-01-08T03:00:00Z', 'us-regf.hours', '2025-01-08T13:00:00.000Z'],
      ['2025-01-21T15:00:00Z', 'common.dispute', undefined],
      ['2025-01-21T16:30:00Z', 'common.dispute', undefined],
      ['2025-01-21T17:00:00Z', 'audit.unknown-loan', undefined],
    ]);
  });

  it('finds two messages closer than the gap of the strategy in force, and ignores calls between them', () => {
    const gap: AuditBorrower = { ...borrower, pack: 'sandbox', changes: [{ at: '2025-02-01T00:00:00Z', set: { minMessageGapMs: 20 * 3_600_000 } }] };
    const contacts = [
      c('2025-01-30T15:00:00Z', { channel: 'email' }),
      c('2025-01-30T16:00:00Z', { channel: 'sms' }), // no gap stated yet
      c('2025-02-03T15:00:00Z', { channel: 'email' }),
      c('2025-02-03T16:00:00Z'), // a call: its own caps
      c('2025-02-04T10:59:59.999Z', { channel: 'sms' }), // 19:59:59.999 after the email
      c('2025-02-05T15:00:00Z', { channel: 'letter' }),
    ];
    expect(findViolations(contacts, { L1: gap }).map((v) => [v.at, v.rule, v.allowedFrom])).toEqual([
      ['2025-02-04T10:59:59.999Z', 'common.message-gap', '2025-02-04T11:00:00.000Z'],
    ]);
  });

  it('judges a recorded cn call by its outcome: a 4th unanswered call is no breach of the connected cap', () => {
    const cn: AuditBorrower = { ...borrower, pack: 'cn', timeZone: 'Asia/Shanghai', changes: [] };
    const day = (h: number, connected: boolean) => c(`2025-01-15T0${h}:00:00Z`, { connected });
    const contacts = [day(1, true), day(2, true), day(3, true), day(4, false), day(5, true)];
    expect(findViolations(contacts, new Map([['L1', cn]])).map((v) => [v.at, v.rule])).toEqual([['2025-01-15T05:00:00Z', 'cn.connected-calls']]);
  });
});
