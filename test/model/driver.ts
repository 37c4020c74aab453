// Plays one loan's script against the running stack, the way the platform backend, operators and
// collectors would: through api/operations.ts with a Principal of the right role, the sweep through
// client/sweep.ts. A step that needs an event (a call awaiting its outcome, a promise being
// watched) polls the workflow's own state for it, with a deadline; every other step happens after a
// seeded random delay, so the invariants are tested against whatever timing the machine produces.
import type { Client } from '@temporalio/client';
import { and, eq, inArray, lte, or, isNull, sql } from 'drizzle-orm';
import { toApiError } from '../../api/errors';
import {
  claimTask,
  closeByLender,
  fileDispute,
  pauseCollection,
  reassignCollection,
  reportBorrowerFact,
  resumeCollection,
  settleDispute,
  startCollection,
  submitCallOutcome,
  submitPayment,
  submitPlan,
  submitPromise,
  type OperationDeps,
  type PaymentBody,
  type Principal,
} from '../../api/operations';
import type { Database } from '../../db/client';
import { collectorTasks, payments } from '../../db/schema';
import * as m from '../../contracts/messages';
import { runSweep } from '../../client/sweep';
import { seedLoan } from '../faults/borrowers';
import { INSTALLMENT_MINOR, type LoanScript, type Step } from './script';

const backend: Principal = { keyId: 'model-backend', role: 'backend', collectorId: null };
const operator: Principal = { keyId: 'model-operator', role: 'operator', collectorId: null };
const collector = (id: string): Principal => ({ keyId: `model-${id}`, role: 'collector', collectorId: id });

/** What one action did: accepted, refused (with the API's status and message), or not applicable. */
export interface ActionRecord {
  kind: string;
  result: 'accepted' | 'refused' | 'skipped';
  status?: number;
  note?: string;
  at: string;
}

/** Everything the run learned about one loan, for the invariants and the report. */
export interface LoanRecord {
  script: LoanScript;
  actions: ActionRecord[];
  /** Outcomes the workflow showed right after a step, by case: the script's end as the workflow acknowledged it. */
  observedOutcomes: Map<string, string>;
  /** Claims that returned another loan's task (collectors share one queue). */
  strayClaims: number;
  log: string[];
}

export interface RunContext {
  db: Database;
  client: Client;
  deps: OperationDeps;
  /** Payment id -> what a script paid (the ledger check finds each exactly once). */
  paymentsMade: Map<string, { loanId: string; amountMinor: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** How long a step waits for the event it needs before it gives up (the case may have moved on). */
const EVENT_DEADLINE_MS = 25_000;

export class LoanDriver {
  readonly record: LoanRecord;
  private readonly handle;
  private collectorId: string;
  private payments = 0;
  private disputeKeys = 0;
  private reassigns = 0;
  private openDisputes: string[] = [];

  constructor(
    private readonly ctx: RunContext,
    readonly script: LoanScript,
  ) {
    this.record = { script, actions: [], observedOutcomes: new Map(), strayClaims: 0, log: [] };
    this.handle = ctx.client.workflow.getHandle(m.workflowIdForLoan(script.loanId));
    this.collectorId = `c-${script.loanId}`;
  }

  private get loanId() {
    return this.script.loanId;
  }

  note(line: string) {
    this.record.log.push(`${new Date().toISOString()} ${line}`);
  }

  private act(kind: string, result: ActionRecord['result'], extra: Partial<ActionRecord> = {}) {
    this.record.actions.push({ kind, result, at: new Date().toISOString(), ...extra });
    this.note(`${kind}: ${result}${extra.status ? ` ${extra.status}` : ''}${extra.note ? ` (${extra.note})` : ''}`);
  }

  /** Runs an operation; an error becomes the API answer it would have been (status and message). */
  private async attempt<T>(kind: string, run: () => Promise<T>, accepted: (value: T) => boolean = () => true): Promise<T | undefined> {
    try {
      const value = await run();
      this.act(kind, accepted(value) ? 'accepted' : 'refused', { note: accepted(value) ? undefined : JSON.stringify(value).slice(0, 160) });
      return value;
    } catch (error) {
      const api = toApiError(error);
      this.act(kind, 'refused', { status: api.status, note: `${api.type}: ${api.message}`.slice(0, 240) });
      return undefined;
    }
  }

  async state(): Promise<m.CollectionState | undefined> {
    try {
      return await this.handle.query(m.getState);
    } catch {
      return undefined;
    }
  }

  /** Polls the workflow's state until `ok` holds; undefined when the case closed first or the deadline passed. */
  private async waitFor(what: string, ok: (s: m.CollectionState) => boolean, timeoutMs = EVENT_DEADLINE_MS): Promise<m.CollectionState | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state();
      if (s && ok(s)) return s;
      if (s?.stage === 'closed') {
        this.note(`gave up waiting for ${what}: the case closed (${s.outcome})`);
        return undefined;
      }
      if (Date.now() > deadline) {
        this.note(`gave up waiting for ${what}: deadline (last waiting for ${s?.waitingFor ?? '?'})`);
        return undefined;
      }
      await sleep(350 + Math.random() * 400);
    }
  }

