// From a portfolio's histories to a fitted, measured scorecard: label every case, compute its features
// as they stood when it opened, split by time, fit on the earlier cases and measure on the later ones.
// Pure; the CLI (overdue model fit) loads the rows and stores the result.
import { curedWithin, extractFeatures, type CaseRow, type LoanHistory } from './features';
import { evaluate, fitScorecard, scoreFeatures, splitByTime, type Evaluation, type LabelledCase, type Scorecard } from './scorecard';

export interface PortfolioLoan {
  loanId: string;
  history: LoanHistory;
  cases: CaseRow[];
}

/** Every case with a label at `now`: features at its opening, cured within `days` or not. */
export function labelledCases(loans: readonly PortfolioLoan[], days: number, now: string): Array<LabelledCase & { loanId: string }> {
  const result: Array<LabelledCase & { loanId: string }> = [];
  for (const loan of loans) {
    for (const c of loan.cases) {
      const label = curedWithin(c, days, now);
      if (label === undefined) continue;
      result.push({ loanId: loan.loanId, features: extractFeatures(loan.history, c.openedAt), label, openedAt: c.openedAt });
    }
  }
  return result;
}

export interface FitReport {
  document: Scorecard;
  metrics: {
    labelDays: number;
    fittedAt: string;
    holdoutFrom: string;
    train: Evaluation;
    holdout: Evaluation;
    /** The active model scored on the same holdout, when there is one: activation compares against it. */
    activeOnHoldout?: { version: number; auc: number };
    fitMs: number;
  };
}

export function fitAndEvaluate(
  cases: readonly LabelledCase[],
  options: { days: number; now: string; holdoutFrom?: string; active?: { version: number; model: Scorecard }; numSteps?: number },
): FitReport {
  const { train, holdout, holdoutFrom } = splitByTime(cases, options.holdoutFrom);
  if (holdout.length === 0) throw new RangeError(`no case opened on or after ${holdoutFrom}: the holdout is empty; choose an earlier --holdout-from`);
  const started = Date.now();
  const document = fitScorecard(train, { labelDays: options.days, numSteps: options.numSteps });
  const fitMs = Date.now() - started;
  const measure = (model: Scorecard, set: readonly LabelledCase[]) => evaluate(set.map((c) => ({ probability: scoreFeatures(model, c.features).probability, label: c.label })));
  const heldOut = measure(document, holdout);
  const activeAuc = options.active ? measure(options.active.model, holdout).auc : undefined;
  return {
    document,
    metrics: {
      labelDays: options.days,
      fittedAt: options.now,
      holdoutFrom,
      train: measure(document, train),
      holdout: heldOut,
      ...(options.active && activeAuc !== undefined && Number.isFinite(activeAuc) ? { activeOnHoldout: { version: options.active.version, auc: activeAuc } } : {}),
      fitMs,
    },
  };
}
