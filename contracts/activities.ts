// What the collection workflow may ask of the outside world. The workflow imports these as types only;
// the worker binds implementations built by createCaseActivities / createChannelActivities.
// Inputs and results carry ids, amounts and codes — never names, addresses or phone numbers.
import type { BorrowerRules, ContactKind, PastContact } from '../domain/compliance/types';

export type { BorrowerRules };
import type { Channel, MessageChannel, StageKind, Strategy, Treatment } from '../domain/strategy/types';
import type { LedgerPosition } from '../domain/ledger';
import type { Outcome, ScoreTrigger } from '../domain/vocabulary';

/** How a case closes on the ledger's word alone (domain/ledger closingOutcome). */
export type SettledOutcome = Extract<Outcome, 'cured' | 'paid'>;

/** The loan's money as the ledger has it now. */
export interface Position extends Pick<LedgerPosition, 'pastDueMinor' | 'outstandingMinor' | 'dpd' | 'oldestUnpaidDueDate'> {
  currency: string;
  /** Total ever paid on the loan; promises and plans measure payments against it. */
  paidMinor: number;
}

/** What prompted a cure-propensity score (domain/vocabulary SCORE_TRIGGERS). */
export type { ScoreTrigger };

/** One reason a score is low: a feature whose weight pulled the probability down, in en and zh-CN. */
export interface ScoreReason {
  code: string;
  /** Its contribution to the log-odds against the average case (negative). */
  contribution: number;
  en: string;
  'zh-CN': string;
}

/** The plan Overdue proposes in negotiation (domain/scoring/offer), with why. */
export interface PlanOfferView {
  installments: number;
  amountMinor: number;
  lastAmountMinor: number;
  /** What the plan asks for in all: pastDueMinor - discountMinor. */
  totalMinor: number;
  /** The past-due amount the offer was made for; absent in offers made before #15 (no discount then). */
  pastDueMinor?: number;
  /** The discount the offer carries, within the strategy's maxPlanDiscountPercent; absent before #15. */
  discountMinor?: number;
  currency: string;
  reasons: Array<{ en: string; 'zh-CN': string }>;
}

/** A case's cure-propensity score, or why there is none (no active model). */
export type ScoreOutcome =
  | { status: 'scored'; trigger: ScoreTrigger; at: string; modelVersion: number; probability: number; reasons: ScoreReason[]; offer?: PlanOfferView }
  | { status: 'skipped'; trigger: ScoreTrigger; at: string; reason: string };

export interface CaseFacts {
  caseId: string;
  loanId: string;
  strategy: Strategy;
  /** The segment and path chosen for this loan (chooseTreatment), recorded on the case. */
  treatment: Treatment;
  riskScore: number | null;
  position: Position;
  borrower: BorrowerRules;
  /** Recent contacts on this loan (any case), for the frequency caps. */
  history: PastContact[];
  /** When the previous collection case on this loan closed, for the cn 7-day spacing rule. */
  previousCycleEndedAt?: string;
  /** Task queues of the channel workers, from the worker's configuration. */
  queues: { email: string; sms: string; letter: string };
  /**
   * What the worker that opened the case does, carried in the run's state, so a replay decides as the
   * run did without a patch marker: 2 when readPosition only reads and closeCaseIfSettled reads and
   * closes (see refreshPosition in workflows/collection.ts); 3 when reminders are also judged at their
   * timer's instant (see remind); 4 when the case is also rescored after payments, broken promises and
   * missed instalments (see rescore); 5 when the workflow's audit events ride on the activity that
   * effects them (AuditEntry), a payment signal's position is taken without re-reading the ledger, and
   * every patched() branch of older runs is taken without its marker; 6 when a plan may total less than
   * the past-due amount by up to the strategy's maxPlanDiscountPercent, and completing such a plan writes
   * the rest down (writeDownPlanDiscount) and settles the case; 7 when a payment that leaves nothing past
   * due closes the case in its own ledger transaction and its signal says so (PaymentReceived.closedAs),
   * so the run takes that close and issues no closeCase. Absent from cases opened before the first; for
   * those the workflow asks patched().
   */
  contract?: 2 | 3 | 4 | 5 | 6 | 7;
  /** The cure-propensity score taken as the case opened; absent in runs from before scoring existed. */
  score?: ScoreOutcome;
}

