import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createChannelActivities } from '../../../activities/channels';
import { createSmtpMailer, messageIdFor, type EmailSender } from '../../../channels/email';
import { createConsoleSmsProvider } from '../../../channels/sms';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { setChannelOptOut } from '../../../db/repository/borrowers';
import { recordPayment } from '../../../db/repository/ledger';
import { openDispute } from '../../../db/repository/negotiation';
import { attemptRow, closedPort, contactRequest, NOW, quietLog, seedOverdueLoan, startSmtpSink, type SmtpSink } from './fixtures';

let handle: DatabaseHandle;
let sink: SmtpSink;
let mailer: EmailSender;

beforeAll(async () => {
  handle = await createDatabase(inject('databaseUrl'), { max: 4 });
  sink = await startSmtpSink();
  mailer = createSmtpMailer(sink.url, { from: 'Acme Credit <collections@acme.test>' });
});

afterAll(async () => {
  mailer?.close?.();
  await sink?.close();
  await handle?.close();
});

function activities(overrides: { mailer?: EmailSender; now?: Date } = {}) {
  return createChannelActivities({
    db: handle.db,
    mailer: overrides.mailer ?? mailer,
    sms: createConsoleSmsProvider(() => {}),
    now: () => overrides.now ?? NOW,
    log: quietLog,
  });
}

const messagesTo = (address: string) =>
  sink.messages.filter((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.text.includes(address)));

async function expectRetryable(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).nonRetryable).toBe(false);
  return error as ApplicationFailure;
}

