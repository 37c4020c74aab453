// The compliance report re-checks recorded contacts against what was on record at their instant. Each
// test builds a small case directly in the shared database (unique ids) with the repository functions.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../db/client';
import {
  appendAudit,
  beginContactAttempt,
  closeCase,
  enqueueTask,
  markContactSent,
  openCase,
  openDispute,
  recordPayment,
  resolveDispute,
  setChannelOptOut,
  upsertBorrower,
  upsertLoan,
} from '../../db/repository';
import { borrowers, collectorTasks, type Channel } from '../../db/schema';
import { auditContacts } from '../../scripts/lib/compliance-audit';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createDatabase(inject('databaseUrl'), { max: 4 });
});
afterAll(async () => {
  await handle?.close();
});

const STRATEGY = { cn: 'cn-consumer', us: 'us-consumer' } as const;

/** A borrower, a loan with one instalment of 50_000 due 2025-03-01 (past due from 03-02) and an open case. */
async function givenCase(pack: keyof typeof STRATEGY, timeZone: string) {
  const loanId = `CR-${pack}-${randomBytes(4).toString('hex')}`;
  const borrowerId = `${loanId}-B`;
  await upsertBorrower(handle.db, {
    id: borrowerId,
    externalRef: `${borrowerId}-ext`,
    name: 'Test Borrower',
    email: `${borrowerId.toLowerCase()}@example.com`,
    phone: '+8613800000000',
    timeZone,
    locale: pack === 'cn' ? 'zh-CN' : 'en',
  });
  await upsertLoan(handle.db, {
    id: loanId,
    borrowerId,
    product: 'personal-12m',
    currency: pack === 'cn' ? 'CNY' : 'USD',
    principalMinor: 50_000,
    openedAt: new Date('2025-01-01T00:00:00Z'),
    installments: [{ seq: 1, dueDate: '2025-03-01', amountDueMinor: 50_000 }],
  });
  const { case: row } = await openCase(handle.db, {
    loanId,
    strategyId: STRATEGY[pack],
    strategyVersion: 1,
    openedAt: new Date('2025-03-05T00:00:00Z'),
  });
  return { loanId, borrowerId, caseId: row.id, currency: pack === 'cn' ? 'CNY' : 'USD' };
}

async function sent(c: { loanId: string; caseId: string }, channel: Channel, at: string, template = 'reminder-friendly') {
  const idempotencyKey = `${c.caseId}/${channel}/${at}`;
  await beginContactAttempt(handle.db, { idempotencyKey, caseId: c.caseId, loanId: c.loanId, channel, template, scheduledFor: new Date(at) });
  await markContactSent(handle.db, idempotencyKey, { sentAt: new Date(at), providerMessageId: 'test' });
}

/** A collector call task completed with `outcome` at `at` (completeTask stamps now(); the report needs the past). */
async function called(c: { loanId: string; caseId: string }, at: string, outcome: string) {
  const { task } = await enqueueTask(handle.db, { idempotencyKey: `${c.caseId}/call/${at}`, caseId: c.caseId, loanId: c.loanId, kind: 'call', collectorId: 'c-test' });
  await handle.db
    .update(collectorTasks)
    .set({ status: 'done', claimedBy: 'c-test', claimedAt: new Date(Date.parse(at) - 60_000), completedAt: new Date(at), outcome })
    .where(eq(collectorTasks.id, task.id));
}

const rules = (report: { violations: Array<{ rule: string; at: string; channel: string }> }) =>
  report.violations.map((v) => `${v.channel}@${v.at} ${v.rule}`);

