// Cure-propensity scoring for the collection workflow: the loan's rows in one query, the active
// scorecard, the score with its three strongest reasons and a proposed plan, recorded once per key
// (case_scores) with an audit event. No active model: the score is skipped, and the case says so.
import type { Database } from '../db/client';
import { loadScoringInput, recordCaseScore } from '../db/repository/scoring';
import { NotFoundError } from '../db/repository/errors';
import { balancesAt, extractFeatures, type Features, type LoanHistory } from '../domain/scoring/features';
import { proposePlan, type PlanLimits } from '../domain/scoring/offer';
import { scoreFeatures, type Score, type Scorecard } from '../domain/scoring/scorecard';
import { getCase } from '../db/repository/cases';
import { getStrategy } from '../db/repository/strategies';
import { treatmentOfSegment } from '../domain/strategy/select';
import type { Stage, Strategy } from '../domain/strategy/types';
import { parseStrategy } from '../domain/strategy/validate';
import type { ScoreOutcome, ScoreTrigger } from '../contracts/activities';

export const NO_ACTIVE_MODEL = 'no active scoring model (overdue model fit, then overdue model activate)';

/** A score computed but not yet recorded (openCase needs the probability before the case row exists). */
export type PendingScore =
  | { status: 'scored'; at: string; modelVersion: number; score: Score; features: Features; history: LoanHistory & { currency: string } }
  | { status: 'skipped'; at: string; reason: string };

export async function computeScore(db: Database, loanId: string, now = new Date()): Promise<PendingScore> {
  const at = now.toISOString();
  const { model, history } = await loadScoringInput(db, loanId);
  if (!model) return { status: 'skipped', at, reason: NO_ACTIVE_MODEL };
  if (!history) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  const features = extractFeatures(history, at);
  return { status: 'scored', at, modelVersion: model.version, score: scoreFeatures(model.document as unknown as Scorecard, features), features, history };
}

/** The plan limits of the treatment's negotiation stage, if it has one; `currency`: the strategy's. */
export function planLimitsOf(stages: readonly Stage[], currency: string): PlanLimits | undefined {
  const negotiation = stages.find((s) => s.kind === 'negotiation');
  if (!negotiation || negotiation.kind !== 'negotiation') return undefined;
  return {
    maxInstallments: negotiation.maxPlanInstallments,
    ...(negotiation.minPlanInstallmentMinor ? { minInstallmentMinor: negotiation.minPlanInstallmentMinor, currency } : {}),
    ...(negotiation.maxPlanDiscountPercent ? { maxDiscountPercent: negotiation.maxPlanDiscountPercent } : {}),
  };
}

/**
 * The plan limits of a case's treatment read from the strategy version it pinned, for a score after
 * the open: the workflow hands the scoreCase activity only the longest term (`{ maxInstallments }`),
 * and the smallest instalment and largest discount came later (#15); reading them here leaves the
 * workflow code and its histories as they were. Pinned
 * versions are immutable once in use, so `pinned` caches them by id and version. Undefined when the case
 * or its version is not stored (the caller keeps the workflow's limits).
 */
export async function pinnedPlanLimits(db: Database, caseId: string, pinned: Map<string, Strategy>): Promise<PlanLimits | undefined> {
  const row = await getCase(db, caseId);
  if (!row?.segment) return undefined;
  const key = `${row.strategyId}@${row.strategyVersion}`;
  let strategy = pinned.get(key);
  if (!strategy) {
    const stored = await getStrategy(db, row.strategyId, row.strategyVersion);
    if (!stored) return undefined;
    strategy = parseStrategy(stored.document);
    pinned.set(key, strategy);
  }
  const treatment = treatmentOfSegment(strategy, row.segment, row.loanId);
  return treatment ? planLimitsOf(treatment.stages, strategy.currency) : undefined;
}

export async function recordScore(
  db: Database,
  pending: PendingScore,
  input: { idempotencyKey: string; caseId: string; loanId: string; trigger: ScoreTrigger; planLimits?: PlanLimits; actor: string },
): Promise<ScoreOutcome> {
  if (pending.status === 'skipped') return { status: 'skipped', trigger: input.trigger, at: pending.at, reason: pending.reason };
  const { history, score } = pending;
  const offer = input.planLimits
    ? proposePlan({ ...balancesAt(history, pending.at), currency: history.currency, probability: score.probability, payments: history.payments, installments: history.installments, asOf: pending.at, limits: input.planLimits })
    : undefined;
  const reasons = score.reasons.map((r) => ({ code: r.code, contribution: r.contribution, en: r.text.en, 'zh-CN': r.text['zh-CN'] }));
  const row = await recordCaseScore(db, {
    idempotencyKey: input.idempotencyKey,
    caseId: input.caseId,
    loanId: input.loanId,
    modelVersion: pending.modelVersion,
    trigger: input.trigger,
    probability: score.probability,
    reasons,
    features: { ...pending.features },
    offer: offer ? { ...offer } : null,
    actor: input.actor,
  });
  // A retry returns what the first attempt recorded.
  return {
    status: 'scored',
    trigger: row.trigger as ScoreTrigger,
    at: row.scoredAt.toISOString(),
    modelVersion: row.modelVersion,
    probability: row.probability,
    reasons: row.reasons as typeof reasons,
    ...(row.offer ? { offer: row.offer as unknown as NonNullable<typeof offer> } : {}),
  };
}
