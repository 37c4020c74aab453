// The workflow's ears: every signal, update and the query, bound to one CaseState.
// Update validators (workflows/validators.ts) reject bad input before anything reaches history; handlers
// only change state and leave the side effects (audit, ledger reads) to activities.
import { setHandler } from '@temporalio/workflow';
import { parseDuration } from '../domain/strategy/duration';
import { applyPosition, closedBy, isClosed, onContract5, onContract6, onContract7, openingView, patchedBefore5, rememberPayment, viewOf, type CaseState } from './case-state';
import * as m from '../contracts/messages';
import { invalid, validateCallOutcome, validatePlan, validatePromise } from './validators';

// Handlers never issue commands themselves (no activities, no search-attribute upserts): they change
// state and leave work in the case's inbox, which the main loop serves (workflows/collection.ts). One
// coroutine issuing every command keeps the history's order the same on every replay, whatever the
// timing of signals and updates (a handler awaiting a local activity did not: see the replay tests).
function audit(state: CaseState, action: string, detail: Record<string, unknown>): void {
  state.inbox.audits.push({ action, detail });
}

/**
 * Registers every handler, and is called before the run's first await, so that a query or signal sent
 * right after the start finds them. Until `opened` hands over the case (openCase has answered), the
 * query answers stage `opening`, updates are refused, and signals wait; `opened` then applies them.
 */
