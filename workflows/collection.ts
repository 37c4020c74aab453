// The collection workflow: one durable run per delinquent loan, walking the strategy's ladder
// reminder -> call -> negotiation -> legal. It reads top-down like the strategy a collections manager
// writes; every number comes from the strategy or the rule pack, every contact is planned by the same
// compliance rules the send-time gate checks again.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditEntry, CaseActivities, ChannelActivities, ContactRequest, NegotiationRow, Position, ScoreTrigger, SettledOutcome } from '../contracts/activities';
import { allowedUntil, contactKindOf, evaluateContact, mayEscalateToLegal, nextAllowedContact } from '../domain/compliance';
import type { ContactContext, ContactKind } from '../domain/compliance/types';
import { formatMoney } from '../domain/money';
import { parseDuration } from '../domain/strategy/duration';
import type { CallStage, FieldVisitStep, LegalStage, MessageChannel, NegotiationStage, ReminderStage, ReminderStep, Stage, StageKind } from '../domain/strategy/types';
import {
  applyPosition,
  closedBy,
  contactContext,
  hasInbox,
  currentStageKind,
  isClosed,
  newCaseState,
  onContract5,
  patchedBefore5,
  pauses,
  recordContact,
  stepKey,
  type CaseState,
} from './case-state';
import { listen } from './handlers';
import { LEGAL_OUTCOME_WAIT, planRowKey, promiseRowKey, type CallOutcome, type CollectionInput, type CollectionResult } from '../contracts/messages';
import { ordinal, publish } from './publish';

// Ledger and case writes are short database calls on the workflow's own task queue. They are ordinary
// activities, not local ones: a local activity's result replays in a different workflow task than the
// signals that arrived while it ran, which made replays diverge under the fault-injection suite.
const caseDb = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// Channel sends run on each channel's own task queue (the case's queues, from the worker's configuration),
// given per send; the proxy and its retry policy are built once.
const channels = proxyActivities<ChannelActivities>({
  startToCloseTimeout: '1m',
  // A channel outage is retried for as long as it lasts; permanent errors are non-retryable failures.
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
});
const send = { email: channels.sendEmail, sms: channels.sendSms, letter: channels.sendLetter };

/** History length at which the run carries its state into a fresh one (long plans, many cycles). */
const CONTINUE_AS_NEW_AT_EVENTS = 4_000;

/** "Wait until told" for waits the strategy leaves open-ended: ten years. */
const UNTIL_TOLD_MS = 10 * 365 * 24 * 3600 * 1000;

type Next = { kind: 'next' } | { kind: 'goto'; stage: StageKind } | { kind: 'restart' };
const NEXT: Next = { kind: 'next' };

export async function collection(input: CollectionInput): Promise<CollectionResult> {
  const { workflowId } = workflowInfo();
  // Handlers before the first await: a query or signal sent right after the start must find them.
  const handlers = listen(input.loanId);
  let state: CaseState;
  if (input.carried) {
    state = input.carried as CaseState;
  } else {
    const facts = await caseDb.openCase.executeWithOptions({ summary: 'open the case, pin the strategy' }, [{ loanId: input.loanId, workflowId, strategyId: input.strategyId }]);
    state = newCaseState(workflowId, facts, facts.treatment);
    applyPosition(state, facts.position);
    // A borrower marked bankrupt or deceased by the time the case opened (the API and the sweep refuse to
    // start one; a start racing the bar, or one made some other way, gets here): the case closes at once
    // with that outcome and nothing is planned. Guarded: older runs went on to plan (blocked) contacts.
    if (!isClosed(state) && (state.borrower.bankruptcy || state.borrower.deceased) && patchedBefore5(state, 'barred-borrower-closes-at-open')) {
      state.outcome = state.borrower.bankruptcy ? 'stopped_bankruptcy' : 'stopped_deceased';
    }
  }

  handlers.opened(state);
  // Every stage publishes before its first await, in this same workflow task, and with the end of its
  // first wait (NextActionAt): on contract 5 that is the case's first upsert, where an upsert here would
  // be one more event and action whenever the two differ (#19). Older runs keep their sequence.
  if (!onContract5(state) || input.carried || isClosed(state)) publish(state);

  while (!isClosed(state)) {
    const stage = state.treatment.stages[state.stageIndex];
    if (!stage) {
      // The ladder ran out without closing the case: begin a new cycle of the same path.
      state.stageIndex = 0;
      state.cycle += 1;
      await transition(state, 'cycle_restarted', { cycle: state.cycle });
      continue;
    }
    const next = await stages[stage.kind](state, stage as never);
    if (isClosed(state)) break;
    moveOn(state, next);
    await transition(state, 'stage_entered', { stage: currentStageKind(state) });

    await continueAsNewIfLong(state, input);
  }

  state.waitingFor = undefined;
  await serveInbox(state);
  publish(state);
  await settleOffersLeftOpen(state);
  if (!state.closedInDatabase) {
    await caseDb.closeCase.executeWithOptions({ summary: `close the case (${state.outcome})` }, [{ caseId: state.caseId, loanId: state.loanId, outcome: state.outcome!, ...carryAudits(state) }]);
  }
  await writeAudits(state);
  await condition(allHandlersFinished);
  const p = state.position;
  return {
    loanId: state.loanId,
    caseId: state.caseId,
    outcome: state.outcome!,
    pastDueMinor: p.pastDueMinor,
    outstandingMinor: p.outstandingMinor,
    currency: p.currency,
    pastDue: formatMoney(p.pastDueMinor, p.currency),
    outstanding: formatMoney(p.outstandingMinor, p.currency),
    contactsSent: state.contacts.sent,
  };
}

