// How long an allowed contact stays allowed: the end of the window a collector may act in (a field
// visit's task shows it). Pure: asks evaluateContact at later instants, nothing else.
import type { ContactContext } from './types';
import { evaluateContact, type EvaluateOptions } from './evaluate';
import { formatInstant, parseInstant } from './local-time';

/**
 * The first instant after `from` at which the contact is no longer allowed (to the millisecond), looking
 * at most `maxMs` ahead (default one day; the answer is then `from + maxMs`). Coarse steps find the first
 * blocked instant, a bisection then finds where the block begins. Assumes the contact is allowed at `from`.
 */
export function allowedUntil(ctx: ContactContext, from: string, options: EvaluateOptions & { stepMs?: number; maxMs?: number } = {}): string {
  const start = parseInstant(from, 'from');
  const stepMs = options.stepMs ?? 15 * 60_000;
  const maxMs = options.maxMs ?? 24 * 3_600_000;
  const allowed = (t: number) => evaluateContact(ctx, formatInstant(t), options).allowed;
  let ok = start;
  for (let t = start + stepMs; t <= start + maxMs; t += stepMs) {
    if (allowed(t)) {
      ok = t;
      continue;
    }
    let blocked = t;
    while (blocked - ok > 1) {
      const mid = Math.floor((ok + blocked) / 2);
      if (allowed(mid)) ok = mid;
      else blocked = mid;
    }
    return formatInstant(blocked);
  }
  return formatInstant(start + maxMs);
}
