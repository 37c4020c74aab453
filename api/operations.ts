// What backends, collectors and operators can do, once: the HTTP routes and the `overdue` CLI both call
// these. Each checks what it can before writing (unknown loan, amounts, ownership), writes the fact to
// the database first (the system of record) and then tells the loan's workflow by signal or update.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Database } from '../db/client';
import { appendAudit } from '../db/repository/audit';
import { getBorrowerForLoan, recordBorrowerBar, recordCeaseRequest, setChannelOptOut } from '../db/repository/borrowers';
import { assignCollector, getLifecycleFacts, getOpenCase, recordReopenRequest } from '../db/repository/cases';
import { getLoan } from '../db/repository/ledger';
import { createPaymentPlan, createPromiseToPay, getDispute, openDispute, resolveDispute } from '../db/repository/negotiation';
import { cancelTasksForRule, setHardshipPause, setOperatorPause } from '../db/repository/pauses';
import { claimedTaskOf, claimNextTask, completeTask, latestTaskForLoan, listTasksForCollector, reassignQueuedTasks } from '../db/repository/tasks';
import { pinnedStrategy } from '../db/repository/contact-facts';
import type { ApiRole, CollectionCase, CollectorTask } from '../db/schema';
import { parseDuration } from '../domain/strategy/duration';
import { quote } from '../db/repository/validate';
import { defaultStrategies } from '../domain/strategy/defaults';
import { businessDate } from '../domain/ledger';
import { explainRefusal, mayOpenNewCase } from '../domain/lifecycle';
import {
  agreePaymentPlan,
  ceaseRequested,
  channelOptedOut,
  closedByLender,
  collectionBarred,
  collectorReassigned,
  disputeOpened,
  disputeResolved,
  getState,
  hardshipReported,
  legalOutcomeReported,
  pauseRequested,
  promiseToPay,
  recordCallOutcome,
  resumeRequested,
  LEGAL_OUTCOME_WAIT,
  SELF_SERVICE,
  planRowKey,
  promiseRowKey,
  workflowIdForLoan,
  type CallOutcome,
  type CollectionState,
} from '../contracts/messages';
import * as sa from '../contracts/search-attributes';
import { strategyExists } from '../worker/strategies';
import { recordPaymentAndSignal, runningCollection, signalIfRunning, startCollectionRun, type StartResult } from '../client/collection';
import { ApiError } from './errors';
import { logger } from '../observability/logger';

export interface OperationDeps {
  db: Database;
  client: Client;
  /** Task queue of the collection workflows (TASK_QUEUE, default `collections`). */
  taskQueue: string;
}

/**
 * Who is calling: from the API key, `cli` for the operator's command line, or a borrower on their
 * self-service page (role `borrower`, keyId the link id; api/web/borrower).
 */
export interface Principal {
  keyId: string;
  role: ApiRole | 'borrower';
  collectorId: string | null;
}

export const actorOf = (p: Principal) => (p.role === 'collector' ? `collector:${p.collectorId}` : `${p.role}:${p.keyId}`);

// ---- shared checks ----

export async function requireLoan(db: Database, loanId: string) {
  const loan = await getLoan(db, loanId);
  if (!loan) throw new ApiError('not_found', `loan ${loanId} not found; PUT /v1/loans/${loanId} first`, 'loanId');
  return loan;
}

function requireAmount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ApiError('validation_error', `${field} must be a positive integer in minor units (got ${quote(value)})`, field);
  }
  return value;
}

function requireCurrencyOf(loan: { id: string; currency: string }, currency: string, field = 'currency'): void {
  if (currency !== loan.currency) {
    throw new ApiError('validation_error', `${field} must be ${loan.currency}, the currency of loan ${loan.id} (got ${quote(currency)})`, field);
  }
}

function requireInstant(value: string, field: string, { future = false } = {}): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new ApiError('validation_error', `${field} must be an ISO-8601 instant (got ${quote(value)})`, field);
  if (future && at.getTime() <= Date.now()) throw new ApiError('validation_error', `${field} must be in the future (got ${quote(value)})`, field);
  return at;
}

