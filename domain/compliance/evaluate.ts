// The one question both the planning workflow and the send-time activity ask: may this contact happen at
// this instant, and if not, which rule says so and until when. Pure and deterministic: time is always an
// argument, zone data comes from Intl.
import type { ContactContext, ContactDecision, PastContact } from './types';
import { RULE_PACKS, type RulePack, type RulePacks } from './packs';
import { applyRule, FACT_CHECKS, RuleInput, type Block, type CallOnRecord } from './rules';
import { MS_PER_DAY, formatInstant, localDay, parseInstant } from './local-time';

/** Calls further than this from the instant cannot matter to any pack's call rules (7-day windows). */
const CALL_RELEVANCE_MS = 9 * MS_PER_DAY;

export interface EvaluateOptions {
  /** Rule packs to use instead of RULE_PACKS (e.g. with a lender's holiday calendar). */
  packs?: RulePacks;
}

export interface SearchOptions extends EvaluateOptions {
  /** Give up after this many days past notBefore (default 366). */
  horizonDays?: number;
  /** Give up after this many evaluations (default 2000); each jump skips a whole blocking window. */
  maxSteps?: number;
}

export type NextContact =
  | { at: string }
  | {
      never: true;
      /** The rule that blocks: a stop no time lifts, or the last block seen before the horizon. */
      rule: string;
      /** Present when the search stopped at the horizon rather than at a stop no time lifts. */
      horizonReachedAt?: string;
    };

/** May this contact happen at `at` (ISO-8601 instant)? Blocks carry the rule id and when it lifts. */
export function evaluateContact(ctx: ContactContext, at: string, options: EvaluateOptions = {}): ContactDecision {
  const atMs = parseInstant(at, 'at');
  const pack = packFor(ctx, options);
  const calls = lazyCalls(ctx, atMs - CALL_RELEVANCE_MS, atMs + CALL_RELEVANCE_MS);
  return toDecision(blocksAt(ctx, pack, atMs, calls));
}

/**
 * The earliest instant at or after `notBefore` at which the contact is allowed, or which rule stops it for
 * good. Jumps to the end of each blocking window, so it costs a handful of evaluations, not a scan.
 */
export function nextAllowedContact(ctx: ContactContext, notBefore: string, options: SearchOptions = {}): NextContact {
  const start = parseInstant(notBefore, 'notBefore');
  const horizonDays = options.horizonDays ?? 366;
  const maxSteps = options.maxSteps ?? 2000;
  if (!(horizonDays > 0)) throw new RangeError(`horizonDays must be a positive number (got ${horizonDays})`);
  const limit = start + horizonDays * MS_PER_DAY;
  const pack = packFor(ctx, options);
  const calls = lazyCalls(ctx, start - CALL_RELEVANCE_MS, Infinity);
  let t = start;
  let lastRule = '';
  for (let step = 0; step < maxSteps && t <= limit; step += 1) {
    const blocks = blocksAt(ctx, pack, t, calls);
    if (blocks.length === 0) return { at: formatInstant(t) };
    const binding = bindingBlock(blocks);
    if (binding.until === undefined) return { never: true, rule: binding.rule };
    lastRule = binding.rule;
    // Every rule is blocked until its own `until`, so nothing before the latest one can be allowed.
    t = Math.max(binding.until, t + 1);
  }
  return { never: true, rule: lastRule, horizonReachedAt: formatInstant(Math.min(t, limit)) };
}

function packFor(ctx: ContactContext, options: EvaluateOptions): RulePack {
  const pack = (options.packs ?? RULE_PACKS)[ctx.pack];
  if (!pack) {
    throw new RangeError(`pack must be one of ${Object.keys(options.packs ?? RULE_PACKS).join(', ')} (got ${JSON.stringify(ctx.pack)})`);
  }
  return pack;
}

/** The calls on record near the instants of interest, with their local days, computed at most once. */
function lazyCalls(ctx: ContactContext, from: number, to: number): () => CallOnRecord[] {
  let calls: CallOnRecord[] | undefined;
  return () => {
    if (!calls) {
      calls = [];
      for (const p of ctx.history) {
        if (p.channel !== 'call' || !counts(p)) continue;
        const at = parseInstant(p.at, 'history[].at');
        if (at < from || at > to) continue;
        calls.push({ at, day: localDay(at, ctx.timeZone), connected: p.connected === true, address: p.address });
      }
    }
    return calls;
  };
}

function counts(p: PastContact): boolean {
  return p.status === 'sent' || p.status === 'presumed_sent';
}

/** Every rule of the pack that blocks at `at`; a stop no time lifts is returned alone, at once. */
function blocksAt(ctx: ContactContext, pack: RulePack, at: number, calls: () => CallOnRecord[]): Block[] {
  const input = new RuleInput(ctx, at, calls, pack);
  for (const spec of pack.rules) {
    if (!FACT_CHECKS.has(spec.check)) continue;
    const block = applyRule(spec, input);
    if (block) return [block];
  }
  const blocks: Block[] = [];
  for (const spec of pack.rules) {
    if (FACT_CHECKS.has(spec.check)) continue;
    const block = applyRule(spec, input);
    if (block) blocks.push(block);
  }
  return blocks;
}

/** The block that decides: one with no end, else the one that lifts last. */
function bindingBlock(blocks: Block[]): Block {
  let binding = blocks[0]!;
  for (const b of blocks) {
    if (b.until === undefined) return b;
    if (binding.until !== undefined && b.until > binding.until) binding = b;
  }
  return binding;
}

function toDecision(blocks: Block[]): ContactDecision {
  if (blocks.length === 0) return { allowed: true };
  const binding = bindingBlock(blocks);
  const decision: ContactDecision = { allowed: false, rule: binding.rule };
  if (binding.until !== undefined) decision.until = formatInstant(binding.until);
  const others = blocks.filter((b) => b !== binding);
  if (others.length > 0) {
    decision.alsoBlockedBy = others.map((b) => (b.until === undefined ? { rule: b.rule } : { rule: b.rule, until: formatInstant(b.until) }));
  }
  return decision;
}
