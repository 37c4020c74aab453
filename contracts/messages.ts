// Messages of the collection workflow, defined once and imported by the workflow, the client, the API
// and the CLI. Signals carry facts from backends and borrowers; updates carry collector actions and
// answer with the result or a validation error; the query returns the whole state.
// No personal data travels here: ids, amounts, dates and codes only.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Channel, StageKind } from '../domain/strategy/types';
import { CALL_OUTCOMES, type CallOutcome, type Outcome } from '../domain/vocabulary';
import type { Position, ScoreOutcome, SettledOutcome } from './activities';

export const TASK_QUEUE = 'collections';

export function workflowIdForLoan(loanId: string): string {
  return `collection-${loanId}`;
}

export type PauseState = 'disputed' | 'hardship' | 'paused';

export type { CallOutcome, Outcome } from '../domain/vocabulary';
/** The call outcomes a collector may record, in the one spelling used everywhere. */
export const callOutcomes = CALL_OUTCOMES;

export interface CollectionInput {
  loanId: string;
  /** Strategy to use; the default for the loan's product when absent. The version is pinned at start. */
  strategyId?: string;
  /** History length (events) after which the run continues as new at the next stage boundary; default 4,000. */
  historyLimit?: number;
  /** State carried over by continueAsNew; absent on the first run. */
  carried?: unknown;
}

export interface CollectionResult {
  loanId: string;
  caseId: string;
  outcome: Outcome;
  pastDueMinor: number;
  outstandingMinor: number;
  currency: string;
  /**
   * The same amounts formatted for people (e.g. "$1,234.56"), for the Temporal UI's result panel; absent
   * from the results of runs that completed before these fields existed.
   */
  pastDue?: string;
  outstanding?: string;
  contactsSent: number;
}

// ---- signals (backends, borrowers, operators) ----

/**
 * Names a payment already in the ledger. The id makes a redelivered signal count once. `position` is the
 * loan's position as the ledger had it when the payment was written (in the same transaction); runs on
 * contract 5 take it instead of re-reading the ledger, older runs (and a signal without it) re-read.
 * Histories recorded before it was slimmed carry amount, currency and receipt time as well: the handler
 * reads neither, so they replay alike. `closedAs`: the payment left nothing past due and closed the loan's
 * open case in the same transaction (`cured`, or `paid` when nothing is owed); runs on contract 7 take
 * that close as the database's and run no closeCase.
 */
export interface PaymentReceived {
  paymentId: string;
  position?: Position;
  closedAs?: SettledOutcome;
}
/** Sent after the payment is in the ledger (client/collection.ts recordPaymentAndSignal). */
export const paymentReceived = defineSignal<[PaymentReceived]>('paymentReceived');
/** The lender closes the case itself. */
export const closedByLender = defineSignal<[{ outcome: 'settled' | 'written_off' | 'cancelled'; reason?: string }]>('closedByLender');
export const disputeOpened = defineSignal<[{ disputeId: string }]>('disputeOpened');
export const disputeResolved = defineSignal<[{ disputeId: string; outcome: 'upheld' | 'rejected' }]>('disputeResolved');
/** Cease communication: from now on only notices a rule allows. */
export const ceaseRequested = defineSignal<[]>('ceaseRequested');
export const channelOptedOut = defineSignal<[{ channel: Channel }]>('channelOptedOut');
/** Hardship: contact pauses for the strategy's forbearance period. */
export const hardshipReported = defineSignal<[]>('hardshipReported');
/** Bankruptcy or death: collection stops at once. */
export const collectionBarred = defineSignal<[{ reason: 'bankruptcy' | 'deceased' }]>('collectionBarred');
export const pauseRequested = defineSignal<[{ reason: string; operator: string }]>('pauseRequested');
export const resumeRequested = defineSignal<[{ operator: string }]>('resumeRequested');
export const collectorReassigned = defineSignal<[{ collectorId: string | null; operator: string }]>('collectorReassigned');
/** The legal team reports how the handed-off case ended (POST …/collection/legal-outcome, `overdue legal-outcome`). */
export const legalOutcomeReported = defineSignal<[{ outcome: 'paid' | 'settled' | 'written_off' }]>('legalOutcomeReported');
/** What the workflow says it waits for (getState's waitingFor) while a handed-off case awaits its legal outcome. */
export const LEGAL_OUTCOME_WAIT = 'legal outcome';

