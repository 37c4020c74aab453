// Cure-propensity scoring: the rows the features read (one round trip per loan, or one for a whole
// portfolio when fitting), the versioned models, and the scores cases received. A model version that
// scored a case is immutable (trigger scoring_models_in_use_immutable, migration 0004).
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { jsonArray, queryRows, type Database } from '../client';
import { preparedRows } from '../prepared';
import { caseScores, collectionCases, scoringModels, type CaseScoreRow, type ScoringModelRow } from '../schema';
import type { CaseRow, LoanHistory } from '../../domain/scoring/features';
import { appendAudit } from './audit';
import { ConflictError, NotFoundError, ValidationError } from './errors';

/** How far back contact attempts are read: the longest feature window (180 days) plus margin. */
const CONTACT_LOOKBACK_DAYS = 370;

/**
 * The history columns of a loan `l`, each a JSON array built by the database so one query returns all of
 * a loan's rows. Instants come back as ISO strings, amounts as numbers.
 */
const HISTORY_COLUMNS = sql`
  l.id AS loan_id, l.product, l.currency, l.principal_minor::float8 AS principal_minor, l.opened_at,
  (SELECT coalesce(json_agg(json_build_object('seq', i.seq, 'dueDate', i.due_date, 'amountDueMinor', i.amount_due_minor) ORDER BY i.seq), '[]')
     FROM installments i WHERE i.loan_id = l.id) AS installments,
  (SELECT coalesce(json_agg(json_build_object('installmentSeq', a.installment_seq, 'amountMinor', a.amount_minor, 'receivedAt', p.received_at)), '[]')
     FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE a.loan_id = l.id) AS allocations,
  (SELECT coalesce(json_agg(json_build_object('amountMinor', p.amount_minor, 'receivedAt', p.received_at)), '[]')
     FROM payments p WHERE p.loan_id = l.id) AS payments,
  (SELECT coalesce(json_agg(json_build_object('openedAt', c.opened_at, 'closedAt', c.closed_at, 'outcome', c.outcome) ORDER BY c.opened_at), '[]')
     FROM collection_cases c WHERE c.loan_id = l.id) AS cases,
  (SELECT coalesce(json_agg(json_build_object('status', t.status, 'createdAt', t.created_at, 'resolvedAt', t.resolved_at)), '[]')
     FROM promises_to_pay t WHERE t.loan_id = l.id) AS promises,
  (SELECT coalesce(json_agg(json_build_object('status', t.status, 'createdAt', t.created_at, 'endedAt', t.ended_at)), '[]')
     FROM payment_plans t WHERE t.loan_id = l.id) AS plans,
  (SELECT coalesce(json_agg(json_build_object('channel', t.channel, 'status', t.status, 'connected', t.connected, 'callOutcome', t.call_outcome, 'at', coalesce(t.sent_at, t.created_at))), '[]')
     FROM contact_attempts t WHERE t.loan_id = l.id AND t.created_at > now() - make_interval(days => ${CONTACT_LOOKBACK_DAYS})) AS contacts,
  (SELECT coalesce(json_agg(json_build_object('openedAt', d.opened_at, 'resolvedAt', d.resolved_at)), '[]')
     FROM disputes d WHERE d.loan_id = l.id) AS disputes`;

interface HistoryRecord extends Record<string, unknown> {
  loan_id: string;
  product: string;
  currency: string;
  principal_minor: number;
  opened_at: Date | string;
  installments: unknown;
  allocations: unknown;
  payments: unknown;
  cases: unknown;
  promises: unknown;
  plans: unknown;
  contacts: unknown;
  disputes: unknown;
}

