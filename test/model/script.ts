// The model's scripts: for each loan, from the seed alone, what it will receive and in which order.
// A script is data (no I/O), so `MODEL_SEED=<n>` rebuilds exactly the same scripts; only the wall-clock
// timing of a replay differs, which is why every invariant must hold for any timing.
import { findDefaultStrategy } from '../../domain/strategy/defaults';
import { chooseTreatment } from '../../domain/strategy/select';
import type { StageKind } from '../../domain/strategy/types';
import { prng } from '../faults/borrowers';

export type CallOutcomeStep = 'no_answer' | 'wrong_number' | 'right_party_contact' | 'refused' | 'dispute_raised' | 'hardship';

export type Step =
  /** A share of what is past due (partial), or all of it (rest). */
  | { kind: 'pay'; portion: 'partial' | 'rest'; share: number }
  /** The same payment id submitted twice at once (a backend retry racing its first try). */
  | { kind: 'pay-duplicate' }
  /** Two payments, the later-received one reported first. */
  | { kind: 'pay-out-of-order' }
  | { kind: 'dispute' }
  | { kind: 'resolve-dispute'; outcome: 'upheld' | 'rejected' | 'withdrawn' }
  | { kind: 'cease' }
  | { kind: 'opt-out'; channel: 'email' | 'sms' | 'call' }
  | { kind: 'hardship' }
  | { kind: 'bar'; reason: 'bankruptcy' | 'deceased' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'reassign' }
  | { kind: 'close'; outcome: 'settled' | 'written_off' | 'cancelled' }
  /** A collector claims the loan's call task and records an outcome; `late` waits until the attempt timed out. */
  | { kind: 'call'; outcome: CallOutcomeStep; late: boolean }
  /** A promise to pay taken on a call or in negotiation, then kept (paid in time) or broken. */
  | { kind: 'promise'; keep: boolean }
  /** A two-instalment plan, then kept or broken (only the first instalment paid). */
  | { kind: 'plan'; keep: boolean }
  /** The delinquency sweep as of `daysLater` business days from today. */
  | { kind: 'sweep'; daysLater: number }
  /** The backend asks for collection again once the case has closed. */
  | { kind: 'restart' };

export type StepKind = Step['kind'];

export interface ScriptedStep {
  step: Step;
  /** Deliberately random pause before the step (ms); steps that need an event also wait for it. */
  delayMs: number;
}

export interface LoanScript {
  index: number;
  loanId: string;
  dpd: number;
  overdueInstallments: number;
  pathId: string;
  /** Stage kinds of the path, in order. */
  stages: StageKind[];
  /** How collection starts: the API, the API racing a sweep, or a sweep alone. */
  start: 'api' | 'api-racing-sweep' | 'sweep';
  /** When the loan starts, from the beginning of its batch (ms). */
  startAtMs: number;
  steps: ScriptedStep[];
}

export const INSTALLMENT_MINOR = 50_000;
const DPDS = [3, 5, 12, 20, 40, 45, 55, 75, 100];

type Weighted = Array<[number, (random: () => number) => Step]>;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function weighted(random: () => number, table: Weighted): Step {
  const total = table.reduce((sum, [w]) => sum + w, 0);
  let r = random() * total;
  for (const [w, make] of table) {
    r -= w;
    if (r < 0) return make(random);
  }
  return table[table.length - 1]![1](random);
}

/** What a loan on this path can receive, with weights: the common ordinary events weigh most. */
function stepTable(stages: StageKind[]): Weighted {
  const hasCall = stages.includes('call');
  const hasNegotiation = stages.includes('negotiation');
  const table: Weighted = [
    [6, (r) => (r() < 0.6 ? { kind: 'pay', portion: 'partial', share: 0.2 + Math.round(r() * 40) / 100 } : { kind: 'pay', portion: 'rest', share: 1 })],
    [2, () => ({ kind: 'pay-duplicate' })],
    [2, () => ({ kind: 'pay-out-of-order' })],
    [4, () => ({ kind: 'dispute' })],
    [4, (r) => ({ kind: 'resolve-dispute', outcome: pick(r, ['upheld', 'rejected', 'withdrawn'] as const) })],
    [2, () => ({ kind: 'cease' })],
    [2, (r) => ({ kind: 'opt-out', channel: pick(r, ['email', 'sms', 'call'] as const) })],
    [2, () => ({ kind: 'hardship' })],
    [1, (r) => ({ kind: 'bar', reason: r() < 0.6 ? 'bankruptcy' : 'deceased' })],
    [3, () => ({ kind: 'pause' })],
    [3, () => ({ kind: 'resume' })],
    [1, () => ({ kind: 'reassign' })],
    [1, (r) => ({ kind: 'close', outcome: pick(r, ['settled', 'written_off', 'cancelled'] as const) })],
    [2, (r) => ({ kind: 'sweep', daysLater: pick(r, [0, 1, 2, 3]) })],
    [1, () => ({ kind: 'restart' })],
  ];
  if (hasCall) {
    table.push([8, (r) => ({ kind: 'call', outcome: pick(r, ['no_answer', 'wrong_number', 'right_party_contact', 'refused', 'dispute_raised', 'hardship'] as const), late: r() < 0.25 })]);
  }
  if (hasNegotiation) {
    table.push([4, (r) => ({ kind: 'promise', keep: r() < 0.5 })]);
    table.push([3, (r) => ({ kind: 'plan', keep: r() < 0.5 })]);
  }
  return table;
}

/**
 * The scripts of `count` loans. Each loan draws from its own generator (seed and index), so a loan's
 * script does not change when the run is made longer or shorter.
 */
export function planScripts(count: number, seed: number, prefix: string, startWindowMs: number): LoanScript[] {
  const strategy = findDefaultStrategy('fast-test')!;
  const scripts: LoanScript[] = [];
  for (let index = 0; index < count; index += 1) {
    const random = prng((seed * 1_000_003 + index * 7_919) >>> 0);
    const loanId = `${prefix}-${index}`;
    const dpd = pick(random, DPDS);
    const overdueInstallments = random() < 0.3 ? 2 : 1;
    const treatment = chooseTreatment(strategy, { loanId, dpd, pastDueMinor: INSTALLMENT_MINOR * overdueInstallments });
    const stages = treatment.stages.map((s) => s.kind);
    const table = stepTable(stages);
    const length = 2 + Math.floor(random() * 6);
    const steps: ScriptedStep[] = [];
    for (let n = 0; n < length; n += 1) {
      steps.push({ step: weighted(random, table), delayMs: Math.floor(random() * 3_000) });
    }
    const roll = random();
    scripts.push({
      index,
      loanId,
      dpd,
      overdueInstallments,
      pathId: treatment.pathId,
      stages,
      start: roll < 0.6 ? 'api' : roll < 0.85 ? 'api-racing-sweep' : 'sweep',
      startAtMs: Math.floor(random() * startWindowMs),
      steps,
    });
  }
  return scripts;
}
