// The published contract: /openapi.json passes a real OpenAPI validator, every operation says what it
// answers on success and on server trouble, shared shapes are components, and the examples match the
// schemas they illustrate.
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { examples } from '../../../api/examples';
import { buildOpenApi } from '../../../api/openapi';
import { routes } from '../../../api/server';
import { documentValidator } from '../../support/openapi';

const document = buildOpenApi(routes);
type Operation = { operationId: string; requestBody?: unknown; responses: Record<string, { content?: { 'application/json': { schema?: unknown; example?: unknown } } }> };
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Operation })),
);
const schemaOf = (op: Operation, status: string) => op.responses[status]?.content?.['application/json'].schema;

describe('the OpenAPI document', () => {
  it('documents every route, and a real validator accepts it', async () => {
    expect(operations.map((o) => o.op.operationId).sort()).toEqual(routes.map((r) => r.operationId).sort());
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = structuredClone(document) as unknown as { paths: Record<string, Record<string, Operation>> };
    broken.paths['/healthz']!.get!.responses['200'] = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nothing' } } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('gives every operation a schema for its success answer', () => {
    const without = operations
      .filter(({ op }) => !Object.keys(op.responses).some((status) => status.startsWith('2') && schemaOf(op, status)))
      .map(({ op }) => op.operationId);
    expect(without).toEqual([]);
    // And each 2xx it lists has one, not only the first.
    for (const { op } of operations) {
      for (const status of Object.keys(op.responses).filter((s) => s.startsWith('2'))) expect(schemaOf(op, status), `${op.operationId} ${status}`).toBeDefined();
    }
  });

  it('documents 500 and 503 in the error shape on every operation (liveness checks no dependency: 500 only)', () => {
    const error = { $ref: '#/components/schemas/Error' };
    for (const { op } of operations) {
      expect(schemaOf(op, '500'), op.operationId).toEqual(error);
      if (op.operationId === 'liveness') expect(op.responses).not.toHaveProperty('503');
      else if (op.operationId !== 'readiness') expect(schemaOf(op, '503'), op.operationId).toEqual(error);
    }
    // Readiness answers 503 itself: the error plus what each check said.
    expect(schemaOf(document.paths['/readyz']!.get as Operation, '503')).toMatchObject({ properties: { error: expect.any(Object), checks: expect.any(Object) } });
  });

  it('publishes shared shapes once under components and refers to them', () => {
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Error', 'CollectionState', 'Task', 'Accepted']));
    const text = JSON.stringify(document.paths);
    for (const name of ['Error', 'CollectionState', 'Task', 'Accepted']) {
      expect(text.split(`"#/components/schemas/${name}"`).length - 1, name).toBeGreaterThan(1);
    }
    // Every 4xx answer is the one error shape, by reference, never a copy.
    for (const { op } of operations) {
      for (const status of Object.keys(op.responses).filter((s) => s.startsWith('4'))) expect(schemaOf(op, status), `${op.operationId} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });

  it('has examples for the main operations, each matching its schema', () => {
    const main = ['upsertBorrower', 'upsertLoan', 'startCollection', 'recordPayment', 'openDispute', 'getCollection', 'claimTask', 'recordPromise'];
    expect(Object.keys(examples)).toEqual(expect.arrayContaining(main));
    const check = documentValidator(document);
    let checked = 0;
    for (const [operationId, example] of Object.entries(examples)) {
      const found = operations.find((o) => o.op.operationId === operationId);
      expect(found, `examples name an unknown operation ${operationId}`).toBeDefined();
      const { path, method, op } = found!;
      if (example.request !== undefined) {
        expect(op.requestBody, `${operationId} takes no body`).toBeDefined();
        expect(check(path, method, 'request', example.request), `${operationId} request`).toEqual([]);
        checked += 1;
      }
      for (const [status, value] of Object.entries(example.responses ?? {})) {
        expect(schemaOf(op, status), `${operationId} ${status} is not documented`).toBeDefined();
        expect(check(path, method, Number(status), value), `${operationId} ${status}`).toEqual([]);
        expect(op.responses[status]!.content!['application/json'].example).toEqual(value);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('would notice an example that does not match its schema', () => {
    const check = documentValidator(document);
    expect(check('/v1/loans/{loanId}/payments', 'post', 'request', { ...examples.recordPayment!.request as object, amountMinor: '1200' })).not.toEqual([]);
    expect(check('/v1/loans/{loanId}/payments', 'post', 422, { error: { type: 'oops', message: 'x' } })).not.toEqual([]);
  });
});
