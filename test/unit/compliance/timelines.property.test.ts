import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RULE_PACKS, evaluateContact, nextAllowedContact, type RulePacks } from '../../../domain/compliance';
import type { ContactContext, PastContact } from '../../../domain/compliance/types';
import type { Channel, RulePackId } from '../../../domain/strategy/types';
import { capBreaches, factStops, problems, wall, type Attempt, type Borrower, type Facts, type Kind } from './independent-checker';

// Random borrower timelines: facts change, contacts are planned with nextAllowedContact exactly as the
// workflow does, each planned contact is appended to the history with a random outcome, and an
// independent checker confirms that no planned contact breaks a window, cap or pause of its pack, and
// that the planned instant is the earliest one (one millisecond earlier is not allowed).

const ZONES = [
  'Asia/Shanghai',
  'America/Los_Angeles',
  'Europe/London',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/New_York',
  'Asia/Kathmandu',
];

// DST changes (and a few ordinary days) to start timelines near.
const ANCHORS = [
  '2025-03-09T10:00:00Z', // US spring forward
  '2025-11-02T09:00:00Z', // US fall back
  '2025-03-30T01:00:00Z', // UK spring forward
  '2025-10-26T01:00:00Z', // UK fall back
  '2025-04-05T15:00:00Z', // Lord Howe / Chatham end of DST (southern autumn)
  '2025-10-04T15:00:00Z', // Lord Howe / Chatham start of DST
  '2026-01-15T00:00:00Z',
  '2026-07-01T12:00:00Z',
].map(Date.parse);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Event =
  | { type: 'paid' }
  | { type: 'due-again' }
  | { type: 'dispute'; on: boolean }
  | { type: 'cease' }
  | { type: 'opt-out'; channel: Channel }
  | { type: 'pause'; forMs: number }
  | { type: 'inconvenient'; from: string; to: string; weekdays?: number[] }
  | { type: 'agree-quiet-hours'; on: boolean }
  | { type: 'bankruptcy' }
  /** The case now runs under a strategy with another message gap (a new case, a new version). */
  | { type: 'message-gap'; ms: number | undefined };

interface Step {
  gapMs: number;
  channel: Channel;
  kind: Kind;
  address: 'A' | 'B' | undefined;
  /** 0..99; the call connects when below the timeline's connect percentage. */
  roll: number;
  event?: Event;
}

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

/** No gap, the fast-test one, and the hours of the shipped strategies. */
function gapArb(): fc.Arbitrary<number | undefined> {
  return fc.constantFrom(undefined, 0, 500, 30 * 60_000, 20 * HOUR, 24 * HOUR);
}

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'paid' }) },
  { weight: 2, arbitrary: fc.constant<Event>({ type: 'due-again' }) },
  { weight: 2, arbitrary: fc.boolean().map((on): Event => ({ type: 'dispute', on })) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'cease' }) },
  { weight: 2, arbitrary: fc.constantFrom<Channel>('email', 'sms', 'call', 'letter').map((channel): Event => ({ type: 'opt-out', channel })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 20 * 24 * 60 }).map((m): Event => ({ type: 'pause', forMs: m * 60_000 })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(hhmm, hhmm, fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }), { nil: undefined }))
      .map(([from, to, weekdays]): Event => ({ type: 'inconvenient', from, to, weekdays })),
  },
  { weight: 2, arbitrary: fc.boolean().map((on): Event => ({ type: 'agree-quiet-hours', on })) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'bankruptcy' }) },
  { weight: 1, arbitrary: gapArb().map((ms): Event => ({ type: 'message-gap', ms })) },
);

