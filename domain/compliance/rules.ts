// The compliance rules, one small pure function each: (context, instant, numbers from the pack) → a block
// or nothing. A block names its rule and, when time alone lifts it, the exact instant it lifts.
// Which rules run, with which numbers, is data in ./packs.
import type { ContactContext, InconvenientTime } from './types';
import { passesCease, passesDispute } from './kinds';
import type { RulePack, RuleSpec } from './packs';
import {
  isoWeekday,
  localDay,
  localTime,
  localToInstantAfter,
  parseHhMm,
  parseInstant,
  parseLocalDate,
  type LocalTime,
} from './local-time';

export interface Block {
  rule: string;
  /** Epoch ms the block lifts; absent when only a change of facts lifts it. */
  until?: number;
}

/** A past call with its borrower-local day, computed once per evaluation (or once per search). */
export interface CallOnRecord {
  at: number;
  day: number;
  connected: boolean;
  address?: string;
}

/**
 * What the rules read besides the context: the instant, its local reading and the calls on record.
 * Built by ./evaluate; computed lazily so that a contact stopped by a fact costs no time-zone work.
 */
export class RuleInput {
  private localCache?: LocalTime;
  constructor(
    readonly ctx: ContactContext,
    readonly at: number,
    private readonly callsOf: () => CallOnRecord[],
    readonly pack: RulePack,
  ) {}
  get local(): LocalTime {
    return (this.localCache ??= localTime(this.at, this.ctx.timeZone));
  }
  get calls(): CallOnRecord[] {
    return this.callsOf();
  }
  /** The first instant after `at` whose local reading reaches msOfDay on local `day`. */
  instant(day: number, msOfDay: number): number {
    return localToInstantAfter(day, msOfDay, this.ctx.timeZone, this.at);
  }
  /** Start of a local day (local midnight, or the first instant after a skipped midnight). */
  startOf(day: number): number {
    return this.instant(day, 0);
  }
}

type Check<S extends RuleSpec> = (spec: S, input: RuleInput) => Block | undefined;
type SpecOf<C extends RuleSpec['check']> = Extract<RuleSpec, { check: C }>;

const stop = (rule: string): Block => ({ rule });

const nothingDue: Check<SpecOf<'nothingDue'>> = (s, { ctx }) => (ctx.state.nothingDue ? stop(s.rule) : undefined);

// Which kinds pass a dispute or a cease request is decided in ./kinds, with the law that says so.
const dispute: Check<SpecOf<'dispute'>> = (s, { ctx }) =>
  ctx.state.disputed && !passesDispute(ctx.kind) ? stop(s.rule) : undefined;

const cease: Check<SpecOf<'cease'>> = (s, { ctx }) =>
  ctx.state.ceaseRequested && !passesCease(ctx.kind) ? stop(s.rule) : undefined;

const bankruptcy: Check<SpecOf<'bankruptcy'>> = (s, { ctx }) => (ctx.state.bankruptcy ? stop(s.rule) : undefined);

const deceased: Check<SpecOf<'deceased'>> = (s, { ctx }) => (ctx.state.deceased ? stop(s.rule) : undefined);

const attorney: Check<SpecOf<'attorney'>> = (s, { ctx }) =>
  ctx.state.representedByAttorney ? stop(s.rule) : undefined;

const optOut: Check<SpecOf<'optOut'>> = (s, { ctx }) => (ctx.optedOut.includes(ctx.channel) ? stop(s.rule) : undefined);

const paused: Check<SpecOf<'paused'>> = (s, { ctx, at }) => {
  if (ctx.state.pausedUntil === undefined) return undefined;
  const until = parseInstant(ctx.state.pausedUntil, 'state.pausedUntil');
  return at < until ? { rule: s.rule, until } : undefined;
};

/** Is local (day, msOfDay) inside the stated inconvenient time; if so, when does that stretch end. */
function inconvenientUntil(t: InconvenientTime, input: RuleInput): number | undefined {
  const from = parseHhMm(t.from, 'inconvenientTimes.from');
  const to = parseHhMm(t.to, 'inconvenientTimes.to');
  const onDay = (day: number) => t.weekdays === undefined || t.weekdays.includes(isoWeekday(day));
  const { day, msOfDay } = input.local;
  if (from === to || (from === 0 && to === 24 * 3_600_000)) {
    // A whole day.
    return onDay(day) ? input.startOf(day + 1) : undefined;
  }
  if (from < to) {
    return onDay(day) && msOfDay >= from && msOfDay < to ? input.instant(day, to) : undefined;
  }
  // Wraps past midnight, e.g. 22:00-07:00; the weekdays name the day the stretch starts.
  if (onDay(day) && msOfDay >= from) return input.instant(day + 1, to);
  if (onDay(day - 1) && msOfDay < to) return input.instant(day, to);
  return undefined;
}