/** Signals the running workflow, or fails with 404 when collection is not running for the loan. */
async function signalRunning(client: Client, loanId: string, send: (handle: WorkflowHandle) => Promise<void>): Promise<void> {
  if (!(await signalIfRunning(client, loanId, send))) {
    throw new ApiError('not_found', `collection is not running for loan ${loanId}; start it with POST /v1/loans/${loanId}/collection`, 'loanId');
  }
}

// ---- backends ----

export interface StartOptions {
  strategyId?: string;
  /** An explicit request to collect again after a terminal outcome; its reason is audited. */
  reopen?: { reason: string };
}

/**
 * Starts collection for a known loan, once: a second call while it runs returns the running case.
 * Follows the sweep's rule (domain/lifecycle): after a terminal outcome only with a reopen reason
 * (audited with who asked), never after bankruptcy or death, after a cure only once a new instalment
 * is past due — otherwise 409 naming the outcome and what to do.
 */
export async function startCollection(deps: OperationDeps, loanId: string, options: StartOptions, by: Principal): Promise<StartResult> {
  await requireLoan(deps.db, loanId);
  await requireKnownStrategy(deps.db, options.strategyId);
  const reason = options.reopen === undefined ? undefined : requireReopenReason(options.reopen.reason);
  const facts = await getLifecycleFacts(deps.db, loanId);
  const decision = mayOpenNewCase({ asOf: businessDate(new Date()), ...facts, reopen: reason !== undefined });
  if (!decision.allowed) {
    // A run started a moment ago may not have opened its case row yet: it is the running case.
    const running = await runningCollection(deps.client, loanId);
    if (running) return running;
    throw new ApiError('conflict', explainRefusal(loanId, decision, facts.lastClosedCase?.closedAt), 'loanId');
  }
  if (decision.because === 'reopened') {
    const running = await runningCollection(deps.client, loanId);
    if (running) return running;
    await recordReopenRequest(deps.db, { loanId, closed: facts.lastClosedCase!, reason: reason!, actor: actorOf(by) });
  }
  return startCollectionRun(deps.client, deps.taskQueue, loanId, { strategyId: options.strategyId });
}

function requireReopenReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new ApiError('validation_error', `reopen.reason must say why the loan is collected again (got ${JSON.stringify(reason)})`, 'reopen.reason');
  }
  return reason.trim();
}

/** Checked before the start: with a strategy it cannot load, the workflow could never open its case. */
async function requireKnownStrategy(db: Database, strategyId: string | undefined): Promise<void> {
  if (strategyId === undefined || (await strategyExists(db, strategyId))) return;
  const shipped = defaultStrategies.map((s) => s.id).join(', ');
  throw new ApiError('validation_error', `strategyId ${quote(strategyId)} is neither stored nor shipped with Overdue (shipped: ${shipped})`, 'strategyId');
}

export interface PaymentBody {
  paymentId: string;
  amountMinor: number;
  currency: string;
  receivedAt: string;
}

/**
 * Ledger first, then the signal (client/collection.ts). The ledger checks the loan (404), the amount,
 * currency and receipt time (422) and a reused id (409), once; nothing is checked again before it.
 */
export async function submitPayment(deps: OperationDeps, loanId: string, body: PaymentBody, by: Principal) {
  const { signalled, ...result } = await recordPaymentAndSignal(deps, {
    paymentId: body.paymentId,
    loanId,
    amountMinor: body.amountMinor,
    currency: body.currency,
    receivedAt: new Date(body.receivedAt),
    actor: actorOf(by),
  });
  const p = result.position;
  return {
    recorded: result.recorded,
    paymentId: result.payment.id,
    loanId,
    amountMinor: result.payment.amountMinor,
    currency: result.payment.currency,
    position: { currency: p.currency, pastDueMinor: p.pastDueMinor, outstandingMinor: p.outstandingMinor, dpd: p.dpd },
    signalled,
  };
}

export interface DisputeBody {
  idempotencyKey: string;
  reason: string;
  amountMinor?: number;
  currency?: string;
}

