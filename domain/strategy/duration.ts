// ISO-8601 durations as strategy documents write them ("P3D", "PT4H", "PT1.5S", "P2W").
// Pure and integer-only: this runs inside Temporal's deterministic workflow sandbox.
//
// Only units with a fixed length are accepted. A day is 24 hours of elapsed time (what a Temporal timer
// measures), a week is 7 such days. Years and months are rejected because their length depends on the
// calendar; a strategy that means "30 days" writes P30D. Only seconds may carry a fraction, to the
// millisecond, because Temporal timers have millisecond resolution.

const MS_PER_SECOND = 1_000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const MS_PER_WEEK = 7 * MS_PER_DAY;

const WEEKS = /^P(\d+)W$/;
const DAY_TIME = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/;

export class DurationError extends Error {
  override name = 'DurationError';
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Milliseconds in an ISO-8601 duration of the form PnDTnHnMnS (fractional seconds allowed) or PnW. */
export function parseDuration(iso: string): number {
  if (typeof iso !== 'string') {
    throw new DurationError(`duration must be an ISO-8601 string such as "P3D" or "PT1.5S" (got ${describe(iso)})`);
  }
  const weeks = WEEKS.exec(iso);
  if (weeks) return checked(iso, Number(weeks[1]) * MS_PER_WEEK);

  const m = DAY_TIME.exec(iso);
  // "P" alone and a dangling "T" ("P1DT") carry no unit: ISO-8601 requires at least one.
  if (!m || iso === 'P' || iso.endsWith('T')) {
    throw new DurationError(
      `duration must be ISO-8601 PnDTnHnMnS or PnW with whole days, hours and minutes and at most ` +
        `millisecond seconds, e.g. "P3D", "PT4H", "PT1.5S", "P2W" (got ${describe(iso)})` +
        (/^P[^T]*[YM]/.test(iso) ? '; years and months have no fixed length, write days instead' : ''),
    );
  }
  const [, days, hours, minutes, seconds, fraction] = m;
  if (fraction !== undefined && fraction.length > 3) {
    throw new DurationError(`duration seconds have at most 3 decimals (millisecond timers) (got ${describe(iso)})`);
  }
  const ms =
    Number(days ?? 0) * MS_PER_DAY +
    Number(hours ?? 0) * MS_PER_HOUR +
    Number(minutes ?? 0) * MS_PER_MINUTE +
    Number(seconds ?? 0) * MS_PER_SECOND +
    Number((fraction ?? '').padEnd(3, '0'));
  return checked(iso, ms);
}

function checked(iso: string, ms: number): number {
  if (!Number.isSafeInteger(ms)) {
    throw new DurationError(`duration is too long to count in milliseconds (got ${describe(iso)})`);
  }
  return ms;
}

/** True when `iso` is a duration parseDuration accepts. */
export function isDuration(iso: unknown): iso is string {
  if (typeof iso !== 'string') return false;
  try {
    parseDuration(iso);
    return true;
  } catch {
    return false;
  }
}

/** Canonical ISO-8601 form of a whole number of milliseconds: "P1DT2H", "PT1.5S", "PT0S". Never uses weeks. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new DurationError(`duration milliseconds must be a non-negative integer (got ${describe(ms)})`);
  }
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms % MS_PER_DAY;
  const hours = Math.floor(rest / MS_PER_HOUR);
  rest %= MS_PER_HOUR;
  const minutes = Math.floor(rest / MS_PER_MINUTE);
  rest %= MS_PER_MINUTE;
  const seconds = Math.floor(rest / MS_PER_SECOND);
  const millis = rest % MS_PER_SECOND;

  let time = '';
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds || millis) {
    time += millis ? `${seconds}.${String(millis).padStart(3, '0').replace(/0+$/, '')}S` : `${seconds}S`;
  }
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/**
 * `iso` multiplied by `factor`, rounded to the millisecond. A non-zero duration never scales to zero
 * (it becomes 1 ms), so a scaled strategy keeps every "wait" a wait and stays valid.
 */
export function scaleDuration(iso: string, factor: number): string {
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) {
    throw new DurationError(`duration scale factor must be a positive finite number (got ${describe(factor)})`);
  }
  const ms = parseDuration(iso);
  if (ms === 0) return 'PT0S';
  return formatDuration(Math.max(1, Math.round(ms * factor)));
}

/** A strategy's minimum gap between two messages in ms; 0 when it states none (versions before the field). */
export function minMessageGapMs(strategy: { minMessageGap?: string }): number {
  return strategy.minMessageGap === undefined ? 0 : parseDuration(strategy.minMessageGap);
}
