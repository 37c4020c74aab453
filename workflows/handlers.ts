// The workflow's ears: every signal, update and the query, bound to one CaseState.
// Update validators reject bad input before anything reaches history; handlers only change state and
// leave the side effects (audit, ledger reads) to activities.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { assertAmountMinor } from '../domain/money';
import { parseDuration } from '../domain/strategy/duration';
import type { NegotiationStage } from '../domain/strategy/types';
import { currentStageKind, isClosed, openingView, pauses, rememberPayment, viewOf, type CaseState } from './case-state';
import * as m from '../contracts/messages';

// Handlers never issue commands themselves (no activities, no search-attribute upserts): they change
// state and leave work in the case's inbox, which the main loop serves (workflows/collection.ts). One
// coroutine issuing every command keeps the history's order the same on every replay, whatever the
// timing of signals and updates (a handler awaiting a local activity did not: see the replay tests).
function audit(loan: CaseState, action: string, detail: Record<string, unknown>): void {
  loan.inbox.audits.push({ action, detail });
}

/** An update rejected by its validator: the client sees type ValidationError, the message and the field. */
function invalid(field: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ValidationError', message, details: [{ field }], nonRetryable: true });
}

function requireText(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, `${field} is required`);
}

function requireCurrency(loan: CaseState, currency: unknown, field: string): void {
  if (currency !== loan.position.currency) {
    throw invalid(field, `${field} must be ${loan.position.currency}, the loan's currency (got ${JSON.stringify(currency)})`);
  }
}

function requireFutureInstant(value: unknown, field: string, latestMs: number): number {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw invalid(field, `${field} must be an ISO-8601 instant (got ${JSON.stringify(value)})`);
  if (at <= Date.now()) throw invalid(field, `${field} must be in the future (got ${value})`);
  if (at > latestMs) throw invalid(field, `${field} must be no later than ${new Date(latestMs).toISOString()} (got ${value})`);
  return at;
}

function amount(value: unknown, field: string): void {
  try {
    assertAmountMinor(value, field);
  } catch (error) {
    throw invalid(field, (error as Error).message);
  }
}

function negotiationTerms(loan: CaseState): NegotiationStage | undefined {
  return loan.treatment.stages.find((s): s is NegotiationStage => s.kind === 'negotiation');
}

/** A promise or plan is taken while a call waits for its outcome or negotiation waits for an offer. */
function requireOfferWindow(loan: CaseState, what: string): NegotiationStage {
  if (isClosed(loan)) throw invalid('stage', `the case is closed (${loan.outcome}); no ${what} can be recorded`);
  const stage = currentStageKind(loan);
  const open = (stage === 'call' && loan.awaitingCallOutcome) || (stage === 'negotiation' && !loan.promise && !loan.plan);
  if (!open) throw invalid('stage', `a ${what} can only be recorded while a call awaits its outcome or negotiation awaits an offer (stage is ${stage})`);
  const terms = negotiationTerms(loan);
  if (!terms) throw invalid('stage', `strategy path ${loan.treatment.pathId} has no negotiation stage`);
  return terms;
}

function requireCollector(loan: CaseState, collectorId: unknown): void {
  requireText(collectorId, 'collectorId');
  if (loan.assignedCollector && loan.assignedCollector !== collectorId) {
    throw invalid('collectorId', `case is assigned to collector ${loan.assignedCollector}, not ${collectorId}`);
  }
}

/**
 * Registers every handler, and is called before the run's first await, so that a query or signal sent
 * right after the start finds them. Until `opened` hands over the case (openCase has answered), the
 * query answers stage `opening`, updates are refused, and signals wait; `opened` then applies them.
 */
