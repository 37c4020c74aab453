// An independent, deliberately plain reading of the contact rules for the property tests. It shares no
// code with domain/compliance: local time comes from Date#toLocaleString, the numbers are restated here
// from /work/shared/domain/collections.md, and the caps are checked by counting, not by the module's
// window arithmetic. If both agree over thousands of random timelines, the module is right or both
// readings share the same mistake — the table tests pin the readings themselves.
import type { Channel, RulePackId } from '../../../domain/strategy/types';

export interface Facts {
  disputed: boolean;
  ceaseRequested: boolean;
  nothingDue: boolean;
  bankruptcy: boolean;
  deceased: boolean;
  representedByAttorney: boolean;
  pausedUntil?: number;
  optedOut: Channel[];
  inconvenientTimes: Array<{ from: string; to: string; weekdays?: number[] }>;
  agreedToQuietHours: boolean;
  previousCycleEndedAt?: number;
  /** The strategy's least time between two messages, ms; undefined or 0 = none. */
  minMessageGapMs?: number;
}

/**
 * Restated from the law, not from domain/compliance/kinds: a dispute stops everything but the
 * disclosures the law requires (Reg F 1006.34 validation notice, 1006.38(d)(2) verification); a cease
 * request everything but what 1006.6(c)(2) lists.
 */
export type Kind = 'collection' | 'required_disclosure' | 'cease_permitted';

export interface Attempt {
  at: number;
  channel: Channel;
  kind: Kind;
  address?: string;
  /** Calls only; undefined = outcome not known yet (a planned call: it may connect or not). */
  connected?: boolean;
}

export interface Borrower {
  pack: RulePackId;
  timeZone: string;
  holidays: string[];
}

interface Wall {
  date: string;
  day: number;
  weekday: number;
  /** ms since local midnight by the wall clock. */
  time: number;
}

const wallCache = new Map<string, Wall>();

export function wall(ms: number, timeZone: string): Wall {
  const key = `${timeZone} ${ms}`;
  const hit = wallCache.get(key);
  if (hit) return hit;
  // "2025-03-09 08:00:00" in Swedish formatting.
  const text = new Date(ms).toLocaleString('sv-SE', { timeZone, hour12: false });
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new Error(`unexpected local time format ${text}`);
  const day = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) / 86_400_000;
  const weekday = new Date(day * 86_400_000).getUTCDay() || 7;
  const time = ((+m[4]! % 24) * 3600 + +m[5]! * 60 + +m[6]!) * 1000 + (((ms % 1000) + 1000) % 1000);
  const w = { date: `${m[1]}-${m[2]}-${m[3]}`, day, weekday, time };
  if (wallCache.size > 200_000) wallCache.clear();
  wallCache.set(key, w);
  return w;
}

const hhmm = (s: string) => (+s.slice(0, 2) * 60 + +s.slice(3, 5)) * 60_000;
const HOUR = 3_600_000;

/** Contact hours per pack (collections.md); undefined = no window. */
const HOURS: Record<RulePackId, { from: number; to: number; waivable: boolean } | undefined> = {
  cn: { from: 8 * HOUR, to: 22 * HOUR, waivable: true },
  'us-regf': { from: 8 * HOUR, to: 21 * HOUR, waivable: false },
  'uk-conc': { from: 8 * HOUR, to: 21 * HOUR, waivable: false },
  sandbox: undefined,
};

/** Stops that no passage of time lifts. */
export function factStops(a: Pick<Attempt, 'channel' | 'kind'>, f: Facts): string[] {
  const out: string[] = [];
  if (f.nothingDue) out.push('nothing-due');
  if (f.disputed && a.kind !== 'required_disclosure') out.push('dispute');
  if (f.ceaseRequested && a.kind !== 'cease_permitted') out.push('cease');
  if (f.bankruptcy) out.push('bankruptcy');
  if (f.deceased) out.push('deceased');
  if (f.representedByAttorney) out.push('attorney');
  if (f.optedOut.includes(a.channel)) out.push('opt-out');
  return out;
}

