import { describe, expect, it } from 'vitest';
import { KIND_PASSES, RULE_PACKS, contactKindOf, evaluateContact, nextAllowedContact } from '../../../domain/compliance';
import type { ContactContext, PastContact } from '../../../domain/compliance/types';

// Each rule at its boundaries. Instants are written in UTC with the borrower-local reading beside them.

function ctx(over: Partial<ContactContext> = {}, state: Partial<ContactContext['state']> = {}): ContactContext {
  return {
    pack: 'us-regf',
    channel: 'call',
    kind: 'collection',
    timeZone: 'America/New_York',
    inconvenientTimes: [],
    optedOut: [],
    history: [],
    ...over,
    state: {
      disputed: false,
      ceaseRequested: false,
      nothingDue: false,
      bankruptcy: false,
      deceased: false,
      representedByAttorney: false,
      ...state,
    },
  };
}

const call = (at: string, connected = false, address?: string): PastContact => ({ channel: 'call', at, status: 'sent', connected, address });

describe('contact hours', () => {
  it.each([
    // us-regf, New York in EST (UTC-5)
    ['us-regf', 'America/New_York', '2025-01-15T12:59:00Z', 'us-regf.hours'], // 07:59
    ['us-regf', 'America/New_York', '2025-01-15T13:00:00Z', null], // 08:00
    ['us-regf', 'America/New_York', '2025-01-16T01:59:00Z', null], // 20:59
    ['us-regf', 'America/New_York', '2025-01-16T02:00:00Z', 'us-regf.hours'], // 21:00
    ['uk-conc', 'Europe/London', '2025-01-15T07:59:00Z', 'uk-conc.hours'], // 07:59 GMT
    ['uk-conc', 'Europe/London', '2025-07-15T07:00:00Z', null], // 08:00 BST
    ['uk-conc', 'Europe/London', '2025-07-15T20:00:00Z', 'uk-conc.hours'], // 21:00 BST
    // cn, Shanghai (UTC+8)
    ['cn', 'Asia/Shanghai', '2025-01-14T23:59:00Z', 'cn.quiet-hours'], // 07:59
    ['cn', 'Asia/Shanghai', '2025-01-15T00:00:00Z', null], // 08:00
    ['cn', 'Asia/Shanghai', '2025-01-15T13:59:00Z', null], // 21:59
    ['cn', 'Asia/Shanghai', '2025-01-15T14:00:00Z', 'cn.quiet-hours'], // 22:00
    ['sandbox', 'Asia/Shanghai', '2025-01-15T19:00:00Z', null], // 03:00, no window
  ] as const)('%s in %s at %s → %s', (pack, timeZone, at, rule) => {
    const d = evaluateContact(ctx({ pack, timeZone }), at);
    expect(d.allowed ? null : d.rule).toBe(rule);
  });

  it('reports the next local 08:00 as the end of the quiet hours', () => {
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: 'Asia/Shanghai' }), '2025-01-15T14:00:00Z')).toEqual({
      allowed: false,
      rule: 'cn.quiet-hours',
      until: '2025-01-16T00:00:00.000Z',
    });
  });

  it('lets a cn borrower who agreed be contacted in the quiet hours, but never a us borrower', () => {
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: 'Asia/Shanghai', agreedToQuietHours: true }), '2025-01-15T15:00:00Z').allowed).toBe(true);
    expect(evaluateContact(ctx({ pack: 'us-regf', agreedToQuietHours: true }), '2025-01-16T03:00:00Z').allowed).toBe(false);
  });

  it.each([
    // Spring forward: 08:00 local is 15:00Z on the change day (PDT) but 16:00Z the day before (PST).
    ['America/Los_Angeles', '2025-03-08T12:00:00Z', '2025-03-08T16:00:00.000Z'],
    ['America/Los_Angeles', '2025-03-09T09:30:00Z', '2025-03-09T15:00:00.000Z'],
    // Fall back.
    ['America/Los_Angeles', '2025-11-02T08:30:00Z', '2025-11-02T16:00:00.000Z'],
    ['Europe/London', '2025-03-30T00:30:00Z', '2025-03-30T07:00:00.000Z'],
    ['Europe/London', '2025-10-26T00:30:00Z', '2025-10-26T08:00:00.000Z'],
    // Lord Howe moves by 30 minutes (UTC+10:30 → +11 on 2025-10-05 at 02:00).
    ['Australia/Lord_Howe', '2025-10-04T16:00:00Z', '2025-10-04T21:00:00.000Z'],
    // Chatham: +13:45 until 2025-04-06 03:45 local, then +12:45.
    ['Pacific/Chatham', '2025-04-05T15:00:00Z', '2025-04-05T19:15:00.000Z'],
  ])('across the DST change in %s, %s waits until local 08:00 (%s)', (timeZone, from, expected) => {
    expect(nextAllowedContact(ctx({ pack: 'us-regf', timeZone }), from)).toEqual({ at: expected });
  });
});