/** Recorded (the repository checks the amount, the currency and a reused key), then signalled. */
export async function fileDispute(deps: OperationDeps, loanId: string, body: DisputeBody, by: Principal) {
  await requireLoan(deps.db, loanId);
  const open = await getOpenCase(deps.db, loanId);
  // The dispute and the cancellation of the loan's open call tasks commit together: no collector can
  // claim (or keep) a call on a disputed debt.
  const { dispute, created } = await deps.db.transaction(async (tx) => {
    const filed = await openDispute(tx, {
      idempotencyKey: body.idempotencyKey,
      loanId,
      caseId: open?.id ?? null,
      reason: body.reason,
      amountMinor: body.amountMinor ?? null,
      currency: body.currency ?? null,
      actor: actorOf(by),
    });
    if (filed.dispute.loanId !== loanId) throw new ApiError('conflict', `idempotencyKey ${body.idempotencyKey} was used for a dispute on another loan`, 'idempotencyKey');
    if (!filed.dispute.resolvedAt) await cancelTasksForRule(tx, loanId, 'common.dispute', actorOf(by));
    return filed;
  });
  const signalled = await signalIfRunning(deps.client, loanId, (h) => h.signal(disputeOpened, { disputeId: dispute.id }));
  return { created, disputeId: dispute.id, loanId, status: dispute.outcome ?? 'open', signalled };
}

export async function settleDispute(deps: OperationDeps, loanId: string, disputeId: string, outcome: 'upheld' | 'rejected' | 'withdrawn', by: Principal) {
  await requireLoan(deps.db, loanId);
  if (!(await getDispute(deps.db, loanId, disputeId))) throw new ApiError('not_found', `dispute ${disputeId} not found on loan ${loanId}`, 'disputeId');
  const dispute = await resolveDispute(deps.db, disputeId, outcome, { actor: actorOf(by) });
  // A withdrawn dispute lets collection resume exactly as a rejected one does.
  const signalled = await signalIfRunning(deps.client, loanId, (h) =>
    h.signal(disputeResolved, { disputeId, outcome: outcome === 'upheld' ? 'upheld' : 'rejected' }),
  );
  return { disputeId, loanId, outcome: dispute.outcome, resolvedAt: dispute.resolvedAt?.toISOString() ?? null, signalled };
}

export async function closeByLender(deps: OperationDeps, loanId: string, outcome: 'settled' | 'written_off' | 'cancelled', reason: string | undefined, by: Principal) {
  await requireLoan(deps.db, loanId);
  await signalRunning(deps.client, loanId, (h) => h.signal(closedByLender, { outcome, ...(reason ? { reason } : {}) }));
  await appendAudit(deps.db, { actor: actorOf(by), action: 'collection.close_requested', loanId, after: { outcome, reason: reason ?? null } });
  return { loanId, accepted: true, signal: 'closedByLender' };
}

/** Borrower facts: recorded on the borrower (the rules read it there) and audited, then signalled. */
export type BorrowerFact =
  | { kind: 'cease' }
  | { kind: 'opt_out'; channel: 'email' | 'sms' | 'call' | 'letter' }
  | { kind: 'hardship' }
  | { kind: 'barred'; reason: 'bankruptcy' | 'deceased' };

export async function reportBorrowerFact(deps: OperationDeps, loanId: string, fact: BorrowerFact, by: Principal) {
  const loan = await requireLoan(deps.db, loanId);
  const actor = actorOf(by);
  await deps.db.transaction(async (tx) => {
    switch (fact.kind) {
      case 'cease':
        await recordCeaseRequest(tx, loan.borrowerId);
        break;
      case 'opt_out':
        await setChannelOptOut(tx, loan.borrowerId, fact.channel, new Date());
        break;
      case 'barred':
        await recordBorrowerBar(tx, loan.borrowerId, fact.reason);
        break;
      case 'hardship': {
        // No borrower flag: the case pauses for the strategy's forbearance period (the workflow keeps
        // the same pause); the case row holds it for the task claim.
        const open = await getOpenCase(tx, loanId);
        if (open) await setHardshipPause(tx, loanId, new Date(Date.now() + (await hardshipPauseMs(tx, open))));
        break;
      }
    }
    await appendAudit(tx, { actor, action: `borrower.${fact.kind}`, loanId, after: fact });
    const rule = ruleStoppingCalls(fact);
    if (rule) await cancelTasksForRule(tx, loanId, rule, actor);
  });
  const signalled = await signalIfRunning(deps.client, loanId, (h) => {
    switch (fact.kind) {
      case 'cease':
        return h.signal(ceaseRequested);
      case 'opt_out':
        return h.signal(channelOptedOut, { channel: fact.channel });
      case 'hardship':
        return h.signal(hardshipReported);
      case 'barred':
        return h.signal(collectionBarred, { reason: fact.reason });
    }
  });
  return { loanId, recorded: fact.kind, signalled };
}