/** Carries the whole state into a fresh run when the history grows long (many cycles, long plans). */
async function continueAsNewIfLong(state: CaseState, input: CollectionInput): Promise<void> {
  const info = workflowInfo();
  const limit = input.historyLimit ?? CONTINUE_AS_NEW_AT_EVENTS;
  if (!info.continueAsNewSuggested && info.historyLength <= limit) return;
  await writeAudits(state);
  await condition(allHandlersFinished);
  await continueAsNew<typeof collection>({ loanId: state.loanId, strategyId: input.strategyId, historyLimit: input.historyLimit, carried: state });
}

const stages: { [K in StageKind]: (state: CaseState, stage: Extract<Stage, { kind: K }>) => Promise<Next> } = {
  reminder: remind,
  call,
  negotiation: negotiate,
  legal: escalate,
};

/**
 * Reminder: the strategy's messages at their offsets, then a last wait for payment. Steps whose time has
 * passed together (a case that opens late, a pause that ends) collapse into the latest of them: only it
 * is sent, the others are recorded as skipped, and the rule gate's message gap spaces what follows.
 */
async function remind(state: CaseState, stage: ReminderStage): Promise<Next> {
  const enteredAt = Date.now();
  const dueAt = state.position.oldestUnpaidDueDate ? Date.parse(state.position.oldestUnpaidDueDate) : enteredAt;
  const timeOf = (step: ReminderStep) => (step.from === 'dueDate' ? dueAt : enteredAt) + parseDuration(step.after);
  // Running loans planned before this change sent every passed step: they keep doing so on replay.
  const collapse = patchedBefore5(state, 'collapse-passed-reminders');
  // A wait its own timer ended is judged at the timer's time, never by re-reading the clock: a replay may
  // see a later clock there (sdk-core merges a no-command workflow task into the next one on replay,
  // temporalio/sdk-rust#1606), which once turned a sent reminder into a skipped one (fault suite).
  // Runs opened since say so in their facts (contract 3); older ones ask patched() (two events: marker and
  // TemporalChangeVersion upsert, on a history held to 40 by issue #19).
  const judgeAtTimer = collapse && ((state.contract ?? 1) >= 3 || patched('reminders-judged-at-timer'));
  for (let index = 0; index < stage.steps.length; index += 1) {
    const first = stage.steps[index]!;
    const ended = { byTimer: false };
    if ((await waitUntil(state, `${ordinal(index + 1)} reminder (${first.channel})`, timeOf(first), undefined, ended)) === 'closed') return NEXT;
    if (collapse) {
      index = await skipPassedSteps(state, stage, index, timeOf, judgeAtTimer && ended.byTimer ? timeOf(first) : undefined);
      if (isClosed(state)) return NEXT;
    }
    const timerAt = judgeAtTimer && ended.byTimer && stage.steps[index] === first ? timeOf(first) : undefined;
    const step = stage.steps[index]!;
    const label = `${ordinal(index + 1)} reminder (${step.channel})`;
    await sendMessage(state, { stage: 'reminder', step: `${index + 1}`, channel: step.channel }, step.template, contactKindOf(step.template), label, false, timerAt);
    if (isClosed(state)) return NEXT;
  }
  await waitUntil(state, 'payment after the last reminder', Date.now() + parseDuration(stage.waitAfterLast));
  return NEXT;
}

/**
 * Once contact may resume (the pause is over), the index of the latest step whose time has passed; every
 * passed step before it is recorded as skipped (workflow.reminder_skipped) rather than sent in a burst.
 */
async function skipPassedSteps(
  state: CaseState,
  stage: ReminderStage,
  index: number,
  timeOf: (step: ReminderStep) => number,
  /** When the step's own timer ended the wait: the instant to judge at (else the clock). */
  timerAt?: number,
): Promise<number> {
  const paused = await untilActive(state);
  if (isClosed(state)) return index;
  const now = timerAt !== undefined && !paused ? timerAt : Date.now();
  let latest = index;
  while (latest + 1 < stage.steps.length && timeOf(stage.steps[latest + 1]!) <= now) latest += 1;
  for (let skipped = index; skipped < latest; skipped += 1) {
    const step = stage.steps[skipped]!;
    await transition(state, 'reminder_skipped', {
      step: skipped + 1,
      channel: step.channel,
      template: step.template,
      dueAt: new Date(timeOf(step)).toISOString(),
      supersededBy: latest + 1,
    });
  }
  return latest;
}

/**
 * Call: a collector task per attempt, each waiting for its outcome, retried within the caps. A task is a
 * contact: when a pause, dispute, cease, bar or call opt-out stops the call while it waits, the task is
 * cancelled with the rule, and the same attempt is queued afresh (new step key) once the rules allow it.
 */
