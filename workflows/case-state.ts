// All the state of one collection workflow in one plain object, so continueAsNew can carry it whole.
// The workflow owns where the loan is in its treatment; the ledger stays the source of truth for money
// (position is a cached copy refreshed through the readPosition and closeCaseIfSettled activities).
import { patched } from '@temporalio/workflow';
import type { AuditEntry, BorrowerRules, CaseFacts, Position, ScoreOutcome } from '../contracts/activities';
import { CONTACT_HISTORY_LOOKBACK_MS, contactContextFor } from '../domain/compliance';
import { closingOutcome } from '../domain/ledger';
import type { ContactContext, ContactKind, PastContact } from '../domain/compliance/types';
import { minMessageGapMs } from '../domain/strategy/duration';
import type { Channel, StageKind, Strategy, Treatment } from '../domain/strategy/types';
import type { CallOutcome, CollectionState, OpenCollectionState, Outcome, PauseState } from '../contracts/messages';

export interface CaseState {
  workflowId: string;
  loanId: string;
  caseId: string;
  strategy: Strategy;
  treatment: Treatment;
  riskScore: number | null;
  queues: CaseFacts['queues'];
  stageIndex: number;
  cycle: number;
  /** Sequence number of the next step; part of every idempotency key, carried across continueAsNew. */
  nextStep: number;
  position: Position;
  borrower: BorrowerRules;
  history: PastContact[];
  previousCycleEndedAt?: string;
  assignedCollector: string | null;
  dispute?: { disputeId: string; status: 'open' | 'upheld' | 'rejected' };
  operatorPaused: boolean;
  /** The operator's reason for the pause, shown in the Temporal UI's current details. */
  pauseReason?: string;
  pausedUntil?: string;
  forbearanceOffered: boolean;
  awaitingCallOutcome?: { attempt: number; taskId: string };
  callOutcome?: CallOutcome;
  promise?: { amountMinor: number; dueAt: string; paidBaselineMinor: number; status: 'open' | 'kept' | 'broken'; collectorId?: string };
  plan?: {
    paidBaselineMinor: number;
    /**
     * Contract 6: how much less than the past-due amount the plan asks for (the past-due amount when it
     * was agreed less its total), within the strategy's maxPlanDiscountPercent; written down when the
     * plan is completed. Absent when the plan covers the whole past-due amount.
     */
    discountMinor?: number;
    collectorId?: string;
    installments: Array<{ dueAt: string; amountMinor: number; status: 'open' | 'paid' | 'missed' }>;
    status: 'open' | 'completed' | 'broken';
  };
  legalOutcome?: 'paid' | 'settled' | 'written_off';
  waitingFor?: { what: string; until?: string };
  /** The NextActionAt search attribute: the end of the current or last wait (workflows/publish.ts). */
  nextActionAt?: string;
  contacts: CollectionState['contacts'];
  lastBlocked?: CollectionState['lastBlocked'];
  /**
   * Work left by handlers for the main loop: after a payment, re-read the ledger, unless (contract 5) the
   * handler took the position its signal carried (`position`); write audit events.
   */
  inbox: { refresh: boolean; position?: Position; audits: Array<{ action: string; detail: Record<string, unknown> }> };
  /**
   * Contract 5: audit events not yet written, carried by the next activity the run schedules, or written
   * together (recordAudits) before the run waits.
   */
  pendingAudits?: AuditEntry[];
  /** Contract 5: how many audit events the run has keyed (part of each one's idempotency key). */
  auditsKeyed?: number;
  /** Recently seen payment ids (the same payment signalled twice counts once). */
  seenPayments: string[];
  outcome?: Outcome;
  /** The search attribute values last upserted (a continued run inherits them with the attributes). */
  publishedAttributes?: string;
  /** The case activities' contract when the case opened (CaseFacts.contract); absent in older runs. */
  contract?: number;
  /**
   * The case row was already closed on the ledger's word: by the payment's own transaction (contract 7),
   * by closeCaseIfSettled (or readPosition in older runs) when a payment cured the loan, or by a settled plan.
   */
  closedInDatabase?: boolean;
  /** The latest cure-propensity score (or why it was skipped); absent in runs from before scoring. */
  score?: ScoreOutcome;
}

