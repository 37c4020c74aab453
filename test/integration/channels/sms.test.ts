import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createChannelActivities } from '../../../activities/channels';
import type { EmailSender } from '../../../channels/email';
import { createSmtpMailer } from '../../../channels/email';
import { createLegalNotifier } from '../../../channels/legal';
import { createConsoleLetterQueue, type Letter } from '../../../channels/letter';
import { createSmsProviderFromEnv, createWebhookSmsProvider, type SmsProvider } from '../../../channels/sms';
import { verifyWebhookSignature } from '../../../channels/webhook';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { attemptRow, closedPort, contactRequest, NOW, quietLog, seedOverdueLoan, startHttpReceiver, startSmtpSink, type HttpReceiver, type SmtpSink } from './fixtures';

const SECRET = 'test-shared-secret';

let handle: DatabaseHandle;
let receiver: HttpReceiver;
let sms: SmsProvider;
const noMail: EmailSender = {
  send: () => Promise.reject(new Error('no email in the SMS tests')),
};

beforeAll(async () => {
  handle = await createDatabase(inject('databaseUrl'), { max: 4 });
  receiver = await startHttpReceiver();
  sms = createWebhookSmsProvider({ url: receiver.url, secret: SECRET, now: () => NOW });
});

afterAll(async () => {
  await receiver?.close();
  await handle?.close();
});

function activities(letters: Letter[] = []) {
  return createChannelActivities({
    db: handle.db,
    mailer: noMail,
    sms,
    letters: {
      name: 'test',
      send: async (letter) => {
        letters.push(letter);
        return createConsoleLetterQueue(() => {}).send(letter);
      },
    },
    now: () => NOW,
    log: quietLog,
  });
}

const requestsFor = (key: string) => receiver.requests.filter((r) => r.headers['idempotency-key'] === key);