async function call(state: CaseState, stage: CallStage): Promise<Next> {
  // Calls in a row nobody answered, and whether this stage's field visit (if the strategy has one) is done.
  let unanswered = 0;
  let visited = false;
  for (let attempt = 1; attempt <= stage.attempts; attempt += 1) {
    const label = `call attempt ${attempt}`;
    if (!(await waitForAllowedContact(state, { stage: 'call', step: `${attempt}`, channel: 'call' }, 'collection', label))) return NEXT;
    const { taskId } = await caseDb.queueCollectorTask.executeWithOptions({ summary: `queue the collector task for ${label}` }, [
      { idempotencyKey: stepKey(state, `call-${attempt}`), caseId: state.caseId, loanId: state.loanId, attempt, collectorId: state.assignedCollector, ...carryAudits(state) },
    ]);
    state.awaitingCallOutcome = { attempt, taskId };
    state.callOutcome = undefined;
    // Running loans whose histories predate this change waited through pauses and expired answered tasks.
    const followsRules = patchedBefore5(state, 'call-task-follows-contact-rules');
    const waited = await waitUntil(
      state,
      `outcome of ${label}`,
      Date.now() + parseDuration(stage.outcomeTimeout),
      () => state.callOutcome !== undefined || (followsRules && callStopRule(state) !== undefined),
    );
    state.awaitingCallOutcome = undefined;
    const reported = state.callOutcome as CallOutcome | undefined;
    const stopRule = followsRules && reported === undefined ? callStopRule(state) : undefined;
    if (stopRule) {
      await caseDb.cancelCollectorTask.executeWithOptions({ summary: `cancel the task of ${label} (${stopRule})` }, [{ taskId, rule: stopRule, ...carryAudits(state, true) }]);
      if (isClosed(state)) return NEXT;
      attempt -= 1;
      continue;
    }
    const outcome: CallOutcome = reported ?? 'no_answer';
    state.callOutcome = undefined;
    // An answered task the collector holds is theirs to complete (the API does it after the update
    // returns): expiring it too would race them. One never claimed is still expired.
    if (waited !== 'closed') {
      const answered = followsRules ? { answered: reported !== undefined } : {};
      await caseDb.expireCollectorTask.executeWithOptions({ summary: `expire the task of ${label}` }, [{ taskId, ...answered, ...carryAudits(state, true) }]);
    }
    const connected = !['no_answer', 'wrong_number'].includes(outcome);
    recordContact(state, { channel: 'call', at: new Date().toISOString(), connected, status: 'sent' }, Date.now());
    if (isClosed(state)) return NEXT;

    switch (outcome) {
      case 'right_party_contact':
      case 'promise_to_pay':
        return { kind: 'goto', stage: 'negotiation' };
      case 'refused':
        return { kind: 'goto', stage: 'legal' };
      default: {
        // no_answer, wrong_number, and the pauses (dispute_raised, hardship): try again after the pause.
        unanswered = connected ? 0 : unanswered + 1;
        // ---- field visit (#17): only strategies with a visit step reach patched(), so older histories
        // (whose strategies had none) replay unchanged.
        if (stage.visit && !visited && unanswered >= stage.visit.afterUnansweredCalls && state.position.pastDueMinor >= (stage.visit.minPastDueMinor ?? 0) && patchedBefore5(state, 'field-visit-step')) {
          visited = true;
          const visitOutcome = await fieldVisit(state, stage.visit);
          if (isClosed(state)) return NEXT;
          if (visitOutcome === 'right_party_contact' || visitOutcome === 'promise_to_pay') return { kind: 'goto', stage: 'negotiation' };
          if (visitOutcome === 'refused') return { kind: 'goto', stage: 'legal' };
        }
        // ---- end field visit
        if (attempt < stage.attempts && (await waitUntil(state, 'next call attempt', Date.now() + parseDuration(stage.retryAfter))) === 'closed') return NEXT;
      }
    }
  }
  return NEXT;
}

/**
 * A field visit (上门催收): announce it with the strategy's notice message, wait until the rule pack allows
 * a visit to the borrower's home (notice period, daytime, weekly cap, pauses), then queue a `visit` task
 * for a field collector with the window the rules allow, and wait for its outcome like a call's. Returns
 * the outcome, or nothing when the visit did not happen (notice blocked, never allowed, no outcome).
 */
async function fieldVisit(state: CaseState, visit: FieldVisitStep): Promise<CallOutcome | undefined> {
  const label = 'field visit';
  const notice = { stage: 'call', step: 'visit-notice', channel: visit.notice.channel } as const;
  if (!(await sendMessage(state, notice, visit.notice.template, contactKindOf(visit.notice.template), `notice of the ${label}`))) return undefined;
  if (isClosed(state)) return undefined;
  const facts = { place: 'home' as const, announcedAt: new Date().toISOString() };
  if (!(await waitForAllowedContact(state, { stage: 'call', step: 'visit', channel: 'visit' }, 'collection', label, 'visit', false, facts))) return undefined;
  const from = new Date().toISOString();
  const until = allowedUntil({ ...contactContext(state, 'visit', 'collection'), visit: facts }, from);
  const { taskId } = await caseDb.queueCollectorTask.executeWithOptions({ summary: `queue the ${label} task` }, [
    { idempotencyKey: stepKey(state, 'call-visit'), caseId: state.caseId, loanId: state.loanId, attempt: 1, collectorId: state.assignedCollector, kind: 'visit', visit: { ...facts, window: { from, until } }, ...carryAudits(state) },
  ]);
  state.awaitingCallOutcome = { attempt: 1, taskId };
  state.callOutcome = undefined;
  const waited = await waitUntil(state, `outcome of the ${label}`, Date.now() + parseDuration(visit.outcomeTimeout), () => state.callOutcome !== undefined || callStopRule(state, facts) !== undefined);
  state.awaitingCallOutcome = undefined;
  const reported = state.callOutcome as CallOutcome | undefined;
  state.callOutcome = undefined;
  const stopRule = reported === undefined ? callStopRule(state, facts) : undefined;
  if (stopRule) {
    await caseDb.cancelCollectorTask.executeWithOptions({ summary: `cancel the ${label} task (${stopRule})` }, [{ taskId, rule: stopRule, ...carryAudits(state, true) }]);
    return undefined;
  }
  if (waited !== 'closed') await caseDb.expireCollectorTask.executeWithOptions({ summary: `expire the ${label} task` }, [{ taskId, answered: reported !== undefined, ...carryAudits(state, true) }]);
  if (reported === undefined) return undefined;
  recordContact(state, { channel: 'visit', at: new Date().toISOString(), connected: !['no_answer', 'wrong_number'].includes(reported), status: 'sent' }, Date.now());
  return reported;
}