const MAX_REMEMBERED_PAYMENTS = 500;

export function newCaseState(workflowId: string, facts: CaseFacts, treatment: Treatment): CaseState {
  return {
    workflowId,
    loanId: facts.loanId,
    caseId: facts.caseId,
    strategy: facts.strategy,
    treatment,
    riskScore: facts.riskScore,
    queues: facts.queues,
    ...(facts.contract !== undefined ? { contract: facts.contract } : {}),
    stageIndex: 0,
    cycle: 1,
    nextStep: 1,
    position: facts.position,
    borrower: facts.borrower,
    history: facts.history,
    previousCycleEndedAt: facts.previousCycleEndedAt,
    assignedCollector: null,
    operatorPaused: false,
    forbearanceOffered: false,
    contacts: { sent: 0, blocked: 0, byChannel: {} },
    inbox: { refresh: false, audits: [] },
    seenPayments: [],
    ...(facts.score ? { score: facts.score } : {}),
  };
}

/**
 * Whether the case opened on contract 5 (CaseFacts.contract): its audit events ride on activities, a
 * payment signal's position is taken as it comes, and it takes every branch older runs ask patched() for.
 */
export function onContract5(state: CaseState): boolean {
  return (state.contract ?? 1) >= 5;
}

/**
 * Whether the case opened on contract 6: a plan may total less than the past-due amount, by up to the
 * strategy's maxPlanDiscountPercent, and completing such a plan writes the rest down and settles the case.
 */
export function onContract6(state: CaseState): boolean {
  return (state.contract ?? 1) >= 6;
}

/**
 * Whether the case opened on contract 7: a payment that leaves nothing past due closes the case in its own
 * ledger transaction and its signal says so (`closedAs`), which the run takes (closedBy) instead of
 * closing the case itself at its end.
 */
export function onContract7(state: CaseState): boolean {
  return (state.contract ?? 1) >= 7;
}

/**
 * A close the database recorded on the ledger's word (a payment's, a settled plan's): its outcome is the
 * case's, even over a close a handler took meanwhile (the cure or repayment came first), and the run
 * issues no closeCase for it. Pure state: the same commands follow either way.
 */
export function closedBy(state: CaseState, closedAs: Outcome): void {
  state.outcome = closedAs;
  state.closedInDatabase = true;
}

/**
 * patched(name) for runs from before contract 5; true without a marker for those since. Every patch a new
 * run takes costs two history events and two billed actions (the marker and sdk-core's
 * TemporalChangeVersion upsert), and a run that opened on contract 5 has every one of them (#19).
 */
export function patchedBefore5(state: CaseState, name: string): boolean {
  return onContract5(state) || patched(name);
}

export function hasInbox(state: CaseState): boolean {
  return state.inbox.refresh || state.inbox.audits.length > 0;
}

export function isClosed(state: CaseState): boolean {
  return state.outcome !== undefined;
}

export function currentStageKind(state: CaseState): StageKind | 'closed' {
  if (isClosed(state)) return 'closed';
  return state.treatment.stages[state.stageIndex]?.kind ?? 'closed';
}

export function pauses(state: CaseState, nowMs: number): PauseState[] {
  const result: PauseState[] = [];
  if (state.dispute?.status === 'open') result.push('disputed');
  if (state.pausedUntil && Date.parse(state.pausedUntil) > nowMs) result.push('hardship');
  if (state.operatorPaused) result.push('paused');
  return result;
}

export function rememberPayment(state: CaseState, paymentId: string): boolean {
  if (state.seenPayments.includes(paymentId)) return false;
  state.seenPayments.push(paymentId);
  if (state.seenPayments.length > MAX_REMEMBERED_PAYMENTS) state.seenPayments.shift();
  return true;
}