/** JSON columns arrive parsed from postgres.js and as text or parsed from PGlite; instants are normalised to ISO. */
function toHistory(r: HistoryRecord): LoanHistory {
  const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());
  const isoRows = <T extends object>(rows: T[], keys: string[]): T[] =>
    rows.map((row) => {
      const copy = { ...row } as Record<string, unknown>;
      for (const key of keys) copy[key] = iso(copy[key]);
      return copy as T;
    });
  return {
    product: r.product,
    openedAt: new Date(r.opened_at).toISOString(),
    principalMinor: Number(r.principal_minor),
    installments: jsonArray(r.installments),
    allocations: isoRows(jsonArray(r.allocations), ['receivedAt']),
    payments: isoRows(jsonArray(r.payments), ['receivedAt']),
    cases: isoRows(jsonArray(r.cases), ['openedAt', 'closedAt']),
    promises: isoRows(jsonArray(r.promises), ['createdAt', 'resolvedAt']),
    plans: isoRows(jsonArray(r.plans), ['createdAt', 'endedAt']),
    contacts: isoRows(jsonArray(r.contacts), ['at']),
    disputes: isoRows(jsonArray(r.disputes), ['openedAt', 'resolvedAt']),
  };
}

/**
 * Everything the features read of one loan, in one round trip; null for an unknown loan. The currency
 * comes along for the plan offer's amounts (it is not a feature).
 */
export async function loadLoanHistory(db: Database, loanId: string): Promise<(LoanHistory & { currency: string }) | null> {
  const [row] = await queryRows<HistoryRecord>(db, sql`SELECT ${HISTORY_COLUMNS} FROM loans l WHERE l.id = ${loanId}`);
  return row ? { ...toHistory(row), currency: row.currency } : null;
}

/**
 * What a score needs, in one round trip (prepared, #19): the active model and the loan's history. Without
 * an active model the history is not read (the lateral subquery is skipped), so a lender that never
 * activates one pays for the lookup only, in the same one statement. `model` null: no active model;
 * `history` null: no such loan.
 */
export async function loadScoringInput(
  db: Database,
  loanId: string,
): Promise<{ model: Pick<ScoringModelRow, 'version' | 'document'> | null; history: (LoanHistory & { currency: string }) | null }> {
  const [row] = await preparedRows<Partial<HistoryRecord> & { model_version: number | null; model_document: unknown }>(
    db,
    'scoring_input',
    () => sql`SELECT m.version AS model_version, m.document AS model_document, h.*
        FROM (SELECT 1) one
        LEFT JOIN scoring_models m ON m.active
        LEFT JOIN LATERAL (SELECT ${HISTORY_COLUMNS} FROM loans l WHERE l.id = ${sql.placeholder('loanId')} AND m.version IS NOT NULL) h ON true`,
  )({ loanId });
  if (!row || row.model_version == null) return { model: null, history: null };
  const document = (typeof row.model_document === 'string' ? JSON.parse(row.model_document) : row.model_document) as Record<string, unknown>;
  const model = { version: Number(row.model_version), document };
  if (row.loan_id == null) return { model, history: null };
  const record = row as HistoryRecord;
  return { model, history: { ...toHistory(record), currency: record.currency } };
}

/** The histories of every loan that had a collection case opened before `openedBefore`, in one query. */
export async function loadHistoriesWithCases(db: Database, openedBefore: Date): Promise<Array<{ loanId: string; history: LoanHistory; cases: CaseRow[] }>> {
  const rows = await queryRows<HistoryRecord>(
    db,
    sql`SELECT ${HISTORY_COLUMNS} FROM loans l WHERE EXISTS (SELECT 1 FROM collection_cases c WHERE c.loan_id = l.id AND c.opened_at < ${openedBefore.toISOString()}) ORDER BY l.id`,
  );
  return rows.map((r) => {
    const history = toHistory(r);
    return { loanId: r.loan_id, history, cases: history.cases };
  });
}

// ---- models ----

/** The holdout AUC recorded with a model (metrics.holdout.auc). */
export function holdoutAuc(row: Pick<ScoringModelRow, 'metrics'>): number | undefined {
  const auc = (row.metrics as { holdout?: { auc?: unknown } }).holdout?.auc;
  return typeof auc === 'number' && Number.isFinite(auc) ? auc : undefined;
}