const inconvenientTime: Check<SpecOf<'inconvenientTime'>> = (s, input) => {
  let until: number | undefined;
  for (const t of input.ctx.inconvenientTimes) {
    const u = inconvenientUntil(t, input);
    if (u !== undefined && (until === undefined || u > until)) until = u;
  }
  return until === undefined ? undefined : { rule: s.rule, until };
};

const holidayDays = new WeakMap<RulePack, Set<number>>();

const holiday: Check<SpecOf<'holiday'>> = (s, input) => {
  if (input.pack.holidays.length === 0) return undefined;
  let days = holidayDays.get(input.pack);
  if (!days) {
    days = new Set(input.pack.holidays.map((d) => parseLocalDate(d, `${input.pack.id} holidays`)));
    holidayDays.set(input.pack, days);
  }
  if (!days.has(input.local.day)) return undefined;
  let day = input.local.day + 1;
  while (days.has(day)) day += 1; // a run of holidays lifts at the end of the run
  return { rule: s.rule, until: input.startOf(day) };
};

const contactHours: Check<SpecOf<'contactHours'>> = (s, input) => {
  if (s.waivedByAgreement && input.ctx.agreedToQuietHours) return undefined;
  const from = parseHhMm(s.from, `${s.rule}.from`);
  const to = parseHhMm(s.to, `${s.rule}.to`);
  const { day, msOfDay } = input.local;
  if (msOfDay >= from && msOfDay < to) return undefined;
  const nextDay = msOfDay < from ? day : day + 1;
  return { rule: s.rule, until: input.instant(nextDay, from) };
};

const dailyCallCap: Check<SpecOf<'dailyCallCap'>> = (s, input) => {
  const { ctx } = input;
  if (ctx.channel !== 'call') return undefined;
  // A recorded call whose outcome is known only risks the cap it would add to.
  if (s.counts === 'connected' && ctx.connected === false) return undefined;
  if (s.counts === 'unanswered' && ctx.connected === true) return undefined;
  const day = input.local.day;
  let n = 0;
  for (const c of input.calls) {
    if (c.day !== day) continue;
    if (s.counts === 'connected' ? !c.connected : c.connected) continue;
    if (s.perNumber && ctx.address !== undefined && c.address !== undefined && c.address !== ctx.address) continue;
    n += 1;
  }
  return n >= s.max ? { rule: s.rule, until: input.startOf(day + 1) } : undefined;
};

const rollingCallCap: Check<SpecOf<'rollingCallCap'>> = (s, input) => {
  if (input.ctx.channel !== 'call') return undefined;
  const days = input.calls.map((c) => c.day).sort((a, b) => a - b);
  if (days.length < s.max) return undefined;
  const countIn = (first: number, last: number) => {
    let n = 0;
    for (const d of days) if (d >= first && d <= last) n += 1;
    return n;
  };
  // A call on day D is the (max+1)th of some window of `days` consecutive days containing D.
  const full = (d: number) => {
    for (let start = d - s.days + 1; start <= d; start += 1) {
      if (countIn(start, start + s.days - 1) >= s.max) return true;
    }
    return false;
  };
  const today = input.local.day;
  if (!full(today)) return undefined;
  // The first later day on which no window is full: when the oldest counted attempt leaves the window.
  const last = days[days.length - 1]!;
  let day = today + 1;
  while (day <= last + s.days && full(day)) day += 1;
  return { rule: s.rule, until: input.startOf(day) };
};

const afterConversation: Check<SpecOf<'afterConversation'>> = (s, input) => {
  if (input.ctx.channel !== 'call') return undefined;
  const today = input.local.day;
  let latest: number | undefined;
  for (const c of input.calls) {
    // Only conversations already had count: a call earlier the same day is not "after" a later one.
    if (!c.connected || c.at > input.at || c.day < today - s.days + 1 || c.day > today) continue;
    if (latest === undefined || c.day > latest) latest = c.day;
  }
  // The conversation's day is day 1, so calls resume on day days+1.
  return latest === undefined ? undefined : { rule: s.rule, until: input.startOf(latest + s.days) };
};

const cycleSpacing: Check<SpecOf<'cycleSpacing'>> = (s, input) => {
  const ended = input.ctx.previousCycleEndedAt;
  if (ended === undefined) return undefined;
  const endDay = localDay(parseInstant(ended, 'previousCycleEndedAt'), input.ctx.timeZone);
  const firstDay = endDay + s.days + 1;
  return input.local.day < firstDay ? { rule: s.rule, until: input.startOf(firstDay) } : undefined;
};

/**
 * No message closer than the strategy's gap to the last message sent (calls have their own caps). Only
 * messages at or before the instant count: the gate and the planner look back, never forward.
 */