/**
 * The rule that stops a waiting call now, if any: a pause (dispute, hardship, operator), or a fact no time
 * lifts (cease, call opt-out, bankruptcy, death, nothing due). Time windows and caps do not stop a call
 * already handed to a collector; the claim checked them.
 */
function callStopRule(state: CaseState, visit?: ContactContext['visit']): string | undefined {
  const paused = pauses(state, Date.now());
  if (paused.includes('disputed')) return 'common.dispute';
  if (paused.length > 0) return 'common.paused';
  // A visit task (with its facts) is judged as a visit: a visit opt-out stops it, a call opt-out does not.
  const context = visit ? { ...contactContext(state, 'visit', 'collection'), visit } : contactContext(state, 'call', 'collection');
  const decision = evaluateContact(context, new Date().toISOString());
  return !decision.allowed && decision.until === undefined ? decision.rule : undefined;
}

/** Negotiation: wait for a promise or plan, then watch it with timers until kept or broken. */
async function negotiate(state: CaseState, stage: NegotiationStage): Promise<Next> {
  if (!state.promise && !state.plan) {
    await waitUntil(state, 'a promise to pay or a payment plan', Date.now() + parseDuration(stage.offerTimeout), () => Boolean(state.promise || state.plan));
    if (isClosed(state) || (!state.promise && !state.plan)) return NEXT;
  }
  const grace = parseDuration(stage.grace);

  if (state.promise?.status === 'open') {
    const promise = state.promise;
    const kept = () => state.position.paidMinor - promise.paidBaselineMinor >= promise.amountMinor;
    await waitUntil(state, 'promised payment', Date.parse(promise.dueAt) + grace, kept);
    promise.status = kept() || isClosed(state) ? 'kept' : 'broken';
    const decided = { action: promise.status === 'kept' ? 'promise_kept' : 'promise_broken', detail: { amountMinor: promise.amountMinor, dueAt: promise.dueAt } };
    // Contract 5: the decision's audit event rides on the write of the decision itself.
    if (onContract5(state)) await transition(state, decided.action, decided.detail);
    if (patchedBefore5(state, 'negotiation-rows-follow-workflow')) {
      await caseDb.settlePromise.executeWithOptions({ summary: `settle the promise to pay (${promise.status})` }, [
        { ...negotiationRow(state, promiseRowKey(state.caseId, promise), promise.collectorId), amountMinor: promise.amountMinor, dueAt: promise.dueAt, status: promise.status, ...carryAudits(state) },
      ]);
    }
    if (!onContract5(state)) await transition(state, decided.action, decided.detail);
    state.promise = undefined;
    if (promise.status === 'broken') await rescore(state, 'promise_broken');
    return promise.status === 'kept' ? { kind: 'restart' } : NEXT;
  }

  if (state.plan?.status === 'open') {
    const plan = state.plan;
    let cumulative = 0;
    for (const [index, installment] of plan.installments.entries()) {
      cumulative += installment.amountMinor;
      const target = cumulative;
      const paid = () => state.position.paidMinor - plan.paidBaselineMinor >= target;
      await waitUntil(state, `plan instalment ${index + 1} of ${plan.installments.length}`, Date.parse(installment.dueAt) + grace, paid);
      // A case closed under the plan settles it on the way out (settleOffersLeftOpen).
      if (isClosed(state)) return NEXT;
      installment.status = paid() ? 'paid' : 'missed';
      if (installment.status === 'missed') {
        plan.status = 'broken';
        if (onContract5(state)) await transition(state, 'plan_broken', { instalment: index + 1 });
        await settlePlanRow(state, plan, 'broken');
        if (!onContract5(state)) await transition(state, 'plan_broken', { instalment: index + 1 });
        state.plan = undefined;
        await rescore(state, 'plan_missed');
        return { kind: 'goto', stage: 'legal' };
      }
    }
    plan.status = 'completed';
    if (plan.discountMinor) return settleDiscountedPlan(state, plan, plan.discountMinor);
    if (onContract5(state)) await transition(state, 'plan_completed', {});
    await settlePlanRow(state, plan, 'completed');
    if (!onContract5(state)) await transition(state, 'plan_completed', {});
    state.plan = undefined;
    return { kind: 'restart' };
  }
  return NEXT;
}

/**
 * A promise or plan the case closed under before negotiation watched it to its end (a payment that
 * cured the loan while the call stage was still moving on, a bar, the lender's close): a cure or
 * repayment keeps or completes it, anything else cancels it. Histories before this change wrote nothing.
 */