export function listen(loanId: string): { opened(state: CaseState): void } {
  let open: CaseState | undefined;
  const early: Array<{ rank: number; apply(state: CaseState): void }> = [];
  let handlers = 0;

  /** A signal handler that runs on the open case, or waits for it. */
  function onSignal<A extends unknown[]>(handle: (state: CaseState, ...args: A) => void): (...args: A) => void {
    const rank = handlers++;
    return (...args) => {
      if (open) handle(open, ...args);
      else early.push({ rank, apply: (state) => handle(state, ...args) });
    };
  }

  /** The open case, for an update: a collector's action is refused while opening (none can be due yet). */
  function requireOpen(): CaseState {
    if (!open) throw invalid('stage', 'the case is still opening; try again in a moment');
    return open;
  }

  setHandler(m.getState, () => (open ? viewOf(open, Date.now()) : openingView(loanId)));

  setHandler(m.paymentReceived, onSignal((state, payment) => {
    if (!rememberPayment(state, payment.paymentId)) return;
    state.inbox.refresh = true;
    // Contract 5: the position the payment left, as the ledger wrote it, taken here rather than read again
    // by the main loop, so a cure counts from the signal's arrival: a lender's close or a bar signalled
    // after it, even in the same workflow task, finds the case already cured. Payments only add to what
    // was paid, so of two signals met out of order the one with more paid is the later.
    const { position, closedAs } = payment;
    if (onContract5(state) && position) {
      if (position.paidMinor >= state.position.paidMinor) applyPosition(state, position);
      // Contract 7: the payment closed the case in its own transaction; the run takes that close as
      // settle() takes a close activity's, and the end of the run issues no closeCase (#19).
      if (closedAs && onContract7(state)) closedBy(state, closedAs);
      state.inbox.position = state.position;
    }
  }));

  setHandler(m.closedByLender, onSignal((state, { outcome, reason }) => {
    if (isClosed(state)) return;
    state.outcome = outcome;
    audit(state, 'case_closed_by_lender', { outcome, reason });
  }));

  setHandler(m.disputeOpened, onSignal((state, { disputeId }) => {
    // A redelivered dispute (same id) never reopens one that was already resolved.
    if (isClosed(state) || state.dispute?.status === 'open' || state.dispute?.disputeId === disputeId) return;
    state.dispute = { disputeId, status: 'open' };
    audit(state, 'dispute_opened', { disputeId });
  }));

  setHandler(m.disputeResolved, onSignal((state, { disputeId, outcome }) => {
    if (state.dispute?.disputeId !== disputeId || state.dispute?.status !== 'open') return;
    state.dispute = { disputeId, status: outcome };
    if (outcome === 'upheld' && !isClosed(state)) state.outcome = 'dispute_upheld';
    audit(state, 'dispute_resolved', { disputeId, outcome });
  }));

  setHandler(m.ceaseRequested, onSignal((state) => {
    if (state.borrower.ceaseRequested) return;
    state.borrower.ceaseRequested = true;
    audit(state, 'cease_requested', {});
  }));

  setHandler(m.channelOptedOut, onSignal((state, { channel }) => {
    if (state.borrower.optedOut.includes(channel)) return;
    state.borrower.optedOut = [...state.borrower.optedOut, channel];
    audit(state, 'channel_opted_out', { channel });
  }));

  setHandler(m.hardshipReported, onSignal((state) => {
    const until = new Date(Date.now() + parseDuration(state.strategy.hardshipPause)).toISOString();
    state.pausedUntil = until;
    audit(state, 'hardship_pause', { until });
  }));

  setHandler(m.collectionBarred, onSignal((state, { reason }) => {
    if (reason === 'bankruptcy') state.borrower.bankruptcy = true;
    else state.borrower.deceased = true;
    if (!isClosed(state)) state.outcome = reason === 'bankruptcy' ? 'stopped_bankruptcy' : 'stopped_deceased';
    audit(state, 'collection_barred', { reason });
  }));

  setHandler(m.pauseRequested, onSignal((state, { reason, operator }) => {
    if (state.operatorPaused) return;
    state.operatorPaused = true;
    state.pauseReason = reason;
    audit(state, 'paused', { reason, operator });
  }));

  setHandler(m.resumeRequested, onSignal((state, { operator }) => {
    if (!state.operatorPaused) return;
    state.operatorPaused = false;
    state.pauseReason = undefined;
    audit(state, 'resumed', { operator });
  }));

  setHandler(m.collectorReassigned, onSignal((state, { collectorId, operator }) => {
    state.assignedCollector = collectorId;
    audit(state, 'collector_reassigned', { collectorId, operator });
  }));

  setHandler(m.legalOutcomeReported, onSignal((state, { outcome }) => {
    state.legalOutcome = outcome;
  }));

  setHandler(
    m.recordCallOutcome,
    ({ outcome, collectorId }) => {
      const state = requireOpen();
      state.assignedCollector ??= collectorId;
      state.callOutcome = outcome;
      if (outcome === 'dispute_raised') state.dispute = { disputeId: `call-${state.nextStep}`, status: 'open' };
      if (outcome === 'hardship') state.pausedUntil = new Date(Date.now() + parseDuration(state.strategy.hardshipPause)).toISOString();
      audit(state, 'call_outcome', { outcome, collectorId });
      return viewOf(state, Date.now());
    },
    { validator: (input) => validateCallOutcome(requireOpen(), input) },
  );

  setHandler(
    m.promiseToPay,
    ({ amountMinor, dueAt, collectorId }) => {
      const state = requireOpen();
      assignUnlessSelfService(state, collectorId);
      state.promise = { amountMinor, dueAt: new Date(Date.parse(dueAt)).toISOString(), paidBaselineMinor: state.position.paidMinor, status: 'open', collectorId };
      if (state.awaitingCallOutcome) state.callOutcome = 'promise_to_pay';
      audit(state, 'promise_to_pay', { amountMinor, currency: state.position.currency, dueAt, collectorId });
      return viewOf(state, Date.now());
    },
    { validator: (input) => validatePromise(requireOpen(), input) },
  );

  setHandler(
    m.agreePaymentPlan,
    ({ installments, collectorId }) => {
      const state = requireOpen();
      assignUnlessSelfService(state, collectorId);
      // Contract 6: a plan short of the past-due amount (the validator held it to the strategy's largest
      // discount) carries its discount. Older runs' validators refused such plans, so they never carry one.
      const total = installments.reduce((sum, i) => sum + i.amountMinor, 0);
      const discountMinor = onContract6(state) ? Math.max(0, state.position.pastDueMinor - total) : 0;
      state.plan = {
        paidBaselineMinor: state.position.paidMinor,
        collectorId,
        installments: installments.map((i) => ({ dueAt: new Date(Date.parse(i.dueAt)).toISOString(), amountMinor: i.amountMinor, status: 'open' as const })),
        status: 'open',
        ...(discountMinor > 0 ? { discountMinor } : {}),
      };
      if (state.awaitingCallOutcome) state.callOutcome = 'right_party_contact';
      const discount = discountMinor > 0 ? { discountMinor, pastDueMinor: state.position.pastDueMinor } : {};
      audit(state, 'payment_plan_agreed', { installments, currency: state.position.currency, collectorId, ...discount });
      return viewOf(state, Date.now());
    },
    { validator: (input) => validatePlan(requireOpen(), input) },
  );

  return {
    opened(state) {
      open = state;
      // Handler by handler in the order registered above, each in arrival order: the order in which the
      // SDK used to deliver buffered signals when these handlers were registered after openCase, so the
      // histories of running loans replay unchanged. (Array.prototype.sort is stable.)
      for (const signal of early.sort((a, b) => a.rank - b.rank)) signal.apply(state);
      early.length = 0;
    },
  };
}

/**
 * A collector's promise or plan makes an unassigned case theirs; the borrower's own (SELF_SERVICE, from
 * the self-service page) assigns it to no one. Histories recorded before the page existed never carry
 * SELF_SERVICE; the patch marks the runs that took the new branch.
 */
function assignUnlessSelfService(state: CaseState, collectorId: string): void {
  if (collectorId === m.SELF_SERVICE && patchedBefore5(state, 'borrower-self-service')) return;
  state.assignedCollector ??= collectorId;
}