const messageGap: Check<SpecOf<'messageGap'>> = (s, { ctx, at }) => {
  const gap = ctx.minMessageGapMs ?? 0;
  // Calls and field visits are not messages: they have their own caps.
  if (!(gap > 0) || ctx.channel === 'call' || ctx.channel === 'visit') return undefined;
  let last: number | undefined;
  for (const p of ctx.history) {
    if (p.channel === 'call' || p.channel === 'visit') continue;
    const sent = parseInstant(p.at, 'history[].at');
    if (sent <= at && (last === undefined || sent > last)) last = sent;
  }
  return last !== undefined && at < last + gap ? { rule: s.rule, until: last + gap } : undefined;
};

// ---- field visits (channel `visit`): every other channel passes these ----

const noVisits: Check<SpecOf<'noVisits'>> = (s, { ctx }) => (ctx.channel === 'visit' ? stop(s.rule) : undefined);

/** A visit at a forbidden place (the workplace) is stopped for good: that visit may never happen. */
const visitPlace: Check<SpecOf<'visitPlace'>> = (s, { ctx }) =>
  ctx.channel === 'visit' && s.forbidden.includes(ctx.visit?.place ?? 'other') ? stop(s.rule) : undefined;

/** Told at least `hours` before; a visit nobody announced is stopped until it is (a fact, not time). */
const visitNotice: Check<SpecOf<'visitNotice'>> = (s, { ctx, at }) => {
  if (ctx.channel !== 'visit') return undefined;
  const announced = ctx.visit?.announcedAt;
  if (announced === undefined) return stop(s.rule);
  const from = parseInstant(announced, 'visit.announcedAt') + s.hours * 3_600_000;
  return at < from ? { rule: s.rule, until: from } : undefined;
};

const visitHours: Check<SpecOf<'visitHours'>> = (s, input) => {
  if (input.ctx.channel !== 'visit') return undefined;
  const from = parseHhMm(s.from, `${s.rule}.from`);
  const to = parseHhMm(s.to, `${s.rule}.to`);
  const { day, msOfDay } = input.local;
  if (msOfDay >= from && msOfDay < to) return undefined;
  return { rule: s.rule, until: input.instant(msOfDay < from ? day : day + 1, from) };
};

/** At most `max` visits in any `days` consecutive local days: the next one waits for the oldest to age out. */
const visitCap: Check<SpecOf<'visitCap'>> = (s, input) => {
  const { ctx } = input;
  if (ctx.channel !== 'visit') return undefined;
  const today = input.local.day;
  const days: number[] = [];
  for (const p of ctx.history) {
    if (p.channel !== 'visit' || (p.status !== 'sent' && p.status !== 'presumed_sent')) continue;
    const at = parseInstant(p.at, 'history[].at');
    if (at > input.at) continue;
    const day = localDay(at, ctx.timeZone);
    if (day > today - s.days) days.push(day);
  }
  if (days.length < s.max) return undefined;
  // With today's visit the window [today - days + 1, today] would hold max + 1: wait until the
  // (count - max + 1)th oldest leaves it.
  days.sort((a, b) => a - b);
  const leaving = days[days.length - s.max]!;
  return { rule: s.rule, until: input.startOf(leaving + s.days) };
};

/** Run one rule of a pack. */
export function applyRule(spec: RuleSpec, input: RuleInput): Block | undefined {
  switch (spec.check) {
    case 'nothingDue': return nothingDue(spec, input);
    case 'dispute': return dispute(spec, input);
    case 'cease': return cease(spec, input);
    case 'bankruptcy': return bankruptcy(spec, input);
    case 'deceased': return deceased(spec, input);
    case 'attorney': return attorney(spec, input);
    case 'optOut': return optOut(spec, input);
    case 'paused': return paused(spec, input);
    case 'inconvenientTime': return inconvenientTime(spec, input);
    case 'holiday': return holiday(spec, input);
    case 'contactHours': return contactHours(spec, input);
    case 'dailyCallCap': return dailyCallCap(spec, input);
    case 'rollingCallCap': return rollingCallCap(spec, input);
    case 'afterConversation': return afterConversation(spec, input);
    case 'cycleSpacing': return cycleSpacing(spec, input);
    case 'messageGap': return messageGap(spec, input);
    case 'noVisits': return noVisits(spec, input);
    case 'visitPlace': return visitPlace(spec, input);
    case 'visitNotice': return visitNotice(spec, input);
    case 'visitHours': return visitHours(spec, input);
    case 'visitCap': return visitCap(spec, input);
  }
}

/** Checks that hold until a fact changes run first: they answer without any time-zone work. */
export const FACT_CHECKS: ReadonlySet<RuleSpec['check']> = new Set([
  'nothingDue', 'dispute', 'cease', 'bankruptcy', 'deceased', 'attorney', 'optOut', 'noVisits', 'visitPlace',
]);
