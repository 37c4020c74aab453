// Scoring benchmarks (issue #15): how much a score adds to a case open (median), and how long a fit of
// 100,000 synthetic closed cases takes on one core. Part of `npm run bench` (phase 6); also runs alone:
//
//   npx tsx bench/scoring.ts [--cases N] [--samples N]     (needs PostgreSQL, as npm run bench)
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../scripts/lib/scratch-database';
import { eq, sql } from 'drizzle-orm';
import { createCaseActivities } from '../activities/case';
import { computeScore, recordScore } from '../activities/scoring';
import { seedPortfolio } from '../db/seed';
import { createStrategyLoader } from '../worker/strategies';
import { createDatabase, queryRows, type Database } from '../db/client';
import { migrateDb } from '../db/migrate';
import { getActiveScoringModel } from '../db/repository/scoring';
import { scoringModels } from '../db/schema';
import { fitAndEvaluate, labelledCases } from '../domain/scoring/fit';
import { fitModel } from '../scripts/lib/model';
import { generatePortfolio, writePortfolio } from '../scripts/lib/portfolio-history';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

/**
 * What scoring adds to a case open: the openCase activity timed on fresh overdue loans, alternately
 * without an active model (scoring skipped after one lookup) and with one (fitted on a synthetic book
 * written into `db`), median of each and the difference. Also the score alone (rows, features, score, its
 * row and audit event), which openCase runs beside its other reads. Without a model to compare against
 * (one is active already in `db`) only the scored opens are timed.
 */
export async function scoringLatency(db: Database, samples = 100): Promise<{ samples: number; openUnscoredP50Ms: number | null; openScoredP50Ms: number; addedP50Ms: number | null; scoreAloneP50Ms: number }> {
  const prefix = `BS${Date.now().toString(36)}`;
  const activities = createCaseActivities({ db, loadStrategy: createStrategyLoader(db, 'fast-test'), queues: { email: 'bench-email', sms: 'bench-sms', letter: 'bench-letter' } });
  const seeded = await seedPortfolio(db, { loans: samples * 2, overdueShare: 1, seed: 5, idPrefix: `${prefix}O` });
  const open = async (loanId: string) => {
    const started = performance.now();
    await activities.openCase({ loanId, workflowId: `collection-${loanId}` });
    return performance.now() - started;
  };
  await writePortfolio(db, generatePortfolio({ loans: 300, seed: 11, asOf: new Date().toISOString(), idPrefix: `${prefix}H` }));
  const before = await getActiveScoringModel(db);
  let version = before?.version;
  if (!version) {
    const { row } = await fitModel(db, { days: 30, actor: 'bench' });
    version = row.version;
  }
  const unscoredTimes: number[] = [];
  const scoredTimes: number[] = [];
  // Alternating opens without and with the model (switched between opens, untimed), so a machine whose
  // load drifts during the run weighs on both sides alike. With a model already active, only scored opens.
  for (const [i, loanId] of seeded.overdueLoanIds.entries()) {
    const scored = before !== null || i % 2 === 1;
    if (!before) await db.update(scoringModels).set({ active: scored, activatedAt: new Date() }).where(eq(scoringModels.version, version));
    (scored ? scoredTimes : unscoredTimes).push(await open(loanId));
  }
  const unscored = unscoredTimes.length ? median(unscoredTimes) : null;
  const scored = median(scoredTimes);
  const half = scoredTimes.length;
  const cases = await queryRows<{ id: string; loan_id: string }>(db, sql`SELECT id, loan_id FROM collection_cases WHERE loan_id LIKE ${`${prefix}H%`} ORDER BY loan_id LIMIT ${samples}`);
  const alone: number[] = [];
  for (const c of cases) {
    const started = performance.now();
    const pending = await computeScore(db, c.loan_id);
    await recordScore(db, pending, { idempotencyKey: `bench-${c.id}`, caseId: c.id, loanId: c.loan_id, trigger: 'case_opened', planLimits: { maxInstallments: 6 }, actor: 'bench' });
    alone.push(performance.now() - started);
  }
  return { samples: half, openUnscoredP50Ms: unscored, openScoredP50Ms: scored, addedP50Ms: unscored === null ? null : scored - unscored, scoreAloneP50Ms: median(alone) };
}

/**
 * Fits a scorecard on `cases` synthetic closed cases in this process: their features as of each case's
 * opening, the regression, and the holdout measures (the book's generation is not timed).
 */
export function fitTime(cases = 100_000): { cases: number; featuresMs: number; fitMs: number; totalMs: number; holdoutAuc: number } {
  const asOf = '2026-06-01T00:00:00Z';
  // About 1.15 labelled cases per loan in the synthetic book; grown until there are enough.
  let loans = Math.ceil(cases / 1.1);
  let book = generatePortfolio({ loans, seed: 21, asOf });
  while (book.reduce((n, l) => n + l.cases.filter((c) => c.closedAt !== null).length, 0) < cases) {
    loans = Math.ceil(loans * 1.1);
    book = generatePortfolio({ loans, seed: 21, asOf });
  }
  const started = performance.now();
  const labelled = labelledCases(book, 30, asOf).slice(0, cases);
  const featuresMs = performance.now() - started;
  const report = fitAndEvaluate(labelled, { days: 30, now: asOf });
  const totalMs = performance.now() - started;
  return { cases: labelled.length, featuresMs, fitMs: report.metrics.fitMs, totalMs, holdoutAuc: report.metrics.holdout.auc };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, samples: { type: 'string', default: '100' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npx tsx bench/scoring.ts [--cases N] [--samples N]\n\nScoring latency at case open (median of N scores on a scratch database) and the time to fit N synthetic closed cases.');
    process.exit(0);
  }
  const scratch = await createScratchDatabase(`overdue_bench_scoring_${process.pid}`);
  const handle = await createDatabase(scratch.url, { max: 3 });
  try {
    await migrateDb(handle.db);
    const latency = await scoringLatency(handle.db, Number(values.samples));
    console.log(`case open (openCase, ${latency.samples} each): p50 ${latency.openUnscoredP50Ms?.toFixed(2)} ms without a model, ${latency.openScoredP50Ms.toFixed(2)} ms scored: +${latency.addedP50Ms?.toFixed(2)} ms; the score alone p50 ${latency.scoreAloneP50Ms.toFixed(2)} ms`);
    const fit = fitTime(Number(values.cases));
    console.log(`fit of ${fit.cases} closed cases: ${(fit.totalMs / 1000).toFixed(1)} s (features ${(fit.featuresMs / 1000).toFixed(1)} s, regression ${(fit.fitMs / 1000).toFixed(1)} s), holdout AUC ${fit.holdoutAuc.toFixed(3)}`);
  } finally {
    await handle.close();
    await scratch.drop();
  }
}