describe('sendEmail', () => {
  it('delivers one email with text and HTML parts, the statement and the opt-out line', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    const result = await activities().sendEmail(request);

    expect(result).toEqual({ status: 'sent', providerMessageId: messageIdFor(request.idempotencyKey) });
    const [mail, ...more] = messagesTo(`alex.${loan.borrowerId.slice(5)}@example.test`);
    expect(more).toHaveLength(0);
    expect(mail!.subject).toContain('friendly reminder');
    expect(mail!.text).toContain('Amount overdue: $223.45');
    expect(mail!.text).toContain('Instalment 1, due February 1, 2025: $123.45');
    expect(mail!.text).toContain('Oldest unpaid due date: February 1, 2025');
    expect(mail!.text).toContain('To stop receiving emails from us about this account');
    expect(mail!.html).toContain('<li>Instalment 2, due March 1, 2025: $100.00</li>');
    expect(mail!.html).toContain('To stop receiving emails from us about this account');
    expect(mail!.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toContain('opt-out?account=');

    const row = await attemptRow(handle.db, request.idempotencyKey);
    expect(row).toMatchObject({ status: 'sent', channel: 'email', template: 'reminder-friendly', providerMessageId: result.providerMessageId });
    expect(row!.sentAt).toEqual(NOW);
  });

  it('writes to a zh-CN borrower in Chinese', async () => {
    const loan = await seedOverdueLoan(handle.db, { locale: 'zh-CN', timeZone: 'America/New_York' });
    const request = contactRequest(loan, 'email', 'reminder-firm');
    expect((await activities().sendEmail(request)).status).toBe('sent');
    const [mail] = messagesTo(loan.borrowerId.slice(5));
    expect(mail!.text).toContain('逾期应还金额：US$223.45');
    expect(mail!.text).toContain('退订');
    expect(mail!.html).toContain('退订');
  });

  it('never sends twice under one key', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    const first = await activities().sendEmail(request);
    const second = await activities().sendEmail(request);
    expect(second).toEqual(first);
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(1);
  });

  it('retries a message the SMTP server deferred (451) and delivers it exactly once', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    sink.rejectRcpt.push(451);

    const failure = await expectRetryable(activities().sendEmail(request));
    expect(failure.type).toBe('ChannelUnavailable');
    expect(failure.message).not.toContain('@');
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'planned', error: expect.stringContaining('smtp.451') });
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(0);

    expect((await activities().sendEmail(request)).status).toBe('sent');
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(1);
  });

  it('retries when the SMTP server refuses the connection, then delivers exactly once', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    const down = createSmtpMailer(`smtp://127.0.0.1:${await closedPort()}`);

    await expectRetryable(activities({ mailer: down }).sendEmail(request));
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'planned', error: expect.stringContaining('ECONNREFUSED') });

    expect((await activities().sendEmail(request)).status).toBe('sent');
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(1);
  });

  it('sends a run of messages over one kept-open SMTP connection, and over one each with ?pool=false', async () => {
    const sendFive = async (url: string) => {
      const own = await startSmtpSink();
      const ownMailer = createSmtpMailer(`${own.url}${url}`);
      try {
        for (let i = 0; i < 5; i++) {
          const loan = await seedOverdueLoan(handle.db);
          expect((await activities({ mailer: ownMailer }).sendEmail(contactRequest(loan, 'email'))).status).toBe('sent');
        }
        return { delivered: own.messages.length, connections: own.connections() };
      } finally {
        ownMailer.close?.();
        await own.close();
      }
    };
    expect(await sendFive('')).toEqual({ delivered: 5, connections: 1 });
    expect(await sendFive('?pool=false')).toEqual({ delivered: 5, connections: 5 });
  });

  it('refuses an SMTP_URL it cannot use, naming it without its password', () => {
    expect(() => createSmtpMailer('http://mail.example.test')).toThrow('SMTP_URL must start with smtp:// or smtps:// (got "http://mail.example.test")');
    expect(() => createSmtpMailer('smtp://collections:s3cret@mail example.test:587')).toThrow('SMTP_URL is not a valid URL (got "smtp://***@mail example.test:587")');
  });

  it('presumes a message sent when the run died after the server accepted it, and does not resend', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    // The worker dies between the server's 250 and marking the attempt sent.
    const dyingAfterAcceptance: EmailSender = {
      async send(message) {
        await mailer.send(message);
        throw new Error('worker process killed');
      },
    };
    await expect(activities({ mailer: dyingAfterAcceptance }).sendEmail(request)).rejects.toThrow('worker process killed');
    expect((await attemptRow(handle.db, request.idempotencyKey))!.status).toBe('sending');

    expect(await activities().sendEmail(request)).toEqual({ status: 'presumed_sent' });
    expect(await activities().sendEmail(request)).toEqual({ status: 'presumed_sent' });
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(1);
    expect((await attemptRow(handle.db, request.idempotencyKey))!.status).toBe('presumed_sent');
  });

  it('records a recipient the server rejects (550) as failed and does not retry it', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    sink.rejectRcpt.push(550);
    expect(await activities().sendEmail(request)).toEqual({ status: 'failed' });
    expect(await activities().sendEmail(request)).toEqual({ status: 'failed' });
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'failed', error: expect.stringContaining('smtp.550') });
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(0);
  });

  it('blocks a channel the borrower opted out of, with the rule id', async () => {
    const loan = await seedOverdueLoan(handle.db);
    await setChannelOptOut(handle.db, loan.borrowerId, 'email', new Date('2025-03-01T00:00:00Z'));
    const request = contactRequest(loan, 'email');
    expect(await activities().sendEmail(request)).toEqual({ status: 'blocked', rule: 'common.opt-out' });
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'blocked', blockedRule: 'common.opt-out', sentAt: null });
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(0);
  });

  it('does not contact a loan with nothing past due, even when asked', async () => {
    const loan = await seedOverdueLoan(handle.db);
    await recordPayment(handle.db, { paymentId: `P-${loan.loanId}`, loanId: loan.loanId, amountMinor: 22_345, currency: 'USD', receivedAt: NOW, asOf: NOW });
    const request = contactRequest(loan, 'email');
    expect(await activities().sendEmail(request)).toEqual({ status: 'blocked', rule: 'common.nothing-due' });
    expect(await attemptRow(handle.db, request.idempotencyKey)).toMatchObject({ status: 'blocked', blockedRule: 'common.nothing-due' });
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(0);
  });

  it('blocks outside the borrower’s contact hours and says until when', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const request = contactRequest(loan, 'email');
    const lateEvening = new Date('2025-03-13T02:30:00Z'); // 22:30 in New York
    const result = await activities({ now: lateEvening }).sendEmail(request);
    expect(result).toMatchObject({ status: 'blocked', rule: 'us-regf.hours', until: '2025-03-13T12:00:00.000Z' });
    expect((await attemptRow(handle.db, request.idempotencyKey))!.blockedUntil).toEqual(new Date('2025-03-13T12:00:00Z'));
  });

  it('refuses a message inside the strategy\'s gap to the last one, says when the gap ends, and sends then', async () => {
    // The case pins us-consumer, whose minMessageGap is 20 hours.
    const loan = await seedOverdueLoan(handle.db);
    const evening = new Date('2025-03-13T00:30:00Z'); // 20:30 in New York
    expect((await activities({ now: evening }).sendEmail(contactRequest(loan, 'email'))).status).toBe('sent');
    const gapEnds = new Date('2025-03-13T20:30:00Z'); // 16:30 the next day, inside the contact hours
    const tooSoon = contactRequest(loan, 'email', 'reminder-firm');
    expect(await activities({ now: new Date(gapEnds.getTime() - 1) }).sendEmail(tooSoon)).toEqual({ status: 'blocked', rule: 'common.message-gap', until: gapEnds.toISOString() });
    expect(await attemptRow(handle.db, tooSoon.idempotencyKey)).toMatchObject({ status: 'blocked', blockedRule: 'common.message-gap', blockedUntil: gapEnds });
    expect((await activities({ now: gapEnds }).sendEmail(contactRequest(loan, 'email', 'reminder-firm'))).status).toBe('sent');
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(2);
  });

  it('classifies the message by its template: a final demand does not pass an open dispute, whatever the request calls it', async () => {
    const loan = await seedOverdueLoan(handle.db);
    await openDispute(handle.db, { idempotencyKey: `D-${loan.loanId}`, loanId: loan.loanId, caseId: loan.caseId, reason: 'not my debt', openedAt: NOW });
    const demand = { ...contactRequest(loan, 'email', 'final-demand'), kind: 'cease_permitted' as const };
    expect(await activities().sendEmail(demand)).toEqual({ status: 'blocked', rule: 'common.dispute' });
    // The validation notice is a disclosure the law requires (Reg F 1006.34): it may go out.
    expect((await activities().sendEmail(contactRequest(loan, 'email', 'validation-notice'))).status).toBe('sent');
    expect(messagesTo(loan.borrowerId.slice(5)).map((m) => m.subject)).toHaveLength(1);
  });

  it('fails, without sending, a borrower with no email address or an unknown template', async () => {
    const noAddress = await seedOverdueLoan(handle.db, { email: null });
    const r1 = contactRequest(noAddress, 'email');
    expect(await activities().sendEmail(r1)).toEqual({ status: 'failed' });
    expect((await attemptRow(handle.db, r1.idempotencyKey))!.error).toContain('email.no-address');

    const loan = await seedOverdueLoan(handle.db);
    const r2 = contactRequest(loan, 'email', 'reminder-angry');
    expect(await activities().sendEmail(r2)).toEqual({ status: 'failed' });
    expect((await attemptRow(handle.db, r2.idempotencyKey))!.error).toMatch(/template\.unknown.*reminder-angry/);
    expect(messagesTo(loan.borrowerId.slice(5))).toHaveLength(0);
  });

  it('refuses a request routed to the wrong channel activity as a non-retryable failure', async () => {
    const loan = await seedOverdueLoan(handle.db);
    const error = await activities().sendEmail(contactRequest(loan, 'sms')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  });
});
