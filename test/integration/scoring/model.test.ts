// The model's life in the database and on the command line: fitted on the lender's own closed cases,
// measured on a holdout split by time, activated unless it is worse than the active one, immutable
// once it scored a case. A database of its own: the active model is global, and other files' cases
// must not be scored by it.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { migrateDatabase } from '../../../db/migrate';
import { listAuditEvents } from '../../../db/repository/audit';
import {
  activateScoringModel,
  getActiveScoringModel,
  loadLoanHistory,
  recordCaseScore,
  saveScoringModel,
  WorseModelError,
} from '../../../db/repository/scoring';
import { collectionCases, scoringModels } from '../../../db/schema';
import { extractFeatures } from '../../../domain/scoring/features';
import { evaluate } from '../../../domain/scoring/scorecard';
import { generatePortfolio, writePortfolio, type HistoricalLoan } from '../../../scripts/lib/portfolio-history';
import { fitModel } from '../../../scripts/lib/model';
import { runOverdue } from '../../support/cli';
import { databaseError } from '../db/fixtures';

let handle: DatabaseHandle;
let url: string;
let drop: () => Promise<void>;
let book: HistoricalLoan[];
const asOf = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);

const overdue = (...args: string[]) => runOverdue({ ...process.env, DATABASE_URL: url, TEMPORAL_ADDRESS: '127.0.0.1:1' }, args);

beforeAll(async () => {
  const shared = inject('databaseUrl');
  const name = `${new URL(shared).pathname.slice(1)}_scoring_${randomUUID().slice(0, 8)}`;
  const admin = postgres(shared, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const own = new URL(shared);
  own.pathname = `/${name}`;
  url = own.toString();
  drop = async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  await migrateDatabase(url);
  handle = await createDatabase(url, { max: 4 });
  // The same book on every run: a fixed seed and id prefix (the loan id seeds the hidden ability), looked
  // at from midnight UTC and fitted as of that instant, so neither the clock nor the day shifts a label.
  book = generatePortfolio({ loans: 400, seed: 3, asOf: asOf.toISOString(), idPrefix: 'M' });
  await writePortfolio(handle.db, book);
});

afterAll(async () => {
  await handle?.close();
  await drop?.();
});

describe('a loan\'s history as the features read it', () => {
  it('loads in one query the same rows the book was written from', async () => {
    const loan = book.find((l) => l.cases.length >= 2 && l.history.promises.length > 0)!;
    const loaded = (await loadLoanHistory(handle.db, loan.loanId))!;
    const asOf = new Date().toISOString();
    expect(extractFeatures(loaded, asOf)).toEqual(extractFeatures(loan.history, asOf));
    // And as of an earlier case's opening, which is what the fit uses.
    const at = loan.cases[1]!.openedAt;
    expect(extractFeatures(loaded, at)).toEqual(extractFeatures(loan.history, at));
    expect(await loadLoanHistory(handle.db, 'no-such-loan')).toBeNull();
  });
});

describe('overdue model fit, activate and show', () => {
  it('fits on closed cases and reports AUC, KS and a calibration table on a holdout split by time', async () => {
    const { row, report } = await fitModel(handle.db, { days: 30, now: asOf });
    expect(row).toMatchObject({ version: 1, active: false, inUse: false });
    const { holdout, train, holdoutFrom } = report.metrics;
    expect(holdout.count).toBeGreaterThan(30);
    expect(train.count + holdout.count).toBeGreaterThan(400);
    expect(holdout.auc).toBeGreaterThan(0.5);
    expect(holdout.ks).toBeGreaterThan(0);
    expect(holdout.calibration.map((c) => c.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(holdout.calibration.reduce((s, c) => s + c.count, 0)).toBe(holdout.count);
    // Every holdout case opened on or after the split; none of the training cases did.
    expect(Date.parse(holdoutFrom)).toBeGreaterThan(Date.parse(book[0]!.history.openedAt));
    expect((await listAuditEvents(handle.db, { limit: 50 })).map((e) => e.action)).toContain('scoring_model.fitted');
  }, 120_000);

  it('activates a model, and refuses one that is worse on the holdout with a message saying so', async () => {
    const first = await activateScoringModel(handle.db, 1, 'operator:test');
    expect(first.active).toBe(true);
    const auc = (first.metrics as { holdout: { auc: number } }).holdout.auc;
    // A model that knows nothing: every weight zero, so every case gets the same probability (AUC 0.5).
    const document = { ...(first.document as object), intercept: 0, features: (first.document as { features: Array<{ weights: number[] }> }).features.map((f) => ({ ...f, weights: f.weights.map(() => 0), mean: 0 })) };
    const flat = evaluate([{ probability: 0.5, label: 1 }, { probability: 0.5, label: 0 }]);
    const worse = await saveScoringModel(handle.db, { document, metrics: { labelDays: 30, holdout: flat }, actor: 'operator:test' });
    await expect(activateScoringModel(handle.db, worse.version, 'operator:test')).rejects.toThrow(WorseModelError);

    const cli = await overdue('model', 'activate', '--version', String(worse.version));
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`scoring model v${worse.version} is worse than the active v1 on the holdout (AUC 0.500 < ${auc.toFixed(3)})`);
    expect((await getActiveScoringModel(handle.db))?.version).toBe(1);

    const shown = await overdue('model', 'show', '--json');
    expect(shown.code).toBe(0);
    const versions = JSON.parse(shown.stdout) as Array<{ version: number; active: boolean; holdoutAuc: number }>;
    expect(versions.map((v) => [v.version, v.active])).toEqual([[worse.version, false], [1, true]]);
    expect(versions[1]!.holdoutAuc).toBe(auc);
  }, 120_000);

  it('refuses a bad --days or --version with a message naming the flag', async () => {
    const days = await overdue('model', 'fit', '--days', '0');
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days must be an integer >= 1 (got "0")');
    const missing = await overdue('model', 'activate');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--version is required');
    const unknown = await overdue('model', 'activate', '--version', '99');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('scoring model v99 not found');
  }, 120_000);

  it('makes a model immutable once it scored a case', async () => {
    const [open] = await handle.db.select().from(collectionCases).limit(1);
    await recordCaseScore(handle.db, {
      idempotencyKey: `score-${randomUUID()}`,
      caseId: open!.id,
      loanId: open!.loanId,
      modelVersion: 1,
      trigger: 'case_opened',
      probability: 0.42,
      reasons: [],
      features: {},
      offer: null,
      actor: 'workflow:test',
    });
    const row = (await handle.db.select().from(scoringModels).where(eq(scoringModels.version, 1)))[0]!;
    expect(row.inUse).toBe(true);
    expect(await databaseError(handle.db.update(scoringModels).set({ document: { changed: true } }).where(eq(scoringModels.version, 1)))).toContain('scoring model v1 has scored cases and is immutable');
    expect(await databaseError(handle.db.delete(scoringModels).where(eq(scoringModels.version, 1)))).toContain('cannot be deleted');
    // Activation flags may still move.
    await handle.db.execute(sql`UPDATE scoring_models SET active = active WHERE version = 1`);
  });
});
