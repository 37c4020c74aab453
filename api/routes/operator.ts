// Operators: see a case as the workflow sees it, pause, resume, reassign, and search by stage.
import { ApiError } from '../errors';
import { authorizeCollector, pauseCollection, readState, reassignCollection, resumeCollection, searchCollections } from '../operations';
import { errorResponses, type RouteSpec } from '../route';
import * as s from '../schemas';

type LoanParams = { loanId: string };

export const operatorRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/loans/:loanId/collection',
    operationId: 'getCollection',
    summary: 'The case as the workflow sees it (stage, what it waits for, balance, promise, plan, pauses)',
    description: 'Collectors may read only their own cases.',
    tag: 'operators',
    roles: ['operator', 'backend', 'collector'],
    schema: { params: s.loanParams },
    responses: { 200: { description: 'State', schema: s.collectionState }, ...errorResponses(401, 403, 404) },
    async handler(request, _reply, { deps, principal }) {
      const { loanId } = request.params as LoanParams;
      if (principal.role === 'collector') await authorizeCollector(deps, loanId, principal);
      return readState(deps, loanId);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/pause',
    operationId: 'pauseCollection',
    summary: 'Pause the case: nothing is sent until it is resumed',
    tag: 'operators',
    roles: ['operator'],
    schema: { params: s.loanParams, body: s.pauseBody },
    responses: { 202: { description: 'Signalled', schema: s.acceptedResponse }, ...errorResponses(400, 401, 403, 404) },
    async handler(request, reply, { deps, principal }) {
      const { reason } = request.body as { reason: string };
      reply.status(202);
      return pauseCollection(deps, (request.params as LoanParams).loanId, reason, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/resume',
    operationId: 'resumeCollection',
    summary: 'Resume a paused case',
    tag: 'operators',
    roles: ['operator'],
    schema: { params: s.loanParams },
    responses: { 202: { description: 'Signalled', schema: s.acceptedResponse }, ...errorResponses(401, 403, 404) },
    async handler(request, reply, { deps, principal }) {
      reply.status(202);
      return resumeCollection(deps, (request.params as LoanParams).loanId, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/reassign',
    operationId: 'reassignCollection',
    summary: 'Assign the case to a collector (null: unassigned)',
    tag: 'operators',
    roles: ['operator'],
    schema: { params: s.loanParams, body: s.reassignBody },
    responses: { 202: { description: 'Signalled', schema: s.acceptedResponse }, ...errorResponses(400, 401, 403, 404) },
    async handler(request, reply, { deps, principal }) {
      const { collectorId } = request.body as { collectorId: string | null };
      reply.status(202);
      return reassignCollection(deps, (request.params as LoanParams).loanId, collectorId, principal);
    },
  },
  {
    method: 'GET',
    url: '/v1/collections',
    operationId: 'searchCollections',
    summary: 'Running collections by stage or collector (Temporal visibility: a few seconds behind)',
    tag: 'operators',
    roles: ['operator'],
    schema: { querystring: s.collectionsQuery },
    responses: { 200: { description: 'Collections', schema: s.collectionsResponse }, ...errorResponses(400, 401, 403) },
    async handler(request, _reply, { deps }) {
      const q = request.query as { stage?: string; assignedCollector?: string; limit?: string };
      const limit = q.limit ? Number(q.limit) : 100;
      if (!Number.isInteger(limit)) throw new ApiError('invalid_request', 'limit must be an integer', 'limit');
      const collections = await searchCollections(deps.client, {
        stage: q.stage,
        assignedCollector: q.assignedCollector,
        taskQueue: deps.taskQueue,
        limit,
      });
      return { collections };
    },
  },
];