describe('compliance report', () => {
  it('finds nothing in a case whose contacts all kept the rules', async () => {
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'email', '2025-03-10T15:00:00.000Z'); // 10:00 in New York
    await sent(c, 'sms', '2025-03-11T18:30:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(report).toEqual({ checked: 2, cases: 1, violations: [] });
  });

  it('flags a contact at 23:00 Shanghai time under the cn pack (quiet hours 22:00-08:00)', async () => {
    const c = await givenCase('cn', 'Asia/Shanghai');
    await sent(c, 'sms', '2025-03-10T02:00:00.000Z'); // 10:00 local: fine
    await sent(c, 'sms', '2025-03-10T15:00:00.000Z'); // 23:00 local
    const report = await auditContacts(handle.db, { caseId: c.caseId });
    expect(report.checked).toBe(2);
    expect(report.violations).toEqual([
      expect.objectContaining({
        caseId: c.caseId,
        loanId: c.loanId,
        channel: 'sms',
        at: '2025-03-10T15:00:00.000Z',
        rule: 'cn.quiet-hours',
        allowedFrom: '2025-03-11T00:00:00.000Z', // 08:00 local the next morning
      }),
    ]);
  });

  it('flags an email sent while a dispute was open, not before it or after it was resolved', async () => {
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'email', '2025-03-07T15:00:00.000Z');
    const { dispute } = await openDispute(handle.db, {
      idempotencyKey: `${c.caseId}/dispute`,
      loanId: c.loanId,
      caseId: c.caseId,
      reason: 'not my debt',
      openedAt: new Date('2025-03-08T12:00:00Z'),
    });
    await sent(c, 'email', '2025-03-10T15:00:00.000Z');
    await resolveDispute(handle.db, dispute.id, 'rejected', { resolvedAt: new Date('2025-03-12T12:00:00Z') });
    await sent(c, 'email', '2025-03-13T15:00:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['email@2025-03-10T15:00:00.000Z common.dispute']);
  });

  it('flags an SMS after the borrower opted out of SMS, but not an email the next day', async () => {
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'sms', '2025-03-08T15:00:00.000Z');
    await setChannelOptOut(handle.db, c.borrowerId, 'sms', new Date('2025-03-09T00:00:00Z'));
    await sent(c, 'sms', '2025-03-10T15:00:00.000Z');
    await sent(c, 'email', '2025-03-11T15:00:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['sms@2025-03-10T15:00:00.000Z common.opt-out']);
  });

  it('flags a final demand sent during a dispute, but not the validation notice', async () => {
    const c = await givenCase('us', 'America/New_York');
    await openDispute(handle.db, { idempotencyKey: `${c.caseId}/dispute`, loanId: c.loanId, caseId: c.caseId, reason: 'not my debt', openedAt: new Date('2025-03-06T12:00:00Z') });
    await sent(c, 'letter', '2025-03-07T15:00:00.000Z', 'validation-notice');
    await sent(c, 'letter', '2025-03-09T15:00:00.000Z', 'final-demand');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['letter@2025-03-09T15:00:00.000Z common.dispute']);
  });

  it('flags a message closer than the pinned strategy\'s gap to the previous one, and not a call', async () => {
    // us-consumer: minMessageGap PT20H.
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'email', '2025-03-06T14:00:00.000Z'); // 09:00 New York
    await called(c, '2025-03-06T15:00:00.000Z', 'no_answer');
    await sent(c, 'sms', '2025-03-06T23:00:00.000Z'); // 18:00 local, 9 h after the email
    await sent(c, 'email', '2025-03-08T20:00:00.000Z'); // 15:00 local two days later
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['sms@2025-03-06T23:00:00.000Z common.message-gap']);
    expect(report.violations[0]!.allowedFrom).toBe('2025-03-07T10:00:00.000Z');
  });

  it('flags an email sent after a payment cured the loan', async () => {
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'email', '2025-03-08T15:00:00.000Z');
    await recordPayment(handle.db, {
      paymentId: `${c.loanId}-P1`,
      loanId: c.loanId,
      amountMinor: 50_000,
      currency: c.currency,
      receivedAt: new Date('2025-03-09T12:00:00Z'),
    });
    await sent(c, 'email', '2025-03-10T15:00:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['email@2025-03-10T15:00:00.000Z common.nothing-due']);
    // --since leaves the earlier contacts out of the count, not out of the history.
    expect(await auditContacts(handle.db, { loanId: c.loanId, since: '2025-03-10' })).toMatchObject({ checked: 1, violations: [{ rule: 'common.nothing-due' }] });
  });

  it('flags contacts after a reported bankruptcy, not the ones before it', async () => {
    const c = await givenCase('us', 'America/New_York');
    await sent(c, 'email', '2025-03-08T15:00:00.000Z');
    // What POST …/collection-bar does: the flag on the borrower and a dated audit event.
    await handle.db.update(borrowers).set({ bankruptcy: true }).where(eq(borrowers.id, c.borrowerId));
    await appendAudit(handle.db, { actor: 'backend:test', action: 'borrower.barred', loanId: c.loanId, after: { kind: 'barred', reason: 'bankruptcy' }, at: new Date('2025-03-09T12:00:00Z') });
    await sent(c, 'email', '2025-03-10T15:00:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['email@2025-03-10T15:00:00.000Z common.bankruptcy']);
  });

  it('ends an operator pause with its case: a later case on the loan starts unpaused', async () => {
    const c = await givenCase('us', 'America/New_York');
    await appendAudit(handle.db, { actor: 'workflow:test', action: 'workflow.paused', caseId: c.caseId, loanId: c.loanId, after: { reason: 'review' }, at: new Date('2025-03-06T12:00:00Z') });
    await sent(c, 'email', '2025-03-07T15:00:00.000Z');
    await closeCase(handle.db, c.caseId, 'cured', { closedAt: new Date('2025-03-08T00:00:00Z') });
    const { case: next } = await openCase(handle.db, { loanId: c.loanId, strategyId: STRATEGY.us, strategyVersion: 1, openedAt: new Date('2025-03-09T00:00:00Z') });
    await sent({ loanId: c.loanId, caseId: next.id }, 'email', '2025-03-10T15:00:00.000Z');
    const report = await auditContacts(handle.db, { loanId: c.loanId });
    expect(rules(report)).toEqual(['email@2025-03-07T15:00:00.000Z common.paused']);
  });

  it('judges a message at its gate decision with messageInstant "decided": a dispute filed while it was with the provider is no violation', async () => {
    const c = await givenCase('us', 'America/New_York');
    const idempotencyKey = `${c.caseId}/email/in-flight`;
    await beginContactAttempt(handle.db, { idempotencyKey, caseId: c.caseId, loanId: c.loanId, channel: 'email', template: 'reminder-friendly', scheduledFor: new Date('2025-03-10T15:00:00.000Z') });
    await openDispute(handle.db, { idempotencyKey: `${c.caseId}/dispute`, loanId: c.loanId, caseId: c.caseId, reason: 'not my debt', openedAt: new Date('2025-03-10T15:00:00.500Z') });
    await markContactSent(handle.db, idempotencyKey, { sentAt: new Date('2025-03-10T15:00:01.000Z'), providerMessageId: 'test' });
    expect(rules(await auditContacts(handle.db, { loanId: c.loanId }))).toEqual(['email@2025-03-10T15:00:01.000Z common.dispute']);
    expect(rules(await auditContacts(handle.db, { loanId: c.loanId, messageInstant: 'decided' }))).toEqual([]);
  });

  it('with messageInstant "decided", counts a payment from when the ledger recorded it, not from its received date', async () => {
    const c = await givenCase('us', 'America/New_York');
    // Received on 03-09 but reported (recorded) only now: a message on 03-10 could not have known.
    await recordPayment(handle.db, { paymentId: `${c.loanId}-P1`, loanId: c.loanId, amountMinor: 50_000, currency: c.currency, receivedAt: new Date('2025-03-09T12:00:00Z') });
    await sent(c, 'email', '2025-03-10T15:00:00.000Z');
    expect(rules(await auditContacts(handle.db, { loanId: c.loanId }))).toEqual(['email@2025-03-10T15:00:00.000Z common.nothing-due']);
    expect(rules(await auditContacts(handle.db, { loanId: c.loanId, messageInstant: 'decided' }))).toEqual([]);
  });

  it('counts completed collector calls: a 4th connected call in a day and an email after a dispute raised on a call', async () => {
    const c = await givenCase('cn', 'Asia/Shanghai');
    for (const hour of ['02', '03', '04', '05']) await called(c, `2025-03-10T${hour}:00:00.000Z`, 'right_party_contact');
    // The workflow audits the outcome a moment before the collector's task is marked done.
    await appendAudit(handle.db, {
      actor: 'workflow:test',
      action: 'workflow.call_outcome',
      caseId: c.caseId,
      loanId: c.loanId,
      after: { outcome: 'dispute_raised', collectorId: 'c-test' },
      at: new Date('2025-03-11T02:59:59.000Z'),
    });
    await called(c, '2025-03-11T03:00:00.000Z', 'dispute_raised');
    await sent(c, 'email', '2025-03-11T04:00:00.000Z');
    const report = await auditContacts(handle.db, { caseId: c.caseId });
    expect(report.checked).toBe(6);
    expect(rules(report)).toEqual(['call@2025-03-10T05:00:00.000Z cn.connected-calls', 'email@2025-03-11T04:00:00.000Z common.dispute']);
  });

  it('runs as a command: --loan --json prints the violations and exits 1', async () => {
    const c = await givenCase('cn', 'Asia/Shanghai');
    await sent(c, 'email', '2025-03-10T15:00:00.000Z');
    const run = promisify(execFile);
    const result = await run('npx', ['tsx', 'scripts/compliance-report.ts', '--loan', c.loanId, '--json'], {
      cwd: repo,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl') },
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      checked: 1,
      cases: 1,
      violations: [expect.objectContaining({ loanId: c.loanId, caseId: c.caseId, channel: 'email', rule: 'cn.quiet-hours' })],
    });
  });
});