  /** Remembers the outcome the workflow shows after a step, keyed by its case. */
  private async observeOutcome(): Promise<void> {
    const s = await this.state();
    if (s?.outcome && s.caseId && !this.record.observedOutcomes.has(s.caseId)) this.record.observedOutcomes.set(s.caseId, s.outcome);
  }

  async play(): Promise<void> {
    await this.start();
    for (const { step, delayMs } of this.script.steps) {
      await sleep(delayMs);
      await this.perform(step);
    }
  }

  // ---- start ----

  private async start(): Promise<void> {
    await seedLoan(this.ctx.db, { index: this.script.index, loanId: this.loanId, dpd: this.script.dpd, pathId: this.script.pathId, behaviour: 'silent', pastDueMinor: INSTALLMENT_MINOR });
    const apiStart = () => this.attempt('start', () => startCollection(this.ctx.deps, this.loanId, {}, backend));
    const sweep = () => this.sweep(0);
    if (this.script.start === 'api') await apiStart();
    else if (this.script.start === 'api-racing-sweep') await Promise.all([apiStart(), sweep()]);
    else await sweep();
    // Open the case to this loan's collector at once: collectors share one queue, and a task nobody is
    // assigned to could go to any of them.
    if (await this.waitFor('the case to open', () => true, 15_000)) {
      await this.attempt('reassign', () => reassignCollection(this.ctx.deps, this.loanId, this.collectorId, operator));
    }
  }

  private async sweep(daysLater: number): Promise<void> {
    await this.attempt(
      'sweep',
      async () => runSweep({ db: this.ctx.db, client: this.ctx.client, taskQueue: this.ctx.deps.taskQueue, asOf: isoDay(daysLater), concurrency: 4 }),
      (summary) => summary.failed === 0,
    );
  }

  // ---- steps ----

