// All the state of one collection workflow in one plain object, so continueAsNew can carry it whole.
// The workflow owns where the loan is in its treatment; the ledger stays the source of truth for money
// (position is a cached copy refreshed through the readPosition activity).
import type { BorrowerRules, CaseFacts, Position } from '../contracts/activities';
import { CONTACT_HISTORY_LOOKBACK_MS } from '../domain/compliance';
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
  pausedUntil?: string;
  forbearanceOffered: boolean;
  awaitingCallOutcome?: { attempt: number; taskId: string };
  callOutcome?: CallOutcome;
  promise?: { amountMinor: number; dueAt: string; paidBaselineMinor: number; status: 'open' | 'kept' | 'broken'; collectorId?: string };
  plan?: {
    paidBaselineMinor: number;
    collectorId?: string;
    installments: Array<{ dueAt: string; amountMinor: number; status: 'open' | 'paid' | 'missed' }>;
    status: 'open' | 'completed' | 'broken';
  };
  legalOutcome?: 'paid' | 'settled' | 'written_off';
  waitingFor?: { what: string; until?: string };
  contacts: CollectionState['contacts'];
  lastBlocked?: CollectionState['lastBlocked'];
  /** Work left by handlers for the main loop: re-read the ledger, write audit events. */
  inbox: { refresh: boolean; audits: Array<{ action: string; detail: Record<string, unknown> }> };
  /** Recently seen payment ids (the same payment signalled twice counts once). */
  seenPayments: string[];
  outcome?: Outcome;
  /** The search attribute values last upserted (a continued run inherits them with the attributes). */
  publishedAttributes?: string;
  /** The case row was already closed (by readPosition, when a payment cured the loan). */
  closedInDatabase?: boolean;
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
  };
}

export function hasInbox(loan: CaseState): boolean {
  return loan.inbox.refresh || loan.inbox.audits.length > 0;
}

export function isClosed(loan: CaseState): boolean {
  return loan.outcome !== undefined;
}

export function currentStageKind(loan: CaseState): StageKind | 'closed' {
  if (isClosed(loan)) return 'closed';
  return loan.treatment.stages[loan.stageIndex]?.kind ?? 'closed';
}

export function pauses(loan: CaseState, nowMs: number): PauseState[] {
  const result: PauseState[] = [];
  if (loan.dispute?.status === 'open') result.push('disputed');
  if (loan.pausedUntil && Date.parse(loan.pausedUntil) > nowMs) result.push('hardship');
  if (loan.operatorPaused) result.push('paused');
  return result;
}

export function rememberPayment(loan: CaseState, paymentId: string): boolean {
  if (loan.seenPayments.includes(paymentId)) return false;
  loan.seenPayments.push(paymentId);
  if (loan.seenPayments.length > MAX_REMEMBERED_PAYMENTS) loan.seenPayments.shift();
  return true;
}

/** Applies a fresh ledger position; closes the case when nothing is past due any more. */
export function applyPosition(loan: CaseState, position: Position): void {
  loan.position = position;
  if (!isClosed(loan)) loan.outcome = closingOutcome(position);
}

export function recordContact(loan: CaseState, contact: PastContact, nowMs: number): void {
  loan.history = loan.history.filter((c) => nowMs - Date.parse(c.at) < CONTACT_HISTORY_LOOKBACK_MS);
  loan.history.push(contact);
  loan.contacts.sent += 1;
  loan.contacts.byChannel[contact.channel] = (loan.contacts.byChannel[contact.channel] ?? 0) + 1;
}

export function contactContext(loan: CaseState, channel: Channel, kind: ContactKind): ContactContext {
  const b = loan.borrower;
  return {
    pack: loan.strategy.rulePack,
    channel,
    kind,
    timeZone: b.timeZone,
    inconvenientTimes: b.inconvenientTimes,
    optedOut: b.optedOut,
    agreedToQuietHours: b.agreedToQuietHours,
    history: loan.history,
    state: {
      disputed: loan.dispute?.status === 'open',
      ceaseRequested: b.ceaseRequested,
      nothingDue: loan.position.pastDueMinor <= 0,
      pausedUntil: loan.pausedUntil,
      bankruptcy: b.bankruptcy,
      deceased: b.deceased,
      representedByAttorney: b.representedByAttorney,
    },
    previousCycleEndedAt: loan.previousCycleEndedAt,
    minMessageGapMs: minMessageGapMs(loan.strategy),
  };
}

export function stepKey(loan: CaseState, what: string): string {
  const key = `${loan.workflowId}/${loan.caseId}/${loan.nextStep}-${what}`;
  loan.nextStep += 1;
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

export function viewOf(loan: CaseState, nowMs: number): OpenCollectionState {
  return {
    loanId: loan.loanId,
    caseId: loan.caseId,
    strategy: {
      id: loan.strategy.id,
      version: loan.strategy.version,
      pathId: loan.treatment.pathId,
      segment: loan.treatment.segment,
      arm: loan.treatment.arm,
    },
    stage: currentStageKind(loan),
    pauses: pauses(loan, nowMs),
    pausedUntil: loan.pausedUntil,
    waitingFor: loan.waitingFor?.what,
    nextAction: loan.waitingFor?.until ? { what: loan.waitingFor.what, at: loan.waitingFor.until } : undefined,
    currency: loan.position.currency,
    pastDueMinor: loan.position.pastDueMinor,
    outstandingMinor: loan.position.outstandingMinor,
    dpd: loan.position.dpd,
    assignedCollector: loan.assignedCollector,
    promise: loan.promise && { amountMinor: loan.promise.amountMinor, dueAt: loan.promise.dueAt, status: loan.promise.status },
    plan: loan.plan && { installments: loan.plan.installments, status: loan.plan.status },
    dispute: loan.dispute,
    ceaseRequested: loan.borrower.ceaseRequested,
    optedOut: loan.borrower.optedOut,
    contacts: loan.contacts,
    lastBlocked: loan.lastBlocked,
    outcome: loan.outcome,
  };
}
