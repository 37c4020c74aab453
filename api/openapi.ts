// The OpenAPI 3.1 document, built from the route specs Fastify validates with. /docs renders it with
// Swagger UI (served from node_modules, no CDN). Shared schemas go under `components` and are referred
// to with $ref; every operation also documents the 500 and 503 the error handler can answer.
import { examples as allExamples, type OperationExamples } from './examples';
import { errorResponses, type RouteSpec } from './route';
import * as s from './schemas';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, unknown> };
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, unknown>>;
}

function parameters(where: 'path' | 'query', schema: object | undefined) {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

/** Schemas published once under components.schemas; route specs use the very same objects. */
const SHARED: Record<string, object> = {
  Error: s.errorResponse,
  CollectionState: s.collectionState,
  Task: s.task,
  Accepted: s.acceptedResponse,
  StartResult: s.startResponse,
  PaymentResult: s.paymentResponse,
  Borrower: s.borrowerResponse,
  Loan: s.loanResponse,
  Dispute: s.disputeResponse,
  DisputeResolution: s.resolutionResponse,
  BorrowerFact: s.borrowerFactResponse,
  Collections: s.collectionsResponse,
};
const refs = new Map(Object.entries(SHARED).map(([name, schema]) => [schema, { $ref: `#/components/schemas/${name}` }]));

/** A copy of `schema` in which every shared schema (found by identity) is a $ref; `self` stays inline. */
function withRefs(schema: unknown, self?: object): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withRefs(item));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = schema !== self ? refs.get(schema) : undefined;
  if (ref) return ref;
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withRefs(value)]));
}

/**
 * What any operation may answer besides its own: an unexpected failure (500) and Temporal or the
 * database out of reach (503). Liveness touches neither, so it documents only the 500.
 */
function serverErrors(route: RouteSpec): RouteSpec['responses'] {
  return route.operationId === 'liveness' ? errorResponses(500) : errorResponses(500, 503);
}

/** Who may call it, said in the text too: Swagger UI does not show the x-roles extension. */
const rolesText = (route: RouteSpec) => (route.public ? '**No API key.**' : `**Roles:** ${route.roles.join(', ')}.`);

const mediaType = (schema: object | undefined, example: unknown) => ({
  'application/json': { ...(schema ? { schema: withRefs(schema) } : {}), ...(example !== undefined ? { example } : {}) },
});

export function buildOpenApi(routes: RouteSpec[], examples: Record<string, OperationExamples> = allExamples): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const example = examples[route.operationId] ?? {};
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, rolesText(route)].filter(Boolean).join('\n\n'),
      tags: [route.tag],
      'x-roles': route.roles,
      ...(route.public ? { security: [] } : {}),
      parameters: [...parameters('path', route.schema.params), ...parameters('query', route.schema.querystring)],
      ...(route.schema.body ? { requestBody: { required: true, content: mediaType(route.schema.body, example.request) } } : {}),
      responses: Object.fromEntries(
        Object.entries({ ...serverErrors(route), ...route.responses }).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: mediaType(r.schema, example.responses?.[Number(status)]) } : {}) },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Overdue API',
      version: '1',
      description:
        'Collections pipeline API. Authenticate with `Authorization: Bearer <key>` (create keys with `overdue keys create --role backend|collector|operator`). ' +
        'Errors are `{ "error": { "type", "message", "field" } }`, including the framework\'s own (unknown route 404, method not allowed 405, ' +
        'URI too long 414, body too large 413, not JSON 415, malformed JSON 400).',
    },
    tags: [
      { name: 'backends', description: 'Platform backends: loans, collection start, payments, disputes, borrower facts' },
      { name: 'collectors', description: 'Collectors: the task queue and call outcomes, promises and plans' },
      { name: 'operators', description: 'Operators: state, pause, resume, reassign, search' },
      { name: 'probes', description: 'Liveness and readiness for load balancers and orchestrators (no API key)' },
    ],
    components: {
      schemas: Object.fromEntries(Object.entries(SHARED).map(([name, schema]) => [name, withRefs(schema, schema) as object])),
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An Overdue API key' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
