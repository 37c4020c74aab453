// Hand-written validation of strategy documents. No ajv or other schema compiler: they generate code
// with `new Function`, which Temporal's workflow sandbox forbids, and the workflow re-validates the
// strategy it pins. Every error names the field the way a person would find it in the JSON:
// `paths.standard[1].attempts must be a positive integer (got 0)`.
import { CONTACT_HISTORY_LOOKBACK_MS } from '../compliance';
import { isCurrencyCode } from '../money';
import { DurationError, parseDuration } from './duration';
import type { Strategy } from './types';
import {
  AFTER_HAND_OFF,
  ID_PATTERN,
  MESSAGE_CHANNELS,
  REMINDER_FROM,
  RULE_PACK_IDS,
  STAGE_KINDS,
} from './vocabulary';

export { strategyJsonSchema } from './schema';

export interface StrategyFieldError {
  /** Where in the document, e.g. "paths.standard[1].attempts"; "strategy" for the document itself. */
  field: string;
  /** A sentence that starts with the field and says what is expected and what was found. */
  message: string;
}

export type StrategyValidation =
  | { ok: true; strategy: Strategy }
  | { ok: false; errors: StrategyFieldError[] };

export class StrategyValidationError extends Error {
  override name = 'StrategyValidationError';
  /** The first offending field. */
  readonly field: string;
  constructor(readonly errors: StrategyFieldError[], strategyId?: string) {
    const first = errors[0] ?? { field: 'strategy', message: 'strategy is invalid' };
    const more = errors.length > 1 ? `; and ${errors.length - 1} more: ${errors.slice(1).map((e) => e.message).join('; ')}` : '';
    super(`invalid strategy${strategyId ? ` "${strategyId}"` : ''}: ${first.message}${more}`);
    this.field = first.field;
  }
}

const ID = new RegExp(ID_PATTERN);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

type Json = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function oneOf(values: readonly string[]): string {
  return values.join(', ');
}

function key(parent: string, name: string): string {
  const part = IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
  return parent ? `${parent}${part}` : part.replace(/^\./, '');
}

class Checker {
  readonly errors: StrategyFieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message: `${field} ${message}` });
  }

  /** `prefix`: how fields inside are named; the document root has none ("version", not "strategy.version"). */
  object(value: unknown, field: string, allowed: readonly string[], prefix = field): Json | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(field, `must be an object (got ${describe(value)})`);
      return undefined;
    }
    // Unknown keys are errors, not ignored: a misspelt optional condition ("minDPD") would otherwise
    // silently turn a segment into a catch-all.
    for (const name of Object.keys(value)) {
      if (!allowed.includes(name)) {
        this.fail(key(prefix, name), `is not a known field (known: ${oneOf(allowed)})`);
      }
    }
    return value as Json;
  }

  array(value: unknown, field: string, what: string): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.fail(field, `must be a list of ${what} (got ${describe(value)})`);
      return undefined;
    }
    if (value.length === 0) {
      this.fail(field, `must list at least one ${what.replace(/s$/, '')} (got an empty list)`);
      return undefined;
    }
    return value;
  }

  id(value: unknown, field: string): value is string {
    if (typeof value === 'string' && ID.test(value)) return true;
    this.fail(
      field,
      `must be an id of up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${describe(value)})`,
    );
    return false;
  }

  text(value: unknown, field: string, required: boolean): void {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || (required && value.trim() === '') || value.length > 2000) {
      this.fail(field, `must be ${required ? 'a non-empty' : 'a'} string (got ${describe(value)})`);
    }
  }

  positiveInteger(value: unknown, field: string): void {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      this.fail(field, `must be a positive integer (got ${describe(value)})`);
    }
  }

  nonNegativeInteger(value: unknown, field: string): value is number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return true;
    this.fail(field, `must be a non-negative integer (got ${describe(value)})`);
    return false;
  }

  /** A whole percent, 0 to 100. */
  percent(value: unknown, field: string): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      this.fail(field, `must be an integer from 0 to 100 (got ${describe(value)})`);
    }
  }

  finiteNumber(value: unknown, field: string): value is number {
    if (typeof value === 'number' && Number.isFinite(value)) return true;
    this.fail(field, `must be a number (got ${describe(value)})`);
    return false;
  }

  choice<T extends string>(value: unknown, field: string, values: readonly T[], hint = ''): value is T {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return true;
    this.fail(field, `must be one of ${oneOf(values)} (got ${describe(value)})${hint}`);
    return false;
  }

  /** `positive`: zero is rejected, for waits that must actually wait (timeouts, pauses). Returns the ms. */
  duration(value: unknown, field: string, positive: boolean): number | undefined {
    if (typeof value !== 'string') {
      this.fail(field, `must be an ISO-8601 duration string such as "P3D" or "PT1.5S" (got ${describe(value)})`);
      return undefined;
    }
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      this.fail(field, err instanceof DurationError ? err.message.replace(/^duration /, '') : String(err));
      return undefined;
    }
    if (positive && ms === 0) this.fail(field, `must be longer than zero (got ${describe(value)})`);
    return ms;
  }
}