  private async perform(step: Step): Promise<void> {
    const { deps } = this.ctx;
    switch (step.kind) {
      case 'pay':
        return this.pay(step.portion, step.share);
      case 'pay-duplicate': {
        const body = await this.paymentBody(0.3);
        if (!body) return;
        // The same payment twice at once: one row in the ledger, two signals the workflow dedupes.
        await Promise.all([0, 1].map(() => this.submitPayment('pay-duplicate', body)));
        return;
      }
      case 'pay-out-of-order': {
        const later = await this.paymentBody(0.25);
        const earlier = await this.paymentBody(0.25, -60_000);
        if (!later || !earlier) return;
        await this.submitPayment('pay-out-of-order', later);
        await this.submitPayment('pay-out-of-order', earlier);
        await this.observeOutcome();
        return;
      }
      case 'dispute': {
        this.disputeKeys += 1;
        const result = await this.attempt('dispute', () => fileDispute(deps, this.loanId, { idempotencyKey: `${this.loanId}-d${this.disputeKeys}`, reason: 'not my debt' }, backend));
        if (result?.created) this.openDisputes.push(result.disputeId);
        return;
      }
      case 'resolve-dispute': {
        const disputeId = this.openDisputes.shift();
        if (!disputeId) return this.act(`resolve-${step.outcome}`, 'skipped', { note: 'no open dispute' });
        await this.attempt(`resolve-${step.outcome}`, () => settleDispute(deps, this.loanId, disputeId, step.outcome, backend));
        return this.observeOutcome();
      }
      case 'cease':
        await this.attempt('cease', () => reportBorrowerFact(deps, this.loanId, { kind: 'cease' }, backend));
        return;
      case 'opt-out':
        await this.attempt(`opt-out-${step.channel}`, () => reportBorrowerFact(deps, this.loanId, { kind: 'opt_out', channel: step.channel }, backend));
        return;
      case 'hardship':
        await this.attempt('hardship', () => reportBorrowerFact(deps, this.loanId, { kind: 'hardship' }, backend));
        return;
      case 'bar':
        await this.attempt(step.reason, () => reportBorrowerFact(deps, this.loanId, { kind: 'barred', reason: step.reason }, backend));
        return this.observeOutcome();
      case 'pause':
        await this.attempt('pause', () => pauseCollection(deps, this.loanId, 'model: operator pause', operator));
        return;
      case 'resume':
        await this.attempt('resume', () => resumeCollection(deps, this.loanId, operator));
        return;
      case 'reassign': {
        this.reassigns += 1;
        const next = `c-${this.loanId}-r${this.reassigns}`;
        const done = await this.attempt('reassign', () => reassignCollection(deps, this.loanId, next, operator));
        if (done) this.collectorId = next;
        return;
      }
      case 'close':
        await this.attempt(`close-${step.outcome}`, () => closeByLender(deps, this.loanId, step.outcome, 'model: lender closes', backend));
        return this.observeOutcome();
      case 'call':
        return this.call(step.outcome, step.late);
      case 'promise':
        return this.promise(step.keep);
      case 'plan':
        return this.plan(step.keep);
      case 'sweep':
        return this.sweep(step.daysLater);
      case 'restart': {
        if (!(await this.waitFor('the case to close', (s) => s.stage === 'closed', EVENT_DEADLINE_MS))) {
          const s = await this.state();
          if (s?.stage !== 'closed') return this.act('restart', 'skipped', { note: 'the case is still open' });
        }
        // Half the loans (odd index, so the seeded scripts stay as they were) ask to collect again with an
        // audited reason, the others start plainly, as the sweep or a backend would. After a terminal
        // outcome a plain start is answered 409 and a reopen opens one case (never after bankruptcy or
        // death); noCaseReopenedAfterTerminalOutcome checks what the database shows either way.
        const reopen = this.script.index % 2 === 1;
        const options = reopen ? { reopen: { reason: 'model: the lender collects again' } } : {};
        await this.attempt(reopen ? 'restart-reopen' : 'restart', () => startCollection(deps, this.loanId, options, backend), (r) => r.started);
        return;
      }
    }
  }

  /** A payment body for `share` of what is past due now (at least 1), received `receivedOffsetMs` from now. */
  private async paymentBody(share: number, receivedOffsetMs = 0): Promise<PaymentBody | undefined> {
    const s = await this.state();
    const pastDue = s?.pastDueMinor ?? INSTALLMENT_MINOR;
    const amountMinor = Math.max(1_000, Math.round((pastDue > 0 ? pastDue : INSTALLMENT_MINOR) * share));
    this.payments += 1;
    const paymentId = `${this.loanId}-p${this.payments}`;
    this.ctx.paymentsMade.set(paymentId, { loanId: this.loanId, amountMinor });
    return { paymentId, amountMinor, currency: 'CNY', receivedAt: new Date(Date.now() + receivedOffsetMs).toISOString() };
  }

  /** A payment of `share` of what is past due, or of a fixed amount (a promise or plan instalment). */
  private async pay(portion: 'partial' | 'rest' | number, share = 1): Promise<void> {
    let body: PaymentBody | undefined;
    if (typeof portion === 'number') {
      this.payments += 1;
      const paymentId = `${this.loanId}-p${this.payments}`;
      this.ctx.paymentsMade.set(paymentId, { loanId: this.loanId, amountMinor: portion });
      body = { paymentId, amountMinor: portion, currency: 'CNY', receivedAt: new Date().toISOString() };
    } else {
      body = await this.paymentBody(share);
    }
    if (!body) return;
    await this.submitPayment(typeof portion === 'number' ? 'pay-promised' : `pay-${portion}`, body);
    await this.observeOutcome();
  }

  /** Ledger first, then the signal (submitPayment); a refused payment is not one the ledger must hold. */
  private async submitPayment(kind: string, body: PaymentBody): Promise<void> {
    const result = await this.attempt(kind, () => submitPayment(this.ctx.deps, this.loanId, body, backend));
    if (!result && !(await this.inLedger(body.paymentId))) this.ctx.paymentsMade.delete(body.paymentId);
  }

  private async inLedger(paymentId: string): Promise<boolean> {
    const rows = await this.ctx.db.select({ id: payments.id }).from(payments).where(eq(payments.id, paymentId));
    return rows.length > 0;
  }

