// The auditor's check over the database: for each loan, rebuild what the rules knew at every instant
// (disputes, cease, opt-outs, pauses, nothing due, flags) from the contact record, the ledger and the
// append-only audit trail, then re-run the case's rule pack over every contact that went out
// (domain/compliance findViolations, the same evaluateContact the workflow plans with and the send-time
// gate blocks with). It mirrors the gate in activities/channels.ts, but over time: where the gate reads
// "the dispute is open now", the auditor reads "the dispute was open from openedAt to resolvedAt".
//
// Where the record cannot say when a fact began, the auditor assumes the stricter reading (an auditor
// cannot prove it began later): a bankruptcy, deceased or attorney flag with no dated audit event holds
// from the start; stated inconvenient times and a quiet-hours agreement are taken as they are stored now.
import { and, asc, eq, gt, inArray, or } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { NotFoundError, ValidationError } from '../../db/repository/errors';
import {
  auditEvents,
  borrowers,
  CHANNELS,
  collectionCases,
  collectorTasks,
  contactAttempts,
  disputes,
  installments,
  loans,
  paymentAllocations,
  payments,
  strategies,
  type AuditEvent,
  type Borrower,
  type Channel,
  type CollectionCase,
} from '../../db/schema';
import { visitFactsOf } from '../../db/repository/tasks';
import { contactKindOf, findViolations, type AuditBorrower, type AuditContact, type Violation } from '../../domain/compliance';
import type { AuditChange } from '../../domain/compliance/audit';
import { loanPosition, type LedgerInstallment } from '../../domain/ledger';
import { findDefaultStrategy } from '../../domain/strategy/defaults';
import { minMessageGapMs, parseDuration } from '../../domain/strategy/duration';
import type { RulePackId, Strategy } from '../../domain/strategy/types';

export type { Violation } from '../../domain/compliance';

export interface AuditScope {
  /** Only this loan's cases. */
  loanId?: string;
  /** Only this case (its loan's whole record is still read, for the contact history). */
  caseId?: string;
  /** Only contacts at or after this instant are reported (earlier ones still count in the history). */
  since?: Date | string;
  /**
   * The instant a message is judged at: when it left (`sent`, the default and the strict reading), or
   * when the send-time gate decided to send it (`decided`): a fact put on record while the message was
   * already with the provider could not have stopped it. In that reading a payment counts from when it
   * was recorded in the ledger (a backend reports payments after receiving them).
   */
  messageInstant?: 'sent' | 'decided';
}

export interface ComplianceAudit {
  /** Contacts re-checked: sent and presumed-sent messages plus completed collector calls, in scope. */
  checked: number;
  violations: Violation[];
  /** Cases in scope. */
  cases: number;
}

/** Rule id reported when a case's strategy (so its rule pack) cannot be found. */
export const UNKNOWN_STRATEGY_RULE = 'audit.unknown-strategy';

/** Call outcomes in which nobody was spoken to (the same reading as the workflow's call stage). */
const UNANSWERED = new Set(['no_answer', 'wrong_number']);
/** An operator pause with no resume on record: still paused. Reported without an "allowed from". */
const NEVER = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** How long after the workflow audits a call outcome the collector's task may be marked done. */
const OUTCOME_TO_TASK_MS = 10 * 60_000;
const LOANS_PER_PAGE = 200;

export async function auditContacts(db: Database, scope: AuditScope = {}): Promise<ComplianceAudit> {
  const sinceMs = scope.since === undefined ? undefined : parseSince(scope.since);
  let loanIds: string[];
  if (scope.caseId !== undefined) {
    const row = await caseById(db, scope.caseId);
    if (scope.loanId !== undefined && row.loanId !== scope.loanId) {
      throw new ValidationError(`case ${scope.caseId} belongs to loan ${row.loanId}, not ${scope.loanId}`, 'caseId');
    }
    loanIds = [row.loanId];
  } else if (scope.loanId !== undefined) {
    const [loan] = await db.select({ id: loans.id }).from(loans).where(eq(loans.id, scope.loanId));
    if (!loan) throw new NotFoundError(`loan ${scope.loanId} not found`, 'loanId');
    loanIds = [scope.loanId];
  } else {
    loanIds = [];
  }

  const result: ComplianceAudit = { checked: 0, cases: 0, violations: [] };
  const auditLoan = async (loanId: string) => {
    const one = await auditLoanRecord(db, loanId, { caseId: scope.caseId, sinceMs, messageInstant: scope.messageInstant });
    result.checked += one.checked;
    result.cases += one.cases;
    result.violations.push(...one.violations);
  };
  if (scope.caseId !== undefined || scope.loanId !== undefined) {
    for (const loanId of loanIds) await auditLoan(loanId);
  } else {
    // The whole portfolio, a page of loans at a time, so memory stays flat however many cases there are.
    let after: string | undefined;
    for (;;) {
      const page = await db
        .selectDistinct({ loanId: collectionCases.loanId })
        .from(collectionCases)
        .where(after === undefined ? undefined : gt(collectionCases.loanId, after))
        .orderBy(asc(collectionCases.loanId))
        .limit(LOANS_PER_PAGE);
      for (const { loanId } of page) await auditLoan(loanId);
      if (page.length < LOANS_PER_PAGE) break;
      after = page[page.length - 1]!.loanId;
    }
  }
  result.violations.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.loanId.localeCompare(b.loanId));
  return result;
}

