// The HTTP API: Fastify with JSON Schema validation on every route, API keys by role, JSON errors,
// OpenAPI at /openapi.json and Swagger UI at /docs. Mounted by `npm run api` and by `npm start`.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import fastifyMetrics, { type IMetricsPluginOptions } from 'fastify-metrics';
// fastify-metrics builds its histograms with @prometheus-io/client (prom-client's successor), whose registry this must be.
import { Registry } from '@prometheus-io/client';
import { metricsText, registry } from '../observability/metrics';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import { quote } from '../db/repository/validate';
import { ApiError, errorBody, MAX_PARAM_LENGTH, toApiError } from './errors';
import { buildOpenApi } from './openapi';
import { registerRoute, type RouteSpec } from './route';
import { backendRoutes } from './routes/backend';
import { complaintRoutes } from './routes/complaints';
import { collectorRoutes } from './routes/collector';
import { operatorRoutes } from './routes/operator';
import { probeRoutes } from './routes/probes';
import { workbenchPlugin } from './web/workbench/plugin';
import { latestCurePropensity } from '../db/repository/scoring';
import { borrowerPages, type BorrowerPagesOptions } from './web/borrower/plugin';

export interface ApiDeps {
  db: Database;
  client: Client;
  /** Task queue of the collection workflows. */
  taskQueue: string;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Fastify logger option (default off). */
  logger?: FastifyServerOptions['logger'];
  /** A pino logger for request logs (overrides `logger`): the process's own, so every line shares one format. */
  loggerInstance?: FastifyBaseLogger;
  /** The Temporal SDK's Prometheus endpoint of this process, appended to /metrics (npm start). */
  sdkMetricsUrl?: string;
  /** The borrower's self-service pages (/b/…): link secret, base URL, sender, rate limit; default from the environment. */
  borrowerPages?: Omit<BorrowerPagesOptions, 'deps'>;
}

export const routes: RouteSpec[] = [...backendRoutes, ...complaintRoutes, ...collectorRoutes, ...operatorRoutes, ...probeRoutes];

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers over 16 KiB, a malformed request
 * line, a timeout) is answered in the same error shape; Fastify's default writes its own.
 */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const apiError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError('headers_too_large', 'the request line and headers are larger than 16 KiB; send long values in the body')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError('request_timeout', 'the request took too long to arrive')
        : new ApiError('invalid_request', 'malformed HTTP request');
  const body = JSON.stringify(errorBody(apiError));
  socket.end(
    `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Matches a request path against the registered routes' paths, to tell 404 (no such path) from 405. */
function methodsByPath() {
  const known: Array<{ pattern: RegExp; method: string }> = [];
  return {
    add(url: string, methods: string | string[]) {
      const pattern = new RegExp(`^${url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
      for (const method of [methods].flat()) known.push({ pattern, method });
    },
    allowed(path: string): string[] {
      return [...new Set(known.filter((k) => k.pattern.test(path)).map((k) => k.method))];
    },
  };
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    // Types are not coerced ("500" is not an amount) and unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Longer than any id, so an over-long id reaches the route schema, which names the field.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A bad percent-encoding or an over-long path segment, found before routing: same error shape.
    frameworkErrors: (error, _request, reply) => {
      const apiError = toApiError(error);
      // Typed for the router's generic reply; it is an ordinary one.
      void (reply as unknown as FastifyReply).status(apiError.status).send(errorBody(apiError));
    },
    clientErrorHandler,
  });
  const operationDeps = { db: deps.db, client: deps.client, taskQueue: deps.taskQueue };
  const paths = methodsByPath();
  app.addHook('onRoute', (route) => paths.add(route.url ?? route.path, route.method));

  // JSON only: a text/plain body is 415 "send the body as application/json", not a schema error.
  app.removeContentTypeParser('text/plain');
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
    const path = request.url.split('?')[0]!;
    const allowed = paths.allowed(path);
    if (allowed.length > 0) {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send(errorBody(new ApiError('method_not_allowed', `${quote(path)} takes ${allowed.join(', ')}, not ${request.method}; see /docs`)));
      return;
    }
    void reply.status(404).send(errorBody(new ApiError('not_found', `no route ${request.method} ${quote(path)}; see /docs`)));
  });

  // Request metrics (fastify-metrics) in a registry of this API's own, so several APIs in one process
  // (the tests) do not collide; GET /metrics adds the process's application metrics and, under npm
  // start, the Temporal SDK's.
  const requestMetrics = new Registry();
  const metricsOptions: Partial<IMetricsPluginOptions> = {
    endpoint: null,
    defaultMetrics: { enabled: false },
    // Every request: the plugin registers after the routes, so it cannot list them itself.
    routeMetrics: {
      registeredRoutesOnly: false,
      routeBlacklist: ['/metrics'],
      overrides: {
        // The route's pattern, never the raw path: ids stay out of the labels, and junk paths are one series.
        labels: { getRouteLabel: (request) => request.routeOptions.url ?? 'unknown' },
        histogram: { registers: [requestMetrics] },
        summary: { registers: [requestMetrics] },
      },
    },
  };
  void app.register(fastifyMetrics, metricsOptions);
  for (const route of routes) registerRoute(app, operationDeps, route);

  // The collector workbench (server-rendered pages), in an encapsulated plugin of its own.
  // Its queue orders by past due × cure propensity where a scoring model has scored the case.
  void app.register(workbenchPlugin, { prefix: '/workbench', deps: operationDeps, propensity: (loanId) => latestCurePropensity(deps.db, loanId) });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const text = `${await metricsText(deps.sdkMetricsUrl)}\n${await requestMetrics.metrics()}`;
    return reply.type(registry.contentType).send(text);
  });
  // Web pages, each in its own encapsulated plugin (its views, headers and limits stay inside it).
  void app.register(borrowerPages, { deps: operationDeps, ...deps.borrowerPages });

  const document = buildOpenApi(routes);
  app.get('/openapi.json', async () => document);
  // Swagger UI renders that same document (static mode: nothing is generated from Fastify's routes), and
  // its scripts, styles and icons come from node_modules, so /docs works without internet access.
  void app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } });
  void app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, displayOperationId: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
    theme: { title: 'Overdue API' },
  });
  return app;
}
