// Case activities: the collection workflow's reads and writes of the system of record. Each is one
// short database call, idempotent (a retried call finds its own earlier write), and returns ids,
// amounts and codes only — contact details never enter the workflow's history. A permanent error
// fails at once with its type (see failFast); anything else is retried by the workflow's policy.
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { appendAudit } from '../db/repository/audit';
import { getBorrowerForLoan } from '../db/repository/borrowers';
import { NotFoundError, ValidationError } from '../db/repository/errors';
import { closeCase, CollectionEndedError, getCase, getLastClosedCase, getLatestCaseOfRun, openCase, updateCaseStage } from '../db/repository/cases';
import { beginContactAttempt, listContactHistory, markContactBlocked } from '../db/repository/contacts';
import { getLoan, getLoanPosition, type LoanPosition } from '../db/repository/ledger';
import { createPaymentPlan, createPromiseToPay, resolvePromiseToPay, setPaymentPlanStatus } from '../db/repository/negotiation';
import { cancelTask, cancelTaskByRule, enqueueTask, getTask } from '../db/repository/tasks';
import { legalCases } from '../db/schema';
import { CONTACT_HISTORY_LOOKBACK_MS, localDateOf } from '../domain/compliance';
import type { PastContact } from '../domain/compliance/types';
import { closingOutcome } from '../domain/ledger';
import { chooseTreatment } from '../domain/strategy/select';
import { StrategyValidationError } from '../domain/strategy/validate';
import type { Strategy } from '../domain/strategy/types';
import type { CaseActivities, CaseFacts, Position } from '../contracts/activities';
import { computeScore, planLimitsOf, recordScore } from './scoring';

export interface CaseActivityDeps {
  db: Database;
  /** The strategy to pin for a new case: by id, or the default; returns a stored, validated version. */
  loadStrategy(strategyId: string | undefined): Promise<Strategy>;
  queues: CaseFacts['queues'];
  /** Tells the legal team about a hand-off (email and/or webhook); called once per legal case. */
  notifyLegalTeam?(handOff: { idempotencyKey: string; legalCaseId: string; caseId: string; loanId: string }): Promise<void>;
}