async function settleOffersLeftOpen(state: CaseState): Promise<void> {
  const promise = state.promise?.status === 'open' ? state.promise : undefined;
  const plan = state.plan?.status === 'open' ? state.plan : undefined;
  if ((!promise && !plan) || !patchedBefore5(state, 'negotiation-rows-follow-workflow')) return;
  const repaid = state.outcome === 'cured' || state.outcome === 'paid';
  if (promise) {
    if (repaid) promise.status = 'kept';
    const status = repaid ? 'kept' : 'cancelled';
    await caseDb.settlePromise.executeWithOptions({ summary: `settle the promise to pay (${status})` }, [
      { ...negotiationRow(state, promiseRowKey(state.caseId, promise), promise.collectorId), amountMinor: promise.amountMinor, dueAt: promise.dueAt, status, ...carryAudits(state) },
    ]);
  }
  if (plan) {
    if (repaid) plan.status = 'completed';
    await settlePlanRow(state, plan, repaid ? 'completed' : 'cancelled');
  }
}

/** Which promise or plan row a decision is about. */
function negotiationRow(state: CaseState, idempotencyKey: string, collectorId: string | undefined): NegotiationRow {
  return { idempotencyKey, caseId: state.caseId, loanId: state.loanId, currency: state.position.currency, ...(collectorId ? { collectorId } : {}) };
}

/**
 * A discounted plan paid in full (contract 6; only such runs carry a discount): its row is completed,
 * then its discount is written down in the ledger, and when nothing is past due after that the same
 * activity closes the case as `settled`. Whatever fell due while the plan ran and is still unpaid is not
 * written down: the ladder starts again for it, as after a plan that covered the whole past-due amount.
 */
async function settleDiscountedPlan(state: CaseState, plan: NonNullable<CaseState['plan']>, discountMinor: number): Promise<Next> {
  await transition(state, 'plan_completed', { discountMinor });
  await settlePlanRow(state, plan, 'completed');
  const installments = plan.installments.map((i) => ({ dueAt: i.dueAt, amountMinor: i.amountMinor }));
  const { position, writtenDownMinor, closedAs } = await caseDb.writeDownPlanDiscount.executeWithOptions({ summary: 'write the plan\'s discount down; settle the case' }, [
    { idempotencyKey: `${planRowKey(state.caseId, installments)}/discount`, caseId: state.caseId, loanId: state.loanId, currency: state.position.currency, discountMinor },
  ]);
  keepAudit(state, 'plan_discount_written_down', { discountMinor, writtenDownMinor, pastDueMinor: position.pastDueMinor });
  state.plan = undefined;
  settle(state, position, closedAs);
  return isClosed(state) ? NEXT : { kind: 'restart' };
}

/** Writes the plan's end to its row; histories before this change wrote nothing. */
async function settlePlanRow(state: CaseState, plan: NonNullable<CaseState['plan']>, status: 'completed' | 'broken' | 'cancelled'): Promise<void> {
  if (!patchedBefore5(state, 'negotiation-rows-follow-workflow')) return;
  const installments = plan.installments.map((i) => ({ dueAt: i.dueAt, amountMinor: i.amountMinor }));
  const discount = plan.discountMinor ? { discountMinor: plan.discountMinor } : {};
  await caseDb.settlePlan.executeWithOptions({ summary: `settle the payment plan (${status})` }, [
    { ...negotiationRow(state, planRowKey(state.caseId, installments), plan.collectorId), installments, status, ...discount, ...carryAudits(state) },
  ]);
}

/** Legal: a final demand, the waiting period, then the hand-off. */
async function escalate(state: CaseState, stage: LegalStage): Promise<Next> {
  if (!mayEscalateToLegal({ pack: state.strategy.rulePack, forbearanceOffered: state.forbearanceOffered })) {
    // uk-conc: forbearance must be offered before legal escalation (CONC 7.3.4R).
    const offer = { stage: 'legal', step: 'forbearance-offer', channel: stage.finalDemand.channel } as const;
    await sendMessage(state, offer, 'forbearance-offer', contactKindOf('forbearance-offer'), 'forbearance offer', legacyNotice(state));
    state.forbearanceOffered = true;
    if ((await waitUntil(state, 'answer to the forbearance offer', Date.now() + parseDuration(stage.waitingPeriod))) === 'closed') return NEXT;
  }
  const demand = { stage: 'legal', step: 'final-demand', channel: stage.finalDemand.channel } as const;
  await sendMessage(state, demand, stage.finalDemand.template, contactKindOf(stage.finalDemand.template), 'final demand', legacyNotice(state));
  if ((await waitUntil(state, 'end of the final-demand waiting period', Date.now() + parseDuration(stage.waitingPeriod))) === 'closed') return NEXT;
  await untilActive(state);
  if (isClosed(state)) return NEXT;

  // Contract 5: the hand-off's audit event rides on the hand-off itself.
  if (onContract5(state)) await transition(state, 'handed_to_legal', {});
  await caseDb.handOffToLegal.executeWithOptions({ summary: 'hand the case to the legal team' }, [
    { idempotencyKey: stepKey(state, 'legal-hand-off'), caseId: state.caseId, loanId: state.loanId, ...carryAudits(state) },
  ]);
  if (!onContract5(state)) await transition(state, 'handed_to_legal', {});
  if (stage.afterHandOff === 'awaitOutcome') {
    const timeout = stage.outcomeTimeout ? parseDuration(stage.outcomeTimeout) : UNTIL_TOLD_MS;
    await waitUntil(state, LEGAL_OUTCOME_WAIT, Date.now() + timeout, () => state.legalOutcome !== undefined);
    if (!isClosed(state) && state.legalOutcome) state.outcome = state.legalOutcome;
  }
  if (!isClosed(state)) state.outcome = 'handed_to_legal';
  return NEXT;
}

