// Borrower local time for the compliance rules. Pure: the only clock is the instant passed in, and the
// only zone data is Intl's (available inside Temporal's workflow sandbox too), so the planning workflow
// and the send-time activity get the same answers.
//
// Local dates are carried as day numbers (days since 1970-01-01 on the civil calendar) so that "the next
// day" or "7 days later" is integer arithmetic, never 24 hours of wall-clock time (which DST breaks).

const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`timeZone must be an IANA time zone such as "Asia/Shanghai" (got ${JSON.stringify(timeZone)})`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading of an instant in a zone, as if that reading were a UTC instant (ms). */
function wallAsUtc(ms: number, timeZone: string): number {
  const seconds = Math.floor(ms / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatterFor(timeZone).formatToParts(seconds)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value) % 24; break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) + (ms - seconds);
}

/** UTC offset of the zone at that instant, in ms (east positive). */
export function offsetAt(ms: number, timeZone: string): number {
  return wallAsUtc(ms, timeZone) - ms;
}

export interface LocalTime {
  /** Local calendar date as a day number (days since 1970-01-01). */
  day: number;
  /** Milliseconds since local midnight by the wall clock (0 .. 86_399_999). */
  msOfDay: number;
  /** ISO weekday, 1 = Monday .. 7 = Sunday. */
  weekday: number;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const wall = wallAsUtc(ms, timeZone);
  const day = Math.floor(wall / MS_PER_DAY);
  return { day, msOfDay: wall - day * MS_PER_DAY, weekday: isoWeekday(day) };
}

export function localDay(ms: number, timeZone: string): number {
  return Math.floor(wallAsUtc(ms, timeZone) / MS_PER_DAY);
}

export function isoWeekday(day: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return (((day + 3) % 7) + 7) % 7 + 1;
}

/**
 * The earliest instant whose local wall-clock reading is at or after `msOfDay` on local `day`.
 * Usually that is simply the instant of that wall time; when a DST gap skips it, it is the instant the
 * clocks jump (the first existing local time after it); when a fall-back repeats it, the first occurrence.
 */
export function localToInstant(day: number, msOfDay: number, timeZone: string): number {
  const wall = day * MS_PER_DAY + msOfDay;
  const before = offsetAt(wall - MS_PER_DAY, timeZone);
  const after = offsetAt(wall + MS_PER_DAY, timeZone);
  const candidates = [wall - before, wall - after].sort((a, b) => a - b);
  for (const t of candidates) {
    if (wallAsUtc(t, timeZone) === wall) return t;
  }
  // `wall` lies in a gap: the clocks jump over it somewhere between the two candidates. Find the jump:
  // the first instant whose wall reading is at or past `wall`.
  let lo = candidates[0]!; // wall reading before `wall`
  let hi = candidates[1]!; // wall reading after `wall`
  if (wallAsUtc(hi, timeZone) < wall) {
    // More than one transition near this date (not seen in current tz data): step minute by minute.
    let t = lo;
    while (wallAsUtc(t, timeZone) < wall) t += MS_PER_MINUTE;
    return t;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallAsUtc(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Start of a local calendar day (local midnight, or the first instant of the day if midnight is skipped). */
export function startOfLocalDay(day: number, timeZone: string): number {
  return localToInstant(day, 0, timeZone);
}

/** "HH:MM" → ms since midnight; "24:00" is allowed as the end of the day. */
export function parseHhMm(value: string, field: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!m || h > 24 || min > 59 || (h === 24 && min !== 0)) {
    throw new RangeError(`${field} must be a local time "HH:MM" between 00:00 and 24:00 (got ${JSON.stringify(value)})`);
  }
  return (h * 60 + min) * MS_PER_MINUTE;
}

/** 'YYYY-MM-DD' → day number. */
export function parseLocalDate(value: string, field: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    const day = ms / MS_PER_DAY;
    if (formatLocalDate(day) === value) return day;
  }
  throw new RangeError(`${field} must be a calendar date "YYYY-MM-DD" (got ${JSON.stringify(value)})`);
}

/** day number → 'YYYY-MM-DD'. */
export function formatLocalDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** ISO-8601 instant → epoch ms, with an error that says which field was wrong. */
export function parseInstant(value: string, field: string): number {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new RangeError(`${field} must be an ISO-8601 instant such as "2025-03-09T15:00:00Z" (got ${JSON.stringify(value)})`);
  }
  return ms;
}

export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

export { MS_PER_DAY, MS_PER_MINUTE };

/**
 * Like localToInstant, but strictly after `after`: when a fall-back repeats the wall time and `after`
 * already lies past its first occurrence, the repeated occurrence. Rules use it for "blocked until"
 * so that a search always moves forward.
 */
export function localToInstantAfter(day: number, msOfDay: number, timeZone: string, after: number): number {
  const t = localToInstant(day, msOfDay, timeZone);
  if (t > after) return t;
  const repeat = day * MS_PER_DAY + msOfDay - offsetAt(after, timeZone);
  return repeat > after ? repeat : after + MS_PER_MINUTE;
}
