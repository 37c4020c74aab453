// What the API tests share: the request bodies they send again and again (a borrower and a
// one-instalment loan, valid as they stand, each test changing only the field it is about) and the
// in-process call with a key.
import type { FastifyInstance } from 'fastify';

/** PUT /v1/borrowers/{id}: a borrower in Shanghai, with the reference given. */
export const borrowerBody = (externalRef: string, extra: Record<string, unknown> = {}) => ({
  externalRef,
  name: 'Test Borrower',
  timeZone: 'Asia/Shanghai',
  locale: 'zh-CN',
  ...extra,
});

/** PUT /v1/loans/{id}: CNY 1,000.00 opened 2024-01-01, one instalment due 2024-02-01 (long past due). */
export const loanBody = (borrowerId: string, extra: Record<string, unknown> = {}) => ({
  borrowerId,
  product: 'consumer-loan',
  currency: 'CNY',
  principalMinor: 100_000,
  openedAt: '2024-01-01T00:00:00Z',
  installments: [{ seq: 1, dueDate: '2024-02-01', amountDueMinor: 100_000 }],
  ...extra,
});

/** An answer from the API in process: status and parsed JSON body ({} when empty). */
export interface InjectedAnswer {
  status: number;
  body: Record<string, any>;
}

/**
 * Calls the API in process (Fastify's inject) with an optional bearer key and JSON body; `raw` sends
 * a body as written (for malformed JSON).
 */
export function apiCaller(api: { inject: FastifyInstance['inject'] }) {
  return async (method: 'GET' | 'POST' | 'PUT', url: string, key: string | null, body?: unknown, raw?: string): Promise<InjectedAnswer> => {
    const response = await api.inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(raw !== undefined ? { payload: raw } : body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: response.statusCode, body: response.body ? (response.json() as Record<string, any>) : {} };
  };
}
