// The OpenAPI 3.1 document, built from the route specs Fastify validates with, and a plain docs page.
import type { RouteSpec } from './route';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  components: { securitySchemes: Record<string, unknown> };
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

export function buildOpenApi(routes: RouteSpec[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      'x-roles': route.roles,
      ...(route.public ? { security: [] } : {}),
      parameters: [...parameters('path', route.schema.params), ...parameters('query', route.schema.querystring)],
      ...(route.schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.schema.body } } } } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}) },
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
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An Overdue API key' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A self-contained page (no CDN): each operation with its roles, body schema and responses. */
export function docsPage(doc: OpenApiDocument): string {
  const sections = doc.tags.map((tag) => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => (op as { tags: string[] }).tags.includes(tag.name))
        .map(([method, op]) => {
          const o = op as { summary: string; description?: string; 'x-roles': string[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { description: string }> };
          const body = o.requestBody ? `<details><summary>body</summary><pre>${escape(JSON.stringify(o.requestBody.content['application/json']!.schema, null, 2))}</pre></details>` : '';
          const responses = Object.entries(o.responses).map(([code, r]) => `<li><code>${code}</code> ${escape(r.description)}</li>`).join('');
          const roles = o['x-roles'].length > 0 ? o['x-roles'].join(', ') : 'anyone, no API key';
          return `<section><h3><code>${method.toUpperCase()} ${escape(path)}</code></h3><p>${escape(o.summary)}${o.description ? `<br>${escape(o.description)}` : ''}</p><p>roles: ${roles}</p>${body}<ul>${responses}</ul></section>`;
        }),
    );
    return `<h2>${escape(tag.name)}</h2><p>${escape(tag.description)}</p>${ops.join('')}`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd;padding:.5rem 0}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style></head>
<body><h1>${escape(doc.info.title)} v${escape(doc.info.version)}</h1><p>${escape(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>${sections.join('')}</body></html>`;
}