export function listen(loanId: string): { opened(loan: CaseState): void } {
  let open: CaseState | undefined;
  const early: Array<{ rank: number; apply(loan: CaseState): void }> = [];
  let handlers = 0;

  /** A signal handler that runs on the open case, or waits for it. */
  function onSignal<A extends unknown[]>(handle: (loan: CaseState, ...args: A) => void): (...args: A) => void {
    const rank = handlers++;
    return (...args) => {
      if (open) handle(open, ...args);
      else early.push({ rank, apply: (loan) => handle(loan, ...args) });
    };
  }

  /** The open case, for an update: a collector's action is refused while opening (none can be due yet). */
  function requireOpen(): CaseState {
    if (!open) throw invalid('stage', 'the case is still opening; try again in a moment');
    return open;
  }

  setHandler(m.getState, () => (open ? viewOf(open, Date.now()) : openingView(loanId)));

  setHandler(m.paymentReceived, onSignal((loan, payment) => {
    if (!rememberPayment(loan, payment.paymentId)) return;
    loan.inbox.refresh = true;
  }));

  setHandler(m.loanAdjusted, onSignal((loan, { reason }) => {
    loan.inbox.refresh = true;
    audit(loan, 'loan_adjusted', { reason });
  }));

  setHandler(m.closedByLender, onSignal((loan, { outcome, reason }) => {
    if (isClosed(loan)) return;
    loan.outcome = outcome;
    audit(loan, 'case_closed_by_lender', { outcome, reason });
  }));

  setHandler(m.disputeOpened, onSignal((loan, { disputeId }) => {
    // A redelivered dispute (same id) never reopens one that was already resolved.
    if (isClosed(loan) || loan.dispute?.status === 'open' || loan.dispute?.disputeId === disputeId) return;
    loan.dispute = { disputeId, status: 'open' };
    audit(loan, 'dispute_opened', { disputeId });
  }));

  setHandler(m.disputeResolved, onSignal((loan, { disputeId, outcome }) => {
    if (loan.dispute?.disputeId !== disputeId || loan.dispute?.status !== 'open') return;
    loan.dispute = { disputeId, status: outcome };
    if (outcome === 'upheld' && !isClosed(loan)) loan.outcome = 'dispute_upheld';
    audit(loan, 'dispute_resolved', { disputeId, outcome });
  }));

  setHandler(m.ceaseRequested, onSignal((loan) => {
    if (loan.borrower.ceaseRequested) return;
    loan.borrower.ceaseRequested = true;
    audit(loan, 'cease_requested', {});
  }));

  setHandler(m.channelOptedOut, onSignal((loan, { channel }) => {
    if (loan.borrower.optedOut.includes(channel)) return;
    loan.borrower.optedOut = [...loan.borrower.optedOut, channel];
    audit(loan, 'channel_opted_out', { channel });
  }));

  setHandler(m.hardshipReported, onSignal((loan) => {
    const until = new Date(Date.now() + parseDuration(loan.strategy.hardshipPause)).toISOString();
    loan.pausedUntil = until;
    audit(loan, 'hardship_pause', { until });
  }));

  setHandler(m.collectionBarred, onSignal((loan, { reason }) => {
    if (reason === 'bankruptcy') loan.borrower.bankruptcy = true;
    else loan.borrower.deceased = true;
    if (!isClosed(loan)) loan.outcome = reason === 'bankruptcy' ? 'stopped_bankruptcy' : 'stopped_deceased';
    audit(loan, 'collection_barred', { reason });
  }));

  setHandler(m.pauseRequested, onSignal((loan, { reason, operator }) => {
    if (loan.operatorPaused) return;
    loan.operatorPaused = true;
    audit(loan, 'paused', { reason, operator });
  }));

  setHandler(m.resumeRequested, onSignal((loan, { operator }) => {
    if (!loan.operatorPaused) return;
    loan.operatorPaused = false;
    audit(loan, 'resumed', { operator });
  }));

  setHandler(m.collectorReassigned, onSignal((loan, { collectorId, operator }) => {
    loan.assignedCollector = collectorId;
    audit(loan, 'collector_reassigned', { collectorId, operator });
  }));

  setHandler(m.legalOutcomeReported, onSignal((loan, { outcome }) => {
    loan.legalOutcome = outcome;
  }));

  setHandler(
    m.recordCallOutcome,
    ({ outcome, collectorId }) => {
      const loan = requireOpen();
      loan.assignedCollector ??= collectorId;
      loan.callOutcome = outcome;
      if (outcome === 'dispute_raised') loan.dispute = { disputeId: `call-${loan.nextStep}`, status: 'open' };
      if (outcome === 'hardship') loan.pausedUntil = new Date(Date.now() + parseDuration(loan.strategy.hardshipPause)).toISOString();
      audit(loan, 'call_outcome', { outcome, collectorId });
      return viewOf(loan, Date.now());
    },
    {
      validator: ({ outcome, collectorId }) => {
        const loan = requireOpen();
        if (!(m.callOutcomes as readonly string[]).includes(outcome)) {
          throw invalid('outcome', `outcome must be one of ${m.callOutcomes.join(', ')} (got ${JSON.stringify(outcome)})`);
        }
        if (outcome === 'promise_to_pay') throw invalid('outcome', 'record a promise to pay with promiseToPay, which carries its amount and date');
        if (isClosed(loan) || currentStageKind(loan) !== 'call' || !loan.awaitingCallOutcome) {
          throw invalid('stage', `no call is waiting for an outcome (stage is ${currentStageKind(loan)})`);
        }
        requireCollector(loan, collectorId);
      },
    },
  );

  setHandler(
    m.promiseToPay,
    ({ amountMinor, dueAt, collectorId }) => {
      const loan = requireOpen();
      loan.assignedCollector ??= collectorId;
      loan.promise = { amountMinor, dueAt: new Date(Date.parse(dueAt)).toISOString(), paidBaselineMinor: loan.position.paidMinor, status: 'open', collectorId };
      if (loan.awaitingCallOutcome) loan.callOutcome = 'promise_to_pay';
      audit(loan, 'promise_to_pay', { amountMinor, currency: loan.position.currency, dueAt, collectorId });
      return viewOf(loan, Date.now());
    },
    {
      validator: ({ amountMinor, currency, dueAt, collectorId }) => {
        const loan = requireOpen();
        amount(amountMinor, 'amountMinor');
        requireCurrency(loan, currency, 'currency');
        const terms = requireOfferWindow(loan, 'promise to pay');
        requireFutureInstant(dueAt, 'dueAt', Date.now() + parseDuration(terms.maxPromiseHorizon));
        requireCollector(loan, collectorId);
        if (pauses(loan, Date.now()).includes('disputed')) throw invalid('stage', 'the debt is disputed; no promise can be taken until the dispute is resolved');
      },
    },
  );

  setHandler(
    m.agreePaymentPlan,
    ({ installments, collectorId }) => {
      const loan = requireOpen();
      loan.assignedCollector ??= collectorId;
      loan.plan = {
        paidBaselineMinor: loan.position.paidMinor,
        collectorId,
        installments: installments.map((i) => ({ dueAt: new Date(Date.parse(i.dueAt)).toISOString(), amountMinor: i.amountMinor, status: 'open' as const })),
        status: 'open',
      };
      if (loan.awaitingCallOutcome) loan.callOutcome = 'right_party_contact';
      audit(loan, 'payment_plan_agreed', { installments, currency: loan.position.currency, collectorId });
      return viewOf(loan, Date.now());
    },
    {
      validator: ({ installments, currency, collectorId }) => {
        const loan = requireOpen();
        requireCurrency(loan, currency, 'currency');
        const terms = requireOfferWindow(loan, 'payment plan');
        if (!Array.isArray(installments) || installments.length === 0) throw invalid('installments', 'installments must list at least one instalment');
        if (installments.length > terms.maxPlanInstallments) {
          throw invalid('installments', `installments may have at most ${terms.maxPlanInstallments} entries (got ${installments.length})`);
        }
        let previous = Date.now();
        let total = 0;
        installments.forEach((installment, index) => {
          amount(installment?.amountMinor, `installments[${index}].amountMinor`);
          const at = requireFutureInstant(installment.dueAt, `installments[${index}].dueAt`, Number.MAX_SAFE_INTEGER);
          if (at <= previous && index > 0) throw invalid(`installments[${index}].dueAt`, `installments[${index}].dueAt must come after the previous instalment`);
          previous = at;
          total += installment.amountMinor;
        });
        if (total < loan.position.pastDueMinor) {
          throw invalid('installments', `the plan totals ${total} but ${loan.position.pastDueMinor} is past due; it must cover the past-due amount`);
        }
        requireCollector(loan, collectorId);
      },
    },
  );

  return {
    opened(loan) {
      open = loan;
      // Handler by handler in the order registered above, each in arrival order: the order in which the
      // SDK used to deliver buffered signals when these handlers were registered after openCase, so the
      // histories of running loans replay unchanged. (Array.prototype.sort is stable.)
      for (const signal of early.sort((a, b) => a.rank - b.rank)) signal.apply(loan);
      early.length = 0;
    },
  };
}
