// Case activities: the collection workflow's reads and writes of the system of record. Each is one
// short database call, idempotent (a retried call finds its own earlier write), and returns ids,
// amounts and codes only — contact details never enter the workflow's history. A permanent error
// fails at once with its type (see failFast); anything else is retried by the workflow's policy.
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/client';
import type { CaseOutcome } from '../db/schema';
import { appendAudit, appendAuditsOnce } from '../db/repository/audit';
import { borrowerRulesOf, getBorrowerForLoan, getCaseOpenFacts } from '../db/repository/borrowers';
import { caseStartHistory } from '../db/repository/contact-facts';
import { ConflictError, NotFoundError, ValidationError } from '../db/repository/errors';
import { closeCase, CollectionEndedError, getCase, openCase, settleByPlanDiscount, updateCaseStage } from '../db/repository/cases';
import { beginContactAttempt, markContactBlocked } from '../db/repository/contacts';
import { getLoanPosition, positionOf, positionSummary, type LoanPosition } from '../db/repository/ledger';
import { createLegalCase, createPaymentPlan, createPromiseToPay, resolvePromiseToPay, setPaymentPlanStatus } from '../db/repository/negotiation';
import { cancelTask, cancelTaskByRule, enqueueTask, getTask } from '../db/repository/tasks';
import { localDateOf } from '../domain/compliance';
import { closingOutcome } from '../domain/ledger';
import { chooseTreatment } from '../domain/strategy/select';
import { StrategyValidationError } from '../domain/strategy/validate';
import type { Strategy } from '../domain/strategy/types';
import type { AuditEntry, CaseActivities, CaseFacts, Position } from '../contracts/activities';
import { computeScore, pinnedPlanLimits, planLimitsOf, recordScore } from './scoring';

export interface CaseActivityDeps {
  db: Database;
  /** The strategy to pin for a new case: by id, or the default; returns a stored, validated version. */
  loadStrategy(strategyId: string | undefined): Promise<Strategy>;
  queues: CaseFacts['queues'];
  /** Tells the legal team about a hand-off (email and/or webhook); called once per legal case. */
  notifyLegalTeam?(handOff: { idempotencyKey: string; legalCaseId: string; caseId: string; loanId: string }): Promise<void>;
}


export function toPosition(p: LoanPosition): Position {
  return positionSummary(p);
}

/**
 * Errors a retry cannot cure — an unknown loan or strategy, input the repository refuses, a stored
 * strategy that does not validate — become non-retryable failures typed by their class (NotFoundError,
 * ValidationError, StrategyValidationError), so the workflow fails visibly instead of retrying for ever.
 * Conflicts stay retryable: the repository's "changed concurrently; retry" resolves itself.
 */
function failFast(error: unknown): unknown {
  if (error instanceof NotFoundError || error instanceof ValidationError || error instanceof StrategyValidationError) {
    return ApplicationFailure.nonRetryable(error.message, error.name, { field: error.field });
  }
  return error;
}

/**
 * The workflow's audit events for a case (transitions, decisions, signals it acted on), each once by its
 * key; an entry naming a stage also moves the open case row to it (as recordTransition does).
 */
export async function writeWorkflowAudits(db: Database, input: { caseId: string; loanId: string; audits: AuditEntry[] }): Promise<void> {
  const { caseId, loanId, audits } = input;
  if (audits.length === 0) return;
  const row = await getCase(db, caseId);
  const actor = row ? `workflow:${row.workflowId}` : 'workflow';
  const entered = audits.filter((a) => a.stage).at(-1);
  if (entered?.stage && row && !row.closedAt) await updateCaseStage(db, caseId, entered.stage, { segment: entered.segment ?? null, actor });
  await appendAuditsOnce(
    db,
    audits.map((a) => ({ actor, action: `workflow.${a.action}`, caseId, loanId, after: a.detail, idempotencyKey: a.key })),
  );
}

/**
 * Every case activity whose input carries audit events (runs on contract 5) writes them before its own
 * effect: they record what led to it (the stage entered, the promise broken), and a retry finds them
 * written (by key) whether or not the effect then failed.
 */