describe('us-regf calls', () => {
  const tz = 'America/New_York';
  // Seven unanswered calls at 10:00 EST on Jan 6..12 2025 (Mon..Sun).
  const seven = [6, 7, 8, 9, 10, 11, 12].map((d) => call(`2025-01-${String(d).padStart(2, '0')}T15:00:00Z`));

  it('allows the 7th call attempt within 7 days and blocks the 8th until the oldest leaves the window', () => {
    expect(evaluateContact(ctx({ timeZone: tz, history: seven.slice(0, 6) }), '2025-01-12T20:00:00Z').allowed).toBe(true);
    expect(evaluateContact(ctx({ timeZone: tz, history: seven }), '2025-01-12T20:00:00Z')).toEqual({
      allowed: false,
      rule: 'us-regf.7-in-7',
      // Jan 6 leaves the 7-day window at the start of Jan 13 (local midnight).
      until: '2025-01-13T05:00:00.000Z',
    });
    expect(nextAllowedContact(ctx({ timeZone: tz, history: seven }), '2025-01-12T20:00:00Z')).toEqual({ at: '2025-01-13T13:00:00.000Z' });
  });

  it('does not cap texts or emails', () => {
    expect(evaluateContact(ctx({ timeZone: tz, channel: 'sms', history: seven }), '2025-01-12T20:00:00Z').allowed).toBe(true);
  });

  it('blocks calls on days 1-7 after a conversation and allows them from the start of day 8', () => {
    const history = [call('2025-01-06T15:00:00Z', true)]; // Monday Jan 6, day 1
    const c = ctx({ timeZone: tz, history });
    expect(evaluateContact(c, '2025-01-06T16:00:00Z')).toMatchObject({ rule: 'us-regf.after-conversation', until: '2025-01-13T05:00:00.000Z' });
    expect(evaluateContact(c, '2025-01-12T23:00:00Z')).toMatchObject({ rule: 'us-regf.after-conversation' }); // day 7, 18:00
    expect(evaluateContact(c, '2025-01-13T13:00:00Z').allowed).toBe(true); // day 8, 08:00
    // A call earlier on the same day as a later conversation was not "after" it.
    expect(evaluateContact(c, '2025-01-06T14:00:00Z').allowed).toBe(true);
    expect(evaluateContact({ ...c, channel: 'email' }, '2025-01-07T15:00:00Z').allowed).toBe(true);
  });

  it('counts day 8 in local days across a DST change', () => {
    // Conversation Sat 2025-03-08 10:00 PST; day 8 is Sat 2025-03-15, which starts 07:00Z in PDT.
    const c = ctx({ timeZone: 'America/Los_Angeles', history: [call('2025-03-08T18:00:00Z', true)] });
    expect(evaluateContact(c, '2025-03-10T18:00:00Z')).toMatchObject({ until: '2025-03-15T07:00:00.000Z' });
  });
});