/**
 * One event of the workflow's audit trail (a transition, a decision, a signal it acted on), carried by the
 * next activity the workflow runs, which writes it before its own effect (runs on contract 5; older runs
 * call recordTransition per event). `key` makes the write idempotent: a retried activity writes it once.
 */
export interface AuditEntry {
  key: string;
  action: string;
  /** The stage the case entered, written to the case row too (like recordTransition's). */
  stage?: StageKind;
  segment?: string;
  detail: Record<string, unknown>;
}

/** An activity input that may carry the audit events due before its effect. */
export type Audited<T> = T & { audits?: AuditEntry[] };

export interface CaseActivities {
  /** Opens (or finds) the case for the loan, pins the strategy version and loads the non-PII facts. */
  openCase(input: { loanId: string; workflowId: string; strategyId?: string }): Promise<CaseFacts>;
  /** Re-reads the ledger (the workflow never trusts arithmetic on signal payloads). A plain read. */
  readPosition(input: { loanId: string }): Promise<Position>;
  /**
   * Re-reads the ledger and, when nothing is past due any more, closes the case as cured or paid
   * (closingOutcome) in the same call, saying so in `closedAs`. One activity rather than a read and a
   * close: the case row records the cure before any close a handler takes while it runs, and a payment
   * costs one activity in the history (issue #19). A case the payment already closed (contract 7: every
   * payment that cures closes the open case in its own transaction) answers with that close's outcome
   * and `alreadyClosed`.
   */
  closeCaseIfSettled(input: Audited<{ caseId: string; loanId: string }>): Promise<{ position: Position; closedAs?: SettledOutcome; alreadyClosed?: true }>;
  /** Stage changes and decisions, written to the case row and the append-only audit trail. */
  recordTransition(input: {
    caseId: string;
    loanId: string;
    action: string;
    stage?: StageKind;
    segment?: string;
    assignedCollector?: string | null;
    detail: Record<string, unknown>;
  }): Promise<void>;
  /** A contact the workflow's rules refused: recorded as blocked with the rule, never sent. */
  recordBlockedContact(input: Audited<{
    idempotencyKey: string;
    caseId: string;
    loanId: string;
    channel: Channel;
    template: string;
    rule: string;
    until?: string;
  }>): Promise<void>;
  queueCollectorTask(input: Audited<{
    idempotencyKey: string;
    caseId: string;
    loanId: string;
    attempt: number;
    collectorId: string | null;
    /** 'call' (absent: histories before field visits) or 'visit', with the visit's facts and allowed window. */
    kind?: 'call' | 'visit';
    visit?: VisitTaskFacts;
  }>): Promise<{ taskId: string }>;
  /**
   * Cancels a call task nobody answered in time. With `answered` (an outcome was reported) only a task
   * still queued is cancelled: one a collector holds is theirs to complete.
   */
  expireCollectorTask(input: Audited<{ taskId: string; answered?: boolean; caseId?: string; loanId?: string }>): Promise<void>;
  /** Cancels a call task the rules now forbid (dispute, pause, cease, opt-out, bar), with the rule; idempotent. */
  cancelCollectorTask(input: Audited<{ taskId: string; rule: string; caseId?: string; loanId?: string }>): Promise<void>;
  /**
   * Writes the workflow's decision on a promise to pay to its row, creating the row first if the API has
   * not filed it yet (same key: promiseRowKey). Idempotent.
   */
  settlePromise(input: Audited<NegotiationRow & { amountMinor: number; dueAt: string; status: 'kept' | 'broken' | 'cancelled' }>): Promise<void>;
  /** The same for a payment plan (key: planRowKey), with its discount (contract 6) when it has one. */
  settlePlan(input: Audited<NegotiationRow & { installments: Array<{ dueAt: string; amountMinor: number }>; status: 'completed' | 'broken' | 'cancelled'; discountMinor?: number }>): Promise<void>;
  /**
   * A completed discounted plan (contract 6): writes its discount down in the ledger (at most what is
   * still past due; one transaction, once per key, audited as ledger.written_down) and, when nothing is
   * past due after it, closes the case as `settled` in the same transaction (`closedAs`), its case.closed
   * event marked settledBy plan_discount (the lifecycle counts that settlement as a cure; db/repository/cases
   * settleByPlanDiscount). The signature and result are unchanged: no workflow sees the mark.
   */
  writeDownPlanDiscount(input: Audited<{ idempotencyKey: string; caseId: string; loanId: string; currency: string; discountMinor: number }>): Promise<{ position: Position; writtenDownMinor: number; closedAs?: 'settled' }>;
  handOffToLegal(input: Audited<{ idempotencyKey: string; caseId: string; loanId: string }>): Promise<{ legalCaseId: string }>;
  /**
   * Closes the case with the run's outcome. A case already closed answers `alreadyClosed` and changes
   * nothing: closed with the same outcome (a retry; a payment's cure on a run from before contract 7), or
   * as cured or paid by a payment's own transaction while the run had decided otherwise (the ledger's
   * close stands, as closeCaseIfSettled's does). Any other outcome already recorded is a conflict.
   */
  closeCase(input: Audited<{ caseId: string; loanId: string; outcome: Outcome }>): Promise<{ alreadyClosed?: true }>;
  /** Audit events no effect carried (the workflow is about to wait): written together, once each. */
  recordAudits(input: { caseId: string; loanId: string; audits: AuditEntry[] }): Promise<void>;
  /**
   * Scores the loan's cure propensity with the active model (skipped when none is active), proposes a plan
   * when `planLimits` is given (the treatment negotiates), records the score (idempotent by key) and
   * audits it. The workflow passes the longest term; the plan follows all the negotiation limits of the
   * strategy version the case pinned (smallest instalment, largest discount), read by the activity.
   */
  scoreCase(input: Audited<{ idempotencyKey: string; caseId: string; loanId: string; trigger: ScoreTrigger; planLimits?: { maxInstallments: number; minInstallmentMinor?: number } }>): Promise<ScoreOutcome>;
}