/** The rule under which a borrower fact stops the loan's calls at once, if it does. */
function ruleStoppingCalls(fact: BorrowerFact): string | undefined {
  switch (fact.kind) {
    case 'cease':
      return 'common.cease';
    case 'opt_out':
      return fact.channel === 'call' ? 'common.opt-out' : undefined;
    case 'barred':
      return fact.reason === 'bankruptcy' ? 'common.bankruptcy' : 'common.deceased';
    case 'hardship':
      return 'common.paused';
  }
}

/** The hardship pause of the case's pinned strategy. */
async function hardshipPauseMs(db: Database, open: CollectionCase): Promise<number> {
  const pause = (await pinnedStrategy(db, open.strategyId, open.strategyVersion))?.hardshipPause;
  return pause ? parseDuration(pause) : 0;
}

// ---- collectors ----

export async function listTasks(db: Database, collectorId: string, limit = 50): Promise<CollectorTask[]> {
  return listTasksForCollector(db, collectorId, limit);
}

/**
 * Claims the next task. An unassigned case becomes the claiming collector's: on the case row and, by
 * signal, in the workflow (which owns the assignment and puts it in the AssignedCollector attribute).
 */
export async function claimTask(deps: OperationDeps, by: Principal, leaseSeconds = 900): Promise<CollectorTask | null> {
  const collectorId = requireCollectorId(by);
  const task = await claimNextTask(deps.db, collectorId, leaseSeconds * 1000, { kinds: ['call'] });
  if (!task) return null;
  const open = await getOpenCase(deps.db, task.loanId);
  if (open && !open.assignedCollector) {
    await assignCollector(deps.db, open.id, collectorId, actorOf(by));
    await signalIfRunning(deps.client, task.loanId, (h) => h.signal(collectorReassigned, { collectorId, operator: `claim:${collectorId}` }));
  }
  return task;
}

function requireCollectorId(by: Principal): string {
  if (by.role !== 'collector' || !by.collectorId) throw new ApiError('forbidden', 'only a collector key (with a collector id) can do this');
  return by.collectorId;
}

export async function readState(deps: OperationDeps, loanId: string): Promise<CollectionState> {
  await requireLoan(deps.db, loanId);
  try {
    const handle = deps.client.workflow.getHandle(workflowIdForLoan(loanId));
    const state = await handle.query(getState);
    if (state.stage === 'opening') await requireStillOpening(handle, loanId);
    return state;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new ApiError('not_found', `no collection for loan ${loanId}; start it with POST /v1/loans/${loanId}/collection`, 'loanId');
    }
    throw error;
  }
}

/**
 * A run that ended before its case opened (openCase failed for good: an unknown loan or strategy) has no
 * case to show; the query alone would answer `opening` for ever.
 */
async function requireStillOpening(handle: WorkflowHandle, loanId: string): Promise<void> {
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return;
  let cause: unknown = await handle.result().then(() => undefined, (error: unknown) => error);
  while ((cause as { cause?: unknown } | undefined)?.cause) cause = (cause as { cause: unknown }).cause;
  const reason = (cause as Error | undefined)?.message ?? status.name.toLowerCase();
  throw new ApiError(
    'not_found',
    `collection of loan ${loanId} ended (${status.name}) before its case opened: ${reason}; start it again with POST /v1/loans/${loanId}/collection`,
    'loanId',
  );
}

/**
 * A collector acts only on their own cases: the one assigned in the workflow (or on the case row), or an
 * unassigned one whose task they hold. Returns the task they hold, if any, to complete afterwards.
 */
