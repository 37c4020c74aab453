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
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CaseActivities, ChannelActivities, ContactRequest, NegotiationRow } from '../contracts/activities';
import { contactKindOf, evaluateContact, mayEscalateToLegal, nextAllowedContact } from '../domain/compliance';
import type { ContactKind } from '../domain/compliance/types';
import { formatMoney } from '../domain/money';
import { parseDuration } from '../domain/strategy/duration';
import type { CallStage, LegalStage, MessageChannel, NegotiationStage, ReminderStage, ReminderStep, Stage, StageKind } from '../domain/strategy/types';
import {
  applyPosition,
  contactContext,
  hasInbox,
  currentStageKind,
  isClosed,
  newCaseState,
  pauses,
  recordContact,
  stepKey,
  type CaseState,
} from './case-state';
import { listen } from './handlers';
import { LEGAL_OUTCOME_WAIT, planRowKey, promiseRowKey, type CallOutcome, type CollectionInput, type CollectionResult } from '../contracts/messages';
import * as sa from '../contracts/search-attributes';

// Ledger and case writes are short database calls on the workflow's own task queue. They are ordinary
// activities, not local ones: a local activity's result replays in a different workflow task than the
// signals that arrived while it ran, which made replays diverge under the fault-injection suite.
const caseDb = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

function channelActivities(queue: string) {
  return proxyActivities<ChannelActivities>({
    taskQueue: queue,
    startToCloseTimeout: '1m',
    // A channel outage is retried for as long as it lasts; permanent errors are non-retryable failures.
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
  });
}

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
  let loan: CaseState;
  if (input.carried) {
    loan = input.carried as CaseState;
  } else {
    const facts = await caseDb.openCase({ loanId: input.loanId, workflowId, strategyId: input.strategyId });
    loan = newCaseState(workflowId, facts, facts.treatment);
    applyPosition(loan, facts.position);
  }

  handlers.opened(loan);
  publish(loan);

  while (!isClosed(loan)) {
    const stage = loan.treatment.stages[loan.stageIndex];
    if (!stage) {
      // The ladder ran out without closing the case: begin a new cycle of the same path.
      loan.stageIndex = 0;
      loan.cycle += 1;
      await transition(loan, 'cycle_restarted', { cycle: loan.cycle });
      continue;
    }
    const next = await stages[stage.kind](loan, stage as never);
    if (isClosed(loan)) break;
    moveOn(loan, next);
    await transition(loan, 'stage_entered', { stage: currentStageKind(loan) });

    await continueAsNewIfLong(loan, input);
  }

  loan.waitingFor = undefined;
  await serveInbox(loan);
  publish(loan);
  await settleOffersLeftOpen(loan);
  if (!loan.closedInDatabase) await caseDb.closeCase({ caseId: loan.caseId, loanId: loan.loanId, outcome: loan.outcome! });
  await condition(allHandlersFinished);
  return {
    loanId: loan.loanId,
    caseId: loan.caseId,
    outcome: loan.outcome!,
    pastDueMinor: loan.position.pastDueMinor,
    outstandingMinor: loan.position.outstandingMinor,
    currency: loan.position.currency,
    contactsSent: loan.contacts.sent,
  };
}

/** Carries the whole state into a fresh run when the history grows long (many cycles, long plans). */
async function continueAsNewIfLong(loan: CaseState, input: CollectionInput): Promise<void> {
  const info = workflowInfo();
  const limit = input.historyLimit ?? CONTINUE_AS_NEW_AT_EVENTS;
  if (!info.continueAsNewSuggested && info.historyLength <= limit) return;
  await condition(allHandlersFinished);
  await continueAsNew<typeof collection>({ loanId: loan.loanId, strategyId: input.strategyId, historyLimit: input.historyLimit, carried: loan });
}