/**
 * A final demand and a forbearance offer ask for payment: collection, which a dispute or a cease request
 * stops (domain/compliance/kinds). Loans that reached this stage before that change planned them as
 * notices exempt from both; on replay they keep planning so, and the send-time gate, which classifies by
 * template, is what stops them.
 */
function legacyNotice(state: CaseState): boolean {
  return !patchedBefore5(state, 'legal-notices-are-collection');
}

// ---- waiting and contacting ----

/**
 * Which step a contact is, for its idempotency key: the stage, the step within it (reminder number, call
 * attempt, or the legal notice) and the channel. Keys are built from this, never from the UI label.
 */
interface ContactStep {
  stage: StageKind;
  step: string;
  channel: MessageChannel | 'call' | 'visit';
}

/** `reminder-2-email`, `legal-final-demand-letter`, `call-3` (a call's channel is its stage). */
function stepName({ stage, step, channel }: ContactStep): string {
  return channel === stage ? `${stage}-${step}` : `${stage}-${step}-${channel}`;
}

/** How a wait ended: the case closed, what it waited for happened (`done()`), or its time came. */
type WaitEnd = 'closed' | 'done' | 'timeout';

/**
 * Waits until `at` (or until `done()`), and says how the wait ended; a case that closed meanwhile is
 * 'closed' whatever else happened. A pause (dispute, hardship, operator) does not stop the clock, but
 * nothing is sent until it ends: see untilActive.
 */
async function waitUntil(
  state: CaseState,
  what: string,
  at: number,
  done: () => boolean = () => false,
  /** Set to whether the wait's own timer ended it. */
  ended?: { byTimer: boolean },
): Promise<WaitEnd> {
  state.waitingFor = { what, until: new Date(Math.max(at, Date.now())).toISOString() };
  publish(state);
  let waited = false;
  for (;;) {
    // Guarded here rather than only inside: an async call that does nothing still costs the workflow
    // thread a promise, and the SDK records a stack trace for each (#19). Same commands either way.
    if (hasInbox(state)) await serveInbox(state);
    if (isClosed(state) || done()) break;
    // Once a wait has begun, only its timer ends it. Re-reading the clock after the timer fired could
    // decide differently on replay (the fault suite caught a worker, restarted after a workflow-task
    // timeout, seeing time short of the timer and starting another one).
    const ms = at - Date.now();
    if (!waited && ms <= 0) break;
    // Contract 5: the audit events no activity carried are written before the wait begins.
    if (state.pendingAudits?.length && (await writeAudits(state))) continue;
    waited = true;
    const woken = await condition(() => isClosed(state) || done() || hasInbox(state), Math.max(1, ms), { summary: `wait for ${what}` });
    if (!woken) {
      if (ended) ended.byTimer = true;
      break;
    }
  }
  state.waitingFor = undefined;
  if (isClosed(state)) return 'closed';
  return done() ? 'done' : 'timeout';
}

/**
 * The main loop's half of every signal and update: re-reads the ledger after a payment and writes the
 * audit events the handlers left, then publishes. Only the main loop issues commands, so a history
 * replays in the same order however signals and updates were timed.
 */
async function serveInbox(state: CaseState): Promise<void> {
  if (!hasInbox(state)) return;
  while (hasInbox(state)) {
    if (state.inbox.refresh) {
      state.inbox.refresh = false;
      const carried = state.inbox.position;
      state.inbox.position = undefined;
      // Contract 5: the handler took the position the payment's signal carries (the ledger's, written with
      // the payment); reading it again would cost an activity per payment (#19).
      if (!carried) await refreshPosition(state);
      // A payment (or an adjustment) that left the case open changes the odds: score again.
      await rescore(state, 'payment');
    }
    for (const { action, detail } of state.inbox.audits.splice(0)) {
      if (onContract5(state)) keepAudit(state, action, detail);
      else await caseDb.recordTransition.executeWithOptions({ summary: `audit ${action}` }, [{ caseId: state.caseId, loanId: state.loanId, action, detail }]);
    }
  }
  publish(state);
}

/**
 * Re-reads the ledger after a payment. While the case is open, the read and the close it may call for
 * are one activity, closeCaseIfSettled: it closes the case row as cured or paid when nothing is past due,
 * so the cure is on record before any close a handler took while it ran (the lender's, a bar, an upheld
 * dispute), and the workflow's outcome is the database's. Once the case is closed it is a plain read.
 *
 * Runs whose case opened before this split called readPosition, which closed the case itself. A case
 * opened since says so in its facts (`contract`, recorded in the openCase result, so a replay decides
 * alike); older runs ask patched(). Not patched() alone: on the path "pays after the first reminder"
 * its marker and the TemporalChangeVersion upsert sdk-core adds with it would be two more events on
 * a history held to 40 (issue #19).
 */