/** Which promise or plan row a workflow decision is about, and who agreed it. */
export interface NegotiationRow {
  idempotencyKey: string;
  caseId: string;
  loanId: string;
  currency: string;
  /** The collector who recorded it (the row's createdBy is `collector:<id>`); absent for older runs. */
  collectorId?: string;
}

export interface ContactRequest {
  idempotencyKey: string;
  caseId: string;
  loanId: string;
  channel: MessageChannel;
  template: string;
  kind: ContactKind;
  stage: StageKind;
  /** Audit events due before the send (contract 5), written once each by the channel activity. */
  audits?: AuditEntry[];
}

export interface ContactResult {
  status: 'sent' | 'presumed_sent' | 'blocked' | 'failed';
  /** Rule that blocked it at send time. */
  rule?: string;
  until?: string;
  providerMessageId?: string;
}

/**
 * Permanent refusals (bad address, SMTP 5xx, HTTP 4xx, unknown template) return {status:'failed'} and are
 * never resent — one bad address must not fail the whole collection workflow; provider outages throw a
 * retryable ApplicationFailure (type 'ChannelUnavailable'); bad requests or an unknown loan or case throw
 * non-retryable failures.
 */
export interface ChannelActivities {
  sendEmail(request: ContactRequest): Promise<ContactResult>;
  sendSms(request: ContactRequest): Promise<ContactResult>;
  sendLetter(request: ContactRequest): Promise<ContactResult>;
}

// ---- the daily sweep (activities/sweep.ts, run by the sweep workflow) ----

export interface SweepInput {
  /** 'YYYY-MM-DD'; default: today (UTC) when the activity runs. */
  asOf?: string;
  concurrency?: number;
}

export interface SweepSummary {
  /** Business date the sweep looked at ('YYYY-MM-DD'): instalments due before it count. */
  asOf: string;
  found: number;
  started: number;
  /** Found but not started: the lifecycle rule forbids a new case (see skippedBy). */
  skipped: number;
  /** Skips by reason and outcome, e.g. `terminal:written_off`, `barred:stopped_bankruptcy`, `barred:borrower`, `no_new_lapse:cured`. */
  skippedBy: Record<string, number>;
  alreadyRunning: number;
  failed: number;
  /** The first few failures, for the operator. */
  failures: Array<{ loanId: string; error: string }>;
}

export interface SweepActivities {
  runDailySweep(input: SweepInput): Promise<SweepSummary>;
}

/** A field visit task's facts: where, when it was announced, and the window the rules allow it in (UTC). */
export interface VisitTaskFacts {
  place: 'home';
  announcedAt: string;
  window: { from: string; until: string };
}