/** The instant of a --since value: an ISO-8601 instant or a date (midnight UTC). Throws ValidationError. */
export function parseSince(since: Date | string): number {
  const ms = since instanceof Date ? since.getTime() : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(since) ? Date.parse(since) : NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(`since must be an ISO-8601 instant or date such as "2025-03-01T00:00:00Z" (got ${JSON.stringify(String(since))})`, 'since');
  }
  return ms;
}

async function caseById(db: Database, caseId: string): Promise<CollectionCase> {
  // collection_cases.id is a uuid: anything else cannot name a case (and would be a database error).
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(caseId)) {
    throw new ValidationError(`caseId must be a case uuid (got ${JSON.stringify(caseId)})`, 'caseId');
  }
  const [row] = await db.select().from(collectionCases).where(eq(collectionCases.id, caseId));
  if (!row) throw new NotFoundError(`case ${caseId} not found`, 'caseId');
  return row;
}

// ---- one loan ----

interface LoanRecord {
  borrower: Borrower;
  cases: CollectionCase[];
  ledger: LedgerInstallment[];
  /** Allocations with the instant their payment was received. */
  allocations: Array<{ seq: number; amountMinor: number; receivedAt: number }>;
  acceleratedAt: Date | null;
  disputes: Array<{ id: string; openedAt: Date; resolvedAt: Date | null }>;
  /** Audit events of this loan, plus borrower-level ones recorded through the borrower's other loans. */
  events: AuditEvent[];
  messages: Array<typeof contactAttempts.$inferSelect>;
  calls: Array<typeof collectorTasks.$inferSelect>;
  strategies: Map<string, { pack?: RulePackId; hardshipPauseMs?: number; minMessageGapMs: number }>;
}

/** Audit actions that describe the borrower rather than one loan (opt-outs and cease live on the borrower). */
const BORROWER_ACTIONS = ['borrower.cease', 'borrower.opt_out', 'borrower.barred', 'workflow.cease_requested', 'workflow.channel_opted_out', 'workflow.collection_barred'];

