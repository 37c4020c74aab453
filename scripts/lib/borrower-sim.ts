// Scripted borrowers and collectors for the demo. They react only to what a real borrower or
// collector could observe — messages sent (contact_attempts rows) and calls to make (collector_tasks)
// — and act only through the channels the API uses: a payment is written to the ledger and then
// signalled; a dispute is filed and then signalled; collectors claim tasks and record outcomes,
// promises and plans through the workflow's updates. Delays are in "days" of the demo's clock.
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client';
import { recordPaymentAndSignal } from '../../client/collection';
import { getOpenCase } from '../../db/repository/cases';
import { getLoanPosition } from '../../db/repository/ledger';
import { pinnedPlanLimits } from '../../activities/scoring';
import { planInstallmentFloorMinor } from '../../domain/plan-terms';
import type { Strategy } from '../../domain/strategy/types';
import { openDispute, resolveDispute } from '../../db/repository/negotiation';
import { claimNextTask, completeTask } from '../../db/repository/tasks';
import {
  agreePaymentPlan,
  getState,
  disputeOpened,
  disputeResolved,
  promiseToPay,
  recordCallOutcome,
  workflowIdForLoan,
  type CallOutcome,
} from '../../contracts/messages';
import { prng } from '../../domain/random';
export { prng };