export function toPosition(p: LoanPosition): Position {
  return {
    currency: p.currency,
    pastDueMinor: p.pastDueMinor,
    outstandingMinor: p.outstandingMinor,
    paidMinor: p.installments.reduce((sum, i) => sum + i.amountPaidMinor, 0),
    dpd: p.dpd,
    oldestUnpaidDueDate: p.oldestUnpaidDueDate,
  };
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

  return withFailFast<CaseActivities>({
    async openCase({ loanId, workflowId, strategyId }) {
      const loan = await getLoan(db, loanId);
      if (!loan) throw new NotFoundError(`loan ${loanId} not found: upsert it before starting collection`, 'loanId');
      const existing = await getLatestCaseOfRun(db, loanId, workflowId);
      // A retried or replayed openCase finds the case it opened; its pinned version wins over "latest".
      const strategy = await deps.loadStrategy(existing && !existing.closedAt ? existing.strategyId : strategyId);
      const [position, scoring] = await Promise.all([getLoanPosition(db, loanId), computeScore(db, loanId)]);
      const treatment = chooseTreatment(strategy, {
        loanId,
        dpd: position.dpd,
        pastDueMinor: position.pastDueMinor,
        riskScore: loan.riskScore ?? undefined,
        curePropensity: scoring.status === 'scored' ? scoring.score.probability : undefined,
      });
      const { case: row } = await openCase(db, {
        loanId,
        workflowId,
        strategyId: strategy.id,
        strategyVersion: strategy.version,
        segment: treatment.segment,
        actor: actor(workflowId),
      }).catch((error: unknown) => {
        // The loan's last case ended collection and nobody reopened it: a retry would be refused too.
        if (error instanceof CollectionEndedError) throw ApplicationFailure.nonRetryable(error.message, 'CollectionEnded', { field: error.field });
        throw error;
      });
      const [borrower, history, previous, score] = await Promise.all([
        getBorrowerForLoan(db, loanId),
        recentHistory(db, loanId),
        getLastClosedCase(db, loanId),
        // Scored here, not in an activity of its own: a case open costs no extra history events (#19).
        recordScore(db, scoring, { idempotencyKey: `${workflowId}/${row.id}/score-open`, caseId: row.id, loanId, trigger: 'case_opened', planLimits: planLimitsOf(treatment.stages), actor: actor(workflowId) }),
      ]);
      return {
        caseId: row.id,
        loanId,
        strategy,
        treatment,
        riskScore: loan.riskScore ?? null,
        position: toPosition(position),
        borrower: {
          timeZone: borrower.timeZone,
          locale: borrower.locale,
          inconvenientTimes: borrower.inconvenientTimes,
          optedOut: borrower.optedOut,
          agreedToQuietHours: borrower.agreedToQuietHours,
          ceaseRequested: borrower.ceaseRequestedAt !== null,
          bankruptcy: borrower.flags.bankruptcy,
          deceased: borrower.flags.deceased,
          representedByAttorney: borrower.flags.representedByAttorney,
        },
        history,
        previousCycleEndedAt: previous?.closedAt.toISOString(),
        queues: deps.queues,
        score,
      };
    },

    async readPosition({ loanId, closeCaseIfSettled }) {
      const position = toPosition(await getLoanPosition(db, loanId));
      const outcome = closeCaseIfSettled ? closingOutcome(position) : undefined;
      if (!outcome) return position;
      await closeCase(db, closeCaseIfSettled!, outcome);
      return { ...position, closedAs: outcome };
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

    async queueCollectorTask({ idempotencyKey, caseId, loanId, attempt, collectorId }) {
      const { task } = await enqueueTask(db, { idempotencyKey, caseId, loanId, kind: 'call', collectorId, payload: { attempt } });
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

    async settlePlan({ idempotencyKey, caseId, loanId, currency, collectorId, installments, status }) {
      const { timeZone } = await getBorrowerForLoan(db, loanId);
      await db.transaction(async (tx) => {
        const { plan } = await createPaymentPlan(tx, {
          idempotencyKey,
          caseId,
          loanId,
          currency,
          createdBy: collectorId ? `collector:${collectorId}` : actor(`collection-${loanId}`),
          installments: installments.map((i, n) => ({ seq: n + 1, dueDate: localDateOf(i.dueAt, timeZone), amountMinor: i.amountMinor })),
        });
        if (plan.status === 'active') await setPaymentPlanStatus(tx, plan.id, status, actor(`collection-${loanId}`));
      });
    },

    async handOffToLegal({ idempotencyKey, caseId, loanId }) {
      const [created] = await db
        .insert(legalCases)
        .values({ caseId, loanId })
        .onConflictDoNothing({ target: legalCases.caseId })
        .returning();
      const [legal] = created ? [created] : await db.select().from(legalCases).where(eq(legalCases.caseId, caseId));
      if (created) await appendAudit(db, { actor: 'workflow', action: 'legal.handed_off', caseId, loanId, after: { legalCaseId: legal!.id, idempotencyKey } });
      // Called on every attempt: the notifier is idempotent by key, so a retry after a failed
      // notification sends it once, and a retry after a sent one sends nothing.
      await deps.notifyLegalTeam?.({ idempotencyKey: `${idempotencyKey}/notify`, legalCaseId: legal!.id, caseId, loanId });
      return { legalCaseId: legal!.id };
    },

    async closeCase({ caseId, outcome }) {
      await closeCase(db, caseId, outcome);
    },

    async scoreCase({ idempotencyKey, caseId, loanId, trigger, planLimits }) {
      return recordScore(db, await computeScore(db, loanId), { idempotencyKey, caseId, loanId, trigger, planLimits, actor: actor(`collection-${loanId}`) });
    },
  });
}

async function recentHistory(db: Database, loanId: string): Promise<PastContact[]> {
  const rows = await listContactHistory(db, loanId, new Date(Date.now() - CONTACT_HISTORY_LOOKBACK_MS));
  return rows
    .filter((r) => r.status === 'sent' || r.status === 'presumed_sent')
    .map((r) => ({
      channel: r.channel,
      at: (r.sentAt ?? r.createdAt).toISOString(),
      connected: r.connected ?? undefined,
      status: r.status as PastContact['status'],
    }));
}