/** Saves a fitted model as the next version (not active). */
export async function saveScoringModel(db: Database, input: { document: object; metrics: object; actor: string }): Promise<ScoringModelRow> {
  return db.transaction(async (tx) => {
    // Serialises version numbering between two fits saving at once.
    await tx.execute(sql`LOCK TABLE scoring_models IN SHARE ROW EXCLUSIVE MODE`);
    const [last] = await tx.select({ version: scoringModels.version }).from(scoringModels).orderBy(desc(scoringModels.version)).limit(1);
    const version = (last?.version ?? 0) + 1;
    const [row] = await tx
      .insert(scoringModels)
      .values({ version, document: input.document as Record<string, unknown>, metrics: input.metrics as Record<string, unknown> })
      .returning();
    await appendAudit(tx, { actor: input.actor, action: 'scoring_model.fitted', after: { version, metrics: summary(input.metrics) } });
    return row!;
  });
}

function summary(metrics: object): unknown {
  const m = metrics as { holdout?: { auc?: number; ks?: number; count?: number }; train?: { count?: number } };
  return { holdoutAuc: m.holdout?.auc, holdoutKs: m.holdout?.ks, holdoutCount: m.holdout?.count, trainCount: m.train?.count };
}

export async function getScoringModel(db: Database, version: number): Promise<ScoringModelRow | null> {
  const [row] = await db.select().from(scoringModels).where(eq(scoringModels.version, version));
  return row ?? null;
}

export async function getActiveScoringModel(db: Database): Promise<ScoringModelRow | null> {
  const [row] = await db.select().from(scoringModels).where(eq(scoringModels.active, true));
  return row ?? null;
}

export async function listScoringModels(db: Database): Promise<ScoringModelRow[]> {
  return db.select().from(scoringModels).orderBy(desc(scoringModels.version));
}

/** A candidate scores worse on the holdout than the active model: not activated. */
export class WorseModelError extends ConflictError {}

/**
 * Makes `version` the active model. Refused (WorseModelError) when its holdout AUC is below the active
 * model's: compared on the candidate's own holdout when the fit also scored it with that active version
 * (metrics.activeOnHoldout), else on the AUCs each recorded on its own holdout.
 */
export async function activateScoringModel(db: Database, version: number, actor: string): Promise<ScoringModelRow> {
  if (!Number.isInteger(version) || version < 1) throw new ValidationError(`version must be a positive integer (got ${version})`, 'version');
  return db.transaction(async (tx) => {
    await tx.execute(sql`LOCK TABLE scoring_models IN SHARE ROW EXCLUSIVE MODE`);
    const [candidate] = await tx.select().from(scoringModels).where(eq(scoringModels.version, version));
    if (!candidate) throw new NotFoundError(`scoring model v${version} not found (overdue model show lists them)`, 'version');
    if (candidate.active) return candidate;
    const [active] = await tx.select().from(scoringModels).where(eq(scoringModels.active, true));
    const candidateAuc = holdoutAuc(candidate);
    if (candidateAuc === undefined) throw new ValidationError(`scoring model v${version} has no holdout AUC; fit it again with a holdout`, 'version');
    if (active) {
      const compared = (candidate.metrics as { activeOnHoldout?: { version?: number; auc?: number } }).activeOnHoldout;
      const activeAuc = compared?.version === active.version && typeof compared.auc === 'number' ? compared.auc : holdoutAuc(active);
      if (activeAuc !== undefined && candidateAuc < activeAuc) {
        throw new WorseModelError(
          `scoring model v${version} is worse than the active v${active.version} on the holdout (AUC ${candidateAuc.toFixed(3)} < ${activeAuc.toFixed(3)}); ` +
            'it stays inactive: fit again with more data or keep the active model',
          'version',
        );
      }
      await tx.update(scoringModels).set({ active: false }).where(eq(scoringModels.version, active.version));
    }
    const [row] = await tx.update(scoringModels).set({ active: true, activatedAt: new Date() }).where(eq(scoringModels.version, version)).returning();
    await appendAudit(tx, { actor, action: 'scoring_model.activated', before: active ? { version: active.version } : null, after: { version, holdoutAuc: candidateAuc } });
    return row!;
  });
}

