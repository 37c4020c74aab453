// One description per route: Fastify registers it (schema-validated, authorised by role) and the
// OpenAPI document is built from the very same objects, so the published contract cannot drift.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyApiKey } from '../db/repository/apiKeys';
import type { ApiRole } from '../db/schema';
import { ApiError } from './errors';
import type { OperationDeps, Principal } from './operations';
import { errorResponse } from './schemas';

export interface RouteContext {
  deps: OperationDeps;
  /** The caller's key; public routes have none and do not read it. */
  principal: Principal;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** Fastify path, e.g. `/v1/loans/:loanId/payments`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'backends' | 'collectors' | 'operators' | 'probes';
  roles: ApiRole[];
  /** Answered without an API key (health probes carry none); `roles` is then empty. */
  public?: true;
  schema: { params?: object; querystring?: object; body?: object };
  /** Successful responses: status -> description and (documentation) schema. */
  responses: Record<number, { description: string; schema?: object }>;
  handler(request: FastifyRequest, reply: FastifyReply, context: RouteContext): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Reads `Authorization: Bearer <key>` and checks the role before the body is even parsed. */
function authenticate(deps: OperationDeps, roles: ApiRole[]) {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new ApiError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
    const identity = await verifyApiKey(deps.db, match[1]!);
    if (!identity) throw new ApiError('unauthorized', 'the API key is unknown or revoked');
    if (!roles.includes(identity.role)) {
      throw new ApiError('forbidden', `this endpoint is for ${roles.join(' or ')} keys; yours is a ${identity.role} key`);
    }
    request.principal = { keyId: identity.id, role: identity.role, collectorId: identity.collectorId };
  };
}

export function registerRoute(app: FastifyInstance, deps: OperationDeps, spec: RouteSpec): void {
  app.route({
    method: spec.method,
    url: spec.url,
    schema: spec.schema,
    ...(spec.public ? {} : { onRequest: authenticate(deps, spec.roles) }),
    // A body whose fields are all optional may be left out entirely.
    preValidation: async (request) => {
      const required = (spec.schema.body as { required?: string[] } | undefined)?.required ?? [];
      if (spec.schema.body && request.body === undefined && required.length === 0) request.body = {};
    },
    handler: (request, reply) => spec.handler(request, reply, { deps, principal: request.principal! }),
  });
}

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? 'Error', schema: errorResponse }]));

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON, or the body/parameters do not match the schema',
  401: 'No API key, or an unknown or revoked one',
  403: 'The key’s role may not call this endpoint, or the case is not yours',
  404: 'Unknown loan, or no collection running for it',
  409: 'Conflicts with what is recorded (e.g. a payment id reused with another amount)',
  413: 'The body is larger than the limit',
  422: 'A value is not acceptable (amount, currency, date, or the workflow refused the action)',
  500: 'An unexpected failure; retrying with the same idempotency key is safe',
  503: 'A dependency (the database or Temporal) is not reachable; try again shortly',
};