const stepArb: fc.Arbitrary<Step> = fc.record({
  // Mostly quick succession (to hit caps and windows), sometimes days apart.
  gapMs: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 20 * 60_000 }) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 * HOUR }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 * DAY }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 9 * DAY }) },
  ),
  channel: fc.constantFrom<Channel>('call', 'call', 'call', 'sms', 'email', 'letter'),
  kind: fc.constantFrom<Kind>('collection', 'collection', 'collection', 'required_disclosure', 'cease_permitted'),
  address: fc.constantFrom<'A' | 'B' | undefined>('A', 'A', 'B', undefined),
  roll: fc.integer({ min: 0, max: 99 }),
  // Facts change on about one step in eight, so timelines live long enough to reach the caps.
  event: fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: eventArb }),
});

const timelineArb = fc.record({
  pack: fc.constantFrom<RulePackId>('cn', 'us-regf', 'uk-conc', 'sandbox'),
  timeZone: fc.constantFrom(...ZONES),
  start: fc.oneof(
    fc.tuple(fc.constantFrom(...ANCHORS), fc.integer({ min: -3 * DAY, max: 3 * DAY })).map(([a, d]) => a + d),
    fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
  ),
  /** Holidays as offsets in days from the start's local date. */
  holidayOffsets: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 4 }),
  minMessageGapMs: gapArb(),
  previousCycleEndedBeforeStartMs: fc.option(fc.integer({ min: 0, max: 10 * DAY }), { nil: undefined }),
  /** Borrowers who never pick up reach the unanswered caps; chatty ones the conversation rules. */
  connectPercent: fc.constantFrom(0, 10, 30, 60),
  /** Call-only timelines (a collector queue) reach the call caps; mixed ones exercise the other channels. */
  callsOnly: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 5, maxLength: 40 }),
});

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function dateOf(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

type Timeline = typeof timelineArb extends fc.Arbitrary<infer T> ? T : never;

function simulate(t: Timeline) {
  const startDay = wall(t.start, t.timeZone).day;
  const holidays = t.holidayOffsets.map((o) => dateOf(startDay + o));
  const packs: RulePacks = { ...RULE_PACKS, [t.pack]: { ...RULE_PACKS[t.pack], holidays } };
  const borrower: Borrower = { pack: t.pack, timeZone: t.timeZone, holidays };
  const facts: Facts = {
    disputed: false,
    ceaseRequested: false,
    nothingDue: false,
    bankruptcy: false,
    deceased: false,
    representedByAttorney: false,
    optedOut: [],
    inconvenientTimes: [],
    agreedToQuietHours: false,
    previousCycleEndedAt: t.previousCycleEndedBeforeStartMs === undefined ? undefined : t.start - t.previousCycleEndedBeforeStartMs,
    minMessageGapMs: t.minMessageGapMs,
  };
  const made: Array<Attempt & { facts: Facts }> = [];
  let cursor = t.start;
  for (const s of t.steps) {
    const step = t.callsOnly ? { ...s, channel: 'call' as const } : s;
    cursor += step.gapMs;
    applyEvent(facts, step.event, cursor);
    const attempt: Attempt = { at: 0, channel: step.channel, kind: step.kind, address: step.channel === 'call' ? step.address : undefined };
    const ctx: ContactContext = {
      pack: t.pack,
      channel: step.channel,
      kind: step.kind,
      timeZone: t.timeZone,
      inconvenientTimes: [...facts.inconvenientTimes],
      optedOut: [...facts.optedOut],
      agreedToQuietHours: facts.agreedToQuietHours,
      history: made.map(
        (m): PastContact => ({ channel: m.channel, at: iso(m.at), status: 'sent', connected: m.connected, address: m.address }),
      ),
      state: {
        disputed: facts.disputed,
        ceaseRequested: facts.ceaseRequested,
        nothingDue: facts.nothingDue,
        bankruptcy: facts.bankruptcy,
        deceased: facts.deceased,
        representedByAttorney: facts.representedByAttorney,
        pausedUntil: facts.pausedUntil === undefined ? undefined : iso(facts.pausedUntil),
      },
      previousCycleEndedAt: facts.previousCycleEndedAt === undefined ? undefined : iso(facts.previousCycleEndedAt),
      minMessageGapMs: facts.minMessageGapMs,
      address: attempt.address,
    };
    const plan = nextAllowedContact(ctx, iso(cursor), { packs, horizonDays: 60 });
    if ('never' in plan) {
      if (process.env.COVERAGE) coverage.set(`never: ${plan.rule}`, (coverage.get(`never: ${plan.rule}`) ?? 0) + 1);
      if (plan.horizonReachedAt === undefined) {
        // A stop no time lifts: the checker must see one too.
        expect(factStops(attempt, facts), `never by ${plan.rule}`).not.toEqual([]);
      } else {
        // Only stated inconvenient times can close every hour for 60 days.
        expect(facts.inconvenientTimes.length, `horizon reached, last rule ${plan.rule}`).toBeGreaterThan(0);
      }
      continue;
    }
    const at = Date.parse(plan.at);
    expect(at).toBeGreaterThanOrEqual(cursor);
    attempt.at = at;
    const before = made.map(({ facts: _f, ...a }) => a);
    expect(problems(attempt, before, facts, borrower), `contact at ${plan.at} (${t.timeZone}, local ${JSON.stringify(wall(at, t.timeZone))})`).toEqual([]);
    if (process.env.COVERAGE) {
      const d = evaluateContact(ctx, iso(cursor), { packs });
      const why = d.allowed ? ['allowed at once'] : [d.rule, ...(d.alsoBlockedBy ?? []).map((b) => b.rule)];
      for (const w of why) coverage.set(w, (coverage.get(w) ?? 0) + 1);
    }
    if (at > cursor) {
      // Earliest: a millisecond earlier something must still block.
      const earlier = { ...attempt, at: at - 1 };
      expect(problems(earlier, before, facts, borrower).length, `${iso(at - 1)} should be blocked`).toBeGreaterThan(0);
    }
    if (step.channel === 'call') attempt.connected = step.roll < t.connectPercent;
    made.push({ ...attempt, facts: { ...facts } });
    cursor = at;
  }
  // Each message was planned under the gap in force then; the pair check reads it per later message.
  const gapOf = new Map(made.map((m) => [m.at, m.facts.minMessageGapMs ?? 0]));
  expect(capBreaches(made, borrower, (at) => gapOf.get(at) ?? 0)).toEqual([]);
  return made.length;
}

const coverage = new Map<string, number>();

function applyEvent(f: Facts, e: Event | undefined, now: number): void {
  if (!e) return;
  switch (e.type) {
    case 'paid': f.nothingDue = true; break;
    case 'due-again': f.nothingDue = false; break;
    case 'dispute': f.disputed = e.on; break;
    case 'cease': f.ceaseRequested = true; break;
    case 'opt-out': if (!f.optedOut.includes(e.channel)) f.optedOut.push(e.channel); break;
    case 'pause': f.pausedUntil = now + e.forMs; break;
    case 'inconvenient': f.inconvenientTimes.push({ from: e.from, to: e.to, weekdays: e.weekdays }); break;
    case 'agree-quiet-hours': f.agreedToQuietHours = e.on; break;
    case 'bankruptcy': f.bankruptcy = true; break;
    case 'message-gap': f.minMessageGapMs = e.ms; break;
  }
}

describe('planned contacts over random borrower timelines', () => {
  // COVERAGE=1 prints which rules the random timelines actually ran into.
  afterAll(() => {
    if (process.env.COVERAGE) console.log([...coverage].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  });

  for (const pack of ['cn', 'us-regf', 'uk-conc', 'sandbox'] as const) {
    it(`never break a window, cap or pause of the ${pack} pack, and are planned at the earliest allowed instant`, () => {
      let contacts = 0;
      fc.assert(
        fc.property(timelineArb.map((t) => ({ ...t, pack })), (t) => {
          contacts += simulate(t);
        }),
        { numRuns: Number(process.env.RUNS ?? { cn: 500, 'us-regf': 500, 'uk-conc': 300, sandbox: 200 }[pack]) },
      );
      expect(contacts).toBeGreaterThan(0);
    }, 60_000);
  }
});