export async function authorizeCollector(deps: OperationDeps, loanId: string, by: Principal): Promise<CollectorTask | null> {
  const collectorId = requireCollectorId(by);
  const state = await readState(deps, loanId);
  const open = await getOpenCase(deps.db, loanId);
  const assigned = state.assignedCollector ?? open?.assignedCollector ?? null;
  const task = await claimedTaskOf(deps.db, loanId, collectorId);
  if (assigned && assigned !== collectorId) {
    throw new ApiError('forbidden', `loan ${loanId} is assigned to another collector; ask an operator to reassign it`, 'loanId');
  }
  if (!assigned && !task) {
    throw new ApiError('forbidden', `loan ${loanId} is not assigned to you; claim its task first (POST /v1/tasks/claim)`, 'loanId');
  }
  return task;
}

async function finishTask(db: Database, task: CollectorTask | null, collectorId: string, outcome: string): Promise<void> {
  if (!task) return;
  await completeTask(db, { taskId: task.id, collectorId, outcome });
}

/**
 * Refuses (422) what a collector reports against a call the rules cancelled: the loan's latest call task
 * was cancelled by a dispute, cease, bar, opt-out or pause, so no call may have been made on it. The
 * refusal names the rule and when it applied, and is written to the audit trail.
 */
async function refuseIfCallCancelled(deps: OperationDeps, loanId: string, by: Principal, attempted: Record<string, unknown>): Promise<void> {
  const open = await getOpenCase(deps.db, loanId);
  if (!open) return;
  const task = await latestTaskForLoan(deps.db, loanId, { caseId: open.id });
  if (!task || task.status !== 'cancelled' || !task.cancelledRule) return;
  const at = task.cancelledAt?.toISOString() ?? 'an unknown time';
  await appendAudit(deps.db, {
    actor: actorOf(by),
    action: 'task.outcome_refused',
    caseId: task.caseId,
    loanId,
    after: { taskId: task.id, rule: task.cancelledRule, cancelledAt: task.cancelledAt?.toISOString() ?? null, ...attempted },
  });
  throw new ApiError(
    'validation_error',
    `task ${task.id} (call attempt on loan ${loanId}) was cancelled by ${task.cancelledRule} at ${at}; no call may be recorded against it. Claim the next task when one is queued (POST /v1/tasks/claim)`,
    'taskId',
  );
}

export async function submitCallOutcome(deps: OperationDeps, loanId: string, outcome: CallOutcome, by: Principal): Promise<CollectionState> {
  const task = await authorizeCollector(deps, loanId, by);
  await refuseIfCallCancelled(deps, loanId, by, { outcome });
  const collectorId = by.collectorId!;
  let state: CollectionState;
  try {
    state = await deps.client.workflow.getHandle(workflowIdForLoan(loanId)).executeUpdate(recordCallOutcome, { args: [{ outcome, collectorId }] });
  } catch (error) {
    // A borrower's call-back (self-service) is a call the workflow did not plan: when no call stage waits
    // for an outcome, the outcome is kept on the task and in the audit trail, and the task leaves the queue.
    if (!(error instanceof WorkflowUpdateFailedError) || task?.payload?.reason !== 'callback_requested') throw error;
    await completeTask(deps.db, { taskId: task.id, collectorId, outcome });
    await appendAudit(deps.db, { actor: actorOf(by), action: 'callback.outcome_recorded', caseId: task.caseId, loanId, after: { taskId: task.id, outcome } });
    return readState(deps, loanId);
  }
  await finishTask(deps.db, task, collectorId, outcome);
  return state;
}

function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The borrower's IANA zone: a promise's or plan's due instant becomes their local date. */
async function borrowerZone(db: Database, loanId: string): Promise<string> {
  return (await getBorrowerForLoan(db, loanId)).timeZone;
}

/**
 * Files a promise or plan the workflow has already accepted. The workflow is the source of truth for
 * it, so a failure here must not turn the accepted update into an error the caller would retry. The
 * workflow settles the same row by the same key when it decides (kept, broken, completed), creating it
 * if it got there first, so a fast decision never leaves an open row behind.
 */
async function fileAfterUpdate(what: string, loanId: string, file: () => Promise<unknown>): Promise<void> {
  try {
    await file();
  } catch (error) {
    logger.error({ loanId }, `accepted ${what} could not be filed in the database: ${(error as Error).message}`);
  }
}

export interface PromiseBody {
  amountMinor: number;
  currency: string;
  dueAt: string;
}

