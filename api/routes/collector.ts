// Collectors: their queue, claiming the next task, and what came of a call — recorded as workflow
// updates, so the answer is the case as the workflow now sees it, or why it refused.
import type { CollectorTask } from '../../db/schema';
import type { CallOutcome } from '../../contracts/messages';
import { claimTask, listTasks, submitCallOutcome, submitPlan, submitPromise, type PlanBody, type PromiseBody } from '../operations';
import { errorResponses, type RouteSpec } from '../route';
import * as s from '../schemas';

type LoanParams = { loanId: string };

export function taskView(t: CollectorTask) {
  const attempt = t.payload?.attempt;
  return {
    id: t.id,
    loanId: t.loanId,
    caseId: t.caseId,
    kind: t.kind,
    status: t.status,
    collectorId: t.collectorId,
    claimedBy: t.claimedBy,
    availableAt: t.availableAt.toISOString(),
    leaseUntil: t.leaseUntil?.toISOString() ?? null,
    attempt: typeof attempt === 'number' ? attempt : null,
  };
}

const updateResponses = {
  200: { description: 'Recorded; the case as the workflow now sees it', schema: s.collectionState },
  ...errorResponses(400, 401, 403, 404, 413, 422),
};

export const collectorRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/tasks',
    operationId: 'listTasks',
    summary: 'Your queue: tasks you may claim and tasks you hold',
    tag: 'collectors',
    roles: ['collector'],
    schema: {},
    responses: { 200: { description: 'Tasks', schema: { type: 'object', properties: { tasks: { type: 'array', items: s.task } } } }, ...errorResponses(401, 403) },
    async handler(_request, _reply, { deps, principal }) {
      const tasks = await listTasks(deps.db, principal.collectorId!);
      return { tasks: tasks.map(taskView) };
    },
  },
  {
    method: 'POST',
    url: '/v1/tasks/claim',
    operationId: 'claimTask',
    summary: 'Claim the next task (leased; an unassigned case becomes yours)',
    description:
      'Hands out only a task whose call the rules allow now (local contact hours, stated inconvenient times, call caps, pauses, disputes, cease, bankruptcy or death, a call opt-out), checked in the claim’s transaction; `task: null` when there is none. A task blocked for good is cancelled with its rule.',
    tag: 'collectors',
    roles: ['collector'],
    schema: { body: s.claimBody },
    responses: {
      200: { description: 'The claimed task, or `task: null` when there is nothing to do', schema: { type: 'object', properties: { task: { anyOf: [s.task, { type: 'null' }] } }, required: ['task'] } },
      ...errorResponses(400, 401, 403),
    },
    async handler(request, _reply, { deps, principal }) {
      const { leaseSeconds } = (request.body ?? {}) as { leaseSeconds?: number };
      const task = await claimTask(deps, principal, leaseSeconds ?? 900);
      return { task: task ? taskView(task) : null };
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/call-outcome',
    operationId: 'recordCallOutcome',
    summary: 'Record the outcome of a call',
    description: 'Refused with 422 (`field: taskId`, naming the rule and when it applied) when the call’s task was cancelled by a dispute, pause, cease, bar or opt-out; the refusal is audited.',
    tag: 'collectors',
    roles: ['collector'],
    schema: { params: s.loanParams, body: s.callOutcomeBody },
    responses: updateResponses,
    async handler(request, _reply, { deps, principal }) {
      const { outcome } = request.body as { outcome: CallOutcome };
      return submitCallOutcome(deps, (request.params as LoanParams).loanId, outcome, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/promise',
    operationId: 'recordPromise',
    summary: 'Record a promise to pay',
    description: 'Accepted while a call awaits its outcome or negotiation awaits an offer; dueAt must be in the future and within the strategy’s promise horizon (422 otherwise).',
    tag: 'collectors',
    roles: ['collector'],
    schema: { params: s.loanParams, body: s.promiseBody },
    responses: updateResponses,
    async handler(request, _reply, { deps, principal }) {
      return submitPromise(deps, (request.params as LoanParams).loanId, request.body as PromiseBody, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/plan',
    operationId: 'agreePaymentPlan',
    summary: 'Record an agreed payment plan',
    description:
      'The instalments must be in the future, in order, within the strategy’s maximum count, none but the last below the strategy’s smallest instalment (minPlanInstallmentMinor; the last may be the remainder), ' +
      'and cover the past-due amount, less at most the strategy’s maxPlanDiscountPercent of it (rounded down to a whole minor unit) on a case opened on contract 6 or later (422 naming the field otherwise). ' +
      'A discounted plan shows its discountMinor in the state’s plan; once paid, the discount is written down in the ledger and the case closes settled.',
    tag: 'collectors',
    roles: ['collector'],
    schema: { params: s.loanParams, body: s.planBody },
    responses: updateResponses,
    async handler(request, _reply, { deps, principal }) {
      return submitPlan(deps, (request.params as LoanParams).loanId, request.body as PlanBody, principal);
    },
  },
];
