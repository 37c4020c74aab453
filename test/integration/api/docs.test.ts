// /docs and /openapi.json over real HTTP: the page is Swagger UI whose every script, stylesheet and icon
// comes from this server (the machines it runs on may have no internet), it renders the same document
// as /openapi.json, and what the API really answers matches what that document says.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { getState, workflowIdForLoan } from '../../../contracts/messages';
import { borrowerBody, loanBody } from '../../support/api';
import { startHarness, waitForState, type Harness } from '../../support/harness';
import { documentValidator } from '../../support/openapi';

let h: Harness;
let api: FastifyInstance;
let base: string;
const suffix = randomUUID().slice(0, 6);

beforeAll(async () => {
  // Its own database: the claim below takes any unassigned task in the table, never another file's.
  h = await startHarness('docs', { ownDatabase: true });
  api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  base = await api.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

/** src and href of every script and link element in the page. */
type Answer = { status: number; body: unknown };
async function send(method: string, url: string, key: string | null, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Asserts each answer's status and that its body matches the document's schema for that status. */
async function expectDocumented(answers: ReadonlyArray<readonly [string, string, Answer, number]>) {
  const check = documentValidator((await (await fetch(`${base}/openapi.json`)).json()) as object);
  expect(answers.map(([path, method, a]) => `${method} ${path} ${a.status}`)).toEqual(answers.map(([path, method, , status]) => `${method} ${path} ${status}`));
  for (const [path, method, answer] of answers) {
    expect(check(path, method, answer.status, answer.body), `${method} ${path} ${answer.status}: ${JSON.stringify(answer.body)}`).toEqual([]);
  }
}

const assetsOf = (html: string) => [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe('the API docs', () => {
  it('serve Swagger UI at /docs with every asset from this server', async () => {
    for (const page of ['/docs', '/docs/']) {
      const response = await fetch(`${base}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const html = await response.text();
      expect(html).toContain('<div id="swagger-ui">');
      expect(html).toContain('<title>Overdue API</title>');
      const assets = assetsOf(html);
      expect(assets.length, page).toBeGreaterThanOrEqual(6); // 2 stylesheets, 2 icons, 3 scripts
      expect(assets.filter((a) => /swagger-ui-bundle\.js$/.test(a))).toHaveLength(1);
      for (const asset of assets) {
        const url = new URL(asset, `${base}${page}`);
        expect(url.origin, asset).toBe(base);
        const answer = await fetch(url);
        expect(answer.status, url.pathname).toBe(200);
        const body = await answer.text();
        expect(body.length, url.pathname).toBeGreaterThan(0);
        // Stylesheets pull in nothing remote either (their images are data: URIs).
        if (url.pathname.endsWith('.css')) expect(body.match(/url\(\s*["']?(?:https?:)?\/\//g) ?? [], url.pathname).toEqual([]);
      }
    }
  });

  it('feed Swagger UI the same document as /openapi.json, with no online validator', async () => {
    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    // The initializer asks for ./json relative to the page: /docs/json.
    const initializer = await (await fetch(`${base}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain("resolveUrl('./json')");
    expect(initializer).toMatch(/validatorUrl: null/);
    expect(await (await fetch(`${base}/docs/json`)).json()).toEqual(spec);
    expect(spec.paths['/v1/loans/{loanId}/collection/promise']!.post!.operationId).toBe('recordPromise');
  });

  it('describe what the API really answers: ledger and queue operations', async () => {
    const backend = (await createApiKey(h.db, { role: 'backend', label: 'docs test' })).key;
    const collector = (await createApiKey(h.db, { role: 'collector', collectorId: `c-docs-${suffix}` })).key;
    const borrowerId = `b-docs-${suffix}`;
    const loanId = `docs-${suffix}`;
    const borrower = borrowerBody(`ext-${borrowerId}`);
    const loan = loanBody(borrowerId);
    const payment = { paymentId: `p-${suffix}`, amountMinor: 40_000, currency: 'CNY', receivedAt: '2024-03-01T00:00:00Z' };
    const dispute = await send('POST', `/v1/loans/${loanId}/disputes`, backend, { idempotencyKey: `d-${suffix}`, reason: 'not mine' });
    await expectDocumented([
      ['/v1/borrowers/{borrowerId}', 'put', await send('PUT', `/v1/borrowers/${borrowerId}`, backend, borrower), 201],
      ['/v1/borrowers/{borrowerId}', 'put', await send('PUT', `/v1/borrowers/${borrowerId}`, backend, borrower), 200],
      ['/v1/loans/{loanId}/disputes', 'post', dispute, 404],
      ['/v1/loans/{loanId}', 'put', await send('PUT', `/v1/loans/${loanId}`, backend, loan), 201],
      ['/v1/loans/{loanId}/payments', 'post', await send('POST', `/v1/loans/${loanId}/payments`, backend, payment), 201],
      ['/v1/loans/{loanId}/payments', 'post', await send('POST', `/v1/loans/${loanId}/payments`, backend, { ...payment, amountMinor: '40000' }), 400],
      ['/v1/loans/{loanId}/payments', 'post', await send('POST', `/v1/loans/${loanId}/payments`, backend, { ...payment, amountMinor: 1 }), 409],
      ['/v1/loans/{loanId}/disputes', 'post', await send('POST', `/v1/loans/${loanId}/disputes`, backend, { idempotencyKey: `d-${suffix}`, reason: 'not mine' }), 201],
      ['/v1/loans/{loanId}/hardship', 'post', await send('POST', `/v1/loans/${loanId}/hardship`, backend), 202],
      ['/v1/tasks', 'get', await send('GET', '/v1/tasks', collector), 200],
      ['/v1/tasks/claim', 'post', await send('POST', '/v1/tasks/claim', collector, {}), 200],
      ['/v1/tasks', 'get', await send('GET', '/v1/tasks', null), 401],
      ['/v1/tasks', 'get', await send('GET', '/v1/tasks', backend), 403],
      ['/healthz', 'get', await send('GET', '/healthz', null), 200],
      ['/readyz', 'get', await send('GET', '/readyz', null), 200],
    ]);
    const filed = (await send('POST', `/v1/loans/${loanId}/disputes`, backend, { idempotencyKey: `d-${suffix}`, reason: 'not mine' })).body as { disputeId: string };
    await expectDocumented([
      ['/v1/loans/{loanId}/disputes/{disputeId}/resolution', 'post', await send('POST', `/v1/loans/${loanId}/disputes/${filed.disputeId}/resolution`, backend, { outcome: 'rejected' }), 200],
    ]);
  });

  it('describe what the API really answers: a running collection', async () => {
    const backend = (await createApiKey(h.db, { role: 'backend' })).key;
    const operator = (await createApiKey(h.db, { role: 'operator' })).key;
    const { loanId } = await h.seedLoan({ dpd: 5 });
    const started = await send('POST', `/v1/loans/${loanId}/collection`, backend, {});
    await waitForState(() => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState), (s) => s.stage !== 'opening', { what: 'the case read' });
    await expectDocumented([
      ['/v1/loans/{loanId}/collection', 'post', started, 201],
      ['/v1/loans/{loanId}/collection', 'post', await send('POST', `/v1/loans/${loanId}/collection`, backend, {}), 200],
      ['/v1/loans/{loanId}/collection', 'get', await send('GET', `/v1/loans/${loanId}/collection`, operator), 200],
      ['/v1/loans/{loanId}/collection/pause', 'post', await send('POST', `/v1/loans/${loanId}/collection/pause`, operator, { reason: 'docs' }), 202],
      ['/v1/loans/{loanId}/collection/resume', 'post', await send('POST', `/v1/loans/${loanId}/collection/resume`, operator), 202],
      ['/v1/loans/{loanId}/collection/reassign', 'post', await send('POST', `/v1/loans/${loanId}/collection/reassign`, operator, { collectorId: 'c-docs' }), 202],
      ['/v1/loans/{loanId}/opt-outs', 'post', await send('POST', `/v1/loans/${loanId}/opt-outs`, backend, { channel: 'sms' }), 202],
      ['/v1/collections', 'get', await send('GET', '/v1/collections?limit=5', operator), 200],
      ['/v1/loans/{loanId}/collection/call-outcome', 'post', await send('POST', `/v1/loans/${loanId}/collection/call-outcome`, null, { outcome: 'refused' }), 401],
      ['/v1/loans/{loanId}/collection/close', 'post', await send('POST', `/v1/loans/${loanId}/collection/close`, backend, { outcome: 'cancelled' }), 202],
    ]);
  });
});