// ---- updates (collectors) ----

export interface CallOutcomeInput {
  outcome: CallOutcome;
  collectorId: string;
}
export const recordCallOutcome = defineUpdate<OpenCollectionState, [CallOutcomeInput]>('recordCallOutcome');

/**
 * The collectorId of a promise or plan the borrower made on their own page (api/web/borrower): it does
 * not assign the case to anyone, and any case, assigned or not, takes it.
 */
export const SELF_SERVICE = 'self-service';

export interface PromiseInput {
  amountMinor: number;
  currency: string;
  /** The date the borrower promised to pay by, as an instant (end of that day in the borrower's zone is fine). */
  dueAt: string;
  collectorId: string;
}
export const promiseToPay = defineUpdate<OpenCollectionState, [PromiseInput]>('promiseToPay');

export interface PlanInput {
  currency: string;
  installments: Array<{ dueAt: string; amountMinor: number }>;
  collectorId: string;
}
export const agreePaymentPlan = defineUpdate<OpenCollectionState, [PlanInput]>('agreePaymentPlan');

// ---- query ----

export interface PlannedAction {
  what: string;
  at: string;
}

/**
 * The case as the workflow sees it. For a moment after the start the run is still `opening` its case
 * (reading the loan, pinning the strategy): then caseId, strategy and the money fields are absent, and
 * signals sent meanwhile are applied as soon as the case is open. Updates always answer an open case.
 */
export interface CollectionState {
  loanId: string;
  caseId?: string;
  strategy?: { id: string; version: number; pathId: string; segment: string; arm: 'champion' | 'challenger' };
  stage: StageKind | 'closed' | 'opening';
  pauses: PauseState[];
  pausedUntil?: string;
  waitingFor?: string;
  nextAction?: PlannedAction;
  currency?: string;
  pastDueMinor?: number;
  outstandingMinor?: number;
  dpd?: number;
  assignedCollector: string | null;
  promise?: { amountMinor: number; dueAt: string; status: 'open' | 'kept' | 'broken' };
  plan?: {
    installments: Array<{ dueAt: string; amountMinor: number; status: 'open' | 'paid' | 'missed' }>;
    status: 'open' | 'completed' | 'broken';
    /** The plan's discount on the past-due amount (contract 6), written down when it is completed; absent: none. */
    discountMinor?: number;
  };
  dispute?: { disputeId: string; status: 'open' | 'upheld' | 'rejected' };
  ceaseRequested: boolean;
  optedOut: Channel[];
  contacts: { sent: number; blocked: number; byChannel: Partial<Record<Channel, number>> };
  lastBlocked?: { rule: string; until?: string; channel: Channel; at: string };
  outcome?: Outcome;
  /**
   * The latest cure-propensity score with its three strongest reasons and the plan Overdue proposes, or
   * `skipped` with why (no active model); absent in runs from before scoring.
   */
  score?: ScoreOutcome;
}
/** The state once the case is open: what updates answer (they are refused while the run is opening). */
export type OpenCollectionState = CollectionState & Required<Pick<CollectionState, 'caseId' | 'strategy' | 'currency' | 'pastDueMinor' | 'outstandingMinor' | 'dpd'>>;
export const getState = defineQuery<CollectionState>('getState');

// ---- keys of the negotiation rows ----
// The API files a promise or plan after the workflow accepted it, and the workflow settles the same row
// when it decides (kept, broken, completed): both name it by these keys, built from the accepted terms.

export function promiseRowKey(caseId: string, promise: { dueAt: string; amountMinor: number }): string {
  return `${caseId}/promise/${new Date(Date.parse(promise.dueAt)).toISOString()}/${promise.amountMinor}`;
}

export function planRowKey(caseId: string, installments: ReadonlyArray<{ dueAt: string; amountMinor: number }>): string {
  return `${caseId}/plan/${installments.map((i) => `${new Date(Date.parse(i.dueAt)).toISOString()}:${i.amountMinor}`).join(',')}`;
}
