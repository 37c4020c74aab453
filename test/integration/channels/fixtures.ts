// Shared set-up for the channel tests: a real SMTP sink (smtp-server + mailparser), a real HTTP
// receiver, and a borrower with an overdue loan and an open case in the shared test database.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { eq } from 'drizzle-orm';
import type { ContactRequest } from '../../../contracts/activities';
import type { Database } from '../../../db/client';
import { upsertBorrower, type BorrowerInput } from '../../../db/repository/borrowers';
import { openCase } from '../../../db/repository/cases';
import { upsertLoan } from '../../../db/repository/ledger';
import { contactAttempts } from '../../../db/schema';
import type { MessageChannel } from '../../../domain/strategy/types';

/** Wednesday 12 March 2025, 11:00 in New York and 23:00 in Shanghai: inside US contact hours. */
export const NOW = new Date('2025-03-12T15:00:00Z');

export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  /** SMTP reply codes to answer the next RCPT TO commands with, one per command (e.g. [451]). */
  rejectRcpt: number[];
  /** TCP connections the sink has accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const rejectRcpt: number[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onRcptTo(_address, _session, callback) {
      const code = rejectRcpt.shift();
      if (code) return callback(Object.assign(new Error(code < 500 ? 'Try again later' : 'No such user'), { responseCode: code }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejectRcpt,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status codes for the next requests, one per request; 200 with {"messageId"} when empty. */
  answers: number[];
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? JSON.stringify({ messageId: `gw-${requests.length}` }) : JSON.stringify({ error: 'no' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    requests,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SeededLoan {
  borrowerId: string;
  loanId: string;
  caseId: string;
}

/**
 * A borrower in New York with two overdue instalments (USD 123.45 due 1 Feb, USD 100.00 due 1 Mar 2025)
 * and one not yet due, and an open case on the us-consumer strategy (rule pack us-regf).
 */
export async function seedOverdueLoan(db: Database, borrower: Partial<BorrowerInput> = {}): Promise<SeededLoan> {
  const id = randomUUID().slice(0, 8);
  const borrowerId = `B-ch-${id}`;
  const loanId = `L-ch-${id}`;
  await upsertBorrower(db, {
    id: borrowerId,
    externalRef: `ext-${id}`,
    name: 'Alex Example',
    email: `alex.${id}@example.test`,
    phone: '+12025550123',
    timeZone: 'America/New_York',
    locale: 'en',
    ...borrower,
  });
  await upsertLoan(db, {
    id: loanId,
    borrowerId,
    product: 'personal',
    currency: 'USD',
    principalMinor: 100_000,
    openedAt: new Date('2024-12-01T00:00:00Z'),
    installments: [
      { seq: 1, dueDate: '2025-02-01', amountDueMinor: 12_345 },
      { seq: 2, dueDate: '2025-03-01', amountDueMinor: 10_000 },
      { seq: 3, dueDate: '2025-04-01', amountDueMinor: 10_000 },
    ],
  });
  const { case: c } = await openCase(db, { loanId, strategyId: 'us-consumer', strategyVersion: 1, openedAt: NOW });
  return { borrowerId, loanId, caseId: c.id };
}

export function contactRequest(loan: SeededLoan, channel: MessageChannel, template = 'reminder-friendly'): ContactRequest {
  return {
    idempotencyKey: `collection-${loan.loanId}/${loan.caseId}/${randomUUID().slice(0, 8)}-reminder-${channel}`,
    caseId: loan.caseId,
    loanId: loan.loanId,
    channel,
    template,
    kind: 'collection',
    stage: 'reminder',
  };
}

export async function attemptRow(db: Database, idempotencyKey: string) {
  const [row] = await db.select().from(contactAttempts).where(eq(contactAttempts.idempotencyKey, idempotencyKey));
  return row;
}

export const quietLog = { info: () => {}, warn: () => {} };

/** A local port nothing listens on (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