describe('cn calls', () => {
  const tz = 'Asia/Shanghai';
  const at = (h: number) => `2025-01-15T${String(h - 8).padStart(2, '0')}:00:00Z`; // local hour h on Jan 15

  it('allows the 3rd connected call of the day and blocks a 4th until the next local day', () => {
    const two = [call(at(9), true), call(at(10), true)];
    const three = [...two, call(at(11), true)];
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: two }), at(12)).allowed).toBe(true);
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: three }), at(12))).toEqual({
      allowed: false,
      rule: 'cn.connected-calls',
      until: '2025-01-15T16:00:00.000Z', // Jan 16 00:00 local; quiet hours then hold it to 08:00
    });
    expect(nextAllowedContact(ctx({ pack: 'cn', timeZone: tz, history: three }), at(12))).toEqual({ at: '2025-01-16T00:00:00.000Z' });
  });

  it('allows the 6th unanswered attempt to a number and blocks the 7th, but not a call to another number', () => {
    const five = [9, 10, 11, 12, 13].map((h) => call(at(h), false, 'A'));
    const six = [...five, call(at(14), false, 'A')];
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: five, address: 'A' }), at(15)).allowed).toBe(true);
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: six, address: 'A' }), at(15))).toMatchObject({
      rule: 'cn.unanswered-calls',
      until: '2025-01-15T16:00:00.000Z',
    });
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: six, address: 'B' }), at(15)).allowed).toBe(true);
    // Unknown number: counted against every number.
    expect(evaluateContact(ctx({ pack: 'cn', timeZone: tz, history: six }), at(15)).allowed).toBe(false);
  });

  it('waits 7 whole local days after the previous cycle before a new one', () => {
    const c = ctx({ pack: 'cn', timeZone: tz, previousCycleEndedAt: '2025-01-01T04:00:00Z' }); // Jan 1 12:00 local
    expect(evaluateContact(c, '2025-01-08T04:00:00Z')).toEqual({
      allowed: false,
      rule: 'cn.cycle-spacing',
      until: '2025-01-08T16:00:00.000Z', // Jan 9 00:00 local
    });
    expect(evaluateContact(c, '2025-01-09T04:00:00Z').allowed).toBe(true);
  });
});

