// What the rule gate knows of a loan at one instant, read from the database: the borrower's profile and
// flags, the past-due amount, open disputes, the case's pauses, the contact history (messages and calls)
// and the rule pack of the case's pinned strategy. The send-time gate (activities/channels.ts) and the
// collector task claim (./tasks.ts) both read it here, so a message and a call are judged on the same facts.
import { and, eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { jsonArray, type Database } from '../client';
import { preparedFor, preparedRows } from '../prepared';
import { borrowers, collectionCases, loans, strategies, type CollectionCase } from '../schema';
import { CONTACT_HISTORY_LOOKBACK_MS, contactContextFor } from '../../domain/compliance';
import type { ContactContext, ContactKind, PastContact } from '../../domain/compliance/types';
import { findDefaultStrategy } from '../../domain/strategy/defaults';
import { minMessageGapMs } from '../../domain/strategy/duration';
import type { Channel, RulePackId, Strategy } from '../../domain/strategy/types';
import { borrowerRulesOf, getLoanWithBorrower, toContactProfile, type BorrowerContactProfile } from './borrowers';
import { installmentRowsOf, installmentsJsonSql, positionOf, type LoanPosition } from './ledger';
import { NotFoundError, ValidationError } from './errors';

/** Call outcomes in which nobody was reached: such a call counts as unanswered in the caps. */
const UNANSWERED_CALLS = new Set(['no_answer', 'wrong_number']);

/** An operator pause has no end of its own: the rules see it as lasting until this instant. */
const OPERATOR_PAUSE_UNTIL = '9999-12-31T23:59:59.000Z';

export interface ContactFacts {
  borrower: BorrowerContactProfile;
  position: LoanPosition;
  pack: RulePackId;
  /** The pinned strategy's minimum gap between two messages, ms (0: none stated). */
  minMessageGapMs: number;
  disputed: boolean;
  /** The case's pause as the rules see it (operator pause or hardship), when one is on at the instant. */
  pausedUntil?: string;
  history: PastContact[];
  previousCycleEndedAt?: string;
}

/**
 * Reads the facts for a contact on `caseId` at `at`. `excludeKey` leaves the contact being decided out
 * of its own history (a retried send must not count itself against the caps).
 *
 * One prepared statement (#19): the case, the loan and its borrower, the instalments, whether a dispute
 * is open, the contact history and the previous cycle's end, where it was six statements sent side by
 * side (each a round trip of its own on its own connection, and each built by drizzle at every send).
 * The rule pack of the pinned strategy is read once per process (pinnedContactRules).
 */
export async function loadContactFacts(
  db: Database,
  input: { loanId: string; caseId: string; at: Date; excludeKey?: string },
): Promise<ContactFacts> {
  const { loanId, caseId, at } = input;
  const [row] = await preparedFor(db, 'contact_facts', contactFactsQuery).execute({
    loanId,
    caseId,
    at: at.toISOString(),
    since: historySince(at),
    excludeKey: input.excludeKey ?? null,
  });
  if (!row) {
    // Which of the two is missing: the loan (this throws) or the case.
    await getLoanWithBorrower(db, loanId);
    throw new NotFoundError(`case ${caseId} not found`, 'caseId');
  }
  const caseRow = row.case;
  if (caseRow.loanId !== loanId) throw new ValidationError(`case ${caseId} belongs to loan ${caseRow.loanId}, not ${loanId}`, 'loanId');
  const { pack, minMessageGapMs } = await pinnedContactRules(db, caseRow.strategyId, caseRow.strategyVersion);
  const pausedUntil = casePausedUntil(caseRow, at);
  const position = positionOf(row.loan, installmentRowsOf(row.installments), at);
  const previousCycleEndedAt = row.previousCycleEndedAt?.toISOString();
  return {
    borrower: toContactProfile(row.borrower, loanId),
    position,
    pack,
    minMessageGapMs,
    disputed: row.disputed === true,
    history: jsonArray<HistoryRow>(row.history).map(toPastContact),
    ...(pausedUntil ? { pausedUntil } : {}),
    ...(previousCycleEndedAt ? { previousCycleEndedAt } : {}),
  };
}

/** loadContactFacts's statement: placeholders loanId, caseId, at, since (ISO instants), excludeKey (or null). */
function contactFactsQuery(db: Database) {
  const loanId = sql`${loans.id}`;
  return db
    .select({
      case: collectionCases,
      loan: loans,
      borrower: borrowers,
      installments: sql<unknown>`${installmentsJsonSql(loanId)}`,
      disputed: sql<boolean>`EXISTS (SELECT 1 FROM disputes d WHERE d.loan_id = ${loanId} AND d.resolved_at IS NULL)`,
      history: sql<unknown>`(${historyJsonSql(loanId, sql.placeholder('since'), sql.placeholder('excludeKey'))})`,
      previousCycleEndedAt: sql`(${previousCycleEndSql(loanId, sql`${collectionCases.id}`, sql.placeholder('at'))})`.mapWith(collectionCases.closedAt),
    })
    .from(collectionCases)
    .innerJoin(loans, eq(loans.id, sql.placeholder('loanId')))
    .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
    .where(eq(collectionCases.id, sql.placeholder('caseId')))
    .prepare('contact_facts');
}

/** The rules' view of the facts for one contact on `channel` (the same builder the workflow plans with). */
export function contactContextOf(facts: ContactFacts, channel: Channel, kind: ContactKind): ContactContext {
  return contactContextFor(
    {
      pack: facts.pack,
      borrower: borrowerRulesOf(facts.borrower),
      history: facts.history,
      disputed: facts.disputed,
      pastDueMinor: facts.position.pastDueMinor,
      pausedUntil: facts.pausedUntil,
      previousCycleEndedAt: facts.previousCycleEndedAt,
      minMessageGapMs: facts.minMessageGapMs,
    },
    channel,
    kind,
  );
}

function casePausedUntil(row: CollectionCase, at: Date): string | undefined {
  if (row.operatorPausedAt) return OPERATOR_PAUSE_UNTIL;
  if (row.hardshipUntil && row.hardshipUntil.getTime() > at.getTime()) return row.hardshipUntil.toISOString();
  return undefined;
}

/** A case's pinned strategy document: the stored version, else the shipped document of that id. */
export async function pinnedStrategy(db: Database, strategyId: string, version: number): Promise<Partial<Strategy> | undefined> {
  return (await pinnedStrategyOf(db, strategyId, version)).document;
}

/** pinnedStrategy, and whether the document is a stored row (in use, so immutable) rather than the shipped fallback. */
async function pinnedStrategyOf(db: Database, strategyId: string, version: number): Promise<{ document: Partial<Strategy> | undefined; stored: boolean }> {
  const [row] = await db
    .select({ document: strategies.document, inUse: strategies.inUse })
    .from(strategies)
    .where(and(eq(strategies.id, strategyId), eq(strategies.version, version)));
  if (row) return { document: row.document as Partial<Strategy>, stored: row.inUse };
  return { document: findDefaultStrategy(strategyId), stored: false };
}

/**
 * The rules of strategy versions a case has pinned, per database handle. A pinned version is in use, and
 * a version in use is never rewritten (saveStrategy refuses), so its rule pack and message gap are read
 * once per process instead of at every send and claim (#19). Bounded by the strategy versions in use.
 */
const pinnedRules = new WeakMap<Database, Map<string, { pack: RulePackId; minMessageGapMs: number }>>();

async function pinnedContactRules(db: Database, strategyId: string, version: number): Promise<{ pack: RulePackId; minMessageGapMs: number }> {
  let cache = pinnedRules.get(db);
  if (!cache) {
    cache = new Map();
    pinnedRules.set(db, cache);
  }
  const key = `${strategyId}@${version}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const { document, stored } = await pinnedStrategyOf(db, strategyId, version);
  const rules = rulesOf(strategyId, version, document);
  // Only a stored version in use is immutable; the shipped fallback of an older case is read each time.
  if (stored) cache.set(key, rules);
  return rules;
}

/** What the case's pinned strategy tells the rules: its rule pack and minimum gap between messages. */
export async function contactRulesOf(db: Database, strategyId: string, version: number): Promise<{ pack: RulePackId; minMessageGapMs: number }> {
  return rulesOf(strategyId, version, await pinnedStrategy(db, strategyId, version));
}

function rulesOf(strategyId: string, version: number, strategy: Partial<Strategy> | undefined): { pack: RulePackId; minMessageGapMs: number } {
  if (!strategy?.rulePack) {
    throw new NotFoundError(`strategy ${strategyId} v${version} not found (neither stored nor shipped); cannot choose the compliance rule pack`, 'strategyId');
  }
  let gap: number;
  try {
    gap = minMessageGapMs(strategy);
  } catch (err) {
    throw new ValidationError(`strategy ${strategyId} v${version} minMessageGap: ${(err as Error).message}`, 'minMessageGap');
  }
  return { pack: strategy.rulePack, minMessageGapMs: gap };
}

/**
 * What a case starts from (openCase, for the workflow): the loan's contact history at `at` and when its
 * previous cycle ended, in one prepared statement (#19; was two).
 */
export async function caseStartHistory(db: Database, input: { loanId: string; caseId: string; at: Date }): Promise<{ history: PastContact[]; previousCycleEndedAt?: string }> {
  const [row] = await preparedRows<{ history: unknown; previous_cycle_ended_at: Date | string | null }>(db, 'case_start_history', () => {
    const loanId = sql.placeholder('loanId');
    return sql`SELECT (${historyJsonSql(loanId, sql.placeholder('since'), null)}) AS history,
                      (${previousCycleEndSql(loanId, sql`${sql.placeholder('caseId')}::uuid`, sql.placeholder('at'))}) AS previous_cycle_ended_at`;
  })({ loanId: input.loanId, caseId: input.caseId, at: input.at.toISOString(), since: historySince(input.at) });
  const ended = row?.previous_cycle_ended_at;
  return {
    history: jsonArray<HistoryRow>(row?.history).map(toPastContact),
    ...(ended != null ? { previousCycleEndedAt: new Date(ended).toISOString() } : {}),
  };
}

/** The start of the rules' look-back before `at`, as an ISO instant. */
function historySince(at: Date): string {
  return new Date(at.getTime() - CONTACT_HISTORY_LOOKBACK_MS).toISOString();
}

interface HistoryRow extends Record<string, unknown> {
  channel: Channel;
  at: Date | string;
  status: string | null;
  connected: boolean | null;
  outcome: string | null;
}

/**
 * The loan's contact history: sent and presumed-sent messages on the loan (any case), and the calls and
 * visits collectors completed (a call's instant on record is its outcome's, as the compliance report
 * counts it), since `since` (the look-back): what the rules count. The send-time gate, the task claim
 * and openCase (the workflow's starting history) all read it through this one SQL: each half is a range
 * scan on its own partial index (contact_attempts_history_idx, collector_tasks_history_idx; migration
 * 0007), where it used to be two queries, the first reading every attempt of the loan whatever its
 * status (#19).
 *
 * The history's rows (messages first, then completed calls and visits; order them by part, at). `loanId`,
 * `since` (an ISO instant) and `excludeKey` (null: none) are SQL: a column, a placeholder or a value.
 */
function historySql(loanId: SQLChunk, since: SQLChunk, excludeKey: SQLChunk | null) {
  return sql`(SELECT channel, coalesce(sent_at, created_at) AS at, status, connected, NULL::text AS outcome, 0 AS part
          FROM contact_attempts
         WHERE loan_id = ${loanId} AND status IN ('sent', 'presumed_sent')
           AND coalesce(sent_at, created_at) >= ${since}::timestamptz
           ${excludeKey === null ? sql`` : sql`AND idempotency_key IS DISTINCT FROM ${excludeKey}::text`})
        UNION ALL
        (SELECT kind AS channel, completed_at AS at, NULL AS status, NULL AS connected, outcome, 1 AS part
          FROM collector_tasks
         WHERE loan_id = ${loanId} AND status = 'done' AND outcome IS NOT NULL AND kind IN ('call', 'visit')
           AND completed_at >= ${since}::timestamptz)`;
}

/** The history as one JSON array, in order (a column of a larger statement). */
function historyJsonSql(loanId: SQLChunk, since: SQLChunk, excludeKey: SQLChunk | null) {
  return sql`SELECT coalesce(json_agg(h ORDER BY h.part, h.at), '[]') FROM (${historySql(loanId, since, excludeKey)}) h`;
}

/**
 * When the loan's previous collection case closed, as the rules read it (cn 7-day cycle spacing): the latest
 * case other than `caseId` closed by `at` (an ISO instant). openCase (the workflow's facts) and the
 * send-time gate both read it through this SQL.
 */
function previousCycleEndSql(loanId: SQLChunk, caseId: SQLChunk, at: SQLChunk) {
  return sql`SELECT c.closed_at FROM collection_cases c
         WHERE c.loan_id = ${loanId} AND c.id <> ${caseId} AND c.closed_at IS NOT NULL AND c.closed_at <= ${at}::timestamptz
         ORDER BY c.closed_at DESC LIMIT 1`;
}

type SQLChunk = SQL | Placeholder;

function toPastContact(r: HistoryRow): PastContact {
  const at = new Date(r.at).toISOString();
  // Field visits are contacts with their own weekly cap (domain/compliance/packs.ts).
  if (r.outcome !== null) return { channel: r.channel === 'visit' ? 'visit' : 'call', at, status: 'sent', connected: !UNANSWERED_CALLS.has(r.outcome) };
  return { channel: r.channel, at, status: r.status as 'sent' | 'presumed_sent', ...(r.connected != null ? { connected: r.connected } : {}) };
}
