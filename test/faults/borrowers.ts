// Scripted borrowers for the fault suite: each loan gets a DPD (which picks its fast-test path) and a
// behaviour, both from a seed, and a driver that plays the behaviour the way the platform backend and a
// collector would: facts written to the database first, then signalled (twice, sometimes out of order),
// acting only when the workflow's own state (the getState query) shows it waiting, never after a sleep.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { appendAudit } from '../../db/repository/audit';
import { upsertBorrower } from '../../db/repository/borrowers';
import { getOpenCase } from '../../db/repository/cases';
import { recordPayment, upsertLoan } from '../../db/repository/ledger';
import { openDispute, resolveDispute } from '../../db/repository/negotiation';
import { borrowers, collectorTasks, contactAttempts } from '../../db/schema';
import { findDefaultStrategy } from '../../domain/strategy/defaults';
import { chooseTreatment } from '../../domain/strategy/select';
import type { Outcome } from '../../contracts/messages';
import * as m from '../../contracts/messages';
import { prng } from '../../domain/random';
export { prng };

export const behaviours = [
  'pay-after-first-contact',
  'partial-then-full',
  'silent',
  'promise-kept',
  'promise-broken',
  'dispute-upheld',
  'dispute-rejected',
  'bankruptcy',
  'cease',
  'legal-settled',
] as const;
export type Behaviour = (typeof behaviours)[number];

/** The outcome each behaviour must end in. */
export const expectedOutcomes: Record<Behaviour, Outcome[]> = {
  'pay-after-first-contact': ['cured'],
  'partial-then-full': ['cured'],
  silent: ['handed_to_legal'],
  'promise-kept': ['cured'],
  'promise-broken': ['handed_to_legal'],
  'dispute-upheld': ['dispute_upheld'],
  'dispute-rejected': ['handed_to_legal'],
  bankruptcy: ['stopped_bankruptcy'],
  cease: ['handed_to_legal'],
  // straight-to-legal waits only 3 s for the legal outcome: if a fault holds the worker past that wait the
  // case is (correctly) handed to legal before the report can land.
  'legal-settled': ['settled', 'handed_to_legal'],
};

const PATHS_WITH_NEGOTIATION = new Set(['full-ladder', 'calls-first', 'gentle-ladder']);

function compatible(behaviour: Behaviour, pathId: string): boolean {
  if (behaviour === 'promise-kept' || behaviour === 'promise-broken') return PATHS_WITH_NEGOTIATION.has(pathId);
  if (behaviour === 'legal-settled') return pathId === 'straight-to-legal';
  return true;
}

export interface PlannedLoan {
  index: number;
  loanId: string;
  dpd: number;
  pathId: string;
  behaviour: Behaviour;
  pastDueMinor: number;
}


const INSTALLMENT_MINOR = 50_000;
const DPDS = [3, 3, 12, 45, 45, 50, 75, 100];

export function planPortfolio(count: number, seed: number, prefix: string): PlannedLoan[] {
  const random = prng(seed);
  const strategy = findDefaultStrategy('fast-test')!;
  const turn = new Map<string, number>();
  const loans: PlannedLoan[] = [];
  for (let index = 0; index < count; index += 1) {
    const loanId = `${prefix}-${index}`;
    const dpd = DPDS[Math.floor(random() * DPDS.length)]!;
    const { pathId } = chooseTreatment(strategy, { loanId, dpd, pastDueMinor: INSTALLMENT_MINOR });
    // Round-robin over the behaviours this path can play, from a random start: every path sees them all.
    const options = behaviours.filter((b) => compatible(b, pathId));
    const n = turn.get(pathId) ?? Math.floor(random() * options.length);
    turn.set(pathId, n + 1);
    loans.push({ index, loanId, dpd, pathId, behaviour: options[n % options.length]!, pastDueMinor: INSTALLMENT_MINOR });
  }
  return loans;
}

