// No bursts (issue #12): a case that opens late, or a pause that ends after several reminder times have
// passed, sends only the latest passed reminder and records the others as skipped. Real Temporal server,
// PostgreSQL, SMTP sink and SMS webhook. The strategies are the shipped ones on the sandbox rule pack,
// so the borrower's contact window cannot be what holds a message back.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStrategy } from '../../../db/repository/strategies';
import { auditEvents, contactAttempts } from '../../../db/schema';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import type { ReminderStage, Strategy } from '../../../domain/strategy/types';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;

/** A shipped strategy under another id on the sandbox pack: the same steps, no contact window. */
function daytime(id: 'us-consumer' | 'cn-consumer'): Strategy {
  return { ...findDefaultStrategy(id)!, id: `${id}-daytime`, version: 1, rulePack: 'sandbox' };
}

/** fast-test's ladder with three reminders a second apart, counted from the stage's start. */
function threeReminders(): Strategy {
  const fast = findDefaultStrategy('fast-test')!;
  const ladder = structuredClone(fast.paths['full-ladder']!);
  (ladder[0] as ReminderStage).steps = [
    { after: 'PT1S', from: 'stageEntry', channel: 'sms', template: 'reminder-friendly' },
    { after: 'PT2S', from: 'stageEntry', channel: 'sms', template: 'reminder-firm' },
    { after: 'PT3S', from: 'stageEntry', channel: 'email', template: 'reminder-firm' },
  ];
  return { ...fast, id: 'fast-test-three-reminders', version: 1, paths: { ...fast.paths, 'full-ladder': ladder } };
}

/** fast-test with messages at least 2.5 s apart, more than the 1 s between its reminders. */
function gapped(): Strategy {
  return { ...findDefaultStrategy('fast-test')!, id: 'fast-test-gapped', version: 1, minMessageGap: 'PT2.5S' };
}

beforeAll(async () => {
  h = await startHarness('bursts');
  for (const doc of [daytime('us-consumer'), daytime('cn-consumer'), threeReminders(), gapped()]) {
    await saveStrategy(h.db, { id: doc.id, version: doc.version, document: doc });
  }
});
afterAll(async () => {
  await h?.close();
});

const contacts = (loanId: string) =>
  h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loanId)).orderBy(asc(contactAttempts.createdAt));

const skipped = (loanId: string) =>
  h.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.loanId, loanId), eq(auditEvents.action, 'workflow.reminder_skipped')))
    .orderBy(asc(auditEvents.id));

/** Messages that reached the SMTP sink or the SMS webhook for this loan's borrower. */
function delivered(loan: { loanId: string; borrowerId: string }): number {
  const mails = h.smtp.messages.filter((mail) => (Array.isArray(mail.to) ? mail.to : [mail.to]).some((to) => to?.text.includes(loan.borrowerId)));
  const sms = h.sms.calls.filter((call) => call.idempotencyKey.includes(loan.loanId));
  return mails.length + sms.length;
}

describe('late and resumed cases do not burst', () => {
  it.each([
    ['us-consumer', { currency: 'USD', timeZone: 'America/New_York', locale: 'en' }],
    ['cn-consumer', { currency: 'CNY', timeZone: 'Asia/Shanghai', locale: 'zh-CN' }],
  ] as const)('a loan 12 days past due under %s gets the latest passed reminder only', async (id, borrower) => {
    const strategy = daytime(id);
    const loan = await h.seedLoan({ dpd: 12, ...borrower });
    const handle = await h.startCollection(loan.loanId, { strategyId: strategy.id });
    // Every step of the path counts from the due date and lies at most 10 days after it: all have passed.
    const s = await waitForState(() => handle.query(m.getState), (s) => s.waitingFor === 'payment after the last reminder', {
      what: 'the wait after the last reminder',
    });
    const steps = (strategy.paths[s.strategy!.pathId]![0] as ReminderStage).steps;
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.every((step) => step.from === 'dueDate')).toBe(true);
    const last = steps[steps.length - 1]!;

    const sent = await contacts(loan.loanId);
    expect(sent.map((r) => [r.status, r.channel, r.template])).toEqual([['sent', last.channel, last.template]]);
    expect(s.contacts.sent).toBe(1);
    expect(delivered(loan)).toBe(1);
    // The skipped steps are in the audit trail, each with its step and what superseded it.
    const audit = await skipped(loan.loanId);
    expect(audit.map((e) => e.after)).toEqual(
      steps.slice(0, -1).map((step, i) => expect.objectContaining({ step: i + 1, channel: step.channel, template: step.template, supersededBy: steps.length })),
    );
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    expect((await handle.result()).outcome).toBe('cancelled');
  });

  it('sends only the latest reminder whose time passed during a pause, once the pause ends', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startWithSignal(loan.loanId, m.pauseRequested, [{ reason: 'complaint review', operator: 'op-1' }], {
      strategyId: 'fast-test-three-reminders',
    });
    await waitForState(() => handle.query(m.getState), (s) => (s.waitingFor ?? '').startsWith('end of pause (paused)'), { what: 'the operator pause' });
    // The three reminder times (1, 2 and 3 s after the stage began) pass while the case is paused.
    const startedAt = (await handle.describe()).startTime.getTime();
    await waitForState(async () => Date.now(), (now) => now > startedAt + 3_500, { what: 'the third reminder time' });
    expect(await contacts(loan.loanId)).toHaveLength(0);

    await handle.signal(m.resumeRequested, { operator: 'op-1' });
    const sent = await waitForState(() => contacts(loan.loanId), (rows) => rows.length > 0, { what: 'a reminder after the pause' });
    await waitForState(() => handle.query(m.getState), (s) => s.waitingFor === 'payment after the last reminder', { what: 'the wait after the last reminder' });
    expect(sent.map((r) => r.template)).toEqual(['reminder-firm']);
    expect((await contacts(loan.loanId)).map((r) => [r.status, r.channel, r.template])).toEqual([['sent', 'email', 'reminder-firm']]);
    expect(delivered(loan)).toBe(1);
    expect((await skipped(loan.loanId)).map((e) => (e.after as { step: number }).step)).toEqual([1, 2]);
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    expect((await handle.result()).outcome).toBe('cancelled');
  });

  it('holds the next reminder until the strategy\'s gap after the last message has passed, and says why', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-gapped' });
    const rows = await waitForState(() => contacts(loan.loanId), (rows) => rows.filter((r) => r.status === 'sent').length >= 2, { what: 'two reminders' });
    const [first, second] = rows;
    expect(second!.sentAt!.getTime() - first!.sentAt!.getTime()).toBeGreaterThanOrEqual(2_500);
    const deferred = await h.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'workflow.contact_deferred')));
    expect(deferred.map((e) => e.after)).toContainEqual(expect.objectContaining({ rule: 'common.message-gap', channel: 'email' }));
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    expect((await handle.result()).outcome).toBe('cancelled');
  });
});