  /** Claims this loan's call task the way a collector does (the next task in their queue). */
  private async claim(): Promise<boolean> {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const [mine] = await this.ctx.db
        .select({ id: collectorTasks.id })
        .from(collectorTasks)
        .where(
          and(
            eq(collectorTasks.loanId, this.loanId),
            inArray(collectorTasks.status, ['queued']),
            lte(collectorTasks.availableAt, sql`now()`),
            or(isNull(collectorTasks.collectorId), eq(collectorTasks.collectorId, this.collectorId)),
          ),
        )
        .limit(1);
      if (mine) {
        const task = await this.attempt('claim', () => claimTask(this.ctx.deps, collector(this.collectorId)), (t) => t !== null);
        if (task && task.loanId === this.loanId) return true;
        if (task) {
          this.record.strayClaims += 1;
          this.note(`claimed task ${task.id} of loan ${task.loanId}, not this loan's`);
        }
        if (task === null) return false;
      }
      await sleep(300);
    }
    this.act('claim', 'skipped', { note: 'no task of this loan to claim' });
    return false;
  }

  private async call(outcome: Exclude<m.CallOutcome, 'promise_to_pay'>, late: boolean): Promise<void> {
    const awaiting = await this.waitFor('a call awaiting its outcome', (s) => /^outcome of call attempt/.test(s.waitingFor ?? ''));
    if (!awaiting) return this.act(`call-${outcome}`, 'skipped', { note: 'no call awaited an outcome' });
    const attempt = awaiting.waitingFor!;
    await this.claim();
    if (late) {
      // A late outcome: the collector answers only after the attempt timed out.
      await this.waitFor('the call attempt to time out', (s) => s.waitingFor !== attempt, 10_000);
    }
    await this.attempt(late ? `call-late-${outcome}` : `call-${outcome}`, () => submitCallOutcome(this.ctx.deps, this.loanId, outcome, collector(this.collectorId)));
    await this.observeOutcome();
  }

  /** Waits for a call or negotiation ready for an offer; on a call the collector holds the task first. */
  private async offerWindow(what: string): Promise<m.CollectionState | undefined> {
    const s = await this.waitFor(`a ${what} window`, (st) => /^(outcome of call attempt|a promise to pay or a payment plan)/.test(st.waitingFor ?? ''));
    if (s && /^outcome of call attempt/.test(s.waitingFor ?? '')) await this.claim();
    return s;
  }

  private async promise(keep: boolean): Promise<void> {
    const s = await this.offerWindow('promise');
    if (!s) return this.act('promise', 'skipped', { note: 'no offer window' });
    const amountMinor = Math.max(1, s.pastDueMinor ?? 0);
    const dueAt = new Date(Date.now() + 4_000).toISOString();
    const state = await this.attempt('promise', () => submitPromise(this.ctx.deps, this.loanId, { amountMinor, currency: 'CNY', dueAt }, collector(this.collectorId)));
    if (!state) return;
    if (!keep) return this.act('promise-broken', 'accepted', { note: 'borrower does not pay' });
    if (await this.waitFor('the promise to be watched', (st) => /^promised payment/.test(st.waitingFor ?? ''), 15_000)) await this.pay(amountMinor);
  }

  private async plan(keep: boolean): Promise<void> {
    const s = await this.offerWindow('plan');
    if (!s) return this.act('plan', 'skipped', { note: 'no offer window' });
    const total = Math.max(2, s.pastDueMinor ?? 0);
    const first = Math.floor(total / 2);
    const installments = [
      { dueAt: new Date(Date.now() + 3_000).toISOString(), amountMinor: first },
      { dueAt: new Date(Date.now() + 6_000).toISOString(), amountMinor: total - first },
    ];
    const state = await this.attempt('plan', () => submitPlan(this.ctx.deps, this.loanId, { currency: 'CNY', installments }, collector(this.collectorId)));
    if (!state) return;
    for (const [index, installment] of installments.entries()) {
      if (!keep && index === 1) return this.act('plan-broken', 'accepted', { note: 'borrower misses instalment 2' });
      if (!(await this.waitFor(`plan instalment ${index + 1}`, (st) => st.waitingFor?.startsWith(`plan instalment ${index + 1} `) ?? false, 15_000))) return;
      await this.pay(installment.amountMinor);
    }
  }
}