/** `asDecided`: a payment counts from when the ledger learned of it (its record), not from when it was received. */
async function loadLoan(db: Database, loanId: string, asDecided = false): Promise<LoanRecord> {
  const [loan] = await db.select().from(loans).where(eq(loans.id, loanId));
  if (!loan) throw new NotFoundError(`loan ${loanId} not found`, 'loanId');
  const [borrower, cases, ledger, allocations, disputeRows, siblingLoans, messages, calls] = await Promise.all([
    db.select().from(borrowers).where(eq(borrowers.id, loan.borrowerId)).then((rows) => rows[0]!),
    db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId)).orderBy(asc(collectionCases.openedAt)),
    db.select().from(installments).where(eq(installments.loanId, loanId)).orderBy(asc(installments.seq)),
    db
      .select({ seq: paymentAllocations.installmentSeq, amountMinor: paymentAllocations.amountMinor, receivedAt: payments.receivedAt, recordedAt: payments.createdAt })
      .from(paymentAllocations)
      .innerJoin(payments, eq(payments.id, paymentAllocations.paymentId))
      .where(eq(paymentAllocations.loanId, loanId)),
    db.select().from(disputes).where(eq(disputes.loanId, loanId)),
    db.select({ id: loans.id }).from(loans).where(eq(loans.borrowerId, loan.borrowerId)),
    db
      .select()
      .from(contactAttempts)
      .where(and(eq(contactAttempts.loanId, loanId), inArray(contactAttempts.status, ['sent', 'presumed_sent']))),
    db
      .select()
      .from(collectorTasks)
      .where(and(eq(collectorTasks.loanId, loanId), inArray(collectorTasks.kind, ['call', 'visit']), eq(collectorTasks.status, 'done'))),
  ]);
  const otherLoans = siblingLoans.map((l) => l.id).filter((id) => id !== loanId);
  const events = await db
    .select()
    .from(auditEvents)
    .where(
      otherLoans.length === 0
        ? eq(auditEvents.loanId, loanId)
        : or(eq(auditEvents.loanId, loanId), and(inArray(auditEvents.loanId, otherLoans), inArray(auditEvents.action, BORROWER_ACTIONS))),
    )
    .orderBy(asc(auditEvents.at), asc(auditEvents.id));
  return {
    borrower,
    cases,
    ledger: ledger.map((i) => ({ seq: i.seq, dueDate: i.dueDate, amountDueMinor: i.amountDueMinor, amountPaidMinor: 0 })),
    allocations: allocations.map((a) => ({
      seq: a.seq,
      amountMinor: a.amountMinor,
      receivedAt: asDecided ? Math.max(a.receivedAt.getTime(), a.recordedAt.getTime()) : a.receivedAt.getTime(),
    })),
    acceleratedAt: loan.acceleratedAt,
    disputes: disputeRows,
    events,
    messages,
    calls: calls.filter((t) => t.outcome !== null && t.completedAt !== null),
    strategies: await strategiesOf(db, cases),
  };
}

/** The rule pack, hardship pause and message gap of each pinned strategy version, keyed "id@version". */
async function strategiesOf(db: Database, cases: CollectionCase[]): Promise<LoanRecord['strategies']> {
  const out: LoanRecord['strategies'] = new Map();
  for (const c of cases) {
    const key = `${c.strategyId}@${c.strategyVersion}`;
    if (out.has(key)) continue;
    const [row] = await db
      .select({ document: strategies.document })
      .from(strategies)
      .where(and(eq(strategies.id, c.strategyId), eq(strategies.version, c.strategyVersion)));
    // The same fallback as the send-time gate: the stored version, else the shipped document of that id.
    const doc = (row?.document as Partial<Strategy> | undefined) ?? findDefaultStrategy(c.strategyId);
    let hardshipPauseMs: number | undefined;
    try {
      hardshipPauseMs = doc?.hardshipPause === undefined ? undefined : parseDuration(doc.hardshipPause);
    } catch {
      hardshipPauseMs = undefined;
    }
    let gapMs = 0;
    try {
      gapMs = doc ? minMessageGapMs(doc) : 0;
    } catch {
      gapMs = 0;
    }
    out.set(key, { pack: doc?.rulePack, hardshipPauseMs, minMessageGapMs: gapMs });
  }
  return out;
}