// ---- scores ----

export interface CaseScoreInput {
  idempotencyKey: string;
  caseId: string;
  loanId: string;
  modelVersion: number;
  trigger: string;
  probability: number;
  reasons: unknown[];
  features: Record<string, unknown>;
  offer: Record<string, unknown> | null;
  actor: string;
}

/**
 * Records a case's score, marks the model in use (immutable from now on) and writes the audit event, in
 * one statement (one round trip on a case open; a statement is atomic); the same key again returns the
 * first row and writes nothing.
 */
export async function recordCaseScore(db: Database, input: CaseScoreInput): Promise<CaseScoreRow> {
  if (!(input.probability >= 0 && input.probability <= 1)) throw new ValidationError(`probability must be within 0..1 (got ${input.probability})`, 'probability');
  const json = (value: unknown) => JSON.stringify(value);
  const after = { modelVersion: input.modelVersion, trigger: input.trigger, probability: input.probability, reasons: input.reasons, offer: input.offer };
  const [created] = await queryRows<Record<string, unknown>>(
    db,
    sql`WITH ins AS (
          INSERT INTO case_scores (idempotency_key, case_id, loan_id, model_version, trigger, probability, reasons, features, offer)
          VALUES (${input.idempotencyKey}, ${input.caseId}, ${input.loanId}, ${input.modelVersion}, ${input.trigger}, ${input.probability},
                  ${json(input.reasons)}::jsonb, ${json(input.features)}::jsonb, ${input.offer === null ? null : json(input.offer)}::jsonb)
          ON CONFLICT (idempotency_key) DO NOTHING
          RETURNING *
        ), used AS (
          UPDATE scoring_models SET in_use = true WHERE version IN (SELECT model_version FROM ins) AND NOT in_use RETURNING version
        ), audited AS (
          INSERT INTO audit_events (actor, action, case_id, loan_id, after)
          SELECT ${input.actor}, 'case.scored', case_id, loan_id, ${json(after)}::jsonb FROM ins RETURNING id
        )
        SELECT ins.*, (SELECT count(*) FROM used) AS marked, (SELECT count(*) FROM audited) AS audited FROM ins`,
  );
  if (created) return scoreRow(created);
  const [existing] = await db.select().from(caseScores).where(eq(caseScores.idempotencyKey, input.idempotencyKey));
  if (!existing) throw new ConflictError(`case score ${input.idempotencyKey} changed concurrently; retry`, 'idempotencyKey');
  return existing;
}

/** A raw case_scores row (snake_case, as RETURNING gives it) as drizzle types it. */
function scoreRow(r: Record<string, unknown>): CaseScoreRow {
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
  return {
    id: Number(r.id),
    idempotencyKey: r.idempotency_key as string,
    caseId: r.case_id as string,
    loanId: r.loan_id as string,
    modelVersion: Number(r.model_version),
    trigger: r.trigger as string,
    probability: Number(r.probability),
    reasons: json(r.reasons) as unknown[],
    features: json(r.features) as Record<string, unknown>,
    offer: (json(r.offer) ?? null) as Record<string, unknown> | null,
    scoredAt: new Date(r.scored_at as string),
  };
}

export async function listCaseScores(db: Database, caseId: string): Promise<CaseScoreRow[]> {
  return db.select().from(caseScores).where(eq(caseScores.caseId, caseId)).orderBy(caseScores.scoredAt, caseScores.id);
}

/** The loan's latest cure propensity on its open case, if a model has scored it (the workbench's queue order). */
export async function latestCurePropensity(db: Database, loanId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ probability: caseScores.probability })
    .from(caseScores)
    .innerJoin(collectionCases, eq(collectionCases.id, caseScores.caseId))
    .where(and(eq(caseScores.loanId, loanId), isNull(collectionCases.closedAt)))
    .orderBy(desc(caseScores.scoredAt), desc(caseScores.id))
    .limit(1);
  return row?.probability;
}