const TOP_LEVEL = ['$schema', 'id', 'version', 'name', 'description', 'rulePack', 'currency', 'segments', 'paths', 'hardshipPause', 'minMessageGap'];
const SEGMENT = ['id', 'when', 'path', 'challenger'];
const WHEN = ['minDpd', 'maxDpd', 'minPastDueMinor', 'maxPastDueMinor', 'minRiskScore', 'maxRiskScore', 'minCurePropensity', 'maxCurePropensity'];
const CHALLENGER = ['path', 'percent'];
const STAGE_FIELDS: Record<string, readonly string[]> = {
  reminder: ['kind', 'steps', 'waitAfterLast'],
  call: ['kind', 'attempts', 'retryAfter', 'outcomeTimeout', 'visit'],
  negotiation: ['kind', 'offerTimeout', 'maxPromiseHorizon', 'grace', 'maxPlanInstallments', 'planInstallmentEvery', 'minPlanInstallmentMinor', 'maxPlanDiscountPercent'],
  legal: ['kind', 'finalDemand', 'waitingPeriod', 'afterHandOff', 'outcomeTimeout'],
};
const STEP = ['after', 'from', 'channel', 'template'];
const FINAL_DEMAND = ['channel', 'template'];
const VISIT = ['afterUnansweredCalls', 'minPastDueMinor', 'notice', 'outcomeTimeout'];
const CALL_HINT = '; calls are a call stage, not a message';