export const BEHAVIOURS = [
  'pays_after_first_reminder',
  'pays_after_call',
  'promises_and_keeps',
  'promises_and_breaks',
  'takes_plan',
  'disputes',
  'silent',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** Share of each behaviour in the demo portfolio (sums to 1). */
export const BEHAVIOUR_MIX: Record<Behaviour, number> = {
  pays_after_first_reminder: 0.2,
  pays_after_call: 0.15,
  promises_and_keeps: 0.15,
  promises_and_breaks: 0.1,
  takes_plan: 0.1,
  disputes: 0.1,
  silent: 0.2,
};


/**
 * A borrower's hidden ability to pay: a standard normal draw fixed by the loan id and the seed. Nothing
 * Overdue reads contains it; it only shapes what the simulated borrower does (assignBehaviours) and, in
 * the synthetic book with a past (portfolio-history.ts), how the loan was repaid. The backend's
 * riskScore knows it only in part.
 */
export function hiddenAbility(loanId: string, seed: number): number {
  const random = prng(loanHash(loanId, seed));
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** FNV-1a of the loan id, started from the seed: a stable per-loan seed for prng. */
function loanHash(loanId: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const char of loanId) {
    h ^= char.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** How strongly ability tilts a borrower towards each behaviour (log-odds per unit of ability). */
const ABILITY_TILT: Record<Behaviour, number> = {
  pays_after_first_reminder: 1.2,
  pays_after_call: 0.8,
  promises_and_keeps: 0.6,
  promises_and_breaks: -0.6,
  takes_plan: -0.4,
  disputes: 0,
  silent: -1.2,
};

/**
 * Deterministic behaviour for a loan: same seed, same portfolio, same story. The mix is BEHAVIOUR_MIX,
 * tilted by the borrower's hidden ability: an able borrower more often pays after the first reminder,
 * a less able one more often stays silent or breaks a promise.
 */
export function assignBehaviours(loanIds: readonly string[], seed: number): Map<string, Behaviour> {
  const random = prng(seed);
  const result = new Map<string, Behaviour>();
  for (const loanId of loanIds) {
    const ability = hiddenAbility(loanId, seed);
    const weights = BEHAVIOURS.map((b) => BEHAVIOUR_MIX[b] * Math.exp(ABILITY_TILT[b] * ability));
    const total = weights.reduce((s, w) => s + w, 0);
    let r = random() * total;
    let chosen: Behaviour = 'silent';
    for (const [i, b] of BEHAVIOURS.entries()) {
      r -= weights[i]!;
      if (r < 0) {
        chosen = b;
        break;
      }
    }
    result.set(loanId, chosen);
  }
  return result;
}

/**
 * Gives the demo's seeded loans a repayment past shaped by the same hidden ability that drives their
 * behaviour, so a scorecard has something true to read (db/seed.ts pays every earlier instalment on its
 * due date, which says nothing about the borrower). Each instalment paid in full is paid on time with
 * the probability portfolio-history.ts uses for its book, sigmoid(1.4 + 1.3·a) with a = ability plus
 * noise, and otherwise 2 or more days late, later for a less able borrower, at most 25 days (it was paid
 * before the next one fell due). Only payment times move: amounts, allocations and balances stay as
 * seeded. Returns how many payments became late.
 */
export async function writeRepaymentPast(db: Database, loanIdPrefix: string, seed: number): Promise<number> {
  const like = `${loanIdPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await queryRows<{ payment_id: string; loan_id: string }>(
    db,
    sql`SELECT p.id AS payment_id, p.loan_id
        FROM payments p JOIN payment_allocations a ON a.payment_id = p.id
        JOIN installments i ON i.loan_id = a.loan_id AND i.seq = a.installment_seq
        WHERE p.loan_id LIKE ${like} AND a.amount_minor = i.amount_due_minor
        ORDER BY p.loan_id, i.seq`,
  );
  const random = prng(seed * 104_729 + 3);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, random()))) * Math.cos(2 * Math.PI * random());
  const late: Array<{ id: string; days: number }> = [];
  for (const row of rows) {
    const a = hiddenAbility(row.loan_id, seed) + 0.3 * normal();
    if (random() < 1 / (1 + Math.exp(-(1.4 + 1.3 * a)))) continue;
    const days = Math.min(25, Math.ceil(2 - Math.log(Math.max(1e-9, random())) * 14 * Math.exp(-0.7 * a)));
    late.push({ id: row.payment_id, days });
  }
  for (let start = 0; start < late.length; start += 500) {
    const values = sql.join(late.slice(start, start + 500).map((l) => sql`(${l.id}, ${l.days}::int)`), sql`, `);
    await db.execute(sql`UPDATE payments SET received_at = payments.received_at + make_interval(days => v.days)
                         FROM (VALUES ${values}) AS v(id, days) WHERE payments.id = v.id`);
  }
  return late.length;
}

export interface SimulatorOptions {
  db: Database;
  client: Client;
  /** Only loans whose id starts with this (the demo run). */
  loanIdPrefix: string;
  behaviours: Map<string, Behaviour>;
  /** Milliseconds in one demo day. */
  dayMs: number;
  /** Collectors working the task queue at once. */
  collectors?: number;
  /** The seed of the portfolio's hidden abilities (hiddenAbility): whether a plan taker keeps each instalment. */
  seed?: number;
  log?: (line: string) => void;
}

export interface Simulator {
  /** What the simulated people did so far. */
  stats: Record<string, number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startBorrowerSimulator(options: SimulatorOptions): Simulator {
  const { db, client, behaviours, dayMs } = options;
  const log = options.log ?? (() => {});
  const like = `${options.loanIdPrefix}%`;
  const stats: Record<string, number> = {};
  const count = (what: string) => (stats[what] = (stats[what] ?? 0) + 1);
  const reacted = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<unknown>>();
  let stopped = false;

  const later = (days: number, what: string, action: () => Promise<unknown>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      const run = action().catch((error) => {
        count(`error: ${what}`);
        log(`${what} failed: ${(error as Error).message}`);
      });
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }, Math.max(0, Math.round(days * dayMs)));
    timers.add(timer);
  };

  const handle = (loanId: string) => client.workflow.getHandle(workflowIdForLoan(loanId));

  /** Ledger first, then the signal: the same function POST /v1/loans/:id/payments calls. */
  async function pay(loanId: string, amountMinor?: number) {
    const position = await getLoanPosition(db, loanId);
    const amount = amountMinor ?? position.pastDueMinor;
    if (amount <= 0) return;
    const paymentId = `${loanId}-pay-${Date.now()}`;
    await recordPaymentAndSignal({ db, client }, { paymentId, loanId, amountMinor: amount, currency: position.currency, receivedAt: new Date(), actor: 'backend:demo' });
    count('payments');
  }

  async function dispute(loanId: string) {
    const { dispute: filed } = await openDispute(db, { idempotencyKey: `${loanId}-dispute`, loanId, reason: 'borrower says the instalment was paid', actor: 'backend:demo' });
    await handle(loanId).signal(disputeOpened, { disputeId: filed.id });
    count('disputes filed');
    // The lender investigates for a few days; half the disputes are upheld, the rest rejected.
    later(3, 'dispute resolution', async () => {
      const outcome = filed.id.charCodeAt(0) % 2 === 0 ? 'upheld' : 'rejected';
      await resolveDispute(db, filed.id, outcome, { actor: 'operator:demo' });
      await handle(loanId).signal(disputeResolved, { disputeId: filed.id, outcome });
      count(`disputes ${outcome}`);
    });
  }

  // Borrowers: react to the first message they receive.
  async function watchMessages() {
    while (!stopped) {
      const rows = await queryRows<{ loan_id: string }>(
        db,
        sql`SELECT DISTINCT loan_id FROM contact_attempts WHERE loan_id LIKE ${like} AND status IN ('sent', 'presumed_sent')`,
      );
      for (const { loan_id: loanId } of rows) {
        if (reacted.has(loanId)) continue;
        reacted.add(loanId);
        const behaviour = behaviours.get(loanId);
        if (behaviour === 'pays_after_first_reminder') later(0.5, 'payment after the first reminder', () => pay(loanId));
        if (behaviour === 'disputes') later(0.5, 'dispute', () => dispute(loanId));
      }
      await sleep(Math.min(500, dayMs / 2));
    }
  }

  /** The strategy versions cases pinned, by id and version, for the plan limits. */
  const pinnedStrategies = new Map<string, Strategy>();
  /** Updates can race the workflow reaching the step that accepts them: retry briefly on "not now". */
  async function update<T>(run: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        const message = (error as Error).message ?? '';
        const notNow = /stage|waiting|closed/.test(message) || (error as Error).name === 'WorkflowUpdateFailedError';
        if (!notNow || attempt >= 5 || /closed/.test(message)) {
          count('updates refused');
          return undefined;
        }
        await sleep(200);
      }
    }
  }

  async function workCall(collectorId: string, loanId: string): Promise<string> {
    const behaviour = behaviours.get(loanId) ?? 'silent';
    const h = handle(loanId);
    const outcome = (o: CallOutcome) => update(() => h.executeUpdate(recordCallOutcome, { args: [{ outcome: o, collectorId }] }));
    const position = await getLoanPosition(db, loanId);
    switch (behaviour) {
      case 'pays_after_call':
      case 'pays_after_first_reminder':
        await outcome('right_party_contact');
        later(1, 'payment after the call', () => pay(loanId));
        return 'right_party_contact';
      case 'promises_and_keeps':
      case 'promises_and_breaks': {
        const dueAt = new Date(Date.now() + 3 * dayMs).toISOString();
        const done = await update(() => h.executeUpdate(promiseToPay, { args: [{ amountMinor: position.pastDueMinor, currency: position.currency, dueAt, collectorId }] }));
        if (done) count('promises');
        if (done && behaviour === 'promises_and_keeps') later(1.5, 'promised payment', () => pay(loanId));
        return 'promise_to_pay';
      }
      case 'takes_plan': {
        // The collector agrees the plan Overdue offers (the state query's score.offer, within the
        // strategy's limits, a discount included); without one, up to three parts, none but the last
        // below the strategy's smallest instalment (validatePlan refuses one that is). Instalments
        // fall due every 2 demo days.
        const state = await h.query(getState);
        const offer = state.score?.status === 'scored' ? state.score.offer : undefined;
        const usable = offer && offer.currency === position.currency && offer.pastDueMinor === position.pastDueMinor ? offer : undefined;
        let parts = usable?.installments ?? 3;
        if (!usable) {
          const open = await getOpenCase(db, loanId);
          const limits = open ? await pinnedPlanLimits(db, open.id, pinnedStrategies) : undefined;
          const floor = limits ? planInstallmentFloorMinor(limits.minInstallmentMinor, limits.currency, position.currency) : 0;
          while (parts > 1 && Math.floor(position.pastDueMinor / parts) < floor) parts -= 1;
        }
        const each = usable?.amountMinor ?? Math.floor(position.pastDueMinor / parts);
        const last = usable?.lastAmountMinor ?? position.pastDueMinor - each * (parts - 1);
        const installments = Array.from({ length: parts }, (_, i) => ({
          dueAt: new Date(Date.now() + (i + 1) * 2 * dayMs).toISOString(),
          amountMinor: i === parts - 1 ? last : each,
        }));
        const done = await update(() => h.executeUpdate(agreePaymentPlan, { args: [{ currency: position.currency, installments, collectorId }] }));
        if (done) {
          count(usable ? `plans (as offered${usable.discountMinor ? ', discounted' : ''})` : 'plans (in parts)');
          // Each instalment is paid a day before it is due while the borrower keeps up. The chance of
          // keeping the next one is sigmoid(2 + 1.3·ability): an average borrower keeps 88% of
          // instalments, so short plans mostly finish and long ones often break.
          const seed = options.seed ?? 1;
          const keepsNext = 1 / (1 + Math.exp(-(2 + 1.3 * hiddenAbility(loanId, seed))));
          const random = prng(loanHash(loanId, seed + 1));
          let kept = 0;
          while (kept < installments.length && random() < keepsNext) kept += 1;
          installments.slice(0, kept).forEach((installment, i) => later(i * 2 + 1, `plan instalment ${i + 1}`, () => pay(loanId, installment.amountMinor)));
          if (kept < installments.length) count('plans the borrower will break');
        }
        return 'payment_plan';
      }
      default: {
        // Silent (and disputing) borrowers do not pick up; now and then the number is wrong.
        const o: CallOutcome = loanId.charCodeAt(loanId.length - 1) % 5 === 0 ? 'wrong_number' : 'no_answer';
        await outcome(o);
        return o;
      }
    }
  }

  // Collectors: claim the next call task, make the call, record what happened, complete the task.
  async function collector(collectorId: string) {
    while (!stopped) {
      const task = await claimNextTask(db, collectorId, 60_000, { kinds: ['call'] });
      if (!task || !task.loanId.startsWith(options.loanIdPrefix)) {
        // Another run's task (same database): left alone, its lease runs out and someone else takes it.
        if (task) count('tasks of other runs left alone');
        await sleep(Math.min(100, dayMs / 4));
        continue;
      }
      try {
        const result = await workCall(collectorId, task.loanId);
        count(`calls: ${result}`);
        await completeTask(db, { taskId: task.id, collectorId, outcome: result }).catch(() => {});
      } catch (error) {
        count('error: call');
        log(`call on ${task.loanId} failed: ${(error as Error).message}`);
      }
    }
  }

  const loops = [watchMessages(), ...Array.from({ length: options.collectors ?? 16 }, (_, i) => collector(`demo-c${i + 1}`))].map((p) =>
    p.catch((error) => {
      if (!stopped) log(`simulator loop stopped: ${(error as Error).message}`);
    }),
  );

  return {
    stats,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(loops);
      await Promise.all(pending);
    },
  };
}