async function auditLoanRecord(
  db: Database,
  loanId: string,
  scope: { caseId?: string; sinceMs?: number; messageInstant?: 'sent' | 'decided' },
): Promise<ComplianceAudit> {
  const record = await loadLoan(db, loanId, scope.messageInstant === 'decided');
  const { cases } = record;
  const caseOf = (caseId: string | null, atMs: number): CollectionCase | undefined =>
    cases.find((c) => c.id === caseId) ??
    // A contact recorded without a case belongs to the case open at its instant (or the first one).
    [...cases].reverse().find((c) => c.openedAt.getTime() <= atMs) ??
    cases[0];
  const strategyOf = (c: CollectionCase) => record.strategies.get(`${c.strategyId}@${c.strategyVersion}`)!;

  // Every contact of the loan, whatever the scope: earlier contacts count in the caps of later ones.
  const contacts: Array<AuditContact & { caseId: string; ms: number }> = [];
  for (const m of record.messages) {
    const at = scope.messageInstant === 'decided' ? m.scheduledFor : (m.sentAt ?? m.createdAt);
    const c = caseOf(m.caseId, at.getTime());
    if (!c) continue;
    contacts.push({
      caseId: c.id,
      loanId,
      channel: m.channel,
      at: at.toISOString(),
      ms: at.getTime(),
      status: m.status,
      // The rule module's own classification, as the send-time gate uses it.
      kind: contactKindOf(m.template),
      ...(m.channel === 'call' && m.connected !== null ? { connected: m.connected } : {}),
    });
  }
  for (const t of record.calls) {
    // The collector's outcome is the call's instant on record (the workflow counts it then, too).
    const at = t.completedAt!;
    const c = caseOf(t.caseId, at.getTime());
    if (!c) continue;
    if (t.kind === 'visit') {
      // A field visit is checked as a visit: where it was and when it was announced (the task's payload).
      contacts.push({ caseId: c.id, loanId, channel: 'visit', at: at.toISOString(), ms: at.getTime(), status: 'sent', kind: 'collection', visit: visitFactsOf(t.payload) });
      continue;
    }
    contacts.push({ caseId: c.id, loanId, channel: 'call', at: at.toISOString(), ms: at.getTime(), status: 'sent', connected: !UNANSWERED.has(t.outcome!), kind: 'collection' });
  }

  const inScope = (x: { caseId: string; at: string }) =>
    (scope.caseId === undefined || x.caseId === scope.caseId) && (scope.sinceMs === undefined || Date.parse(x.at) >= scope.sinceMs);
  const casesInScope = scope.caseId === undefined ? cases.length : cases.filter((c) => c.id === scope.caseId).length;
  const checked = contacts.filter(inScope).length;

  const violations: Violation[] = [];
  // A loan's cases may pin strategies with different packs: each pack re-checks the contacts of its own
  // cases, over the history of all of them.
  const packs = new Map<string, Set<string>>();
  for (const c of cases) {
    const pack = strategyOf(c).pack ?? '';
    packs.set(pack, (packs.get(pack) ?? new Set()).add(c.id));
  }
  for (const [pack, caseIds] of packs) {
    if (pack === '') {
      for (const contact of contacts.filter((x) => caseIds.has(x.caseId) && inScope(x))) {
        const c = cases.find((k) => k.id === contact.caseId)!;
        violations.push({
          caseId: contact.caseId,
          loanId,
          channel: contact.channel,
          at: contact.at,
          rule: UNKNOWN_STRATEGY_RULE,
          detail: `strategy ${c.strategyId} v${c.strategyVersion} is neither stored nor shipped: cannot tell which rule pack applies`,
        });
      }
      continue;
    }
    // Only this pack's cases are re-checked, but every contact on the loan stays in their history.
    const hardshipPauseMs = cases.filter((c) => caseIds.has(c.id)).map((c) => strategyOf(c).hardshipPauseMs).find((ms) => ms !== undefined);
    // The gap of the strategy pinned by the case open at each instant (a later case may pin another).
    const gaps = cases
      .filter((c) => caseIds.has(c.id))
      .map((c) => ({ from: c.openedAt.getTime(), ms: strategyOf(c).minMessageGapMs }))
      .sort((a, b) => a.from - b.from);
    const borrower = timeline(record, pack as RulePackId, hardshipPauseMs, gaps);
    const found = findViolations(contacts, new Map([[loanId, borrower]]));
    for (const v of found) if (caseIds.has(v.caseId) && inScope(v)) violations.push(withoutNever(v));
  }
  return { checked, cases: casesInScope, violations };
}

function withoutNever(v: Violation): Violation {
  const never = new Date(NEVER).toISOString();
  if (v.allowedFrom !== never) return v;
  const { allowedFrom: _never, ...rest } = v;
  return { ...rest, detail: v.detail.replace(` until ${never}`, ' (an operator paused the case and never resumed it)') };
}

// ---- the facts over time ----

type Facts = Omit<AuditBorrower, 'changes'>;

/**
 * The borrower facts as they stood at every instant something changed, as AuditBorrower changes. Each
 * change carries the whole state (not a delta), computed from the record by `factsAt`, so overlapping
 * disputes or pauses never have to be reconciled event by event.
 */