/** The workflow validates and watches the promise; the promise is then filed in the database as well. */
export async function submitPromise(deps: OperationDeps, loanId: string, body: PromiseBody, by: Principal): Promise<CollectionState> {
  const loan = await requireLoan(deps.db, loanId);
  requireAmount(body.amountMinor, 'amountMinor');
  requireCurrencyOf(loan, body.currency);
  requireInstant(body.dueAt, 'dueAt', { future: true });
  // The borrower on their own page needs no collector's case or call; the workflow still validates it.
  const selfService = by.role === 'borrower';
  const task = selfService ? null : await authorizeCollector(deps, loanId, by);
  if (!selfService) await refuseIfCallCancelled(deps, loanId, by, { promise: { amountMinor: body.amountMinor, currency: body.currency, dueAt: body.dueAt } });
  const collectorId = selfService ? SELF_SERVICE : by.collectorId!;
  const state = await deps.client.workflow
    .getHandle(workflowIdForLoan(loanId))
    .executeUpdate(promiseToPay, { args: [{ amountMinor: body.amountMinor, currency: body.currency, dueAt: body.dueAt, collectorId }] });
  await fileAfterUpdate('promise', loanId, async () => createPromiseToPay(deps.db, {
    idempotencyKey: promiseRowKey(state.caseId, body),
    caseId: state.caseId,
    loanId,
    amountMinor: body.amountMinor,
    currency: body.currency,
    promisedFor: localDate(new Date(body.dueAt), await borrowerZone(deps.db, loanId)),
    createdBy: actorOf(by),
  }));
  await finishTask(deps.db, task, collectorId, 'promise_to_pay');
  return state;
}

export interface PlanBody {
  currency: string;
  installments: Array<{ dueAt: string; amountMinor: number }>;
}

export async function submitPlan(deps: OperationDeps, loanId: string, body: PlanBody, by: Principal): Promise<CollectionState> {
  const loan = await requireLoan(deps.db, loanId);
  requireCurrencyOf(loan, body.currency);
  body.installments.forEach((i, n) => {
    requireAmount(i.amountMinor, `installments[${n}].amountMinor`);
    requireInstant(i.dueAt, `installments[${n}].dueAt`, { future: true });
  });
  const selfService = by.role === 'borrower';
  const task = selfService ? null : await authorizeCollector(deps, loanId, by);
  if (!selfService) await refuseIfCallCancelled(deps, loanId, by, { plan: { currency: body.currency, installments: body.installments } });
  const collectorId = selfService ? SELF_SERVICE : by.collectorId!;
  const state = await deps.client.workflow
    .getHandle(workflowIdForLoan(loanId))
    .executeUpdate(agreePaymentPlan, { args: [{ currency: body.currency, installments: body.installments, collectorId }] });
  const zone = await borrowerZone(deps.db, loanId);
  await fileAfterUpdate('plan', loanId, () => createPaymentPlan(deps.db, {
    idempotencyKey: planRowKey(state.caseId, body.installments),
    caseId: state.caseId,
    loanId,
    currency: body.currency,
    createdBy: actorOf(by),
    installments: body.installments.map((i, n) => ({ seq: n + 1, dueDate: localDate(new Date(i.dueAt), zone), amountMinor: i.amountMinor })),
    ...(state.plan?.discountMinor ? { discountMinor: state.plan.discountMinor } : {}),
  }));
  await finishTask(deps.db, task, collectorId, 'payment_plan');
  return state;
}

// ---- operators ----

/**
 * Pauses the case: the pause on the case row (the claim reads it there) and the cancellation of its open
 * call tasks commit together, and only once the workflow has the signal: with no collection running
 * (404) nothing is written.
 */
export async function pauseCollection(deps: OperationDeps, loanId: string, reason: string, by: Principal) {
  await requireLoan(deps.db, loanId);
  const actor = actorOf(by);
  await deps.db.transaction(async (tx) => {
    if (await setOperatorPause(tx, loanId, true)) await cancelTasksForRule(tx, loanId, 'common.paused', actor);
    await signalRunning(deps.client, loanId, (h) => h.signal(pauseRequested, { reason, operator: actor }));
  });
  return { loanId, accepted: true, signal: 'pauseRequested' };
}