/** Applies a fresh ledger position; closes the case when nothing is past due any more. */
export function applyPosition(state: CaseState, position: Position): void {
  state.position = position;
  if (!isClosed(state)) state.outcome = closingOutcome(position);
}

export function recordContact(state: CaseState, contact: PastContact, nowMs: number): void {
  state.history = state.history.filter((c) => nowMs - Date.parse(c.at) < CONTACT_HISTORY_LOOKBACK_MS);
  state.history.push(contact);
  state.contacts.sent += 1;
  state.contacts.byChannel[contact.channel] = (state.contacts.byChannel[contact.channel] ?? 0) + 1;
}

export function contactContext(state: CaseState, channel: Channel, kind: ContactKind): ContactContext {
  return contactContextFor(
    {
      pack: state.strategy.rulePack,
      borrower: state.borrower,
      history: state.history,
      disputed: state.dispute?.status === 'open',
      pastDueMinor: state.position.pastDueMinor,
      pausedUntil: state.pausedUntil,
      previousCycleEndedAt: state.previousCycleEndedAt,
      minMessageGapMs: minMessageGapMs(state.strategy),
    },
    channel,
    kind,
  );
}

/**
 * The idempotency key of one step: the run's workflow id, the case, the step counter and what the step is
 * (stage, index or attempt, channel: `reminder-2-email`, `call-3`). The counter makes every key unique
 * within the case and is carried across continueAsNew; `what` only describes the step. That is why `what`
 * may change shape between versions (it was once built from the UI label): a key is computed once, when
 * its activity is scheduled, and recorded with it (retries reuse it; replay does not compare activity
 * inputs), and a step scheduled after a change takes a counter value no earlier key used.
 */
export function stepKey(state: CaseState, what: string): string {
  const key = `${state.workflowId}/${state.caseId}/${state.nextStep}-${what}`;
  state.nextStep += 1;
  return key;
}

/** The query's answer before the case is open: the loan and what the run is doing, nothing guessed. */
export function openingView(loanId: string): CollectionState {
  return {
    loanId,
    stage: 'opening',
    pauses: [],
    waitingFor: 'the case to open (reading the loan, pinning the strategy)',
    assignedCollector: null,
    ceaseRequested: false,
    optedOut: [],
    contacts: { sent: 0, blocked: 0, byChannel: {} },
  };
}

export function viewOf(state: CaseState, nowMs: number): OpenCollectionState {
  return {
    loanId: state.loanId,
    caseId: state.caseId,
    strategy: {
      id: state.strategy.id,
      version: state.strategy.version,
      pathId: state.treatment.pathId,
      segment: state.treatment.segment,
      arm: state.treatment.arm,
    },
    stage: currentStageKind(state),
    pauses: pauses(state, nowMs),
    pausedUntil: state.pausedUntil,
    waitingFor: state.waitingFor?.what,
    nextAction: state.waitingFor?.until ? { what: state.waitingFor.what, at: state.waitingFor.until } : undefined,
    currency: state.position.currency,
    pastDueMinor: state.position.pastDueMinor,
    outstandingMinor: state.position.outstandingMinor,
    dpd: state.position.dpd,
    assignedCollector: state.assignedCollector,
    promise: state.promise && { amountMinor: state.promise.amountMinor, dueAt: state.promise.dueAt, status: state.promise.status },
    plan: state.plan && { installments: state.plan.installments, status: state.plan.status, ...(state.plan.discountMinor ? { discountMinor: state.plan.discountMinor } : {}) },
    dispute: state.dispute,
    ceaseRequested: state.borrower.ceaseRequested,
    optedOut: state.borrower.optedOut,
    contacts: state.contacts,
    lastBlocked: state.lastBlocked,
    outcome: state.outcome,
    ...(state.score ? { score: state.score } : {}),
  };
}