describe('sendSms through the signed webhook', () => {
  it('posts a signed JSON message with the statement and the opt-out line', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'sms');
    const result = await activities().sendSms(request);
    expect(result.status).toBe('sent');
    expect(result.providerMessageId).toMatch(/^gw-\d+$/);

    const [received, ...more] = requestsFor(request.idempotencyKey);
    expect(more).toHaveLength(0);
    expect(received!.headers['content-type']).toBe('application/json');
    // Recompute the HMAC here rather than trusting the library's own verifier.
    const header = String(received!.headers['overdue-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    expect(Number(t)).toBe(Math.floor(NOW.getTime() / 1000));
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${received!.rawBody}`).digest('hex'));
    expect(verifyWebhookSignature(header, received!.rawBody, SECRET, { nowSec: Number(t) + 10 })).toBe(true);
    expect(verifyWebhookSignature(header, received!.rawBody, 'wrong-secret', { nowSec: Number(t) })).toBe(false);
    expect(verifyWebhookSignature(header, `${received!.rawBody} `, SECRET, { nowSec: Number(t) })).toBe(false);
    expect(verifyWebhookSignature(header, received!.rawBody, SECRET, { nowSec: Number(t) + 3600 })).toBe(false);

    const body = JSON.parse(received!.rawBody) as { id: string; to: string; text: string };
    expect(body.id).toBe(request.idempotencyKey);
    expect(body.to).toBe('+12025550123');
    expect(body.text).toContain('$223.45');
    expect(body.text).toContain('Reply STOP to opt out.');
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'sent', providerMessageId: result.providerMessageId });
  });

  it('retries a 5xx answer and then sends exactly once', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'sms');
    receiver.answers.push(503);
    const error = await activities().sendSms(request).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(false);
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'planned', error: expect.stringContaining('http.503') });

    expect((await activities().sendSms(request)).status).toBe('sent');
    expect(await activities().sendSms(request)).toMatchObject({ status: 'sent' });
    expect(requestsFor(request.idempotencyKey)).toHaveLength(2); // one refused, one accepted
  });

  it('records a 4xx answer as a permanent failure and never calls again', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'sms');
    receiver.answers.push(422);
    expect(await activities().sendSms(request)).toEqual({ status: 'failed' });
    expect(await activities().sendSms(request)).toEqual({ status: 'failed' });
    expect(requestsFor(request.idempotencyKey)).toHaveLength(1);
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'failed', error: expect.stringContaining('http.422') });
  });

  it('treats an unreachable gateway as retryable', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'sms');
    const down = createChannelActivities({
      db: handle.db,
      mailer: noMail,
      sms: createWebhookSmsProvider({ url: `http://127.0.0.1:${await closedPort()}/sms`, secret: SECRET }),
      now: () => NOW,
      log: quietLog,
    });
    const error = await down.sendSms(request).catch((err: unknown) => err);
    expect((error as ApplicationFailure).nonRetryable).toBe(false);
    expect((await attemptRow(handle.db, request.idempotencyKey))!.status).toBe('planned');
    expect((await activities().sendSms(request)).status).toBe('sent');
  });

  it('blocks SMS to a borrower who asked us to stop contacting them', async () => {
    const loan = await seedOverdueLoan(handle.db, { ceaseRequestedAt: new Date('2025-03-01T00:00:00Z') });
    const request = contactRequest(loan, 'sms');
    expect(await activities().sendSms(request)).toEqual({ status: 'blocked', rule: 'common.cease' });
    expect(requestsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('chooses the provider from the environment', () => {
    expect(createSmsProviderFromEnv({}).name).toBe('console');
    expect(createSmsProviderFromEnv({ SMS_WEBHOOK_URL: receiver.url, SMS_WEBHOOK_SECRET: 's' }).name).toBe('webhook');
    expect(() => createSmsProviderFromEnv({ SMS_WEBHOOK_URL: receiver.url })).toThrow(/SMS_WEBHOOK_SECRET/);
  });
});

describe('sendLetter', () => {
  it('queues one letter with the rendered statement', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'letter', 'validation-notice');
    request.kind = 'required_disclosure';
    const letters: Letter[] = [];
    expect((await activities(letters).sendLetter(request)).status).toBe('sent');
    expect((await activities(letters).sendLetter(request)).status).toBe('sent');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ borrowerId: loan.borrowerId, loanId: loan.loanId, locale: 'en' });
    expect(letters[0]!.text).toContain('Amount overdue: $223.45');
    expect(letters[0]!.text).toMatch(/If you tell us by April \d+, 2025 that you dispute it/);
  });
});

describe('legal hand-off notice', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it('emails the legal team and posts a signed webhook', async () => {
    const mailer = createSmtpMailer(sink.url);
    const notifier = createLegalNotifier({ mailer, teamEmail: 'legal@acme.test', webhookUrl: receiver.url, webhookSecret: SECRET });
    const notice = {
      idempotencyKey: 'collection-L-legal/case-1/9-legal-hand-off',
      legalCaseId: 'lc-1',
      caseId: 'case-1',
      loanId: 'L-legal',
      currency: 'USD',
      pastDueMinor: 22_345,
      outstandingMinor: 32_345,
      dpd: 40,
      handedOverAt: NOW.toISOString(),
    };
    expect(await notifier.notifyHandOff(notice)).toEqual({ email: true, webhook: true });
    mailer.close?.();
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.subject).toBe('Legal hand-off: loan L-legal');
    expect(sink.messages[0]!.text).toContain('Past-due amount: $223.45');
    const [hook] = requestsFor(notice.idempotencyKey);
    expect(verifyWebhookSignature(String(hook!.headers['overdue-signature']), hook!.rawBody, SECRET)).toBe(true);
    expect(JSON.parse(hook!.rawBody)).toMatchObject({ type: 'legal.hand_off', loanId: 'L-legal', pastDueMinor: 22_345 });
  });
});
