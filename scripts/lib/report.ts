// The portfolio report: what collection achieved, read from the system of record only (cases, ledger,
// contact attempts and the append-only audit trail), never from Temporal. Pure apart from the reads in
// buildReport; the renderers take the PortfolioReport and return text.
//
// Definitions (each figure names its numerator and denominator, so a reader can recompute it):
//  - cure rate: resolved cases closed `cured` or `paid` / resolved cases (open cases are still in play);
//  - right-party-contact rate: collector conversations with the borrower (call outcomes other than
//    no_answer / wrong_number, promises to pay and payment plans, all from the audit trail) / every
//    call outcome, promise and plan recorded;
//  - promise-kept rate: workflow.promise_kept / (promise_kept + promise_broken);
//  - recovery by DPD bucket at case open: collected while the case was open / past-due amount at open
//    (what was paid, or written down by an earlier case's discounted plan, before the case opened is not past due),
//    per currency (money is never summed across currencies), each case's collection capped at its
//    past-due amount so that paying off the whole loan does not count as >100% recovery;
//  - recovery curves: per bucket, the mean share of each case's past-due amount recovered by day d
//    since the case opened (currency-neutral, so several currencies can share one curve);
//  - contacts per resolved case: messages sent (contact_attempts sent or presumed sent) plus call
//    outcomes recorded, on resolved cases / resolved cases;
//  - time to resolution: closed_at - opened_at of resolved cases, median and p90, in days;
//  - cure propensity (issue #15): each case's latest score at open (case_scores, trigger case_opened),
//    and on resolved scored cases the mean predicted propensity against the observed cure rate, in
//    bands of 10 points of predicted propensity (calibration on the lender's own resolved cases);
//  - champion and challenger (issue #15): cases whose segment (collection_cases.segment, in the pinned
//    strategy version) runs a challenger, split the way chooseTreatment split them (experimentBucket of
//    the loan id below the challenger's percent); per arm the cure rate, the mean share of past due at
//    open recovered per case, contacts per resolved case and the broken-plan rate (cases with a
//    workflow.plan_broken / cases with a workflow.payment_plan_agreed), each with a 95% interval, and
//    challenger − champion with its interval (scripts/lib/stats: Wilson, Newcombe, normal approximation).
// `dayMs` lets the time-scaled demo (a day is a second) report in its own days.
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/client';
import { businessDate, dpdBucket, loanPosition, type LedgerInstallment } from '../../domain/ledger';
import { formatMoney } from '../../domain/money';
import { experimentBucket } from '../../domain/strategy/select';
import { meanDifference, meanInterval, rateDifference, wilson, type Interval, type MeanEstimate, type RateEstimate } from './stats';

export const DPD_BUCKETS = ['1-30', '31-60', '61-90', '90+'] as const;
export type DpdBucket = (typeof DPD_BUCKETS)[number];
export const FUNNEL_STAGES = ['reminder', 'call', 'negotiation', 'legal'] as const;
const RPC_EXCLUDED = new Set(['no_answer', 'wrong_number']);
const DAY_MS = 86_400_000;

export interface ReportOptions {
  /** Facts recorded after this instant are left out; default now. */
  asOf?: Date;
  /** Only loans whose id starts with this (a demo run, a test's portfolio). Default: every loan. */
  loanIdPrefix?: string;
  /** Length of a "day" in milliseconds for durations and curves (default 86 400 000; the demo passes its scale). */
  dayMs?: number;
}

export interface Rate {
  numerator: number;
  denominator: number;
  /** numerator / denominator, or null when the denominator is 0. */
  rate: number | null;
}

export interface RecoveryRow {
  bucket: DpdBucket;
  currency: string;
  cases: number;
  pastDueAtOpenMinor: number;
  /** Collected while the case was open, each case capped at its past-due amount at open. */
  recoveredMinor: number;
  /** Everything collected while the case was open (uncapped). */
  collectedMinor: number;
  rate: number | null;
}

export interface RecoveryCurve {
  bucket: DpdBucket;
  cases: number;
  /** points[d] = mean share recovered by the end of day d since case open, d = 0..days. */
  points: Array<{ day: number; share: number }>;
}

export interface PortfolioReport {
  asOf: string;
  loanIdPrefix: string | null;
  dayMs: number;
  cases: { total: number; open: number; resolved: number };
  /** Open cases by their current stage. */
  byStage: Record<string, number>;
  /** Resolved cases by outcome. */
  byOutcome: Record<string, number>;
  /** Cases that reached each stage of the ladder (all cases first). */
  funnel: Array<{ stage: string; cases: number }>;
  cureRate: Rate;
  rightPartyContactRate: Rate;
  promiseKeptRate: Rate;
  recovery: RecoveryRow[];
  curves: RecoveryCurve[];
  contactsPerResolvedCase: { messages: number; calls: number; resolvedCases: number; perCase: number | null };
  blockedByRule: Array<{ rule: string; contacts: number }>;
  timeToResolutionDays: { median: number | null; p90: number | null; cases: number };
  /** Made by the borrower on the self-service page (actor `borrower:…`, source self_service) vs through collectors, backends and operators. */
  selfService?: Record<'promises' | 'plans' | 'disputes' | 'complaints', { page: number; other: number }>;
  /**
   * Complaints per 1,000 cases (issue #17), by the stage and by the collector the case row records at the
   * report's instant (a case no collector holds counts as "unassigned").
   */
  complaintsPer1000?: { byStage: ComplaintRate[]; byCollector: ComplaintRate[] };
  /** The cure-propensity score at case open and its calibration on resolved cases (issue #15). */
  scoring?: ScoringFigures;
  /** Champion against challenger, on the cases of segments that run a challenger (issue #15). */
  experiment?: ExperimentFigures;
}

export interface CalibrationBand {
  /** Predicted propensity from (inclusive) to (exclusive; the last band includes 1). */
  from: number;
  to: number;
  cases: number;
  meanPredicted: number;
  observed: RateEstimate;
}

export interface ScoringFigures {
  /** Cases with a score at open (their latest case_opened score). */
  scoredCases: number;
  resolvedScoredCases: number;
  /** Mean predicted propensity over resolved scored cases. */
  meanPredicted: number | null;
  /** Cured or paid / resolved scored cases. */
  observedCureRate: Rate;
  /** Non-empty bands of 10 points of predicted propensity, lowest first. */
  calibration: CalibrationBand[];
}

