// `overdue model fit | activate | show`: fit a cure-propensity scorecard on the lender's own closed
// cases, activate it (refused when it is worse on the holdout than the active one), show the versions.
// The operations take a Database, so the CLI and the tests run the same code.
import type { Database } from '../../db/client';
import {
  activateScoringModel,
  getActiveScoringModel,
  getScoringModel,
  holdoutAuc,
  listScoringModels,
  loadHistoriesWithCases,
  saveScoringModel,
} from '../../db/repository/scoring';
import { ValidationError } from '../../db/repository/errors';
import type { ScoringModelRow } from '../../db/schema';
import { fitAndEvaluate, labelledCases, type FitReport } from '../../domain/scoring/fit';
import type { Scorecard } from '../../domain/scoring/scorecard';

export const DEFAULT_LABEL_DAYS = 30;

export interface FitInput {
  /** The label: cured within this many days of the case opening. */
  days?: number;
  /** Cases opened on or after this instant are the holdout; default: the latest fifth. */
  holdoutFrom?: string;
  now?: Date;
  actor?: string;
}

export async function fitModel(db: Database, input: FitInput = {}): Promise<{ row: ScoringModelRow; report: FitReport }> {
  const days = input.days ?? DEFAULT_LABEL_DAYS;
  if (!Number.isInteger(days) || days < 1) throw new ValidationError(`days must be a positive integer (got ${days})`, 'days');
  const now = input.now ?? new Date();
  const loans = await loadHistoriesWithCases(db, now);
  const cases = labelledCases(loans, days, now.toISOString());
  if (cases.length < 20) {
    throw new ValidationError(`only ${cases.length} cases have a label (closed, or open longer than ${days} days); a fit needs at least 20`, 'days');
  }
  const active = await getActiveScoringModel(db);
  let report: FitReport;
  try {
    report = fitAndEvaluate(cases, {
      days,
      now: now.toISOString(),
      holdoutFrom: input.holdoutFrom,
      active: active ? { version: active.version, model: active.document as unknown as Scorecard } : undefined,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new ValidationError(error.message, input.holdoutFrom ? 'holdoutFrom' : 'days');
    throw error;
  }
  const row = await saveScoringModel(db, { document: report.document, metrics: report.metrics, actor: input.actor ?? 'operator:cli' });
  return { row, report };
}

export async function activateModel(db: Database, version: number, actor = 'operator:cli'): Promise<ScoringModelRow> {
  return activateScoringModel(db, version, actor);
}

export interface ModelSummary {
  version: number;
  active: boolean;
  inUse: boolean;
  labelDays: number;
  holdoutAuc: number | null;
  holdoutKs: number | null;
  trainCases: number | null;
  holdoutCases: number | null;
  holdoutFrom: string | null;
  createdAt: string;
}

export function summarise(row: ScoringModelRow): ModelSummary {
  const m = row.metrics as { labelDays?: number; holdoutFrom?: string; train?: { count?: number }; holdout?: { ks?: number; count?: number } };
  return {
    version: row.version,
    active: row.active,
    inUse: row.inUse,
    labelDays: m.labelDays ?? (row.document as { labelDays?: number }).labelDays ?? 0,
    holdoutAuc: holdoutAuc(row) ?? null,
    holdoutKs: m.holdout?.ks ?? null,
    trainCases: m.train?.count ?? null,
    holdoutCases: m.holdout?.count ?? null,
    holdoutFrom: m.holdoutFrom ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Every version, or one in full (weights, calibration) with `version`. */
export async function showModels(db: Database, version?: number): Promise<ModelSummary[] | ScoringModelRow> {
  if (version !== undefined) {
    const row = await getScoringModel(db, version);
    if (!row) throw new ValidationError(`scoring model v${version} not found`, 'version');
    return row;
  }
  return (await listScoringModels(db)).map(summarise);
}

/** The fit's result for a person: the holdout measures and the calibration table. */
export function describeFit(row: ScoringModelRow, report: FitReport): string {
  const { holdout, train, activeOnHoldout, holdoutFrom, labelDays } = report.metrics;
  const lines = [
    `fitted scoring model v${row.version} (inactive; \`overdue model activate --version ${row.version}\` to use it)`,
    `label: cured within ${labelDays} days of opening · train ${train.count} cases (${train.cured} cured) · holdout ${holdout.count} cases opened from ${holdoutFrom} (${holdout.cured} cured)`,
    `holdout AUC ${holdout.auc.toFixed(3)} · KS ${holdout.ks.toFixed(3)}${activeOnHoldout ? ` · active v${activeOnHoldout.version} on the same holdout: AUC ${activeOnHoldout.auc.toFixed(3)}` : ''}`,
    '',
    'calibration on the holdout (deciles of predicted probability):',
    'decile  cases  predicted  observed',
    ...holdout.calibration.map((c) => `${String(c.decile).padStart(6)}  ${String(c.count).padStart(5)}  ${c.predicted.toFixed(3).padStart(9)}  ${c.observed.toFixed(3).padStart(8)}`),
  ];
  return lines.join('\n');
}