const DAY = 24 * 3600 * 1000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function seedLoan(db: Database, loan: PlannedLoan): Promise<void> {
  const borrowerId = `b-${loan.loanId}`;
  await upsertBorrower(db, {
    id: borrowerId,
    externalRef: `ext-${borrowerId}`,
    name: 'Fault Borrower',
    email: `${borrowerId}@example.com`,
    phone: '+8613800138000',
    timeZone: 'Asia/Shanghai',
    locale: 'zh-CN',
  });
  const now = Date.now();
  await upsertLoan(db, {
    id: loan.loanId,
    borrowerId,
    product: 'consumer-loan',
    currency: 'CNY',
    principalMinor: INSTALLMENT_MINOR * 3,
    openedAt: new Date(now - (loan.dpd + 60) * DAY),
    installments: [
      { seq: 1, dueDate: isoDate(now - loan.dpd * DAY), amountDueMinor: INSTALLMENT_MINOR },
      { seq: 2, dueDate: isoDate(now + 30 * DAY), amountDueMinor: INSTALLMENT_MINOR },
      { seq: 3, dueDate: isoDate(now + 60 * DAY), amountDueMinor: INSTALLMENT_MINOR },
    ],
  });
}

// ---- the driver ----

export interface DriverContext {
  db: Database;
  client: Client;
  /** Payment ids the drivers wrote to the ledger (the check finds each exactly once). */
  paymentsMade: Map<string, { loanId: string; amountMinor: number }>;
  /** Operations retried because a dependency was down (figures). */
  retries: { count: number };
  /** True once the run is over: drivers give up. */
  aborted: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

const gone = (error: unknown) => error instanceof WorkflowNotFoundError || /already completed|not found/i.test(String((error as Error)?.message));

export class LoanDriver {
  readonly handle;
  /** What the driver did, for the report of a loan that ended wrong. */
  readonly log: string[] = [];