export interface ArmFigures {
  cases: number;
  resolved: number;
  /** Cured or paid / resolved cases of the arm. */
  cureRate: RateEstimate;
  /** Mean share of past due at open recovered per case (capped at 1), over the arm's cases with past due at open. */
  recovery: MeanEstimate;
  /** Mean of (messages sent + call outcomes) per resolved case. */
  contactsPerResolvedCase: MeanEstimate;
  /** Cases with a broken plan / cases that agreed a plan. */
  brokenPlanRate: RateEstimate;
}

export interface ExperimentFigures {
  cases: number;
  champion: ArmFigures;
  challenger: ArmFigures;
  /** challenger − champion. */
  difference: Record<'cureRate' | 'recovery' | 'contactsPerResolvedCase' | 'brokenPlanRate', Interval>;
}

export interface ComplaintRate {
  key: string;
  complaints: number;
  cases: number;
  per1000: number;
}

const rate = (numerator: number, denominator: number): Rate => ({ numerator, denominator, rate: denominator > 0 ? numerator / denominator : null });

/** Nearest-rank percentile of a sorted list (p in 0..1); null for an empty list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

interface CaseRow extends Record<string, unknown> {
  id: string;
  loan_id: string;
  stage: string;
  outcome: string | null;
  opened_at: string | Date;
  closed_at: string | Date | null;
  currency: string;
  segment: string | null;
  strategy_id: string;
  strategy_version: number;
}

const toDate = (v: string | Date) => (v instanceof Date ? v : new Date(v));
const num = (v: unknown) => Number(v ?? 0);

export async function buildReport(db: Database, options: ReportOptions = {}): Promise<PortfolioReport> {
  const asOf = options.asOf ?? new Date();
  const at = asOf.toISOString();
  const dayMs = options.dayMs ?? DAY_MS;
  const prefix = options.loanIdPrefix ?? '';
  const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

  const caseRows = await queryRows<CaseRow>(
    db,
    sql`SELECT c.id, c.loan_id, c.stage,
               CASE WHEN c.closed_at <= ${at}::timestamptz THEN c.outcome END AS outcome,
               c.opened_at,
               CASE WHEN c.closed_at <= ${at}::timestamptz THEN c.closed_at END AS closed_at,
               l.currency, c.segment, c.strategy_id, c.strategy_version
        FROM collection_cases c JOIN loans l ON l.id = c.loan_id
        WHERE c.loan_id LIKE ${like} AND c.opened_at <= ${at}::timestamptz
        ORDER BY c.opened_at, c.id`,
  );
  const cases = caseRows.map((r) => ({
    id: r.id,
    loanId: r.loan_id,
    stage: r.stage,
    outcome: r.outcome,
    openedAt: toDate(r.opened_at),
    closedAt: r.closed_at ? toDate(r.closed_at) : null,
    currency: r.currency,
    segment: r.segment,
    strategyId: r.strategy_id,
    strategyVersion: Number(r.strategy_version),
  }));
  const resolved = cases.filter((c) => c.closedAt !== null);
  const resolvedIds = new Set(resolved.map((c) => c.id));

  const byStage: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  for (const c of cases) {
    if (c.closedAt) byOutcome[c.outcome!] = (byOutcome[c.outcome!] ?? 0) + 1;
    else byStage[c.stage] = (byStage[c.stage] ?? 0) + 1;
  }

  // ---- audit trail: stages reached, conversations, promises ----
  const auditRows = await queryRows<{ case_id: string; action: string; stage: string | null; outcome: string | null }>(
    db,
    sql`SELECT a.case_id, a.action, a.after->>'stage' AS stage, a.after->>'outcome' AS outcome
        FROM audit_events a
        WHERE a.loan_id LIKE ${like} AND a.at <= ${at}::timestamptz AND a.case_id IS NOT NULL
          AND a.action IN ('case.opened', 'case.stage_changed', 'workflow.stage_entered', 'workflow.call_outcome',
                           'workflow.promise_to_pay', 'workflow.payment_plan_agreed', 'workflow.promise_kept', 'workflow.promise_broken',
                           'workflow.plan_broken')`,
  );
  const caseIds = new Set(cases.map((c) => c.id));
  const reached = new Map<string, Set<string>>(FUNNEL_STAGES.map((s) => [s, new Set<string>()]));
  let conversations = 0;
  let callOutcomes = 0;
  let kept = 0;
  let broken = 0;
  const callsByCase = new Map<string, number>();
  const planAgreed = new Set<string>();
  const planBroken = new Set<string>();
  for (const row of auditRows) {
    if (!caseIds.has(row.case_id)) continue;
    switch (row.action) {
      case 'case.opened':
      case 'case.stage_changed':
      case 'workflow.stage_entered':
        if (row.stage) reached.get(row.stage)?.add(row.case_id);
        break;
      case 'workflow.call_outcome':
        callOutcomes += 1;
        if (row.outcome && !RPC_EXCLUDED.has(row.outcome)) conversations += 1;
        callsByCase.set(row.case_id, (callsByCase.get(row.case_id) ?? 0) + 1);
        break;
      case 'workflow.promise_to_pay':
      case 'workflow.payment_plan_agreed':
        if (row.action === 'workflow.payment_plan_agreed') planAgreed.add(row.case_id);
        callOutcomes += 1;
        conversations += 1;
        callsByCase.set(row.case_id, (callsByCase.get(row.case_id) ?? 0) + 1);
        break;
      case 'workflow.promise_kept':
        kept += 1;
        break;
      case 'workflow.promise_broken':
        broken += 1;
        break;
      case 'workflow.plan_broken':
        planBroken.add(row.case_id);
        break;
    }
  }
  const funnel = [{ stage: 'opened', cases: cases.length }, ...FUNNEL_STAGES.map((stage) => ({ stage, cases: reached.get(stage)!.size })), { stage: 'resolved', cases: resolved.length }];

  // ---- contact record ----
  const contactRows = await queryRows<{ case_id: string | null; status: string; blocked_rule: string | null; n: number | string }>(
    db,
    sql`SELECT case_id, status, blocked_rule, count(*) AS n
        FROM contact_attempts
        WHERE loan_id LIKE ${like} AND created_at <= ${at}::timestamptz
        GROUP BY case_id, status, blocked_rule`,
  );
  let messagesOnResolved = 0;
  const messagesByCase = new Map<string, number>();
  const blocked = new Map<string, number>();
  for (const row of contactRows) {
    if (row.case_id && !caseIds.has(row.case_id)) continue;
    const n = num(row.n);
    if ((row.status === 'sent' || row.status === 'presumed_sent') && row.case_id && resolvedIds.has(row.case_id)) {
      messagesOnResolved += n;
      messagesByCase.set(row.case_id, (messagesByCase.get(row.case_id) ?? 0) + n);
    }
    if (row.status === 'blocked') blocked.set(row.blocked_rule ?? 'unknown', (blocked.get(row.blocked_rule ?? 'unknown') ?? 0) + n);
  }
  const callsOnResolved = [...callsByCase].filter(([id]) => resolvedIds.has(id)).reduce((sum, [, n]) => sum + n, 0);

  // ---- ledger: past due and DPD at open, collections while open ----
  const installmentRows = await queryRows<{ loan_id: string; seq: number; due_date: string; amount_due_minor: number | string; amount_paid_minor: number | string }>(
    db,
    sql`SELECT i.loan_id, i.seq, i.due_date::text AS due_date, i.amount_due_minor, i.amount_paid_minor
        FROM installments i
        WHERE i.loan_id IN (SELECT loan_id FROM collection_cases WHERE loan_id LIKE ${like})`,
  );
  const allocationRows = await queryRows<{ loan_id: string; seq: number; amount_minor: number | string; received_at: string | Date }>(
    db,
    sql`SELECT pa.loan_id, pa.installment_seq AS seq, pa.amount_minor, p.received_at
        FROM payment_allocations pa JOIN payments p ON p.id = pa.payment_id
        WHERE pa.loan_id IN (SELECT loan_id FROM collection_cases WHERE loan_id LIKE ${like})`,
  );
  // Write-downs (a completed discounted plan's discount), each with when it counts from: the opening of
  // the case that made it (one open case per loan, so it was made before any later case opened), or its
  // own instant when it names no case.
  const writeDownRows = await queryRows<{ loan_id: string; allocations: Array<{ seq: number; amountMinor: number }>; since: string | Date }>(
    db,
    sql`SELECT a.loan_id, a.allocations, coalesce(c.opened_at, a.created_at) AS since
        FROM ledger_adjustments a LEFT JOIN collection_cases c ON c.id = a.case_id
        WHERE a.loan_id IN (SELECT loan_id FROM collection_cases WHERE loan_id LIKE ${like})`,
  );
  const paymentRows = await queryRows<{ loan_id: string; amount_minor: number | string; unallocated_minor: number | string; received_at: string | Date }>(
    db,
    sql`SELECT p.loan_id, p.amount_minor, p.unallocated_minor, p.received_at
        FROM payments p
        WHERE p.loan_id IN (SELECT loan_id FROM collection_cases WHERE loan_id LIKE ${like}) AND p.received_at <= ${at}::timestamptz
        ORDER BY p.received_at`,
  );
  const group = <T extends { loan_id: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const r of rows) {
      const list = map.get(r.loan_id);
      if (list) list.push(r);
      else map.set(r.loan_id, [r]);
    }
    return map;
  };
  const installmentsByLoan = group(installmentRows);
  const allocationsByLoan = group(allocationRows);
  const paymentsByLoan = group(paymentRows);
  const writeDownsByLoan = group(writeDownRows);

  const recovery = new Map<string, RecoveryRow>();
  const curveCases = new Map<DpdBucket, Array<{ pastDue: number; payments: Array<{ day: number; amount: number }> }>>();
  let maxDay = 0;
  const recoveredShare = new Map<string, number>();
  for (const c of cases) {
    // Paid before the case opened = paid now minus what was allocated from payments received since.
    const later = new Map<number, number>();
    for (const a of allocationsByLoan.get(c.loanId) ?? []) {
      if (toDate(a.received_at) >= c.openedAt) later.set(a.seq, (later.get(a.seq) ?? 0) + num(a.amount_minor));
    }
    // Written down before the case opened (an earlier case's plan): owed no more, so not past due at open.
    const writtenDown = new Map<number, number>();
    for (const w of writeDownsByLoan.get(c.loanId) ?? []) {
      if (toDate(w.since) >= c.openedAt) continue;
      for (const a of w.allocations) writtenDown.set(a.seq, (writtenDown.get(a.seq) ?? 0) + num(a.amountMinor));
    }
    const ledger: LedgerInstallment[] = (installmentsByLoan.get(c.loanId) ?? []).map((i) => ({
      seq: i.seq,
      dueDate: i.due_date,
      amountDueMinor: num(i.amount_due_minor),
      amountPaidMinor: Math.max(0, num(i.amount_paid_minor) - (later.get(i.seq) ?? 0)),
      amountWrittenDownMinor: writtenDown.get(i.seq) ?? 0,
    }));
    if (ledger.length === 0) continue;
    const atOpen = loanPosition(ledger, businessDate(c.openedAt));
    if (atOpen.pastDueMinor <= 0) continue;
    const b = dpdBucket(atOpen.dpd);
    const bucket: DpdBucket = b === 'current' ? '1-30' : b;
    const end = c.closedAt ?? asOf;
    const during = (paymentsByLoan.get(c.loanId) ?? [])
      .filter((p) => toDate(p.received_at) >= c.openedAt && toDate(p.received_at) <= end)
      .map((p) => ({ day: Math.floor((toDate(p.received_at).getTime() - c.openedAt.getTime()) / dayMs), amount: num(p.amount_minor) - num(p.unallocated_minor) }));
    const collected = during.reduce((sum, p) => sum + p.amount, 0);
    const key = `${bucket}|${c.currency}`;
    const row = recovery.get(key) ?? { bucket, currency: c.currency, cases: 0, pastDueAtOpenMinor: 0, recoveredMinor: 0, collectedMinor: 0, rate: null };
    row.cases += 1;
    row.pastDueAtOpenMinor += atOpen.pastDueMinor;
    row.collectedMinor += collected;
    row.recoveredMinor += Math.min(collected, atOpen.pastDueMinor);
    recoveredShare.set(c.id, Math.min(collected, atOpen.pastDueMinor) / atOpen.pastDueMinor);
    recovery.set(key, row);
    const members = curveCases.get(bucket) ?? [];
    members.push({ pastDue: atOpen.pastDueMinor, payments: during });
    curveCases.set(bucket, members);
    maxDay = Math.max(maxDay, Math.floor((end.getTime() - c.openedAt.getTime()) / dayMs));
  }
  const recoveryRows = [...recovery.values()]
    .map((r) => ({ ...r, rate: r.pastDueAtOpenMinor > 0 ? r.recoveredMinor / r.pastDueAtOpenMinor : null }))
    .sort((a, b) => DPD_BUCKETS.indexOf(a.bucket) - DPD_BUCKETS.indexOf(b.bucket) || a.currency.localeCompare(b.currency));
  const days = Math.min(maxDay, 365);
  const curves: RecoveryCurve[] = DPD_BUCKETS.filter((b) => curveCases.has(b)).map((bucket) => {
    const members = curveCases.get(bucket)!;
    const points = [];
    for (let day = 0; day <= days; day += 1) {
      const total = members.reduce((sum, m) => {
        const paid = m.payments.filter((p) => p.day <= day).reduce((s, p) => s + p.amount, 0);
        return sum + Math.min(1, paid / m.pastDue);
      }, 0);
      points.push({ day, share: total / members.length });
    }
    return { bucket, cases: members.length, points };
  });

  // ---- self-service: what borrowers did on their own page vs through collectors (issue #16) ----
  const selfRows = await queryRows<{ what: string; page: number; other: number }>(
    db,
    sql`SELECT 'promises' AS what, count(*) FILTER (WHERE created_by LIKE 'borrower:%')::int AS page, count(*) FILTER (WHERE created_by NOT LIKE 'borrower:%')::int AS other
          FROM promises_to_pay WHERE loan_id LIKE ${like} AND created_at <= ${at}::timestamptz
        UNION ALL
        SELECT 'plans', count(*) FILTER (WHERE created_by LIKE 'borrower:%')::int, count(*) FILTER (WHERE created_by NOT LIKE 'borrower:%')::int
          FROM payment_plans WHERE loan_id LIKE ${like} AND created_at <= ${at}::timestamptz
        UNION ALL
        SELECT 'disputes', count(*) FILTER (WHERE actor LIKE 'borrower:%')::int, count(*) FILTER (WHERE actor NOT LIKE 'borrower:%')::int
          FROM audit_events WHERE action = 'dispute.opened' AND loan_id LIKE ${like} AND at <= ${at}::timestamptz
        UNION ALL
        SELECT 'complaints', count(*) FILTER (WHERE source = 'self_service')::int, count(*) FILTER (WHERE source <> 'self_service')::int
          FROM complaints WHERE loan_id LIKE ${like} AND created_at <= ${at}::timestamptz`,
  );
  const selfService = Object.fromEntries(
    (['promises', 'plans', 'disputes', 'complaints'] as const).map((what) => {
      const row = selfRows.find((r) => r.what === what);
      return [what, { page: Number(row?.page ?? 0), other: Number(row?.other ?? 0) }];
    }),
  ) as NonNullable<PortfolioReport['selfService']>;

  // ---- complaints per 1,000 cases, by stage and by collector (issue #17) ----
  const complaintRows = await queryRows<{ dimension: string; key: string; complaints: number; cases: number }>(
    db,
    sql`WITH scoped AS (
          SELECT c.id, c.stage, coalesce(c.assigned_collector, 'unassigned') AS collector,
                 (SELECT count(*) FROM complaints k WHERE k.case_id = c.id AND k.created_at <= ${at}::timestamptz)::int AS complaints
            FROM collection_cases c WHERE c.loan_id LIKE ${like} AND c.opened_at <= ${at}::timestamptz
        )
        SELECT 'stage' AS dimension, stage AS key, sum(complaints)::int AS complaints, count(*)::int AS cases FROM scoped GROUP BY stage
        UNION ALL
        SELECT 'collector', collector, sum(complaints)::int, count(*)::int FROM scoped GROUP BY collector`,
  );
  const ratesOf = (dimension: string): ComplaintRate[] =>
    complaintRows
      .filter((r) => r.dimension === dimension)
      .map((r) => ({ key: r.key, complaints: Number(r.complaints), cases: Number(r.cases), per1000: (1000 * Number(r.complaints)) / Number(r.cases) }))
      .sort((a, b) => b.per1000 - a.per1000 || a.key.localeCompare(b.key));
  const complaintsPer1000 = { byStage: ratesOf('stage'), byCollector: ratesOf('collector') };

  // ---- cure propensity at open and its calibration (issue #15) ----
  const scoreRows = await queryRows<{ case_id: string; probability: number | string }>(
    db,
    sql`SELECT DISTINCT ON (s.case_id) s.case_id, s.probability
        FROM case_scores s JOIN collection_cases c ON c.id = s.case_id
        WHERE c.loan_id LIKE ${like} AND s.trigger = 'case_opened' AND s.scored_at <= ${at}::timestamptz
        ORDER BY s.case_id, s.scored_at DESC, s.id DESC`,
  );
  const isCured = (c: { outcome: string | null }) => c.outcome === 'cured' || c.outcome === 'paid';
  const scoreAtOpen = new Map(scoreRows.filter((r) => caseIds.has(r.case_id)).map((r) => [r.case_id, Number(r.probability)]));
  const scoredResolved = resolved.filter((c) => scoreAtOpen.has(c.id));
  const bands = new Map<number, { predicted: number[]; cured: number }>();
  for (const c of scoredResolved) {
    const p = scoreAtOpen.get(c.id)!;
    const band = Math.min(9, Math.floor(p * 10));
    const entry = bands.get(band) ?? { predicted: [], cured: 0 };
    entry.predicted.push(p);
    if (isCured(c)) entry.cured += 1;
    bands.set(band, entry);
  }
  const scoring: ScoringFigures = {
    scoredCases: scoreAtOpen.size,
    resolvedScoredCases: scoredResolved.length,
    meanPredicted: scoredResolved.length ? scoredResolved.reduce((s, c) => s + scoreAtOpen.get(c.id)!, 0) / scoredResolved.length : null,
    observedCureRate: rate(scoredResolved.filter(isCured).length, scoredResolved.length),
    calibration: [...bands]
      .sort((a, b) => a[0] - b[0])
      .map(([band, e]) => ({
        from: band / 10,
        to: (band + 1) / 10,
        cases: e.predicted.length,
        meanPredicted: e.predicted.reduce((s, p) => s + p, 0) / e.predicted.length,
        observed: wilson(e.cured, e.predicted.length),
      })),
  };

  // ---- champion and challenger (issue #15): the arm is recomputed from the pinned strategy version ----
  const strategyRows = await queryRows<{ id: string; version: number; segments: unknown }>(
    db,
    sql`SELECT s.id, s.version, s.document->'segments' AS segments FROM strategies s
        WHERE (s.id, s.version) IN (SELECT DISTINCT strategy_id, strategy_version FROM collection_cases WHERE loan_id LIKE ${like})`,
  );
  const challengerPercent = new Map<string, number>();
  for (const row of strategyRows) {
    const segments = typeof row.segments === 'string' ? JSON.parse(row.segments) : row.segments;
    if (!Array.isArray(segments)) continue;
    for (const seg of segments as Array<{ id?: unknown; challenger?: { percent?: unknown } }>) {
      if (typeof seg.id === 'string' && typeof seg.challenger?.percent === 'number') challengerPercent.set(`${row.id}|${Number(row.version)}|${seg.id}`, seg.challenger.percent);
    }
  }
  const armCases: Record<'champion' | 'challenger', typeof cases> = { champion: [], challenger: [] };
  for (const c of cases) {
    const percent = c.segment === null ? undefined : challengerPercent.get(`${c.strategyId}|${c.strategyVersion}|${c.segment}`);
    if (percent === undefined) continue;
    armCases[experimentBucket(c.loanId) < percent ? 'challenger' : 'champion'].push(c);
  }
  const armFigures = (members: typeof cases): ArmFigures => {
    const done = members.filter((c) => c.closedAt !== null);
    const withPlan = members.filter((c) => planAgreed.has(c.id));
    return {
      cases: members.length,
      resolved: done.length,
      cureRate: wilson(done.filter(isCured).length, done.length),
      recovery: meanInterval(members.filter((c) => recoveredShare.has(c.id)).map((c) => recoveredShare.get(c.id)!), { min: 0, max: 1 }),
      contactsPerResolvedCase: meanInterval(done.map((c) => (messagesByCase.get(c.id) ?? 0) + (callsByCase.get(c.id) ?? 0)), { min: 0 }),
      brokenPlanRate: wilson(withPlan.filter((c) => planBroken.has(c.id)).length, withPlan.length),
    };
  };
  const champion = armFigures(armCases.champion);
  const challenger = armFigures(armCases.challenger);
  const experiment = compareArms(armCases.champion.length + armCases.challenger.length, champion, challenger);

  const durations = resolved.map((c) => (c.closedAt!.getTime() - c.openedAt.getTime()) / dayMs).sort((a, b) => a - b);
  const cured = resolved.filter((c) => c.outcome === 'cured' || c.outcome === 'paid').length;

  return {
    asOf: at,
    loanIdPrefix: options.loanIdPrefix ?? null,
    dayMs,
    cases: { total: cases.length, open: cases.length - resolved.length, resolved: resolved.length },
    byStage,
    byOutcome,
    funnel,
    cureRate: rate(cured, resolved.length),
    rightPartyContactRate: rate(conversations, callOutcomes),
    promiseKeptRate: rate(kept, kept + broken),
    recovery: recoveryRows,
    curves,
    contactsPerResolvedCase: {
      messages: messagesOnResolved,
      calls: callsOnResolved,
      resolvedCases: resolved.length,
      perCase: resolved.length > 0 ? (messagesOnResolved + callsOnResolved) / resolved.length : null,
    },
    blockedByRule: [...blocked].map(([rule, contacts]) => ({ rule, contacts })).sort((a, b) => b.contacts - a.contacts || a.rule.localeCompare(b.rule)),
    timeToResolutionDays: { median: percentile(durations, 0.5), p90: percentile(durations, 0.9), cases: durations.length },
    selfService,
    complaintsPer1000,
    scoring,
    experiment,
  };
}

// ---- rendering ----

export function formatRate(r: Rate | number | null): string {
  const value = r !== null && typeof r === 'object' ? r.rate : r;
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

const fmtDays = (d: number | null) => (d === null ? '—' : `${d.toFixed(1)} d`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The self-service line: promises, plans, disputes and complaints made on the borrower's page / otherwise. */
function selfServiceRows(report: PortfolioReport): string[][] {
  const self = report.selfService;
  if (!self) return [];
  const kinds = ['promises', 'plans', 'disputes', 'complaints'] as const;
  const page = kinds.reduce((n, k) => n + self[k].page, 0);
  const all = kinds.reduce((n, k) => n + self[k].page + self[k].other, 0);
  return [['self-service (made on the borrower page / all)', `${page}/${all}`, kinds.map((k) => `${k} ${self[k].page} on the page, ${self[k].other} via collectors or API`).join('; ')]];
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
/** "x (low to high)" with the bounds in the same format; "—" bounds when there is no interval. */
const withInterval = (i: Interval, f: (v: number | null) => string) => (i.estimate === null ? '—' : i.low === null ? `${f(i.estimate)} (no interval)` : `${f(i.estimate)} (${f(i.low)} to ${f(i.high)})`);
const signed = (f: (v: number | null) => string) => (v: number | null) => (v !== null && v > 0 ? `+${f(v)}` : f(v));
/** A difference of two shares, in percentage points. */
const points = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} pp`);
const count2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** The cure-propensity lines: cases scored at open and the calibration table. */
function scoringLines(report: PortfolioReport): string[] {
  const s = report.scoring;
  if (!s || s.scoredCases === 0) return [];
  const out = ['', scoringSummary(report, s)];
  if (s.calibration.length) out.push('', table(['calibration: predicted band', 'resolved cases', 'mean predicted', 'observed cure rate (95% CI)'], calibrationRows(s)));
  return out;
}

const rateCell = (r: RateEstimate) => `${withInterval(r, pct)} · ${r.successes}/${r.n}`;
const meanCell = (m: MeanEstimate, f: (v: number | null) => string) => `${withInterval(m, f)} · n ${m.n}`;

/** The calibration rows (band, resolved cases, mean predicted, observed with its interval), shared by the terminal and HTML renderers. */
function calibrationRows(s: ScoringFigures): string[][] {
  return s.calibration.map((b) => [`${Math.round(b.from * 100)}-${Math.round(b.to * 100)}%`, String(b.cases), pct(b.meanPredicted), `${withInterval(b.observed, pct)} · ${b.observed.successes}/${b.observed.n}`]);
}

/** The line above the calibration table: how many cases were scored and the overall comparison. */
function scoringSummary(report: PortfolioReport, s: ScoringFigures): string {
  return (
    `Cure propensity at case open: ${s.scoredCases} of ${report.cases.total} cases scored; on ${s.resolvedScoredCases} resolved scored cases ` +
    `mean predicted ${pct(s.meanPredicted)}, observed cure rate ${formatRate(s.observedCureRate)}`
  );
}

/** Champion against challenger rows (figure, champion, challenger, challenger − champion), shared by both renderers. */
function experimentRows(e: ExperimentFigures): string[][] {
  const { champion: a, challenger: b, difference: d } = e;
  return [
    ['cases (resolved)', `${a.cases} (${a.resolved})`, `${b.cases} (${b.resolved})`, ''],
    ['cure rate', rateCell(a.cureRate), rateCell(b.cureRate), withInterval(d.cureRate, signed(points))],
    ['recovery (mean share of past due per case)', meanCell(a.recovery, pct), meanCell(b.recovery, pct), withInterval(d.recovery, signed(points))],
    ['contacts per resolved case', meanCell(a.contactsPerResolvedCase, count2), meanCell(b.contactsPerResolvedCase, count2), withInterval(d.contactsPerResolvedCase, signed(count2))],
    ['broken-plan rate (broken / agreed plans)', rateCell(a.brokenPlanRate), rateCell(b.brokenPlanRate), withInterval(d.brokenPlanRate, signed(points))],
  ];
}

/** Champion against challenger with 95% intervals and challenger − champion. */
function experimentLines(report: PortfolioReport): string[] {
  const e = report.experiment;
  if (!e || e.cases === 0) return [];
  return ['', table(['champion vs challenger (95% CI)', 'champion', 'challenger', 'challenger − champion'], experimentRows(e))];
}

export function renderReportTable(report: PortfolioReport): string {
  const out: string[] = [];
  const scope = report.loanIdPrefix ? ` (loans ${report.loanIdPrefix}*)` : '';
  out.push(`Portfolio report as of ${report.asOf}${scope}${report.dayMs !== DAY_MS ? ` — a day is ${report.dayMs / 1000} s` : ''}`);
  out.push(`Cases: ${report.cases.total} (${report.cases.open} open, ${report.cases.resolved} resolved)`, '');
  out.push(
    table(
      ['figure', 'value', 'counted from'],
      [
        ['cure rate (cured or paid / resolved)', formatRate(report.cureRate), `${report.cureRate.numerator} cured or paid of ${report.cureRate.denominator} resolved`],
        [
          'right-party contact (conversations / call outcomes)',
          formatRate(report.rightPartyContactRate),
          `${report.rightPartyContactRate.numerator} conversations of ${report.rightPartyContactRate.denominator} call outcomes`,
        ],
        ['promises kept (kept / kept + broken)', formatRate(report.promiseKeptRate), `${report.promiseKeptRate.numerator} kept, ${report.promiseKeptRate.denominator - report.promiseKeptRate.numerator} broken`],
        [
          'contacts per resolved case (messages + calls)',
          report.contactsPerResolvedCase.perCase === null ? '—' : report.contactsPerResolvedCase.perCase.toFixed(2),
          `(${report.contactsPerResolvedCase.messages} messages + ${report.contactsPerResolvedCase.calls} calls) / ${report.contactsPerResolvedCase.resolvedCases} resolved cases`,
        ],
        ...selfServiceRows(report),
        ['time to resolution, median', fmtDays(report.timeToResolutionDays.median), `${report.timeToResolutionDays.cases} resolved cases`],
        ['time to resolution, p90', fmtDays(report.timeToResolutionDays.p90), `${report.timeToResolutionDays.cases} resolved cases`],
      ],
    ),
  );
  out.push(...scoringLines(report), ...experimentLines(report));
  out.push('', table(['funnel: reached stage', 'cases'], report.funnel.map((f) => [f.stage, String(f.cases)])));
  for (const [dimension, rows] of [['stage', report.complaintsPer1000?.byStage], ['collector', report.complaintsPer1000?.byCollector]] as const) {
    if (!rows?.some((r) => r.complaints > 0)) continue;
    out.push('', table([`complaints by ${dimension}`, 'per 1,000 cases', 'complaints / cases'], rows.map((r) => [r.key, r.per1000.toFixed(1), `${r.complaints} / ${r.cases}`])));
  }
  const stages = Object.entries(report.byStage);
  out.push('', table(['open cases by stage', 'cases'], stages.length ? stages.map(([s, n]) => [s, String(n)]) : [['(none)', '0']]));
  const outcomes = Object.entries(report.byOutcome).sort((a, b) => b[1] - a[1]);
  out.push('', table(['resolved cases by outcome', 'cases'], outcomes.length ? outcomes.map(([s, n]) => [s, String(n)]) : [['(none)', '0']]));
  out.push(
    '',
    table(
      ['recovery by DPD at open', 'currency', 'cases', 'past due at open', 'recovered', 'rate'],
      report.recovery.map((r) => [r.bucket, r.currency, String(r.cases), formatMoney(r.pastDueAtOpenMinor, r.currency), formatMoney(r.recoveredMinor, r.currency), formatRate(r.rate)]),
    ),
  );
  out.push('', table(['contacts blocked by rule', 'contacts'], report.blockedByRule.length ? report.blockedByRule.map((b) => [b.rule, String(b.contacts)]) : [['(none)', '0']]));
  return out.join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The stage funnel as an inline SVG of horizontal bars. */
export function funnelSvg(report: PortfolioReport): string {
  const width = 560;
  const bar = 26;
  const gap = 8;
  const label = 110;
  const max = Math.max(1, ...report.funnel.map((f) => f.cases));
  const height = report.funnel.length * (bar + gap) + gap;
  const bars = report.funnel
    .map((f, i) => {
      const y = gap + i * (bar + gap);
      const w = Math.max(1, Math.round(((width - label - 60) * f.cases) / max));
      return `<g><text x="${label - 8}" y="${y + bar * 0.68}" text-anchor="end">${escapeHtml(f.stage)}</text><rect x="${label}" y="${y}" width="${w}" height="${bar}" fill="#1971c2" rx="3"/><text x="${label + w + 6}" y="${y + bar * 0.68}">${f.cases}</text></g>`;
    })
    .join('');
  return `<svg id="funnel" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Stage funnel" font-family="system-ui, sans-serif" font-size="13">${bars}</svg>`;
}