function timeline(
  record: LoanRecord,
  pack: RulePackId,
  hardshipPauseMs: number | undefined,
  gaps: Array<{ from: number; ms: number }>,
): AuditBorrower {
  const { borrower } = record;
  const byAction = (...actions: string[]) => record.events.filter((e) => actions.includes(e.action));
  const detail = (e: AuditEvent) => (e.after ?? {}) as Record<string, unknown>;
  const ms = (d: Date) => d.getTime();
  const earliest = (values: Array<number | undefined>) => {
    const known = values.filter((v): v is number => v !== undefined && !Number.isNaN(v));
    return known.length ? Math.min(...known) : undefined;
  };

  // Disputes: the disputes table is the source of truth (the gate reads it); a workflow event can only
  // make a dispute start earlier. A dispute raised on a call has no row: it holds until the next
  // resolution of any dispute on the loan.
  const disputeRows = new Map(record.disputes.map((d) => [d.id, { open: ms(d.openedAt), close: d.resolvedAt ? ms(d.resolvedAt) : undefined }]));
  const intervals: Array<{ open: number; close?: number }> = [...disputeRows.values()];
  const workflowOpened = byAction('workflow.dispute_opened');
  const workflowResolved = byAction('workflow.dispute_resolved');
  for (const e of workflowOpened) {
    const id = String(detail(e).disputeId ?? '');
    const row = disputeRows.get(id);
    if (row) row.open = Math.min(row.open, ms(e.at));
    else {
      const resolved = workflowResolved.find((r) => String(detail(r).disputeId ?? '') === id && ms(r.at) >= ms(e.at));
      intervals.push({ open: ms(e.at), close: resolved ? ms(resolved.at) : undefined });
    }
  }
  const resolutions = [...record.disputes.flatMap((d) => (d.resolvedAt ? [ms(d.resolvedAt)] : [])), ...workflowResolved.map((e) => ms(e.at))].sort((a, b) => a - b);
  const callOutcomes = byAction('workflow.call_outcome').map((e) => ({ outcome: String(detail(e).outcome ?? ''), at: factInstantOfCallOutcome(record, e) }));
  for (const o of callOutcomes.filter((o) => o.outcome === 'dispute_raised')) {
    intervals.push({ open: o.at, close: resolutions.find((r) => r > o.at) });
  }

  // Cease and opt-outs live on the borrower; the earliest record of each counts.
  const ceaseAt = earliest([
    borrower.ceaseRequestedAt ? ms(borrower.ceaseRequestedAt) : undefined,
    ...byAction('workflow.cease_requested', 'borrower.cease').map((e) => ms(e.at)),
  ]);
  const optOutAt = new Map<Channel, number>();
  for (const channel of CHANNELS) {
    const at = earliest([
      Date.parse(borrower.consents[channel]?.optedOutAt ?? ''),
      ...byAction('workflow.channel_opted_out', 'borrower.opt_out').filter((e) => detail(e).channel === channel).map((e) => ms(e.at)),
    ]);
    if (at !== undefined) optOutAt.set(channel, at);
  }
  // A flag counts from its earliest dated event; only a flag with none holds from the start (the stricter
  // reading). Counting it from the start regardless flagged every contact made before the bar.
  const barredAt = (reason: 'bankruptcy' | 'deceased', flagged: boolean) => {
    const dated = byAction('borrower.barred', 'workflow.collection_barred').filter((e) => detail(e).reason === reason).map((e) => ms(e.at));
    return earliest([...dated, flagged && dated.length === 0 ? -Infinity : undefined]);
  };
  const bankruptcyAt = barredAt('bankruptcy', borrower.bankruptcy);
  const deceasedAt = barredAt('deceased', borrower.deceased);

  // Pauses: the latest hardship pause replaces an earlier one (as in the workflow); an operator pause
  // lasts until the next resume.
  const hardships = [
    ...byAction('workflow.hardship_pause').map((e) => ({ at: ms(e.at), until: Date.parse(String(detail(e).until ?? '')) })),
    ...(hardshipPauseMs === undefined ? [] : callOutcomes.filter((o) => o.outcome === 'hardship').map((o) => ({ at: o.at, until: o.at + hardshipPauseMs }))),
  ]
    .filter((h) => !Number.isNaN(h.until))
    .sort((a, b) => a.at - b.at);
  // An operator pause is the case's: closing the case ends it (a new case starts unpaused).
  const operator = [
    ...byAction('workflow.paused', 'workflow.resumed').map((e) => ({ at: ms(e.at), paused: e.action === 'workflow.paused' })),
    ...record.cases.flatMap((c) => (c.closedAt ? [{ at: ms(c.closedAt), paused: false }] : [])),
  ].sort((a, b) => a.at - b.at);

  const previousCycleEnds = record.cases.flatMap((c) => (c.closedAt ? [ms(c.closedAt)] : [])).sort((a, b) => a - b);

  const acceleratedOn = record.acceleratedAt ? record.acceleratedAt.toISOString().slice(0, 10) : null;

  const factsAt = (t: number): Facts => {
    const disputed = intervals.some((i) => i.open <= t && (i.close === undefined || t < i.close));
    let pausedUntil: number | undefined;
    const hardship = hardships.filter((h) => h.at <= t).pop();
    if (hardship && hardship.until > t) pausedUntil = hardship.until;
    const lastOperator = operator.filter((o) => o.at <= t).pop();
    if (lastOperator?.paused) {
      const resumed = operator.find((o) => o.at > t && !o.paused);
      pausedUntil = Math.max(pausedUntil ?? 0, resumed ? resumed.at : NEVER);
    }
    const previousCycleEnd = previousCycleEnds.filter((c) => c <= t).pop();
    const gap = gaps.filter((g) => g.from <= t).pop() ?? gaps[0];
    const facts: Facts = {
      pack,
      timeZone: borrower.timeZone,
      inconvenientTimes: borrower.inconvenientTimes,
      optedOut: CHANNELS.filter((c) => (optOutAt.get(c) ?? Infinity) <= t),
      agreedToQuietHours: borrower.agreedToQuietHours,
      state: {
        disputed,
        ceaseRequested: ceaseAt !== undefined && ceaseAt <= t,
        nothingDue: nothingDueAt(record, acceleratedOn, t),
        // Explicitly undefined when no pause holds: each change replaces the previous state's pause.
        pausedUntil: pausedUntil === undefined ? undefined : new Date(pausedUntil).toISOString(),
        bankruptcy: bankruptcyAt !== undefined && bankruptcyAt <= t,
        deceased: deceasedAt !== undefined && deceasedAt <= t,
        representedByAttorney: borrower.representedByAttorney,
      },
    };
    if (previousCycleEnd !== undefined) facts.previousCycleEndedAt = new Date(previousCycleEnd).toISOString();
    // Always present: each change replaces the whole state, so a case without a gap clears the last one.
    facts.minMessageGapMs = gap?.ms ?? 0;
    return facts;
  };

  // Every instant at which some fact may change.
  const DAY = 86_400_000;
  const boundaries = new Set<number>([
    ...intervals.flatMap((i) => (i.close === undefined ? [i.open] : [i.open, i.close])),
    ...[ceaseAt, bankruptcyAt, deceasedAt].filter((v): v is number => v !== undefined && Number.isFinite(v)),
    ...optOutAt.values(),
    ...hardships.flatMap((h) => [h.at, h.until]),
    ...operator.map((o) => o.at),
    ...previousCycleEnds,
    ...gaps.map((g) => g.from),
    ...record.allocations.map((a) => a.receivedAt),
    // An instalment is past due from the day after its due date (UTC business date, as getLoanPosition).
    ...record.ledger.map((i) => Date.parse(`${i.dueDate}T00:00:00Z`) + DAY),
    ...(acceleratedOn ? [Date.parse(`${acceleratedOn}T00:00:00Z`)] : []),
  ]);
  const instants = [...boundaries].filter(Number.isFinite).sort((a, b) => a - b);
  const initial = factsAt(instants.length ? instants[0]! - 1 : 0);
  const changes: AuditChange[] = instants.map((t) => {
    const { pack: _pack, timeZone: _zone, ...set } = factsAt(t);
    return { at: new Date(t).toISOString(), set };
  });
  return { ...initial, changes };
}