const stages: { [K in StageKind]: (loan: CaseState, stage: Extract<Stage, { kind: K }>) => Promise<Next> } = {
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
async function remind(loan: CaseState, stage: ReminderStage): Promise<Next> {
  const enteredAt = Date.now();
  const dueAt = loan.position.oldestUnpaidDueDate ? Date.parse(loan.position.oldestUnpaidDueDate) : enteredAt;
  const timeOf = (step: ReminderStep) => (step.from === 'dueDate' ? dueAt : enteredAt) + parseDuration(step.after);
  // Running loans planned before this change sent every passed step: they keep doing so on replay.
  const collapse = patched('collapse-passed-reminders');
  for (let index = 0; index < stage.steps.length; index += 1) {
    const first = stage.steps[index]!;
    if (await waitUntil(loan, `${ordinal(index + 1)} reminder (${first.channel}) at`, timeOf(first))) return NEXT;
    if (collapse) {
      index = await skipPassedSteps(loan, stage, index, timeOf);
      if (isClosed(loan)) return NEXT;
    }
    const step = stage.steps[index]!;
    const label = `${ordinal(index + 1)} reminder (${step.channel})`;
    await sendMessage(loan, step.channel, step.template, contactKindOf(step.template), label);
    if (isClosed(loan)) return NEXT;
  }
  await waitUntil(loan, 'payment after the last reminder', Date.now() + parseDuration(stage.waitAfterLast));
  return NEXT;
}

/**
 * Once contact may resume (the pause is over), the index of the latest step whose time has passed; every
 * passed step before it is recorded as skipped (workflow.reminder_skipped) rather than sent in a burst.
 */
async function skipPassedSteps(loan: CaseState, stage: ReminderStage, index: number, timeOf: (step: ReminderStep) => number): Promise<number> {
  await untilActive(loan);
  if (isClosed(loan)) return index;
  let latest = index;
  while (latest + 1 < stage.steps.length && timeOf(stage.steps[latest + 1]!) <= Date.now()) latest += 1;
  for (let skipped = index; skipped < latest; skipped += 1) {
    const step = stage.steps[skipped]!;
    await transition(loan, 'reminder_skipped', {
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
async function call(loan: CaseState, stage: CallStage): Promise<Next> {
  for (let attempt = 1; attempt <= stage.attempts; attempt += 1) {
    if (!(await waitForAllowedContact(loan, 'call', 'collection', `call attempt ${attempt}`))) return NEXT;
    const { taskId } = await caseDb.queueCollectorTask({
      idempotencyKey: stepKey(loan, `call-${attempt}`),
      caseId: loan.caseId,
      loanId: loan.loanId,
      attempt,
      collectorId: loan.assignedCollector,
    });
    loan.awaitingCallOutcome = { attempt, taskId };
    loan.callOutcome = undefined;
    // Running loans whose histories predate this change waited through pauses and expired answered tasks.
    const followsRules = patched('call-task-follows-contact-rules');
    const closed = await waitUntil(
      loan,
      `outcome of call attempt ${attempt}`,
      Date.now() + parseDuration(stage.outcomeTimeout),
      () => loan.callOutcome !== undefined || (followsRules && callStopRule(loan) !== undefined),
    );
    loan.awaitingCallOutcome = undefined;
    const reported = loan.callOutcome as CallOutcome | undefined;
    const stopRule = followsRules && reported === undefined ? callStopRule(loan) : undefined;
    if (stopRule) {
      await caseDb.cancelCollectorTask({ taskId, rule: stopRule });
      if (isClosed(loan)) return NEXT;
      attempt -= 1;
      continue;
    }
    const outcome: CallOutcome = reported ?? 'no_answer';
    loan.callOutcome = undefined;
    // An answered task the collector holds is theirs to complete (the API does it after the update
    // returns): expiring it too would race them. One never claimed is still expired.
    if (!closed) await caseDb.expireCollectorTask({ taskId, ...(followsRules ? { answered: reported !== undefined } : {}) });
    const connected = !['no_answer', 'wrong_number'].includes(outcome);
    recordContact(loan, { channel: 'call', at: new Date().toISOString(), connected, status: 'sent' }, Date.now());
    if (isClosed(loan)) return NEXT;

    switch (outcome) {
      case 'right_party_contact':
      case 'promise_to_pay':
        return { kind: 'goto', stage: 'negotiation' };
      case 'refused':
        return { kind: 'goto', stage: 'legal' };
      default:
        // no_answer, wrong_number, and the pauses (dispute_raised, hardship): try again after the pause.
        if (attempt < stage.attempts && (await waitUntil(loan, 'next call attempt', Date.now() + parseDuration(stage.retryAfter)))) return NEXT;
    }
  }
  return NEXT;
}

/**
 * The rule that stops a waiting call now, if any: a pause (dispute, hardship, operator), or a fact no time
 * lifts (cease, call opt-out, bankruptcy, death, nothing due). Time windows and caps do not stop a call
 * already handed to a collector; the claim checked them.
 */
function callStopRule(loan: CaseState): string | undefined {
  const paused = pauses(loan, Date.now());
  if (paused.includes('disputed')) return 'common.dispute';
  if (paused.length > 0) return 'common.paused';
  const decision = evaluateContact(contactContext(loan, 'call', 'collection'), new Date().toISOString());
  return !decision.allowed && decision.until === undefined ? decision.rule : undefined;
}

/** Negotiation: wait for a promise or plan, then watch it with timers until kept or broken. */
async function negotiate(loan: CaseState, stage: NegotiationStage): Promise<Next> {
  if (!loan.promise && !loan.plan) {
    await waitUntil(loan, 'a promise to pay or a payment plan', Date.now() + parseDuration(stage.offerTimeout), () => Boolean(loan.promise || loan.plan));
    if (isClosed(loan) || (!loan.promise && !loan.plan)) return NEXT;
  }
  const grace = parseDuration(stage.grace);

  if (loan.promise?.status === 'open') {
    const promise = loan.promise;
    const kept = () => loan.position.paidMinor - promise.paidBaselineMinor >= promise.amountMinor;
    await waitUntil(loan, 'promised payment', Date.parse(promise.dueAt) + grace, kept);
    promise.status = kept() || isClosed(loan) ? 'kept' : 'broken';
    if (patched('negotiation-rows-follow-workflow')) {
      await caseDb.settlePromise({
        ...negotiationRow(loan, promiseRowKey(loan.caseId, promise), promise.collectorId),
        amountMinor: promise.amountMinor,
        dueAt: promise.dueAt,
        status: promise.status,
      });
    }
    await transition(loan, promise.status === 'kept' ? 'promise_kept' : 'promise_broken', { amountMinor: promise.amountMinor, dueAt: promise.dueAt });
    loan.promise = undefined;
    return promise.status === 'kept' ? { kind: 'restart' } : NEXT;
  }

  if (loan.plan?.status === 'open') {
    const plan = loan.plan;
    let cumulative = 0;
    for (const [index, installment] of plan.installments.entries()) {
      cumulative += installment.amountMinor;
      const target = cumulative;
      const paid = () => loan.position.paidMinor - plan.paidBaselineMinor >= target;
      await waitUntil(loan, `plan instalment ${index + 1} of ${plan.installments.length}`, Date.parse(installment.dueAt) + grace, paid);
      // A case closed under the plan settles it on the way out (settleOffersLeftOpen).
      if (isClosed(loan)) return NEXT;
      installment.status = paid() ? 'paid' : 'missed';
      if (installment.status === 'missed') {
        plan.status = 'broken';
        await settlePlanRow(loan, plan, 'broken');
        await transition(loan, 'plan_broken', { instalment: index + 1 });
        loan.plan = undefined;
        return { kind: 'goto', stage: 'legal' };
      }
    }
    plan.status = 'completed';
    await settlePlanRow(loan, plan, 'completed');
    await transition(loan, 'plan_completed', {});
    loan.plan = undefined;
    return { kind: 'restart' };
  }
  return NEXT;
}

/**
 * A promise or plan the case closed under before negotiation watched it to its end (a payment that
 * cured the loan while the call stage was still moving on, a bar, the lender's close): a cure or
 * repayment keeps or completes it, anything else cancels it. Histories before this change wrote nothing.
 */
async function settleOffersLeftOpen(loan: CaseState): Promise<void> {
  const promise = loan.promise?.status === 'open' ? loan.promise : undefined;
  const plan = loan.plan?.status === 'open' ? loan.plan : undefined;
  if ((!promise && !plan) || !patched('negotiation-rows-follow-workflow')) return;
  const repaid = loan.outcome === 'cured' || loan.outcome === 'paid';
  if (promise) {
    if (repaid) promise.status = 'kept';
    await caseDb.settlePromise({
      ...negotiationRow(loan, promiseRowKey(loan.caseId, promise), promise.collectorId),
      amountMinor: promise.amountMinor,
      dueAt: promise.dueAt,
      status: repaid ? 'kept' : 'cancelled',
    });
  }
  if (plan) {
    if (repaid) plan.status = 'completed';
    await settlePlanRow(loan, plan, repaid ? 'completed' : 'cancelled');
  }
}

/** Which promise or plan row a decision is about. */
function negotiationRow(loan: CaseState, idempotencyKey: string, collectorId: string | undefined): NegotiationRow {
  return { idempotencyKey, caseId: loan.caseId, loanId: loan.loanId, currency: loan.position.currency, ...(collectorId ? { collectorId } : {}) };
}

/** Writes the plan's end to its row; histories before this change wrote nothing. */
async function settlePlanRow(loan: CaseState, plan: NonNullable<CaseState['plan']>, status: 'completed' | 'broken' | 'cancelled'): Promise<void> {
  if (!patched('negotiation-rows-follow-workflow')) return;
  const installments = plan.installments.map((i) => ({ dueAt: i.dueAt, amountMinor: i.amountMinor }));
  await caseDb.settlePlan({ ...negotiationRow(loan, planRowKey(loan.caseId, installments), plan.collectorId), installments, status });
}

/** Legal: a final demand, the waiting period, then the hand-off. */
async function escalate(loan: CaseState, stage: LegalStage): Promise<Next> {
  if (!mayEscalateToLegal({ pack: loan.strategy.rulePack, forbearanceOffered: loan.forbearanceOffered })) {
    // uk-conc: forbearance must be offered before legal escalation (CONC 7.3.4R).
    await sendMessage(loan, stage.finalDemand.channel, 'forbearance-offer', contactKindOf('forbearance-offer'), 'forbearance offer', legacyNotice());
    loan.forbearanceOffered = true;
    if (await waitUntil(loan, 'answer to the forbearance offer', Date.now() + parseDuration(stage.waitingPeriod))) return NEXT;
  }
  await sendMessage(loan, stage.finalDemand.channel, stage.finalDemand.template, contactKindOf(stage.finalDemand.template), 'final demand', legacyNotice());
  if (await waitUntil(loan, 'end of the final-demand waiting period', Date.now() + parseDuration(stage.waitingPeriod))) return NEXT;
  await untilActive(loan);
  if (isClosed(loan)) return NEXT;

  await caseDb.handOffToLegal({ idempotencyKey: stepKey(loan, 'legal-hand-off'), caseId: loan.caseId, loanId: loan.loanId });
  await transition(loan, 'handed_to_legal', {});
  if (stage.afterHandOff === 'awaitOutcome') {
    const timeout = stage.outcomeTimeout ? parseDuration(stage.outcomeTimeout) : UNTIL_TOLD_MS;
    await waitUntil(loan, LEGAL_OUTCOME_WAIT, Date.now() + timeout, () => loan.legalOutcome !== undefined);
    if (!isClosed(loan) && loan.legalOutcome) loan.outcome = loan.legalOutcome;
  }
  if (!isClosed(loan)) loan.outcome = 'handed_to_legal';
  return NEXT;
}

/**
 * A final demand and a forbearance offer ask for payment: collection, which a dispute or a cease request
 * stops (domain/compliance/kinds). Loans that reached this stage before that change planned them as
 * notices exempt from both; on replay they keep planning so, and the send-time gate, which classifies by
 * template, is what stops them.
 */
function legacyNotice(): boolean {
  return !patched('legal-notices-are-collection');
}

// ---- waiting and contacting ----

/**
 * Waits until `at` (or until `done()`), returning true if the case closed meanwhile. A pause (dispute,
 * hardship, operator) does not stop the clock, but nothing is sent until it ends: see untilActive.
 */
async function waitUntil(loan: CaseState, what: string, at: number, done: () => boolean = () => false): Promise<boolean> {
  loan.waitingFor = { what, until: new Date(Math.max(at, Date.now())).toISOString() };
  publish(loan);
  let waited = false;
  for (;;) {
    await serveInbox(loan);
    if (isClosed(loan) || done()) break;
    // Once a wait has begun, only its timer ends it. Re-reading the clock after the timer fired could
    // decide differently on replay (the fault suite caught a worker, restarted after a workflow-task
    // timeout, seeing time short of the timer and starting another one).
    const ms = at - Date.now();
    if (!waited && ms <= 0) break;
    waited = true;
    const woken = await condition(() => isClosed(loan) || done() || hasInbox(loan), Math.max(1, ms), { summary: `wait for ${what}` });
    if (!woken) break;
  }
  loan.waitingFor = undefined;
  return isClosed(loan);
}

/**
 * The main loop's half of every signal and update: re-reads the ledger after a payment and writes the
 * audit events the handlers left, then publishes. Only the main loop issues commands, so a history
 * replays in the same order however signals and updates were timed.
 */
async function serveInbox(loan: CaseState): Promise<void> {
  if (!hasInbox(loan)) return;
  while (hasInbox(loan)) {
    if (loan.inbox.refresh) {
      loan.inbox.refresh = false;
      const position = await caseDb.readPosition({ loanId: loan.loanId, closeCaseIfSettled: isClosed(loan) ? undefined : loan.caseId });
      applyPosition(loan, position);
      if (position.closedAs) loan.closedInDatabase = true;
    }
    for (const { action, detail } of loan.inbox.audits.splice(0)) {
      await caseDb.recordTransition({ caseId: loan.caseId, loanId: loan.loanId, action, detail });
    }
  }
  publish(loan);
}

/** Blocks while the case is paused; returns when it is active again or closed. */
async function untilActive(loan: CaseState): Promise<void> {
  while (!isClosed(loan) && pauses(loan, Date.now()).length > 0) {
    const current = pauses(loan, Date.now());
    loan.waitingFor = { what: `end of pause (${current.join(', ')})`, until: loan.pausedUntil };
    publish(loan);
    const wake = () => isClosed(loan) || pauses(loan, Date.now()).length === 0 || hasInbox(loan);
    if (current.length === 1 && current[0] === 'hardship' && loan.pausedUntil) {
      const woken = await condition(wake, Math.max(1, Date.parse(loan.pausedUntil) - Date.now()), { summary: 'wait for the end of the hardship pause' });
      // The pause's timer fired: it is over (a state change, not a second reading of the clock).
      if (!woken) loan.pausedUntil = undefined;
    } else {
      await condition(wake);
    }
    await serveInbox(loan);
  }
  loan.waitingFor = undefined;
  publish(loan);
}

/**
 * Waits for the pause to end and for the rules to allow a contact on `channel`. Returns false when the
 * contact may never happen (cease, opt-out, ...), after recording it as blocked with the rule.
 */
async function waitForAllowedContact(
  loan: CaseState,
  channel: MessageChannel | 'call',
  kind: ContactKind,
  label: string,
  template: string = channel,
  legacyNotice = false,
): Promise<boolean> {
  for (;;) {
    await untilActive(loan);
    if (isClosed(loan)) return false;
    const context = contactContext(loan, channel, kind);
    if (legacyNotice) context.state = { ...context.state, disputed: false, ceaseRequested: false };
    const now = new Date().toISOString();
    const decision = evaluateContact(context, now);
    if (decision.allowed) return true;
    const plan = nextAllowedContact(context, now);
    loan.lastBlocked = { rule: decision.rule, until: 'at' in plan ? plan.at : undefined, channel, at: now };
    if (!('at' in plan)) {
      loan.contacts.blocked += 1;
      await caseDb.recordBlockedContact({
        idempotencyKey: stepKey(loan, `${label.replace(/\s+/g, '-')}-blocked`),
        caseId: loan.caseId,
        loanId: loan.loanId,
        channel,
        template,
        rule: decision.rule,
      });
      return false;
    }
    // Explainability (issue #6): a deferral is written to the audit trail with its rule and instant.
    // Guarded by a patch because running loans recorded before this change made no such call.
    if (patched('audit-deferred-contacts')) {
      await caseDb.recordTransition({ caseId: loan.caseId, loanId: loan.loanId, action: 'contact_deferred', detail: { channel, rule: decision.rule, until: plan.at } });
    }
    if (await waitUntil(loan, `${label}, deferred by ${decision.rule}`, Date.parse(plan.at))) return false;
  }
}

async function sendMessage(loan: CaseState, channel: MessageChannel, template: string, kind: ContactKind, label: string, legacyNotice = false): Promise<void> {
  if (!(await waitForAllowedContact(loan, channel, kind, label, template, legacyNotice))) return;
  const stage = currentStageKind(loan);
  const request: ContactRequest = {
    idempotencyKey: stepKey(loan, `${stage}-${channel}`),
    caseId: loan.caseId,
    loanId: loan.loanId,
    channel,
    template,
    kind,
    stage: stage === 'closed' ? 'reminder' : stage,
  };
  const activities = channelActivities(loan.queues[channel]);
  const send = { email: activities.sendEmail, sms: activities.sendSms, letter: activities.sendLetter }[channel];
  const result = await send.executeWithOptions({ startToCloseTimeout: '1m', summary: label, taskQueue: loan.queues[channel] }, [request]);
  if (result.status === 'sent' || result.status === 'presumed_sent') {
    recordContact(loan, { channel, at: new Date().toISOString(), status: result.status }, Date.now());
  } else {
    loan.contacts.blocked += 1;
    loan.lastBlocked = result.rule ? { rule: result.rule, until: result.until, channel, at: new Date().toISOString() } : loan.lastBlocked;
  }
}

// ---- bookkeeping ----

function moveOn(loan: CaseState, next: Next): void {
  if (next.kind === 'restart') {
    loan.stageIndex = 0;
    loan.cycle += 1;
    return;
  }
  if (next.kind === 'goto') {
    const target = loan.treatment.stages.findIndex((s, i) => i > loan.stageIndex && s.kind === next.stage);
    loan.stageIndex = target >= 0 ? target : loan.stageIndex + 1;
    return;
  }
  loan.stageIndex += 1;
}

async function transition(loan: CaseState, action: string, detail: Record<string, unknown>): Promise<void> {
  const stage = currentStageKind(loan);
  publish(loan);
  await caseDb.recordTransition({
    caseId: loan.caseId,
    loanId: loan.loanId,
    action,
    stage: stage === 'closed' ? undefined : stage,
    segment: loan.treatment.segment,
    detail: { ...detail, cycle: loan.cycle },
  });
}

/** Search attributes for filtering and current details for the Temporal UI; no personal data. */
function publish(loan: CaseState): void {
  const stage = currentStageKind(loan);
  const p = loan.position;
  const attributes = [
    { key: sa.CollectionStage, value: stage },
    { key: sa.DaysPastDue, value: p.dpd },
    { key: sa.PastDueMinor, value: p.pastDueMinor },
    { key: sa.OutstandingMinor, value: p.outstandingMinor },
    { key: sa.Segment, value: loan.treatment.segment },
    { key: sa.AssignedCollector, value: loan.assignedCollector ?? '' },
    { key: sa.Disputed, value: loan.dispute?.status === 'open' },
    { key: sa.StrategyId, value: `${loan.strategy.id}@${loan.strategy.version}` },
    { key: sa.CollectionOutcome, value: loan.outcome ?? '' },
  ];
  // Only a change is written: every upsert is a history event. Derived from state alone, so a replay
  // makes the same decision.
  const published = JSON.stringify(attributes.map((a) => a.value));
  if (published !== loan.publishedAttributes) {
    upsertSearchAttributes(attributes);
    loan.publishedAttributes = published;
  }
  const paused = pauses(loan, Date.now());
  const lines = [
    `**Loan** ${loan.loanId} · case ${loan.caseId} · ${loan.strategy.id} v${loan.strategy.version} (${loan.treatment.segment}/${loan.treatment.pathId}, ${loan.treatment.arm})`,
    `**Stage** ${stage}${paused.length ? ` — paused: ${paused.join(', ')}` : ''}${loan.outcome ? ` — outcome: ${loan.outcome}` : ''}`,
    `**Past due** ${formatMoney(p.pastDueMinor, p.currency)} of ${formatMoney(p.outstandingMinor, p.currency)} outstanding · ${p.dpd} days past due`,
  ];
  if (loan.waitingFor) {
    const until = loan.waitingFor.until ? ` until ${localTime(loan.waitingFor.until, loan.borrower.timeZone)} (${loan.borrower.timeZone})` : '';
    lines.push(`**Waiting for** ${loan.waitingFor.what}${until}`);
  }
  if (loan.lastBlocked) lines.push(`**Last blocked** ${loan.lastBlocked.channel} by ${loan.lastBlocked.rule}${loan.lastBlocked.until ? ` until ${loan.lastBlocked.until}` : ''}`);
  lines.push(`**Contacts** ${loan.contacts.sent} sent, ${loan.contacts.blocked} blocked`);
  setCurrentDetails(lines.join('\n\n'));
}

function localTime(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(instant));
}

function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
