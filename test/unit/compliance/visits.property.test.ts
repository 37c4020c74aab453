import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateContact, nextAllowedContact } from '../../../domain/compliance';
import type { ContactContext, PastContact, VisitPlace } from '../../../domain/compliance/types';
import type { RulePackId } from '../../../domain/strategy/types';

// Field visits over random facts: where, when announced, earlier visits, the borrower's zone and the
// instant asked. Each planned visit is checked against the visit policy written out here independently
// (local clock readings from Intl, not from the rule module): cn daytime 09:00-18:00 and quiet hours,
// announced 24 h before, never at the workplace, one visit in any 7 local days; us-regf 08:00-21:00 and
// never at the workplace; uk-conc announced 72 h before, never at the workplace; and it is the earliest
// such instant (one millisecond earlier is refused).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'America/Los_Angeles', 'Australia/Lord_Howe'];
const ANCHORS = ['2025-03-09T10:00:00Z', '2025-10-26T01:00:00Z', '2026-01-15T00:00:00Z', '2026-07-01T12:00:00Z'].map(Date.parse);

/** Local "YYYY-MM-DD" and minutes of the day in `zone`, straight from Intl. */
function wall(ms: number, zone: string): { date: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY;

interface Policy {
  from: number;
  to: number;
  noticeHours?: number;
  workplace: boolean;
  weekly?: boolean;
}
const POLICY: Record<RulePackId, Policy> = {
  cn: { from: 9 * 60, to: 18 * 60, noticeHours: 24, workplace: false, weekly: true },
  'us-regf': { from: 8 * 60, to: 21 * 60, workplace: false },
  'uk-conc': { from: 8 * 60, to: 21 * 60, noticeHours: 72, workplace: false },
  sandbox: { from: 0, to: 24 * 60, workplace: true },
};

/** Why the policy refuses a visit at `ms`, or null when it allows it. */
function refusal(ctx: ContactContext, ms: number): string | null {
  const p = POLICY[ctx.pack];
  if (!p.workplace && ctx.visit?.place === 'workplace') return 'workplace';
  if (p.noticeHours !== undefined) {
    if (!ctx.visit?.announcedAt) return 'not announced';
    if (ms < Date.parse(ctx.visit.announcedAt) + p.noticeHours * HOUR) return 'notice';
  }
  const { date, minutes } = wall(ms, ctx.timeZone);
  if (minutes < p.from || minutes >= p.to) return 'hours';
  if (p.weekly) {
    const today = dayNumber(date);
    for (const v of ctx.history) {
      const at = Date.parse(v.at);
      if (v.channel !== 'visit' || at > ms) continue;
      if (dayNumber(wall(at, ctx.timeZone).date) > today - 7) return 'weekly';
    }
  }
  return null;
}

const scenario = fc.record({
  pack: fc.constantFrom<RulePackId>('cn', 'us-regf', 'uk-conc', 'sandbox'),
  zone: fc.constantFrom(...ZONES),
  anchor: fc.constantFrom(...ANCHORS),
  offsetMs: fc.integer({ min: 0, max: 3 * DAY }),
  place: fc.constantFrom<VisitPlace>('home', 'home', 'home', 'other', 'workplace'),
  announcedBeforeMs: fc.option(fc.integer({ min: 0, max: 5 * DAY }), { nil: undefined }),
  visitsAgoMs: fc.array(fc.integer({ min: 1, max: 12 * DAY }), { maxLength: 3 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function contextOf(s: Scenario, start: number): ContactContext {
  const history: PastContact[] = s.visitsAgoMs.map((ago) => ({ channel: 'visit', at: new Date(start - ago).toISOString(), status: 'sent' }));
  return {
    pack: s.pack,
    channel: 'visit',
    kind: 'collection',
    timeZone: s.zone,
    inconvenientTimes: [],
    optedOut: [],
    history,
    state: { disputed: false, ceaseRequested: false, nothingDue: false, bankruptcy: false, deceased: false, representedByAttorney: false },
    visit: { place: s.place, ...(s.announcedBeforeMs !== undefined ? { announcedAt: new Date(start - s.announcedBeforeMs).toISOString() } : {}) },
  };
}

describe('field visits under each rule pack', () => {
  it('a planned visit keeps its pack’s visit policy and is the earliest instant that does', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const start = s.anchor + s.offsetMs;
        const ctx = contextOf(s, start);
        const plan = nextAllowedContact(ctx, new Date(start).toISOString(), { horizonDays: 30 });
        if ('at' in plan) {
          const at = Date.parse(plan.at);
          expect(refusal(ctx, at), `planned ${plan.at}`).toBeNull();
          expect(evaluateContact(ctx, plan.at)).toEqual({ allowed: true });
          if (at > start) expect(evaluateContact(ctx, new Date(at - 1).toISOString()).allowed, `1 ms before ${plan.at}`).toBe(false);
        } else {
          // Only a fact stops a visit for good: the workplace, or no announcement where notice is due.
          expect(['workplace', 'not announced']).toContain(refusal(ctx, start));
          expect(plan.rule).toMatch(/\.visit-(workplace|notice)$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever the policy refuses now, the gate refuses too (and names a visit or contact-hours rule)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const start = s.anchor + s.offsetMs;
        const ctx = contextOf(s, start);
        const decision = evaluateContact(ctx, new Date(start).toISOString());
        if (refusal(ctx, start) !== null) {
          expect(decision.allowed).toBe(false);
          if (!decision.allowed) expect(decision.rule).toMatch(/visit|quiet-hours|hours/);
        } else {
          expect(decision).toEqual({ allowed: true });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('visit facts and visit history change nothing for calls and messages', () => {
    fc.assert(
      fc.property(scenario, fc.constantFrom('call', 'email', 'sms', 'letter') as fc.Arbitrary<'call' | 'email' | 'sms' | 'letter'>, (s, channel) => {
        const start = s.anchor + s.offsetMs;
        const withVisits = { ...contextOf(s, start), channel, minMessageGapMs: 20 * HOUR };
        const { visit: _visit, ...withoutVisit } = withVisits;
        const plain = { ...withoutVisit, history: [] };
        const at = new Date(start).toISOString();
        expect(evaluateContact(withVisits, at)).toEqual(evaluateContact(plain, at));
      }),
      { numRuns: 1000 },
    );
  });

  it('an opt-out of visits, a dispute or a cease request stops a visit like any contact', () => {
    const ctx = contextOf({ pack: 'cn', zone: 'Asia/Shanghai', anchor: ANCHORS[2]!, offsetMs: 0, place: 'home', announcedBeforeMs: 3 * DAY, visitsAgoMs: [] }, Date.parse('2026-01-15T03:00:00Z'));
    const at = '2026-01-15T03:00:00Z'; // 11:00 in Shanghai
    expect(evaluateContact(ctx, at)).toEqual({ allowed: true });
    expect(evaluateContact({ ...ctx, optedOut: ['visit'] }, at)).toMatchObject({ allowed: false, rule: 'common.opt-out' });
    expect(evaluateContact({ ...ctx, state: { ...ctx.state, disputed: true } }, at)).toMatchObject({ allowed: false, rule: 'common.dispute' });
    expect(evaluateContact({ ...ctx, state: { ...ctx.state, ceaseRequested: true } }, at)).toMatchObject({ allowed: false, rule: 'common.cease' });
    expect(evaluateContact({ ...ctx, visit: { place: 'workplace', announcedAt: ctx.visit!.announcedAt } }, at)).toMatchObject({ allowed: false, rule: 'cn.visit-workplace' });
    expect(evaluateContact(ctx, '2026-01-15T11:00:00Z')).toMatchObject({ allowed: false, rule: 'cn.visit-daytime' }); // 19:00 local
  });
});
