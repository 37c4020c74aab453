// Does a scorecard fitted on one portfolio beat the backend's riskScore on another? Fits on the book
// generated with --fit-seed, evaluates once on the book generated with --eval-seed (never tuned on
// it), and prints both AUCs. The books come from scripts/lib/portfolio-history.ts: borrowers whose
// hidden ability to pay drives their repayment and collection history, and a riskScore that knows that
// ability only in part.
//
//   npx tsx scripts/model-evidence.ts [--loans N] [--fit-seed A] [--eval-seed B] [--days N] [--json]
import { parseArgs } from 'node:util';
import { fitAndEvaluate, labelledCases } from '../domain/scoring/fit';
import { evaluate, scoreFeatures } from '../domain/scoring/scorecard';
import { generatePortfolio } from './lib/portfolio-history';

export interface Evidence {
  loans: number;
  fitSeed: number;
  evalSeed: number;
  days: number;
  fit: { cases: number; holdoutAuc: number };
  eval: { cases: number; cured: number; modelAuc: number; modelKs: number; riskScoreAuc: number };
}

export function modelEvidence(options: { loans: number; fitSeed: number; evalSeed: number; days: number }): Evidence {
  const asOf = '2026-06-01T00:00:00Z';
  const book = (seed: number) => {
    const loans = generatePortfolio({ loans: options.loans, seed, asOf });
    const riskScores = new Map(loans.map((l) => [l.loanId, l.riskScore]));
    return { cases: labelledCases(loans, options.days, asOf), riskScores };
  };
  const fitBook = book(options.fitSeed);
  const report = fitAndEvaluate(fitBook.cases, { days: options.days, now: asOf });
  // The riskScore's direction is read off the fitting book too (higher = safer is expected, not assumed).
  const riskAucOnFit = evaluate(fitBook.cases.map((c) => ({ probability: fitBook.riskScores.get(c.loanId)!, label: c.label }))).auc;
  const orient = riskAucOnFit >= 0.5 ? 1 : -1;

  const evalBook = book(options.evalSeed);
  const model = evaluate(evalBook.cases.map((c) => ({ probability: scoreFeatures(report.document, c.features).probability, label: c.label })));
  const risk = evaluate(evalBook.cases.map((c) => ({ probability: orient * evalBook.riskScores.get(c.loanId)!, label: c.label })));
  return {
    loans: options.loans,
    fitSeed: options.fitSeed,
    evalSeed: options.evalSeed,
    days: options.days,
    fit: { cases: fitBook.cases.length, holdoutAuc: report.metrics.holdout.auc },
    eval: { cases: evalBook.cases.length, cured: model.cured, modelAuc: model.auc, modelKs: model.ks, riskScoreAuc: risk.auc },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      loans: { type: 'string', default: '4000' },
      'fit-seed': { type: 'string', default: '1' },
      'eval-seed': { type: 'string', default: '2' },
      days: { type: 'string', default: '30' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`Usage: npx tsx scripts/model-evidence.ts [--loans N] [--fit-seed A] [--eval-seed B] [--days N] [--json]

Fits the cure-propensity scorecard on a synthetic book (seed A) and compares its AUC with the
backend riskScore's on another book (seed B). Defaults: 4000 loans, seeds 1 and 2, 30 days.`);
    process.exit(0);
  }
  const int = (name: string, v: string) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) {
      console.error(`--${name} must be a positive integer (got ${JSON.stringify(v)})`);
      process.exit(2);
    }
    return Number(v);
  };
  const evidence = modelEvidence({ loans: int('loans', values.loans!), fitSeed: int('fit-seed', values['fit-seed']!), evalSeed: int('eval-seed', values['eval-seed']!), days: int('days', values.days!) });
  if (values.json) console.log(JSON.stringify(evidence, null, 2));
  else {
    const e = evidence.eval;
    console.log(`fitted on seed ${evidence.fitSeed}: ${evidence.fit.cases} cases, holdout AUC ${evidence.fit.holdoutAuc.toFixed(3)}`);
    console.log(`evaluated on seed ${evidence.evalSeed}: ${e.cases} cases (${e.cured} cured within ${evidence.days} days)`);
    console.log(`  scorecard AUC ${e.modelAuc.toFixed(3)} (KS ${e.modelKs.toFixed(3)})`);
    console.log(`  riskScore AUC ${e.riskScoreAuc.toFixed(3)}`);
  }
}
