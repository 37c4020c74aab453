// Probes for load balancers and orchestrators, without an API key: liveness (the process answers) and
// readiness (its database and Temporal answer too).
import { ApiError, errorBody } from '../errors';
import { checkReadiness } from '../readiness';
import type { RouteSpec } from '../route';
import { errorResponse } from '../schemas';

const check = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    ms: { type: 'integer', description: 'How long the check took' },
    reason: { type: 'string', description: 'Why it is down: an error code (ECONNREFUSED, UNAVAILABLE, …) or timeout' },
  },
};
const readiness = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: {
      type: 'object',
      properties: {
        database: check,
        temporal: { ...check, properties: { ...check.properties, namespace: { type: 'string' } } },
      },
    },
  },
};

export const probeRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/healthz',
    operationId: 'liveness',
    summary: 'Liveness: the API process answers (checks no dependency; use /readyz for that)',
    tag: 'probes',
    roles: [],
    public: true,
    schema: {},
    responses: { 200: { description: 'Alive', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
    async handler() {
      return { ok: true };
    },
  },
  {
    method: 'GET',
    url: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness: the database and Temporal both answer (each within 2 s)',
    tag: 'probes',
    roles: [],
    public: true,
    schema: {},
    responses: {
      200: { description: 'Ready: what was checked', schema: readiness },
      503: {
        description: 'Not ready: the error names the dependency that is down; checks says what each answered',
        schema: { ...readiness, properties: { ...readiness.properties, ...errorResponse.properties } },
      },
    },
    async handler(request, reply, { deps }) {
      const result = await checkReadiness(deps);
      if (result.ready) return result;
      const down = Object.entries(result.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name} (${c.reason})`);
      request.log.warn({ checks: result.checks }, 'not ready');
      reply.status(503);
      return { ...errorBody(new ApiError('unavailable', `not ready: ${down.join(' and ')} not reachable`)), ...result };
    },
  },
];
