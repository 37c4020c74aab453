// The HTTP API: Fastify with JSON Schema validation on every route, API keys by role, JSON errors,
// OpenAPI at /openapi.json and a docs page at /docs. Mounted by `npm run api` and by `npm start`.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import { ApiError, errorBody, toApiError } from './errors';
import { buildOpenApi, docsPage } from './openapi';
import { registerRoute, type RouteSpec } from './route';
import { backendRoutes } from './routes/backend';
import { collectorRoutes } from './routes/collector';
import { operatorRoutes } from './routes/operator';

export interface ApiDeps {
  db: Database;
  client: Client;
  /** Task queue of the collection workflows. */
  taskQueue: string;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Fastify logger option (default off). */
  logger?: FastifyServerOptions['logger'];
}

export const routes: RouteSpec[] = [...backendRoutes, ...collectorRoutes, ...operatorRoutes];

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    logger: deps.logger ?? false,
    // Types are not coerced ("500" is not an amount) and unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const operationDeps = { db: deps.db, client: deps.client, taskQueue: deps.taskQueue };

  // An empty body is "no body" (POST .../resume with Content-Type: application/json is fine).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text, (key, value) => (key === '__proto__' || key === 'constructor' ? undefined : value)));
    } catch (error) {
      done(new ApiError('invalid_request', `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(apiError.status).send(errorBody(apiError));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(new ApiError('not_found', `no route ${request.method} ${request.url}; see /docs`)));
  });

  for (const route of routes) registerRoute(app, operationDeps, route);

  const document = buildOpenApi(routes);
  app.get('/openapi.json', async () => document);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(document)));
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