  constructor(
    readonly ctx: DriverContext,
    readonly loan: PlannedLoan,
  ) {
    this.handle = ctx.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId));
  }

  note(line: string) {
    this.log.push(`${new Date().toISOString()} ${line}`);
  }

  /** Retries `fn` through outages (database, Temporal, worker) until it succeeds or `timeoutMs` passes. */
  async persist<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTimeout(fn(), 10_000, what);
      } catch (error) {
        if ((error as { noRetry?: boolean }).noRetry) throw error;
        if (this.ctx.aborted() || Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
        if (attempt === 1) this.note(`${what} failed (${(error as Error).message.slice(0, 120)}); retrying`);
        this.ctx.retries.count += 1;
        await sleep(300);
      }
    }
  }

  /** A signal; one sent to a finished workflow is a late duplicate and is dropped, as the API does. */
  async signal<A extends unknown[]>(def: import('@temporalio/client').SignalDefinition<A>, ...args: A): Promise<void> {
    await this.persist(`signal ${def.name}`, async () => {
      try {
        await this.handle.signal(def, ...args);
      } catch (error) {
        if (!gone(error)) throw error;
      }
    });
    this.note(`signalled ${def.name} ${JSON.stringify(args)}`);
  }

  async state(): Promise<m.CollectionState | undefined> {
    try {
      return await withTimeout(this.handle.query(m.getState), 10_000, 'getState');
    } catch {
      return undefined;
    }
  }

  /** Polls the workflow state until `ok` holds (or the case closed); bounded. */
  async waitFor(what: string, ok: (s: m.CollectionState) => boolean, timeoutMs = 240_000): Promise<m.CollectionState | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ctx.aborted()) {
      const s = await this.state();
      if (s && (s.stage === 'closed' || ok(s))) return s.stage === 'closed' && !ok(s) ? undefined : s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      // Slow enough that 100 drivers do not swamp a 2-core machine with queries (each one is a workflow task).
      await sleep(900 + Math.random() * 600);
    }
    return undefined;
  }

  /**
   * Waits until the workflow sits in a wait with at least `marginMs` before its next action: no contact is
   * being sent, so a fact written now is seen by every later send-time gate (no race with one in flight).
   */
  async quiescent(marginMs = 700): Promise<m.CollectionState | undefined> {
    return this.waitFor('a quiet moment', (s) => Boolean(s.waitingFor) && (!s.nextAction || Date.parse(s.nextAction.at) - Date.now() >= marginMs));
  }

  /** Ledger first, then the signal, delivered twice (a backend retry after a lost answer). */
  async pay(paymentId: string, amountMinor: number, { signalTwice = true } = {}): Promise<void> {
    await this.recordOnly(paymentId, amountMinor);
    const payload = { paymentId };
    await this.signal(m.paymentReceived, payload);
    if (signalTwice) await this.signal(m.paymentReceived, payload);
  }

  async recordOnly(paymentId: string, amountMinor: number): Promise<void> {
    await this.persist(`record payment ${paymentId}`, () => recordPayment(this.ctx.db, { paymentId, loanId: this.loan.loanId, amountMinor, currency: 'CNY', receivedAt: new Date() }));
    this.ctx.paymentsMade.set(paymentId, { loanId: this.loan.loanId, amountMinor });
    this.note(`recorded payment ${paymentId} ${amountMinor}`);
  }

  /** A collector's promise, retried through outages with the same update id (the server dedupes it). */
  async promise(dueInMs: number): Promise<boolean> {
    for (let round = 1; round <= 6; round += 1) {
      const s = await this.waitFor('a call or negotiation waiting for an offer', (st) =>
        /^(outcome of call attempt|a promise to pay or a payment plan)/.test(st.waitingFor ?? ''),
      );
      if (!s) return false;
      const updateId = `${this.loan.loanId}-promise-${round}`;
      const input = { amountMinor: this.loan.pastDueMinor, currency: 'CNY', dueAt: new Date(Date.now() + dueInMs).toISOString(), collectorId: `c-${this.loan.loanId}` };
      try {
        await this.persist('promiseToPay', async () => {
          try {
            return await this.handle.executeUpdate(m.promiseToPay, { args: [input], updateId });
          } catch (error) {
            if (error instanceof WorkflowUpdateFailedError) throw Object.assign(new Error('rejected'), { noRetry: true, rejected: error });
            throw error;
          }
        });
        // The same collector action delivered again: same update id, same answer, no second promise.
        await this.persist('promiseToPay (again)', () => this.handle.executeUpdate(m.promiseToPay, { args: [input], updateId }).catch((e) => {
          if (e instanceof WorkflowUpdateFailedError || gone(e)) return undefined;
          throw e;
        }));
        this.note(`promise accepted (${updateId})`);
        return true;
      } catch (error) {
        const rejected = (error as { rejected?: WorkflowUpdateFailedError }).rejected;
        if (!rejected) throw error;
        this.note(`promise ${updateId} rejected: ${String(rejected.cause?.message ?? rejected.message)}`);
      }
    }
    return false;
  }

  async openDisputeInDb(): Promise<string> {
    const { dispute } = await this.persist('open dispute', async () =>
      openDispute(this.ctx.db, { idempotencyKey: `${this.loan.loanId}-dispute`, loanId: this.loan.loanId, caseId: (await getOpenCase(this.ctx.db, this.loan.loanId))?.id ?? null, reason: 'not my debt' }),
    );
    this.note(`dispute ${dispute.id} opened in the database`);
    return dispute.id;
  }

  async resolveDisputeInDb(disputeId: string, outcome: 'upheld' | 'rejected'): Promise<void> {
    await this.persist('resolve dispute', () => resolveDispute(this.ctx.db, disputeId, outcome, { actor: 'operator:faults' }));
    this.note(`dispute ${disputeId} resolved ${outcome} in the database`);
  }

  /** What the API's reportBorrowerFact does: the borrower row and an audit event in one transaction. */
  async borrowerFact(kind: 'cease' | 'bankruptcy'): Promise<void> {
    const borrowerId = `b-${this.loan.loanId}`;
    await this.persist(`record ${kind}`, () =>
      this.ctx.db.transaction(async (tx) => {
        await tx
          .update(borrowers)
          .set(kind === 'cease' ? { ceaseRequestedAt: sql`coalesce(${borrowers.ceaseRequestedAt}, now())`, updatedAt: sql`now()` } : { bankruptcy: true, updatedAt: sql`now()` })
          .where(eq(borrowers.id, borrowerId));
        await appendAudit(tx, { actor: 'backend:faults', action: kind === 'cease' ? 'borrower.cease' : 'borrower.barred', loanId: this.loan.loanId, after: { kind } });
      }),
    );
    this.note(`${kind} recorded on the borrower`);
  }

  async firstContactHappened(): Promise<boolean> {
    const id = this.loan.loanId;
    const [contacts, tasks] = await Promise.all([
      this.ctx.db.select({ id: contactAttempts.id }).from(contactAttempts).where(and(eq(contactAttempts.loanId, id), inArray(contactAttempts.status, ['sent', 'presumed_sent', 'failed', 'blocked']))).limit(1),
      this.ctx.db.select({ id: collectorTasks.id }).from(collectorTasks).where(eq(collectorTasks.loanId, id)).limit(1),
    ]);
    return contacts.length + tasks.length > 0;
  }

  /** Plays the loan's behaviour to its end (the workflow's result is checked separately). */
  async play(): Promise<void> {
    const { loanId, pastDueMinor } = this.loan;
    switch (this.loan.behaviour) {
      case 'silent':
        return;

      case 'pay-after-first-contact': {
        const deadline = Date.now() + 240_000;
        while (!(await this.firstContactHappened().catch(() => false))) {
          if (this.ctx.aborted() || Date.now() > deadline) throw new Error('no first contact');
          await sleep(400);
        }
        if (!(await this.quiescent())) return;
        await this.pay(`${loanId}-pay-1`, pastDueMinor);
        return;
      }

      case 'partial-then-full': {
        const partial = Math.round(pastDueMinor * 0.4);
        if (!(await this.quiescent())) return;
        await this.pay(`${loanId}-pay-1`, partial);
        await this.waitFor('the partial payment applied', (s) => s.pastDueMinor === pastDueMinor - partial);
        if (!(await this.quiescent())) return;
        // Out of order: the rest, then a late redelivery of the first payment, then the rest again.
        await this.recordOnly(`${loanId}-pay-2`, pastDueMinor - partial);
        const p2 = { paymentId: `${loanId}-pay-2` };
        await this.signal(m.paymentReceived, p2);
        await this.signal(m.paymentReceived, { paymentId: `${loanId}-pay-1` });
        await this.signal(m.paymentReceived, p2);
        return;
      }

      case 'promise-kept': {
        if (!(await this.promise(8_000))) return;
        if (!(await this.waitFor('the promise being watched', (s) => s.stage === 'legal' || (s.waitingFor ?? '').startsWith('promised payment')))) return;
        if (!(await this.quiescent(300))) return;
        await this.pay(`${loanId}-pay-1`, pastDueMinor);
        return;
      }

      case 'promise-broken':
        await this.promise(2_000);
        return;

      case 'dispute-upheld': {
        if (!(await this.quiescent())) return;
        const disputeId = await this.openDisputeInDb();
        // Out of order: the resolution's signal overtakes the opening's (ignored: no such dispute yet).
        await this.signal(m.disputeResolved, { disputeId, outcome: 'upheld' });
        await this.signal(m.disputeOpened, { disputeId });
        await this.signal(m.disputeOpened, { disputeId });
        await this.waitFor('the dispute pause', (s) => s.pauses.includes('disputed'));
        await this.resolveDisputeInDb(disputeId, 'upheld');
        await this.signal(m.disputeResolved, { disputeId, outcome: 'upheld' });
        await this.signal(m.disputeResolved, { disputeId, outcome: 'upheld' });
        return;
      }

      case 'dispute-rejected': {
        if (!(await this.quiescent())) return;
        const disputeId = await this.openDisputeInDb();
        await this.signal(m.disputeOpened, { disputeId });
        await this.signal(m.disputeOpened, { disputeId });
        await this.waitFor('the dispute pause', (s) => s.pauses.includes('disputed'));
        await this.resolveDisputeInDb(disputeId, 'rejected');
        await this.signal(m.disputeResolved, { disputeId, outcome: 'rejected' });
        await this.signal(m.disputeResolved, { disputeId, outcome: 'rejected' });
        return;
      }

      case 'bankruptcy':
        if (!(await this.quiescent())) return;
        await this.borrowerFact('bankruptcy');
        await this.signal(m.collectionBarred, { reason: 'bankruptcy' });
        await this.signal(m.collectionBarred, { reason: 'bankruptcy' });
        return;

      case 'cease':
        if (!(await this.quiescent())) return;
        await this.borrowerFact('cease');
        await this.signal(m.ceaseRequested);
        await this.signal(m.ceaseRequested);
        return;

      case 'legal-settled': {
        if (!(await this.waitFor('the legal outcome wait', (s) => (s.waitingFor ?? '').startsWith('legal outcome'), 240_000))) return;
        await this.signal(m.legalOutcomeReported, { outcome: 'settled' });
        await this.signal(m.legalOutcomeReported, { outcome: 'settled' });
        return;
      }
    }
  }
}