describe('common stops', () => {
  it.each([
    [{ nothingDue: true }, 'collection', 'common.nothing-due'],
    [{ nothingDue: true }, 'required_disclosure', 'common.nothing-due'],
    [{ nothingDue: true }, 'cease_permitted', 'common.nothing-due'],
    // Reg F 1006.38 / CONC 7.14: a dispute stops collection; only required disclosures pass.
    [{ disputed: true }, 'collection', 'common.dispute'],
    [{ disputed: true }, 'required_disclosure', null],
    [{ disputed: true }, 'cease_permitted', 'common.dispute'],
    // Reg F 1006.6(c): after a cease request only what 1006.6(c)(2) allows.
    [{ ceaseRequested: true }, 'collection', 'common.cease'],
    [{ ceaseRequested: true }, 'required_disclosure', 'common.cease'],
    [{ ceaseRequested: true }, 'cease_permitted', null],
    [{ disputed: true, ceaseRequested: true }, 'required_disclosure', 'common.cease'],
    [{ bankruptcy: true }, 'required_disclosure', 'common.bankruptcy'],
    [{ bankruptcy: true }, 'cease_permitted', 'common.bankruptcy'],
    [{ deceased: true }, 'collection', 'common.deceased'],
    [{ representedByAttorney: true }, 'collection', 'common.attorney'],
  ] as const)('%j blocks a %s: %s', (state, kind, rule) => {
    for (const pack of ['cn', 'us-regf', 'uk-conc', 'sandbox'] as const) {
      const c = ctx({ pack, kind, channel: 'email' }, state);
      const d = evaluateContact(c, '2025-01-15T17:00:00Z');
      expect(d.allowed ? null : d.rule).toBe(rule);
      if (rule) expect(nextAllowedContact(c, '2025-01-15T17:00:00Z')).toEqual({ never: true, rule });
    }
  });

  it('never uses an opted-out channel, but may use another', () => {
    const c = ctx({ optedOut: ['sms'], channel: 'sms' });
    expect(nextAllowedContact(c, '2025-01-15T17:00:00Z')).toEqual({ never: true, rule: 'common.opt-out' });
    expect(evaluateContact({ ...c, channel: 'email' }, '2025-01-15T17:00:00Z').allowed).toBe(true);
  });

  it('holds contact until pausedUntil, and says so', () => {
    const c = ctx({ pack: 'sandbox' }, { pausedUntil: '2025-02-01T03:00:00Z' });
    expect(evaluateContact(c, '2025-02-01T02:59:59.999Z')).toEqual({ allowed: false, rule: 'common.paused', until: '2025-02-01T03:00:00.000Z' });
    expect(evaluateContact(c, '2025-02-01T03:00:00Z').allowed).toBe(true);
  });

  it('honours stated inconvenient times, including ones that wrap past midnight on chosen weekdays', () => {
    // Wed 2025-01-15; New York EST.
    const c = ctx({ inconvenientTimes: [{ from: '12:00', to: '13:30' }, { from: '20:00', to: '09:00', weekdays: [3] }] });
    expect(evaluateContact(c, '2025-01-15T17:00:00Z')).toEqual({ allowed: false, rule: 'common.inconvenient-time', until: '2025-01-15T18:30:00.000Z' });
    expect(evaluateContact(c, '2025-01-16T13:30:00Z')).toMatchObject({ rule: 'common.inconvenient-time', until: '2025-01-16T14:00:00.000Z' }); // Thu 08:30
    expect(evaluateContact(c, '2025-01-17T13:30:00Z').allowed).toBe(true); // Fri 08:30
    expect(nextAllowedContact(c, '2025-01-16T01:00:00Z')).toEqual({ at: '2025-01-16T14:00:00.000Z' });
  });

  it('blocks a run of holidays until the first day after it', () => {
    const packs = { ...RULE_PACKS, 'uk-conc': { ...RULE_PACKS['uk-conc'], holidays: ['2025-12-25', '2025-12-26'] } };
    const c = ctx({ pack: 'uk-conc', timeZone: 'Europe/London', channel: 'email' });
    expect(evaluateContact(c, '2025-12-25T10:00:00Z', { packs })).toEqual({ allowed: false, rule: 'uk-conc.holiday', until: '2025-12-27T00:00:00.000Z' });
    expect(nextAllowedContact(c, '2025-12-25T10:00:00Z', { packs })).toEqual({ at: '2025-12-27T08:00:00.000Z' });
  });

  it('lists every rule that blocks, binding one first', () => {
    const c = ctx({ inconvenientTimes: [{ from: '06:00', to: '07:00' }] }, { pausedUntil: '2025-01-15T11:30:00Z' });
    expect(evaluateContact(c, '2025-01-15T11:15:00Z')).toEqual({
      allowed: false,
      rule: 'us-regf.hours',
      until: '2025-01-15T13:00:00.000Z',
      alsoBlockedBy: [
        { rule: 'common.paused', until: '2025-01-15T11:30:00.000Z' },
        { rule: 'common.inconvenient-time', until: '2025-01-15T12:00:00.000Z' },
      ],
    });
  });

  it('gives up at the horizon when stated times leave no hour open', () => {
    const c = ctx({ inconvenientTimes: [{ from: '00:00', to: '00:00' }] });
    expect(nextAllowedContact(c, '2025-01-15T17:00:00Z', { horizonDays: 10 })).toMatchObject({ never: true, horizonReachedAt: expect.any(String) });
  });

  it('says what was wrong with bad input', () => {
    expect(() => evaluateContact(ctx(), '2025-01-15 17:00')).toThrow(/at must be an ISO-8601 instant/);
    expect(() => evaluateContact(ctx({ timeZone: 'Mars/Olympus' }), '2025-01-15T17:00:00Z')).toThrow(/IANA time zone/);
    expect(() => evaluateContact(ctx({ inconvenientTimes: [{ from: '9am', to: '10:00' }] }), '2025-01-15T17:00:00Z')).toThrow(/HH:MM/);
  });
});

