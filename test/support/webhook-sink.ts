// A real HTTP endpoint for tests: records every JSON POST (body, headers) and answers 202,
// or the status codes queued with `failNext`.
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface WebhookCall {
  path: string;
  /** The Idempotency-Key header: one contact's key. */
  idempotencyKey: string;
  /** When the request arrived (ms since the epoch). */
  at: number;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
}

export interface WebhookSink {
  url: string;
  calls: WebhookCall[];
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const calls: WebhookCall[] = [];
  const failures: number[] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failures.shift();
      if (status) {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'injected failure' }));
        return;
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
      calls.push({ path: req.url ?? '/', idempotencyKey: String(req.headers['idempotency-key'] ?? ''), at: Date.now(), headers: req.headers, rawBody, body });
      seq += 1;
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `msg-${seq}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    calls,
    failNext: (...statuses) => failures.push(...statuses),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