function checkPaths(c: Checker, value: unknown): Set<string> {
  const ids = new Set<string>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    c.fail('paths', `must be an object of named paths, each a list of stages (got ${describe(value)})`);
    return ids;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) c.fail('paths', 'must name at least one path (got an empty object)');
  for (const [pathId, stages] of entries) {
    const field = key('paths', pathId);
    if (!ID.test(pathId)) {
      c.fail(field, 'is not a valid path id: up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    }
    ids.add(pathId);
    const list = c.array(stages, field, 'stages');
    list?.forEach((stage, i) => checkStage(c, stage, `${field}[${i}]`, i === list.length - 1));
  }
  return ids;
}

function checkStage(c: Checker, value: unknown, field: string, isLast: boolean): void {
  const kind = value !== null && typeof value === 'object' ? (value as Json).kind : undefined;
  if (!c.choice(kind, `${field}.kind`, STAGE_KINDS)) return;
  const stage = c.object(value, field, STAGE_FIELDS[kind] ?? []);
  if (!stage) return;
  switch (kind) {
    case 'reminder': {
      const steps = c.array(stage.steps, `${field}.steps`, 'steps');
      steps?.forEach((step, i) => {
        const f = `${field}.steps[${i}]`;
        const s = c.object(step, f, STEP);
        if (!s) return;
        c.duration(s.after, `${f}.after`, false);
        c.choice(s.from, `${f}.from`, REMINDER_FROM);
        c.choice(s.channel, `${f}.channel`, MESSAGE_CHANNELS, s.channel === 'call' ? CALL_HINT : '');
        c.id(s.template, `${f}.template`);
      });
      c.duration(stage.waitAfterLast, `${field}.waitAfterLast`, false);
      break;
    }
    case 'call':
      c.positiveInteger(stage.attempts, `${field}.attempts`);
      c.duration(stage.retryAfter, `${field}.retryAfter`, false);
      c.duration(stage.outcomeTimeout, `${field}.outcomeTimeout`, true);
      if (stage.visit !== undefined) {
        const visit = c.object(stage.visit, `${field}.visit`, VISIT);
        if (!visit) break;
        c.positiveInteger(visit.afterUnansweredCalls, `${field}.visit.afterUnansweredCalls`);
        if (visit.minPastDueMinor !== undefined) c.nonNegativeInteger(visit.minPastDueMinor, `${field}.visit.minPastDueMinor`);
        const notice = c.object(visit.notice, `${field}.visit.notice`, FINAL_DEMAND);
        if (notice) {
          c.choice(notice.channel, `${field}.visit.notice.channel`, MESSAGE_CHANNELS);
          c.id(notice.template, `${field}.visit.notice.template`);
        }
        c.duration(visit.outcomeTimeout, `${field}.visit.outcomeTimeout`, true);
      }
      break;
    case 'negotiation':
      c.duration(stage.offerTimeout, `${field}.offerTimeout`, true);
      c.duration(stage.maxPromiseHorizon, `${field}.maxPromiseHorizon`, true);
      c.duration(stage.grace, `${field}.grace`, false);
      c.positiveInteger(stage.maxPlanInstallments, `${field}.maxPlanInstallments`);
      if (stage.planInstallmentEvery !== undefined) c.duration(stage.planInstallmentEvery, `${field}.planInstallmentEvery`, true);
      if (stage.minPlanInstallmentMinor !== undefined) c.nonNegativeInteger(stage.minPlanInstallmentMinor, `${field}.minPlanInstallmentMinor`);
      if (stage.maxPlanDiscountPercent !== undefined) c.percent(stage.maxPlanDiscountPercent, `${field}.maxPlanDiscountPercent`);
      break;
    case 'legal': {
      const demand = c.object(stage.finalDemand, `${field}.finalDemand`, FINAL_DEMAND);
      if (demand) {
        c.choice(demand.channel, `${field}.finalDemand.channel`, MESSAGE_CHANNELS, demand.channel === 'call' ? CALL_HINT : '');
        c.id(demand.template, `${field}.finalDemand.template`);
      }
      c.duration(stage.waitingPeriod, `${field}.waitingPeriod`, false);
      if (c.choice(stage.afterHandOff, `${field}.afterHandOff`, AFTER_HAND_OFF) && stage.outcomeTimeout !== undefined) {
        if (stage.afterHandOff === 'end') {
          c.fail(`${field}.outcomeTimeout`, 'only applies when afterHandOff is "awaitOutcome" (afterHandOff is "end")');
        } else {
          c.duration(stage.outcomeTimeout, `${field}.outcomeTimeout`, true);
        }
      }
      // The hand-off ends the ladder: nothing the workflow could do after it belongs to this strategy.
      if (!isLast) c.fail(`${field}.kind`, 'legal must be the last stage of its path: the hand-off ends the ladder');
      break;
    }
  }
}

function checkSegments(c: Checker, value: unknown, pathIds: Set<string>): void {
  const segments = c.array(value, 'segments', 'segments');
  if (!segments) return;
  const seen = new Map<string, number>();
  let catchAll: number | undefined;
  segments.forEach((segment, i) => {
    const field = `segments[${i}]`;
    const s = c.object(segment, field, SEGMENT);
    if (!s) return;
    if (c.id(s.id, `${field}.id`)) {
      const earlier = seen.get(s.id);
      if (earlier !== undefined) c.fail(`${field}.id`, `duplicates segments[${earlier}].id (got ${describe(s.id)})`);
      else seen.set(s.id, i);
    }
    if (catchAll !== undefined) {
      c.fail(field, `is never chosen: segments[${catchAll}] before it has no conditions and matches every loan`);
    }
    const when = c.object(s.when, `${field}.when`, WHEN);
    if (when) {
      const bound = (name: string, kind: 'count' | 'score' | 'probability'): number | undefined => {
        const value = when[name];
        if (value === undefined) return undefined;
        const f = `${field}.when.${name}`;
        if (kind === 'probability') {
          if (typeof value === 'number' && value >= 0 && value <= 1) return value;
          c.fail(f, `must be a probability from 0 to 1 (got ${describe(value)})`);
          return undefined;
        }
        const ok = kind === 'count' ? c.nonNegativeInteger(value, f) : c.finiteNumber(value, f);
        return ok ? (value as number) : undefined;
      };
      for (const [name, kind] of [['Dpd', 'count'], ['PastDueMinor', 'count'], ['RiskScore', 'score'], ['CurePropensity', 'probability']] as const) {
        const min = bound(`min${name}`, kind);
        const max = bound(`max${name}`, kind);
        if (min !== undefined && max !== undefined && min > max) {
          c.fail(`${field}.when.min${name}`, `must not exceed max${name} (got ${min} > ${max}): the segment would match no loan`);
        }
      }
      if (Object.keys(when).length === 0 && catchAll === undefined) catchAll = i;
    }
    const pathExists = (pathId: unknown, f: string) => {
      if (c.id(pathId, f) && !pathIds.has(pathId)) {
        c.fail(f, `names no path in paths (got ${describe(pathId)}; paths are: ${oneOf([...pathIds])})`);
      }
    };
    pathExists(s.path, `${field}.path`);
    if (s.challenger !== undefined) {
      const ch = c.object(s.challenger, `${field}.challenger`, CHALLENGER);
      if (ch) {
        pathExists(ch.path, `${field}.challenger.path`);
        if (ch.path === s.path) c.fail(`${field}.challenger.path`, `must differ from the champion path (both ${describe(s.path)})`);
        c.percent(ch.percent, `${field}.challenger.percent`);
      }
    }
  });
  // Without a catch-all some loan would have no treatment; the workflow must never have to guess one.
  const last = segments.length - 1;
  if (catchAll === undefined && c.errors.every((e) => !e.field.startsWith(`segments[${last}].when`))) {
    c.fail(
      `segments[${last}].when`,
      'must be empty ({}): the last segment catches every loan the segments before it did not match',
    );
  }
}

/**
 * The gate reads CONTACT_HISTORY_LOOKBACK_MS of contact history, so a longer gap could not be enforced:
 * refuse it rather than promise it.
 */
function checkMessageGap(c: Checker, value: unknown): void {
  const ms = c.duration(value, 'minMessageGap', false);
  if (ms !== undefined && ms > CONTACT_HISTORY_LOOKBACK_MS) {
    c.fail('minMessageGap', `must be at most P8D, the contact history the rule gate reads (got ${describe(value)})`);
  }
}

/** Checks a parsed JSON document; on success returns a copy typed as a Strategy (without "$schema"). */
export function validateStrategy(doc: unknown): StrategyValidation {
  const c = new Checker();
  const top = c.object(doc, 'strategy', TOP_LEVEL, '');
  if (!top) return { ok: false, errors: c.errors };
  c.id(top.id, 'id');
  c.positiveInteger(top.version, 'version');
  c.text(top.name, 'name', true);
  c.text(top.description, 'description', false);
  c.choice(top.rulePack, 'rulePack', RULE_PACK_IDS);
  if (!isCurrencyCode(top.currency)) {
    c.fail('currency', `must be an ISO 4217 code of 3 uppercase letters, e.g. "CNY" (got ${describe(top.currency)})`);
  }
  const pathIds = checkPaths(c, top.paths);
  checkSegments(c, top.segments, pathIds);
  c.duration(top.hardshipPause, 'hardshipPause', true);
  if (top.minMessageGap !== undefined) checkMessageGap(c, top.minMessageGap);
  if (c.errors.length > 0) return { ok: false, errors: c.errors };

  const { $schema: _schema, ...strategy } = top;
  return { ok: true, strategy: copy(strategy) as Strategy };
}

/** The validated strategy, or a StrategyValidationError naming the first bad field. */
export function parseStrategy(doc: unknown): Strategy {
  const result = validateStrategy(doc);
  if (result.ok) return result.strategy;
  const id = doc !== null && typeof doc === 'object' ? (doc as Json).id : undefined;
  throw new StrategyValidationError(result.errors, typeof id === 'string' ? id : undefined);
}

// A deep copy of validated JSON data, so later changes to the caller's document cannot reach a pinned
// strategy. (structuredClone is not guaranteed inside the workflow sandbox.)
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  }
  return value;
}