async function refreshPosition(state: CaseState): Promise<void> {
  const summary = 'read the balance from the ledger';
  if (!((state.contract ?? 1) >= 2 || patched('close-if-settled-apart-from-read'))) {
    // The result their history recorded says whether readPosition closed the case (`closedAs`). Today's
    // readPosition only reads: an attempt still in flight from an older worker closes nothing, and the
    // case then closes at the end of the run (closeCase).
    const legacy = (await caseDb.readPosition.executeWithOptions({ summary }, [{ loanId: state.loanId }])) as Position & { closedAs?: SettledOutcome };
    settle(state, legacy, legacy.closedAs);
    return;
  }
  if (isClosed(state)) {
    applyPosition(state, await caseDb.readPosition.executeWithOptions({ summary }, [{ loanId: state.loanId }]));
    return;
  }
  const { position, closedAs } = await caseDb.closeCaseIfSettled.executeWithOptions({ summary: `${summary}; close the case if it is settled` }, [
    { caseId: state.caseId, loanId: state.loanId, ...carryAudits(state) },
  ]);
  settle(state, position, closedAs);
}

/** Applies a fresh position; a close the database recorded on the ledger's word stands. */
function settle(state: CaseState, position: Position, closedAs: SettledOutcome | 'settled' | undefined): void {
  applyPosition(state, position);
  // The activity closed the case on the ledger's word, so the cure or repayment came first: a close a
  // handler took while it ran does not replace the outcome the database recorded.
  if (closedAs) closedBy(state, closedAs);
}

/** Blocks while the case is paused; returns when it is active again or closed. */
/** Waits while the case is paused; true when it had to wait. */
async function untilActive(state: CaseState): Promise<boolean> {
  let waited = false;
  while (!isClosed(state) && pauses(state, Date.now()).length > 0) {
    waited = true;
    const current = pauses(state, Date.now());
    state.waitingFor = { what: `end of pause (${current.join(', ')})`, until: state.pausedUntil };
    publish(state);
    const wake = () => isClosed(state) || pauses(state, Date.now()).length === 0 || hasInbox(state);
    if (await writeAudits(state)) {
      await serveInbox(state);
      continue;
    }
    if (current.length === 1 && current[0] === 'hardship' && state.pausedUntil) {
      const woken = await condition(wake, Math.max(1, Date.parse(state.pausedUntil) - Date.now()), { summary: 'wait for the end of the hardship pause' });
      // The pause's timer fired: it is over (a state change, not a second reading of the clock).
      if (!woken) state.pausedUntil = undefined;
    } else {
      await condition(wake);
    }
    await serveInbox(state);
  }
  state.waitingFor = undefined;
  publish(state);
  return waited;
}

/**
 * Waits for the pause to end and for the rules to allow a contact on `channel`. Returns false when the
 * contact may never happen (cease, opt-out, ...), after recording it as blocked with the rule.
 */
async function waitForAllowedContact(
  state: CaseState,
  step: ContactStep,
  kind: ContactKind,
  label: string,
  template: string = step.channel,
  legacyNotice = false,
  visit?: ContactContext['visit'],
  /** The instant a timer that just ended set for this contact; judged at it rather than at the clock. */
  timerAt?: number,
): Promise<boolean> {
  const { channel } = step;
  // Judged at a timer's instant, not a re-read clock, wherever a timer just ended the wait: a replay may
  // see a later clock there (temporalio/sdk-rust#1606). Only reminders pass timerAt, and only under
  // patched('reminders-judged-at-timer'): running loans keep judging at the clock.
  const atTimers = timerAt !== undefined;
  let judgeAt = atTimers ? timerAt : undefined;
  for (;;) {
    const paused = await untilActive(state);
    if (isClosed(state)) return false;
    const context = contactContext(state, channel, kind);
    if (visit) context.visit = visit;
    if (legacyNotice) context.state = { ...context.state, disputed: false, ceaseRequested: false };
    const now = new Date(judgeAt !== undefined && !paused ? judgeAt : Date.now()).toISOString();
    judgeAt = undefined;
    const decision = evaluateContact(context, now);
    if (decision.allowed) return true;
    const plan = nextAllowedContact(context, now);
    state.lastBlocked = { rule: decision.rule, until: 'at' in plan ? plan.at : undefined, channel, at: now };
    if (!('at' in plan)) {
      state.contacts.blocked += 1;
      await caseDb.recordBlockedContact.executeWithOptions({ summary: `record ${label} as blocked by ${decision.rule}` }, [
        { idempotencyKey: stepKey(state, `${stepName(step)}-blocked`), caseId: state.caseId, loanId: state.loanId, channel, template, rule: decision.rule, ...carryAudits(state) },
      ]);
      return false;
    }
    // Explainability (issue #6): a deferral is written to the audit trail with its rule and instant.
    // Guarded by a patch because running loans recorded before this change made no such call.
    // Contract 5: kept with the run's other audit events and written before the wait begins.
    if (onContract5(state)) {
      keepAudit(state, 'contact_deferred', { channel, rule: decision.rule, until: plan.at });
    } else if (patched('audit-deferred-contacts')) {
      await caseDb.recordTransition.executeWithOptions({ summary: `audit contact_deferred (${label})` }, [
        { caseId: state.caseId, loanId: state.loanId, action: 'contact_deferred', detail: { channel, rule: decision.rule, until: plan.at } },
      ]);
    }
    const ended = { byTimer: false };
    if ((await waitUntil(state, `${label}, deferred by ${decision.rule}`, Date.parse(plan.at), undefined, ended)) === 'closed') return false;
    if (atTimers && ended.byTimer) judgeAt = Date.parse(plan.at);
  }
}