function withAudits<T extends object>(db: Database, activities: T): T {
  const wrapped = Object.entries(activities).map(([name, run]) => [
    name,
    async (input: unknown, ...rest: unknown[]) => {
      const { audits, caseId, loanId } = (input ?? {}) as { audits?: AuditEntry[]; caseId?: string; loanId?: string };
      if (audits?.length && name !== 'recordAudits') {
        if (!caseId || !loanId) throw new ValidationError(`${name} carries audit events but no caseId and loanId`, 'audits');
        await writeWorkflowAudits(db, { caseId, loanId, audits });
      }
      return (run as (...a: unknown[]) => Promise<unknown>)(input, ...rest);
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}

/**
 * Closes the case with `outcome` (closeCase), and says whether it was closed before this call: by an
 * earlier attempt, or by the payment that left nothing past due, in its own transaction (recordPayment,
 * contract 7), which a run on an older contract then finds when its own close comes. That close stands
 * even where the run decided otherwise meanwhile (a bar, the lender's close): the ledger's word comes
 * first, as closeCaseIfSettled's does. Returns the outcome the case row has.
 */
async function closeOnce(db: Database, caseId: string, outcome: CaseOutcome): Promise<{ outcome: CaseOutcome; alreadyClosed?: true }> {
  // This call's own close carries this instant; a close found already made carries an earlier one.
  const closedAt = new Date();
  try {
    const row = await closeCase(db, caseId, outcome, { closedAt });
    return row.closedAt?.getTime() === closedAt.getTime() ? { outcome } : { outcome, alreadyClosed: true };
  } catch (error) {
    const closedAs = await closedByPayment(db, caseId, error);
    if (closedAs) return { outcome: closedAs, alreadyClosed: true };
    throw error;
  }
}

/**
 * After `error` from a write that meets a closed case: the outcome when a payment's cure or repayment
 * closed it (the ledger's word, which stands), else nothing (the caller rethrows).
 */
async function closedByPayment(db: Database, caseId: string, error: unknown): Promise<'cured' | 'paid' | undefined> {
  if (!(error instanceof ConflictError)) return undefined;
  const row = await getCase(db, caseId);
  return row?.closedAt && (row.outcome === 'cured' || row.outcome === 'paid') ? row.outcome : undefined;
}

function withFailFast<T extends object>(activities: T): T {
  const wrapped = Object.entries(activities).map(([name, run]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (run as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw failFast(error);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}

export function createCaseActivities(deps: CaseActivityDeps): CaseActivities {
  const { db } = deps;
  const actor = (caseWorkflowId: string) => `workflow:${caseWorkflowId}`;
  const pinnedStrategies = new Map<string, Strategy>();

  return withFailFast<CaseActivities>(withAudits(db, {
    async openCase({ loanId, workflowId, strategyId }) {
      // The loan, its borrower, its instalments and the run's pinned strategy in one statement (#19).
      const { loan, borrower, installments, pinnedStrategyId } = await getCaseOpenFacts(db, loanId, workflowId).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw new NotFoundError(`loan ${loanId} not found: upsert it before starting collection`, 'loanId');
        throw error;
      });
      // A retried or replayed openCase finds the case it opened; its pinned version wins over "latest".
      // The score's input does not depend on the strategy: both read at once (#19).
      const [strategy, scoring] = await Promise.all([deps.loadStrategy(pinnedStrategyId ?? strategyId), computeScore(db, loanId)]);
      const position = positionOf(loan, installments);
      const treatment = chooseTreatment(strategy, {
        loanId,
        dpd: position.dpd,
        pastDueMinor: position.pastDueMinor,
        riskScore: loan.riskScore ?? undefined,
        curePropensity: scoring.status === 'scored' ? scoring.score.probability : undefined,
      });
      // The run's own case, even closed by a payment since: an earlier attempt committed it but its answer
      // was lost. Absent outside an activity (a bench, a script): then only the open case is found.
      const runId = asyncLocalStorage.getStore()?.info.workflowExecution?.runId;
      const { case: row } = await openCase(db, {
        loanId,
        workflowId,
        ...(runId ? { runId } : {}),
        strategyId: strategy.id,
        strategyVersion: strategy.version,
        segment: treatment.segment,
        actor: actor(workflowId),
      }).catch((error: unknown) => {
        // The loan's last case ended collection and nobody reopened it: a retry would be refused too.
        if (error instanceof CollectionEndedError) throw ApplicationFailure.nonRetryable(error.message, 'CollectionEnded', { field: error.field });
        throw error;
      });
      const now = new Date();
      const [{ history, previousCycleEndedAt }, score] = await Promise.all([
        caseStartHistory(db, { loanId, caseId: row.id, at: now }),
        // Scored here, not in an activity of its own: a case open costs no extra history events (#19).
        recordScore(db, scoring, { idempotencyKey: `${workflowId}/${row.id}/score-open`, caseId: row.id, loanId, trigger: 'case_opened', planLimits: planLimitsOf(treatment.stages, strategy.currency), actor: actor(workflowId) }),
      ]);
      return {
        caseId: row.id,
        loanId,
        strategy,
        treatment,
        riskScore: loan.riskScore ?? null,
        position: toPosition(position),
        borrower: borrowerRulesOf(borrower),
        history,
        ...(previousCycleEndedAt ? { previousCycleEndedAt } : {}),
        queues: deps.queues,
        contract: 7,
        score,
      };
    },

    async readPosition({ loanId }) {
      return toPosition(await getLoanPosition(db, loanId));
    },

    async closeCaseIfSettled({ caseId, loanId }) {
      const position = toPosition(await getLoanPosition(db, loanId));
      const closedAs = closingOutcome(position);
      if (!closedAs) return { position };
      // A payment may have closed it first (as cured, when a later payment has since repaid everything):
      // the outcome is the case row's, cured or paid either way.
      const closed = await closeOnce(db, caseId, closedAs);
      const outcome = closed.outcome as typeof closedAs;
      return closed.alreadyClosed ? { position, closedAs: outcome, alreadyClosed: true as const } : { position, closedAs: outcome };
    },

    async recordTransition({ caseId, loanId, action, stage, segment, detail }) {
      const row = await getCase(db, caseId);
      if (stage && row && !row.closedAt) await updateCaseStage(db, caseId, stage, { segment: segment ?? null, actor: actor(row.workflowId) });
      await appendAudit(db, { actor: row ? actor(row.workflowId) : 'workflow', action: `workflow.${action}`, caseId, loanId, after: detail });
    },

    async recordBlockedContact({ idempotencyKey, caseId, loanId, channel, template, rule, until }) {
      const { attempt } = await beginContactAttempt(db, { idempotencyKey, caseId, loanId, channel, template, scheduledFor: new Date() });
      if (attempt.status === 'planned') await markContactBlocked(db, idempotencyKey, rule, until ? new Date(until) : null);
      await appendAudit(db, { actor: 'rules', action: 'contact.blocked', caseId, loanId, after: { idempotencyKey, channel, template, rule, until: until ?? null } });
    },

    async queueCollectorTask({ idempotencyKey, caseId, loanId, attempt, collectorId, kind, visit }) {
      const payload = visit ? { attempt, visit } : { attempt };
      const { task } = await enqueueTask(db, { idempotencyKey, caseId, loanId, kind: kind ?? 'call', collectorId, payload });
      return { taskId: task.id };
    },

    async expireCollectorTask({ taskId, answered }) {
      await cancelTask(db, taskId, answered ? { onlyQueued: true } : {});
    },

    async cancelCollectorTask({ taskId, rule }) {
      const before = await getTask(db, taskId);
      const after = await cancelTaskByRule(db, taskId, rule);
      // Audited once: when this call did the cancelling (the API may have cancelled it already).
      if (before && before.status !== 'cancelled' && after?.status === 'cancelled') {
        await appendAudit(db, { actor: 'rules', action: 'task.cancelled', caseId: after.caseId, loanId: after.loanId, after: { taskId, rule, cancelledAt: after.cancelledAt?.toISOString() ?? null } });
      }
    },

    async settlePromise({ idempotencyKey, caseId, loanId, currency, collectorId, amountMinor, dueAt, status }) {
      const { timeZone } = await getBorrowerForLoan(db, loanId);
      // One transaction: a reader never sees the row the workflow files for its decision still open.
      await db.transaction(async (tx) => {
        const { promise } = await createPromiseToPay(tx, {
          idempotencyKey,
          caseId,
          loanId,
          amountMinor,
          currency,
          promisedFor: localDateOf(dueAt, timeZone),
          createdBy: collectorId ? `collector:${collectorId}` : actor(`collection-${loanId}`),
        });
        if (promise.status === 'open') await resolvePromiseToPay(tx, promise.id, status, actor(`collection-${loanId}`));
      });
    },

    async settlePlan({ idempotencyKey, caseId, loanId, currency, collectorId, installments, status, discountMinor }) {
      const { timeZone } = await getBorrowerForLoan(db, loanId);
      await db.transaction(async (tx) => {
        const { plan } = await createPaymentPlan(tx, {
          idempotencyKey,
          caseId,
          loanId,
          currency,
          createdBy: collectorId ? `collector:${collectorId}` : actor(`collection-${loanId}`),
          installments: installments.map((i, n) => ({ seq: n + 1, dueDate: localDateOf(i.dueAt, timeZone), amountMinor: i.amountMinor })),
          ...(discountMinor ? { discountMinor } : {}),
        });
        if (plan.status === 'active') await setPaymentPlanStatus(tx, plan.id, status, actor(`collection-${loanId}`));
      });
    },

    async writeDownPlanDiscount({ idempotencyKey, caseId, loanId, currency, discountMinor }) {
      // One transaction, and the close marked as the plan's (the lifecycle counts it as a cure, not as a lender's settlement).
      const { position, writtenDownMinor, closed } = await settleByPlanDiscount(db, { idempotencyKey, loanId, caseId, amountMinor: discountMinor, currency, actor: actor(`collection-${loanId}`) }).catch(async (error: unknown) => {
        // A payment that left nothing past due closed the case meanwhile (contract 7): nothing was written
        // down (the transaction rolled back) and the payment's close stands; the run closes as cured or paid.
        if (!(await closedByPayment(db, caseId, error))) throw error;
        return { position: await getLoanPosition(db, loanId), writtenDownMinor: 0, closed: false };
      });
      const summary = toPosition(position);
      return closed ? { position: summary, writtenDownMinor, closedAs: 'settled' as const } : { position: summary, writtenDownMinor };
    },

    async handOffToLegal({ idempotencyKey, caseId, loanId }) {
      const { legalCase } = await createLegalCase(db, { caseId, loanId, actor: 'workflow', idempotencyKey });
      // Called on every attempt: the notifier is idempotent by key, so a retry after a failed
      // notification sends it once, and a retry after a sent one sends nothing.
      await deps.notifyLegalTeam?.({ idempotencyKey: `${idempotencyKey}/notify`, legalCaseId: legalCase.id, caseId, loanId });
      return { legalCaseId: legalCase.id };
    },

    async closeCase({ caseId, outcome }) {
      const { alreadyClosed } = await closeOnce(db, caseId, outcome);
      return alreadyClosed ? { alreadyClosed } : {};
    },

    async scoreCase({ idempotencyKey, caseId, loanId, trigger, planLimits }) {
      // The workflow says whether the treatment negotiates (and its longest term); the pinned strategy says the rest.
      const limits = planLimits ? ((await pinnedPlanLimits(db, caseId, pinnedStrategies)) ?? planLimits) : undefined;
      return recordScore(db, await computeScore(db, loanId), { idempotencyKey, caseId, loanId, trigger, planLimits: limits, actor: actor(`collection-${loanId}`) });
    },

    async recordAudits(input) {
      await writeWorkflowAudits(db, input);
    },
  }));
}