describe('contact kinds', () => {
  it.each([
    ['validation-notice', 'required_disclosure'], // Reg F 1006.34
    ['final-demand', 'collection'], // asks for payment: a dispute or cease stops it
    ['forbearance-offer', 'collection'],
    ['reminder-friendly', 'collection'],
    ['reminder-firm', 'collection'],
    ['a-template-nobody-classified', 'collection'],
    ['constructor', 'collection'], // not an inherited property of the table
  ] as const)('%s is %s', (template, kind) => {
    expect(contactKindOf(template)).toBe(kind);
  });

  it('lets only required disclosures through a dispute and only 1006.6(c)(2) messages through a cease', () => {
    expect(KIND_PASSES).toEqual({
      collection: { dispute: false, cease: false },
      required_disclosure: { dispute: true, cease: false },
      cease_permitted: { dispute: false, cease: true },
    });
  });

  it('blocks a final demand during a dispute and after a cease request, whatever the caller calls it', () => {
    for (const state of [{ disputed: true }, { ceaseRequested: true }]) {
      const d = evaluateContact(ctx({ pack: 'sandbox', channel: 'letter', kind: contactKindOf('final-demand') }, state), '2025-01-15T17:00:00Z');
      expect(d.allowed).toBe(false);
    }
    // A kind the vocabulary does not know (the retired 'notice') passes neither stop.
    const legacy = ctx({ pack: 'sandbox', channel: 'letter', kind: 'notice' as never }, { disputed: true });
    expect(evaluateContact(legacy, '2025-01-15T17:00:00Z')).toMatchObject({ allowed: false, rule: 'common.dispute' });
  });
});

describe('message gap', () => {
  const HOUR = 3_600_000;
  const sent = (channel: PastContact['channel'], at: string): PastContact => ({ channel, at, status: 'sent' });
  const gapCtx = (over: Partial<ContactContext> = {}) =>
    ctx({ pack: 'sandbox', channel: 'sms', minMessageGapMs: 20 * HOUR, history: [sent('email', '2025-01-15T10:00:00Z')], ...over });

  it.each([
    ['email', '2025-01-15T10:00:00Z', 'common.message-gap'], // the same instant
    ['sms', '2025-01-16T05:59:59.999Z', 'common.message-gap'], // 1 ms short of 20 h
    ['sms', '2025-01-16T06:00:00Z', null], // exactly 20 h
    ['letter', '2025-01-15T12:00:00Z', 'common.message-gap'],
    ['call', '2025-01-15T12:00:00Z', null], // calls have their own caps
  ] as const)('a %s at %s after an email at 10:00 → %s', (channel, at, rule) => {
    const d = evaluateContact(gapCtx({ channel }), at);
    expect(d.allowed ? null : d.rule).toBe(rule);
  });

  it('says the gap lifts at the last message plus the gap, and plans the next message then', () => {
    expect(evaluateContact(gapCtx(), '2025-01-15T11:00:00Z')).toEqual({ allowed: false, rule: 'common.message-gap', until: '2025-01-16T06:00:00.000Z' });
    expect(nextAllowedContact(gapCtx(), '2025-01-15T11:00:00Z')).toEqual({ at: '2025-01-16T06:00:00.000Z' });
  });

  it('counts from the latest message, not from a call after it nor a message after the instant', () => {
    const history = [sent('sms', '2025-01-15T08:00:00Z'), sent('email', '2025-01-15T10:00:00Z'), sent('call', '2025-01-15T11:00:00Z'), sent('email', '2025-01-20T00:00:00Z')];
    expect(evaluateContact(gapCtx({ history }), '2025-01-15T12:00:00Z')).toMatchObject({ until: '2025-01-16T06:00:00.000Z' });
  });

  it('is off when the strategy states no gap, or a zero one', () => {
    expect(evaluateContact(gapCtx({ minMessageGapMs: undefined }), '2025-01-15T10:00:00Z').allowed).toBe(true);
    expect(evaluateContact(gapCtx({ minMessageGapMs: 0 }), '2025-01-15T10:00:00Z').allowed).toBe(true);
  });

  it('is a rule of every pack, binding with the contact window', () => {
    for (const pack of ['cn', 'us-regf', 'uk-conc', 'sandbox'] as const) {
      expect(RULE_PACKS[pack].rules.some((r) => r.rule === 'common.message-gap')).toBe(true);
    }
    // us-regf: 20 h after 10:00 New York is 06:00, before the 08:00 window: the window binds.
    const c = gapCtx({ pack: 'us-regf', history: [sent('email', '2025-01-15T15:00:00Z')] });
    expect(nextAllowedContact(c, '2025-01-15T16:00:00Z')).toEqual({ at: '2025-01-16T13:00:00.000Z' });
  });
});
