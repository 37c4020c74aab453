// Contract 5 (#19): a workflow's audit events ride on the activity that effects them instead of an
// activity each. The trail must still show every step, once, even when that activity is retried.
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as m from '../../../contracts/messages';
import { auditEvents, contactAttempts } from '../../../db/schema';
import { saveStrategy } from '../../../db/repository/strategies';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
const fastTest = findDefaultStrategy('fast-test')!;
const STRATEGY = 'fast-test-two-passed-reminders';

beforeAll(async () => {
  h = await startHarness('audit-folding');
  // Both reminders fall before the case opens (a loan 3 days past due, steps counted from the due date):
  // the first is recorded as skipped, the second sent, and the skip's audit event rides on the SMS.
  const reminder = {
    kind: 'reminder',
    steps: [
      { after: 'PT0S', from: 'dueDate', channel: 'email', template: 'reminder-friendly' },
      { after: 'PT1S', from: 'dueDate', channel: 'sms', template: 'reminder-firm' },
    ],
    waitAfterLast: 'PT60S',
  };
  await saveStrategy(h.db, { id: STRATEGY, version: 1, document: { ...fastTest, id: STRATEGY, version: 1, paths: { ...fastTest.paths, 'full-ladder': [reminder] } } });
});
afterAll(async () => {
  await h?.close();
});

describe('audit events carried by activities (contract 5)', () => {
  it('writes an audit event carried by a retried send once, and the lender close with the case close', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    // The SMS provider is down for the first attempt: the send is retried by Temporal.
    h.sms.failNext(503);
    const handle = await h.startCollection(loan.loanId, { strategyId: STRATEGY });

    // Wait for the real event: the reminder the retry sent.
    await waitForState(
      () => h.db.select().from(contactAttempts).where(and(eq(contactAttempts.loanId, loan.loanId), eq(contactAttempts.status, 'sent'))),
      (rows) => rows.length > 0,
      { what: 'the reminder the retry sent' },
    );
    await handle.signal(m.closedByLender, { outcome: 'cancelled', reason: 'test' });
    expect((await handle.result()).outcome).toBe('cancelled');

    const history = await handle.fetchHistory();
    const scheduled = (name: string) => (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    // The send was attempted twice; no activity of its own wrote the skip or the lender's close.
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a): a is number => a !== undefined && a !== null);
    expect(Math.max(...attempts)).toBe(2);
    expect(scheduled('sendSms')).toHaveLength(1);
    expect(scheduled('recordTransition')).toHaveLength(0);
    expect(scheduled('recordAudits')).toHaveLength(0);

    const trail = await h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), like(auditEvents.action, 'workflow.%')));
    const skipped = trail.filter((e) => e.action === 'workflow.reminder_skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.after).toMatchObject({ step: 1, channel: 'email', template: 'reminder-friendly', supersededBy: 2 });
    expect(skipped[0]!.idempotencyKey).toMatch(new RegExp(`^${m.workflowIdForLoan(loan.loanId)}/.+/audit-1$`));
    expect(skipped[0]!.actor).toBe(`workflow:${m.workflowIdForLoan(loan.loanId)}`);
    const closed = trail.filter((e) => e.action === 'workflow.case_closed_by_lender');
    expect(closed).toHaveLength(1);
    expect(closed[0]!.after).toEqual({ outcome: 'cancelled', reason: 'test' });
    // The skip is on record before the message it led to was sent.
    const [sent] = await h.db.select().from(contactAttempts).where(and(eq(contactAttempts.loanId, loan.loanId), eq(contactAttempts.status, 'sent')));
    expect(skipped[0]!.at.getTime()).toBeLessThanOrEqual(sent!.sentAt!.getTime());
  });

  it('writes each event once when the activity that carries it runs again with the same input', async () => {
    // What a retry after a lost response does: the same input, audit events included, a second time.
    const { createCaseActivities } = await import('../../../activities/case');
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: STRATEGY });
    const { caseId } = (await waitForState(() => handle.query(m.getState), (state) => 'caseId' in state && !!state.caseId, { what: 'the case to open' })) as { caseId: string };
    await handle.signal(m.closedByLender, { outcome: 'cancelled', reason: 'test' });
    await handle.result();
    const activities = createCaseActivities({ db: h.db, loadStrategy: async () => fastTest, queues: { email: 'e', sms: 's', letter: 'l' } });
    const audits = [{ key: `${caseId}/test-audit-1`, action: 'test_step', detail: { n: 1 } }];
    await activities.recordBlockedContact({ idempotencyKey: `${caseId}/blocked`, caseId, loanId: loan.loanId, channel: 'sms', template: 'reminder-firm', rule: 'common.cease', audits });
    await activities.recordBlockedContact({ idempotencyKey: `${caseId}/blocked`, caseId, loanId: loan.loanId, channel: 'sms', template: 'reminder-firm', rule: 'common.cease', audits });
    const rows = await h.db.select().from(auditEvents).where(and(eq(auditEvents.caseId, caseId), eq(auditEvents.action, 'workflow.test_step')));
    expect(rows).toHaveLength(1);
  });
});