/** Everything wrong with making attempt `a` given the facts then and the attempts made before it. */
export function problems(a: Attempt, before: readonly Attempt[], f: Facts, b: Borrower): string[] {
  const out = factStops(a, f);
  const w = wall(a.at, b.timeZone);
  if (f.pausedUntil !== undefined && a.at < f.pausedUntil) out.push('paused');
  for (const t of f.inconvenientTimes) {
    const from = hhmm(t.from);
    const to = hhmm(t.to);
    const on = (wd: number) => !t.weekdays || t.weekdays.includes(wd);
    const yesterday = w.weekday === 1 ? 7 : w.weekday - 1;
    const inside =
      from === to
        ? on(w.weekday)
        : from < to
          ? on(w.weekday) && w.time >= from && w.time < to
          : (on(w.weekday) && w.time >= from) || (on(yesterday) && w.time < to);
    if (inside) out.push('inconvenient-time');
  }
  if (b.holidays.includes(w.date)) out.push('holiday');
  const hours = HOURS[b.pack];
  if (hours && !(hours.waivable && f.agreedToQuietHours) && (w.time < hours.from || w.time >= hours.to)) out.push('hours');
  if (b.pack === 'cn' && f.previousCycleEndedAt !== undefined) {
    if (w.day < wall(f.previousCycleEndedAt, b.timeZone).day + 8) out.push('cycle-spacing');
  }
  if (a.channel !== 'call') {
    const gap = f.minMessageGapMs ?? 0;
    if (gap > 0 && before.some((m) => m.channel !== 'call' && m.at <= a.at && a.at - m.at < gap)) out.push('message-gap');
    return out;
  }

  const calls = before.filter((c) => c.channel === 'call');
  const sameDay = calls.filter((c) => wall(c.at, b.timeZone).day === w.day);
  if (b.pack === 'cn') {
    if (a.connected !== false && sameDay.filter((c) => c.connected).length >= 3) out.push('connected-calls');
    const sameNumber = sameDay.filter(
      (c) => !c.connected && (a.address === undefined || c.address === undefined || c.address === a.address),
    );
    if (a.connected !== true && sameNumber.length >= 6) out.push('unanswered-calls');
  }
  if (b.pack === 'us-regf') {
    // Any 7 consecutive local days holding this call may hold at most 7 calls.
    for (let first = w.day - 6; first <= w.day; first += 1) {
      const n = calls.filter((c) => {
        const d = wall(c.at, b.timeZone).day;
        return d >= first && d <= first + 6;
      }).length;
      if (n + 1 > 7) {
        out.push('7-in-7');
        break;
      }
    }
    // Conversation day is day 1; days 1..7 take no calls.
    if (calls.some((c) => c.connected && c.at <= a.at && w.day - wall(c.at, b.timeZone).day < 7)) out.push('after-conversation');
  }
  return out;
}

/**
 * Whole-timeline check with known outcomes: the caps as a regulator would count them afterwards.
 * `gapAt(ms)`: the message gap in force at an instant (ms), for the pairs of messages it separates.
 */
export function capBreaches(attempts: readonly Attempt[], b: Borrower, gapAt: (at: number) => number = () => 0): string[] {
  const calls = attempts.filter((c) => c.channel === 'call').map((c) => ({ ...c, day: wall(c.at, b.timeZone).day }));
  const out: string[] = [];
  const messages = attempts.filter((m) => m.channel !== 'call');
  for (const [i, later] of messages.entries()) {
    for (const earlier of messages.slice(0, i)) {
      if (later.at - earlier.at < gapAt(later.at)) {
        out.push(`messages at ${new Date(earlier.at).toISOString()} and ${new Date(later.at).toISOString()} closer than ${gapAt(later.at)} ms`);
      }
    }
  }
  const days = [...new Set(calls.map((c) => c.day))];
  if (b.pack === 'cn') {
    for (const d of days) {
      const today = calls.filter((c) => c.day === d);
      if (today.filter((c) => c.connected).length > 3) out.push(`more than 3 connected calls on day ${d}`);
      // A call whose number was not recorded may have gone to any number: count it against each.
      const numbers = new Set(today.map((c) => c.address));
      for (const n of numbers) {
        if (today.filter((c) => !c.connected && (c.address === n || c.address === undefined)).length > 6) {
          out.push(`more than 6 unanswered calls to ${n ?? 'an unrecorded number'} on day ${d}`);
        }
      }
    }
  }
  if (b.pack === 'us-regf') {
    for (const d of days) {
      const n = calls.filter((c) => c.day >= d && c.day <= d + 6).length;
      if (n > 7) out.push(`${n} calls in the 7 days from day ${d}`);
    }
    for (const conv of calls.filter((c) => c.connected)) {
      const after = calls.filter((c) => c.at > conv.at && c.day <= conv.day + 6);
      if (after.length > 0) out.push(`call ${new Date(after[0]!.at).toISOString()} within 7 days of a conversation`);
    }
  }
  return out;
}