/** Past-due amount zero at instant t: payments received by then, due dates passed by then (UTC dates). */
function nothingDueAt(record: LoanRecord, acceleratedOn: string | null, t: number): boolean {
  const paid = new Map<number, number>();
  for (const a of record.allocations) if (a.receivedAt <= t) paid.set(a.seq, (paid.get(a.seq) ?? 0) + a.amountMinor);
  const rows = record.ledger.map((i) => ({ ...i, amountPaidMinor: Math.min(i.amountDueMinor, paid.get(i.seq) ?? 0) }));
  const asOf = new Date(t).toISOString().slice(0, 10);
  return loanPosition(rows, asOf, { acceleratedOn }).pastDueMinor === 0;
}

/**
 * When a fact from a call outcome (dispute raised, hardship) starts: just after the call it came from.
 * The workflow audits the outcome a moment before the collector's task is marked done (the call's
 * instant on record), so the fact is placed after the task, or the call would be judged by its own outcome.
 */
function factInstantOfCallOutcome(record: LoanRecord, e: AuditEvent): number {
  const at = e.at.getTime();
  const outcome = (e.after as { outcome?: string } | null)?.outcome;
  const task = record.calls.find(
    (t) => t.caseId === e.caseId && t.outcome === outcome && t.completedAt!.getTime() >= at && t.completedAt!.getTime() - at <= OUTCOME_TO_TASK_MS,
  );
  return task ? task.completedAt!.getTime() + 1 : at;
}