async function sendMessage(
  state: CaseState,
  step: ContactStep & { channel: MessageChannel },
  template: string,
  kind: ContactKind,
  label: string,
  legacyNotice = false,
  timerAt?: number,
): Promise<boolean> {
  if (!(await waitForAllowedContact(state, step, kind, label, template, legacyNotice, undefined, timerAt))) return false;
  const { channel } = step;
  const stage = currentStageKind(state);
  const request: ContactRequest = {
    idempotencyKey: stepKey(state, stepName(step)),
    caseId: state.caseId,
    loanId: state.loanId,
    channel,
    template,
    kind,
    stage: stage === 'closed' ? 'reminder' : stage,
    ...carryAudits(state),
  };
  const result = await send[channel].executeWithOptions({ summary: label, taskQueue: state.queues[channel] }, [request]);
  if (result.status === 'sent' || result.status === 'presumed_sent') {
    recordContact(state, { channel, at: new Date().toISOString(), status: result.status }, Date.now());
    return true;
  }
  state.contacts.blocked += 1;
  state.lastBlocked = result.rule ? { rule: result.rule, until: result.until, channel, at: new Date().toISOString() } : state.lastBlocked;
  return false;
}

// ---- bookkeeping ----

/**
 * Scores the case again with the active model after an event that changes its odds; the result (or why
 * it was skipped) goes to the state, the UI and the audit trail. Runs started before scoring existed
 * made no such call: guarded by a patch. A closed case is not scored.
 */
async function rescore(state: CaseState, trigger: ScoreTrigger): Promise<void> {
  // Runs opened since scoring say so in their facts (contract 4); older ones ask patched().
  if (isClosed(state) || !((state.contract ?? 1) >= 4 || patched('score-cure-propensity'))) return;
  const negotiation = state.treatment.stages.find((s): s is NegotiationStage => s.kind === 'negotiation');
  state.score = await caseDb.scoreCase.executeWithOptions({ summary: `score the cure propensity (${trigger})` }, [
    {
      idempotencyKey: stepKey(state, `score-${trigger}`),
      caseId: state.caseId,
      loanId: state.loanId,
      trigger,
      ...(negotiation ? { planLimits: { maxInstallments: negotiation.maxPlanInstallments } } : {}),
      ...carryAudits(state),
    },
  ]);
  publish(state);
}

function moveOn(state: CaseState, next: Next): void {
  if (next.kind === 'restart') {
    state.stageIndex = 0;
    state.cycle += 1;
    return;
  }
  if (next.kind === 'goto') {
    const target = state.treatment.stages.findIndex((s, i) => i > state.stageIndex && s.kind === next.stage);
    state.stageIndex = target >= 0 ? target : state.stageIndex + 1;
    return;
  }
  state.stageIndex += 1;
}

/**
 * A step of the workflow on the audit trail (and a stage entered, on the case row). Runs on contract 5
 * keep it with the run's pending audit events (keepAudit), for the next activity to carry; older runs
 * write it at once with an activity of its own.
 */
async function transition(state: CaseState, action: string, detail: Record<string, unknown>): Promise<void> {
  const stage = currentStageKind(state);
  publish(state);
  if (onContract5(state)) {
    keepAudit(state, action, { ...detail, cycle: state.cycle }, stage === 'closed' ? undefined : stage);
    return;
  }
  await caseDb.recordTransition.executeWithOptions({ summary: `audit ${action}` }, [{
    caseId: state.caseId,
    loanId: state.loanId,
    action,
    stage: stage === 'closed' ? undefined : stage,
    segment: state.treatment.segment,
    detail: { ...detail, cycle: state.cycle },
  }]);
}

// ---- audit events on contract 5 ----

/** Keeps an audit event for the next activity to carry, keyed by the run and its count of events. */
function keepAudit(state: CaseState, action: string, detail: Record<string, unknown>, stage?: AuditEntry['stage']): void {
  const n = (state.auditsKeyed ?? 0) + 1;
  state.auditsKeyed = n;
  const entry: AuditEntry = { key: `${state.workflowId}/${state.caseId}/audit-${n}`, action, detail };
  if (stage) {
    entry.stage = stage;
    entry.segment = state.treatment.segment;
  }
  (state.pendingAudits ??= []).push(entry);
}

/**
 * The pending audit events, handed to the activity about to run (which writes them before its effect);
 * `withCase` adds the case and loan, for a task activity whose input names only the task.
 */
function carryAudits(state: CaseState, withCase = false): { audits?: AuditEntry[]; caseId?: string; loanId?: string } {
  const audits = state.pendingAudits;
  if (!audits?.length) return {};
  state.pendingAudits = [];
  return withCase ? { audits, caseId: state.caseId, loanId: state.loanId } : { audits };
}

/**
 * Writes the pending audit events in one activity, before the run waits (so the trail never lags a
 * wait) or ends; true when it had any to write (the caller looks at its inbox again: a signal may have
 * come meanwhile).
 */
async function writeAudits(state: CaseState): Promise<boolean> {
  const { audits } = carryAudits(state);
  if (!audits) return false;
  await caseDb.recordAudits.executeWithOptions({ summary: `audit ${audits.map((a) => a.action).join(', ')}` }, [{ caseId: state.caseId, loanId: state.loanId, audits }]);
  return true;
}