/**
 * Round axis ticks covering 0..max: a step of 1, 2 or 5 times a power of ten giving at most `most`
 * intervals, and the last tick at or above max. niceTicks(119) = 0, 20, … 120.
 */
export function niceTicks(max: number, most = 6): number[] {
  const span = max > 0 ? max : 1;
  const power = 10 ** Math.floor(Math.log10(span / most));
  const step = [1, 2, 5, 10].map((f) => f * power).find((st) => span / st <= most)!;
  const top = Math.ceil(span / step - 1e-9) * step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/**
 * One look per DPD bucket: colour-blind-safe hues (Okabe-Ito) and a distinct dash, so two curves that
 * run together (they often plateau at the same share) stay apart by pattern where the colour is hidden.
 */
const CURVE_STYLE: Record<DpdBucket, { colour: string; dash: string; width: number }> = {
  // The solid line is the widest and drawn first: where a dashed line runs on top of it, it shows in the gaps and at the edges.
  '1-30': { colour: '#009e73', dash: '', width: 5 },
  '31-60': { colour: '#0072b2', dash: '10 6', width: 2.5 },
  '61-90': { colour: '#e69f00', dash: '2 5', width: 3 },
  '90+': { colour: '#cc3311', dash: '14 4 3 4', width: 2.5 },
};

/**
 * Recovery curves (share recovered vs days since case open, one line per DPD bucket) as inline SVG that
 * fills the page's width. Both axes have round ticks; the share axis stops at the round step above the
 * highest curve (never beyond 100%); a legend names each line with its case count.
 */
export function curvesSvg(report: PortfolioReport): string {
  const width = 960;
  const height = 380;
  const m = { left: 56, right: 24, top: 44, bottom: 44 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  // Days run to a little past the last change of any curve: a long flat tail after every case has
  // settled would squeeze the part that says something into the left edge.
  const lastDay = Math.max(1, ...report.curves.map((c) => c.points.length - 1));
  const lastChange = Math.max(1, ...report.curves.map((c) => c.points.findLastIndex((p, i) => i > 0 && p.share !== c.points[i - 1]!.share)));
  const dayTicks = niceTicks(Math.min(lastDay, Math.ceil(lastChange * 1.15)), 8);
  const highest = Math.max(0, ...report.curves.flatMap((c) => c.points.map((p) => p.share)));
  const shareTicks = niceTicks(Math.min(1, Math.max(0.1, highest)) * 100, 5).filter((t) => t <= 100).map((t) => t / 100);
  const dayMax = dayTicks.at(-1)!;
  const shareMax = shareTicks.at(-1)!;
  const x = (d: number) => m.left + (plotW * d) / dayMax;
  const y = (s: number) => m.top + plotH * (1 - Math.min(s, shareMax) / shareMax);
  const n = (v: number) => v.toFixed(1);
  const grid = shareTicks
    .map((s) => `<line x1="${m.left}" x2="${m.left + plotW}" y1="${n(y(s))}" y2="${n(y(s))}" stroke="#e5e5e5"/><text class="tick" x="${m.left - 8}" y="${n(y(s) + 4)}" text-anchor="end">${Math.round(s * 100)}%</text>`)
    .join('');
  const ticks = dayTicks
    .map((d) => `<line x1="${n(x(d))}" x2="${n(x(d))}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}" stroke="#888"/><text class="tick" x="${n(x(d))}" y="${m.top + plotH + 19}" text-anchor="middle">${d}</text>`)
    .join('');
  const lines = report.curves
    .map((c) => {
      const path = c.points.filter((p) => p.day <= dayMax).map((p, j) => `${j === 0 ? 'M' : 'L'}${n(x(p.day))},${n(y(p.share))}`).join(' ');
      const { colour, dash, width: stroke } = CURVE_STYLE[c.bucket];
      return `<path class="curve" data-bucket="${c.bucket}" d="${path}" fill="none" stroke="${colour}" stroke-width="${stroke}" stroke-linejoin="round" stroke-linecap="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
    })
    .join('');
  // Entries side by side, each as wide as its label (at most 8 px a character at 14 px).
  let legendX = m.left;
  const legend = report.curves
    .map((c) => {
      const { colour, dash, width: stroke } = CURVE_STYLE[c.bucket];
      const label = `${c.bucket} DPD · ${c.cases} case${c.cases === 1 ? '' : 's'}`;
      const lx = legendX;
      legendX += 44 + label.length * 8 + 24;
      return `<g class="legend" data-bucket="${c.bucket}"><line x1="${lx}" x2="${lx + 36}" y1="18" y2="18" stroke="${colour}" stroke-width="${stroke}"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${lx + 44}" y="23">${escapeHtml(label)}</text></g>`;
    })
    .join('');
  const axes = `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#888"/><line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#888"/>`;
  const notes = [report.dayMs !== DAY_MS ? `a day is ${report.dayMs / 1000} s` : '', dayMax < lastDay ? `no curve moves after day ${lastChange}; the data run to day ${lastDay}` : ''].filter(Boolean);
  const dayWord = `days since case open${notes.length ? ` (${notes.join('; ')})` : ''}`;
  return `<svg id="recovery-curves" xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 ${width} ${height}" role="img" aria-label="Recovery curves: share of past-due recovered by days since case open, per DPD bucket" font-family="system-ui, sans-serif" font-size="14">${legend}${grid}${axes}${ticks}<text x="${m.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${dayWord}</text>${lines}</svg>`;
}

/** A self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderReportHtml(report: PortfolioReport): string {
  const row = (cells: string[]) => `<tr>${cells.map((c, i) => (i === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`;
  const kv = (title: string, entries: Array<[string, string]>) => `<table><caption>${escapeHtml(title)}</caption>${entries.length ? entries.map(([k, v]) => row([k, v])).join('') : row(['(none)', '0'])}</table>`;
  const headline = [
    ['Cure rate', formatRate(report.cureRate), `${report.cureRate.numerator} cured or paid of ${report.cureRate.denominator} resolved`],
    ['Right-party contact', formatRate(report.rightPartyContactRate), `${report.rightPartyContactRate.numerator} conversations of ${report.rightPartyContactRate.denominator} call outcomes`],
    ['Promises kept', formatRate(report.promiseKeptRate), `${report.promiseKeptRate.numerator} kept, ${report.promiseKeptRate.denominator - report.promiseKeptRate.numerator} broken`],
    ['Contacts per resolved case', report.contactsPerResolvedCase.perCase === null ? '—' : report.contactsPerResolvedCase.perCase.toFixed(2), `${report.contactsPerResolvedCase.messages} messages + ${report.contactsPerResolvedCase.calls} calls over ${report.contactsPerResolvedCase.resolvedCases} resolved cases`],
    ['Time to resolution', `${fmtDays(report.timeToResolutionDays.median)} median`, `p90 ${fmtDays(report.timeToResolutionDays.p90)}`],
  ]
    .map(([k, v, s]) => `<div class="tile"><div class="k">${escapeHtml(k!)}</div><div class="v">${escapeHtml(v!)}</div><div class="s">${escapeHtml(s!)}</div></div>`)
    .join('');
  const recovery = `<table><caption>Recovery by DPD bucket at case open</caption><tr><th>bucket</th><th>currency</th><th>cases</th><th>past due at open</th><th>recovered</th><th>rate</th></tr>${report.recovery
    .map((r) => `<tr><th>${r.bucket}</th><td>${r.currency}</td><td>${r.cases}</td><td>${escapeHtml(formatMoney(r.pastDueAtOpenMinor, r.currency))}</td><td>${escapeHtml(formatMoney(r.recoveredMinor, r.currency))}</td><td>${formatRate(r.rate)}</td></tr>`)
    .join('')}</table>`;
  const scale = report.dayMs !== DAY_MS ? ` · time-scaled: a day is ${report.dayMs / 1000} s` : '';
  const grid = (id: string, caption: string, headers: string[], rows: string[][]) =>
    `<table id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr>${headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((cells) => `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const s = report.scoring;
  const scoring =
    s && s.scoredCases > 0
      ? `<section><h2>Cure propensity at case open</h2><p class="note">${escapeHtml(scoringSummary(report, s))}. A calibrated model has each band's observed cure rate near its mean prediction; the interval is Wilson's 95% score interval.</p>${
          s.calibration.length ? grid('calibration', 'Calibration on resolved scored cases, by band of predicted propensity', ['predicted band', 'resolved cases', 'mean predicted', 'observed cure rate (95% CI) · cured/resolved'], calibrationRows(s)) : ''
        }</section>`
      : '';
  const e = report.experiment;
  const experiment =
    e && e.cases > 0
      ? `<section><h2>Champion vs challenger</h2><p class="note">${e.cases} cases in segments that run a challenger, split by the loan id's stable hash. Each figure with its 95% interval: Wilson for rates, the normal approximation for means; the difference with Newcombe's interval for rates (percentage points) and Welch's standard error for means. An interval that spans 0 cannot tell the arms apart.</p>${grid(
          'champion-challenger',
          'Champion vs challenger, each with its 95% interval',
          ['figure', 'champion', 'challenger', 'challenger − champion'],
          experimentRows(e),
        )}</section>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Overdue portfolio report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.tiles{display:flex;flex-wrap:wrap;gap:1rem}.tile{border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;min-width:180px}
.k{color:#666;font-size:.85rem}.v{font-size:1.6rem;font-weight:600}.s{color:#666;font-size:.8rem}
table{border-collapse:collapse;margin:1rem 2rem 1rem 0;display:inline-table;vertical-align:top}caption{text-align:left;font-weight:600;padding-bottom:.3rem}
th,td{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:right}th:first-child{text-align:left}
.wide svg{display:block;width:100%;height:auto}.note{color:#666;font-size:.85rem}
</style></head><body>
<h1>Overdue portfolio report</h1>
<p class="note">As of ${escapeHtml(report.asOf)}${report.loanIdPrefix ? ` · loans ${escapeHtml(report.loanIdPrefix)}*` : ''}${scale} · ${report.cases.total} cases, ${report.cases.open} open, ${report.cases.resolved} resolved</p>
<div class="tiles">${headline}</div>
<section class="wide"><h2>Recovery curves</h2>${curvesSvg(report)}<p class="note">Mean share of each case's past-due amount recovered by day <i>d</i> since the case opened, one line per DPD bucket at case open (a case counts at most 100%).</p></section>
<section><h2>Stage funnel</h2>${funnelSvg(report)}</section>
${scoring}
${experiment}
${recovery}
${kv('Open cases by stage', Object.entries(report.byStage).map(([k, v]) => [k, String(v)]))}
${kv('Resolved cases by outcome', Object.entries(report.byOutcome).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)]))}
${kv('Contacts blocked by rule', report.blockedByRule.map((b) => [b.rule, String(b.contacts)]))}
</body></html>
`;
}

/** Both arms' figures side by side, with the challenger's difference from the champion on each. */
export function compareArms(cases: number, champion: ArmFigures, challenger: ArmFigures): ExperimentFigures {
  return {
    cases,
    champion,
    challenger,
    difference: {
      cureRate: rateDifference(champion.cureRate, challenger.cureRate),
      recovery: meanDifference(champion.recovery, challenger.recovery),
      contactsPerResolvedCase: meanDifference(champion.contactsPerResolvedCase, challenger.contactsPerResolvedCase),
      brokenPlanRate: rateDifference(champion.brokenPlanRate, challenger.brokenPlanRate),
    },
  };
}
