// The collection workflow's update validators: they reject a collector's bad input before anything
// reaches history (a rejected update leaves no event). Each throws a ValidationError naming the field,
// which the API turns into a 4xx; none changes state.
import { ApplicationFailure } from '@temporalio/workflow';
import { assertAmountMinor } from '../domain/money';
import { parseDuration } from '../domain/strategy/duration';
import type { NegotiationStage } from '../domain/strategy/types';
import { largestPlanDiscountMinor, mayFallBelowFloor, planInstallmentFloorMinor } from '../domain/plan-terms';
import { currentStageKind, isClosed, onContract6, pauses, type CaseState } from './case-state';
import * as m from '../contracts/messages';

/** An update rejected by its validator: the client sees type ValidationError, the message and the field. */
export function invalid(field: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ValidationError', message, details: [{ field }], nonRetryable: true });
}

/** recordCallOutcome: a known outcome, for the call that waits for one, from the case's collector. */
export function validateCallOutcome(state: CaseState, { outcome, collectorId }: m.CallOutcomeInput): void {
  if (!(m.callOutcomes as readonly string[]).includes(outcome)) {
    throw invalid('outcome', `outcome must be one of ${m.callOutcomes.join(', ')} (got ${JSON.stringify(outcome)})`);
  }
  if (outcome === 'promise_to_pay') throw invalid('outcome', 'record a promise to pay with promiseToPay, which carries its amount and date');
  if (isClosed(state) || currentStageKind(state) !== 'call' || !state.awaitingCallOutcome) {
    throw invalid('stage', `no call is waiting for an outcome (stage is ${currentStageKind(state)})`);
  }
  requireCollector(state, collectorId);
}

/** promiseToPay: an amount in the loan's currency, due within the strategy's horizon, while no dispute is open. */
export function validatePromise(state: CaseState, { amountMinor, currency, dueAt, collectorId }: m.PromiseInput): void {
  amount(amountMinor, 'amountMinor');
  requireCurrency(state, currency, 'currency');
  const terms = requireOfferWindow(state, 'promise to pay');
  requireFutureInstant(dueAt, 'dueAt', Date.now() + parseDuration(terms.maxPromiseHorizon));
  requireCollector(state, collectorId);
  if (pauses(state, Date.now()).includes('disputed')) throw invalid('stage', 'the debt is disputed; no promise can be taken until the dispute is resolved');
}

/**
 * agreePaymentPlan: up to the strategy's number of instalments, in order, none but the last below the
 * strategy's smallest instalment (the last may be the remainder: domain/plan-terms), covering what is
 * past due, less at most the strategy's largest discount on a case opened on contract 6 or later.
 */
export function validatePlan(state: CaseState, { installments, currency, collectorId }: m.PlanInput): void {
  requireCurrency(state, currency, 'currency');
  const terms = requireOfferWindow(state, 'payment plan');
  if (!Array.isArray(installments) || installments.length === 0) throw invalid('installments', 'installments must list at least one instalment');
  if (installments.length > terms.maxPlanInstallments) {
    throw invalid('installments', `installments may have at most ${terms.maxPlanInstallments} entries (got ${installments.length})`);
  }
  const { currency: loanCurrency, pastDueMinor } = state.position;
  const floor = planInstallmentFloorMinor(terms.minPlanInstallmentMinor, state.strategy.currency, loanCurrency);
  let previous = Date.now();
  let total = 0;
  installments.forEach((installment, index) => {
    const field = `installments[${index}].amountMinor`;
    amount(installment?.amountMinor, field);
    if (installment.amountMinor < floor && !mayFallBelowFloor(index, installments.length)) {
      throw invalid(field, `${field} must be at least ${floor}, the strategy's smallest instalment (got ${installment.amountMinor}); only the last instalment, the remainder, may be smaller`);
    }
    const at = requireFutureInstant(installment.dueAt, `installments[${index}].dueAt`, Number.MAX_SAFE_INTEGER);
    if (at <= previous && index > 0) throw invalid(`installments[${index}].dueAt`, `installments[${index}].dueAt must come after the previous instalment`);
    previous = at;
    total += installment.amountMinor;
  });
  const discount = onContract6(state) ? largestPlanDiscountMinor(pastDueMinor, terms.maxPlanDiscountPercent) : 0;
  if (total < pastDueMinor - discount) {
    throw invalid(
      'installments',
      discount > 0
        ? `the plan totals ${total} but ${pastDueMinor} is past due and the strategy lets go of at most ${terms.maxPlanDiscountPercent}% (${discount}); it must total at least ${pastDueMinor - discount}`
        : `the plan totals ${total} but ${pastDueMinor} is past due; it must cover the past-due amount`,
    );
  }
  requireCollector(state, collectorId);
}

// ---- the checks they share ----

function requireText(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, `${field} is required`);
}

function requireCurrency(state: CaseState, currency: unknown, field: string): void {
  if (currency !== state.position.currency) {
    throw invalid(field, `${field} must be ${state.position.currency}, the loan's currency (got ${JSON.stringify(currency)})`);
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

function negotiationTerms(state: CaseState): NegotiationStage | undefined {
  return state.treatment.stages.find((s): s is NegotiationStage => s.kind === 'negotiation');
}

/** A promise or plan is taken while a call waits for its outcome or negotiation waits for an offer. */
function requireOfferWindow(state: CaseState, what: string): NegotiationStage {
  if (isClosed(state)) throw invalid('stage', `the case is closed (${state.outcome}); no ${what} can be recorded`);
  const stage = currentStageKind(state);
  const open = (stage === 'call' && state.awaitingCallOutcome) || (stage === 'negotiation' && !state.promise && !state.plan);
  if (!open) throw invalid('stage', `a ${what} can only be recorded while a call awaits its outcome or negotiation awaits an offer (stage is ${stage})`);
  const terms = negotiationTerms(state);
  if (!terms) throw invalid('stage', `strategy path ${state.treatment.pathId} has no negotiation stage`);
  return terms;
}

function requireCollector(state: CaseState, collectorId: unknown): void {
  requireText(collectorId, 'collectorId');
  if (collectorId === m.SELF_SERVICE) return;
  if (state.assignedCollector && state.assignedCollector !== collectorId) {
    throw invalid('collectorId', `case is assigned to collector ${state.assignedCollector}, not ${collectorId}`);
  }
}