/**
 * Resumes the case: the pause is cleared (committed) before the workflow hears of it, so the contact the
 * workflow makes next never meets the old pause at the send-time gate.
 */
export async function resumeCollection(deps: OperationDeps, loanId: string, by: Principal) {
  await requireLoan(deps.db, loanId);
  await setOperatorPause(deps.db, loanId, false);
  await signalRunning(deps.client, loanId, (h) => h.signal(resumeRequested, { operator: actorOf(by) }));
  return { loanId, accepted: true, signal: 'resumeRequested' };
}

export type LegalOutcome = 'paid' | 'settled' | 'written_off';

/**
 * The legal team reports how a handed-off case ended. Accepted only while the workflow awaits it
 * (a legal stage whose strategy says `afterHandOff: awaitOutcome`): 404 when no collection runs for the
 * loan, 409 when it runs but waits for something else. Audited.
 */
export async function reportLegalOutcome(deps: OperationDeps, loanId: string, outcome: LegalOutcome, by: Principal) {
  const state = await readState(deps, loanId);
  if (state.waitingFor !== LEGAL_OUTCOME_WAIT) {
    const now = state.outcome ? `its case is closed (${state.outcome})` : `it is in stage ${state.stage}${state.waitingFor ? `, waiting for ${state.waitingFor}` : ''}`;
    throw new ApiError('conflict', `collection of loan ${loanId} is not awaiting a legal outcome: ${now}`, 'loanId');
  }
  await signalRunning(deps.client, loanId, (h) => h.signal(legalOutcomeReported, { outcome }));
  await appendAudit(deps.db, { actor: actorOf(by), action: 'legal.outcome_reported', caseId: state.caseId, loanId, after: { outcome } });
  return { loanId, accepted: true, signal: 'legalOutcomeReported', outcome };
}

export async function reassignCollection(deps: OperationDeps, loanId: string, collectorId: string | null, by: Principal) {
  await requireLoan(deps.db, loanId);
  await signalRunning(deps.client, loanId, (h) => h.signal(collectorReassigned, { collectorId, operator: actorOf(by) }));
  const open = await getOpenCase(deps.db, loanId);
  if (open) await assignCollector(deps.db, open.id, collectorId, actorOf(by));
  // Queued tasks follow the case to its new collector.
  await reassignQueuedTasks(deps.db, loanId, collectorId);
  return { loanId, accepted: true, signal: 'collectorReassigned', collectorId };
}

export interface CollectionSummary {
  loanId: string;
  workflowId: string;
  status: string;
  stage: string | null;
  daysPastDue: number | null;
  pastDueMinor: number | null;
  assignedCollector: string | null;
  startedAt: string;
}

/** Searches running collections by stage / collector through Temporal visibility (eventually consistent). */
export async function searchCollections(
  client: Client,
  filter: { stage?: string; assignedCollector?: string; taskQueue?: string; limit?: number },
): Promise<CollectionSummary[]> {
  const clauses = ['WorkflowType = "collection"', 'ExecutionStatus = "Running"'];
  // Values were checked against enums/patterns by the route schema; quotes are escaped regardless.
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  if (filter.stage) clauses.push(`CollectionStage = ${quote(filter.stage)}`);
  if (filter.assignedCollector) clauses.push(`AssignedCollector = ${quote(filter.assignedCollector)}`);
  if (filter.taskQueue) clauses.push(`TaskQueue = ${quote(filter.taskQueue)}`);
  const limit = filter.limit ?? 100;
  const out: CollectionSummary[] = [];
  for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(limit, 1000) })) {
    const attrs = wf.typedSearchAttributes;
    out.push({
      loanId: wf.workflowId.replace(/^collection-/, ''),
      workflowId: wf.workflowId,
      status: wf.status.name,
      stage: attrs.get(sa.CollectionStage) ?? null,
      daysPastDue: attrs.get(sa.DaysPastDue) ?? null,
      pastDueMinor: attrs.get(sa.PastDueMinor) ?? null,
      assignedCollector: attrs.get(sa.AssignedCollector) || null,
      startedAt: wf.startTime.toISOString(),
    });
    if (out.length >= limit) break;
  }
  return out;
}
