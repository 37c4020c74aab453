// Issue #18: two worker processes (worker/main.ts, as `npm run cluster` runs them) share the task
// queues; one is SIGKILLed while loans are mid-ladder and the other finishes every run, with no contact
// lost and none sent twice. It needs the production-shaped cluster: run it with TEMPORAL_ADDRESS set to
// `npm run cluster`'s frontend (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233 npx vitest run <this file>);
// without TEMPORAL_ADDRESS it is skipped, which its name says.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { messageIdFor } from '../../../channels/email';
import { workflowIdForLoan, type CollectionResult } from '../../../contracts/messages';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { contactAttempts } from '../../../db/schema';
import { collection } from '../../../workflows/collection';
import { seedOverdueLoan } from '../../support/loans';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink';
import { startWebhookSink, type WebhookSink } from '../../support/webhook-sink';
import { spawnWorker, until, untilServing, type WorkerProcess } from '../../support/worker-process';

const clusterAddress = process.env.TEMPORAL_ADDRESS;
const LOANS = 10;


describe.skipIf(!clusterAddress)('on a cluster given by TEMPORAL_ADDRESS (skipped without it): two workers, one killed', () => {
  const suffix = randomUUID().slice(0, 8);
  const queues = { TASK_QUEUE: `failover-${suffix}`, EMAIL_TASK_QUEUE: `failover-email-${suffix}`, SMS_TASK_QUEUE: `failover-sms-${suffix}`, LETTER_TASK_QUEUE: `failover-letter-${suffix}` };
  let database: DatabaseHandle;
  let smtp: SmtpSink;
  let sms: WebhookSink;
  let connection: Connection;
  let client: Client;
  const workers: WorkerProcess[] = [];

  async function startWorker(name: string): Promise<WorkerProcess> {
    const worker = await spawnWorker({
      ...queues,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      SMTP_URL: smtp.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: 'failover-secret',
      DEFAULT_STRATEGY: 'fast-test',
      OVERDUE_PROCESS: name,
    });
    workers.push(worker);
    return worker;
  }



  beforeAll(async () => {
    [smtp, sms] = await Promise.all([startSmtpSink(), startWebhookSink()]);
    database = await createDatabase(inject('databaseUrl'), { max: 3 });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    const pair = await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
    await Promise.all(pair.map((w) => untilServing(w)));
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => (w.child.exitCode !== null || w.child.signalCode !== null ? undefined : new Promise((r) => w.child.once('exit', r)))));
    await Promise.all([smtp?.close(), sms?.close(), connection?.close(), database?.close()]);
  });

  it('the surviving worker finishes every loan, nothing lost and nothing sent twice', async () => {
    const loanIds = Array.from({ length: LOANS }, (_, i) => `failover-${suffix}-${i + 1}`);
    for (const loanId of loanIds) await seedOverdueLoan(database.db, loanId);
    // 5 days past due: fast-test's full ladder (SMS, email, calls nobody answers, negotiation, final
    // demand, legal hand-off), about 15 seconds of timers and three messages per loan.
    const handles = await Promise.all(
      loanIds.map((loanId) => client.workflow.start(collection, { taskQueue: queues.TASK_QUEUE, workflowId: workflowIdForLoan(loanId), args: [{ loanId }] })),
    );

    // Mid-run: some first reminders are out, no loan has finished.
    await until('half the first reminders sent', () => sms.calls.length >= LOANS / 2, { timeoutMs: 60_000, context: () => `${sms.calls.length} SMS` });
    const [victim, survivor] = workers as [WorkerProcess, WorkerProcess];
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    const messagesAtKill = smtp.messages.length + sms.calls.length;
    const describes = await Promise.all(handles.map((h) => h.describe()));
    expect(describes.filter((d) => d.status.name === 'RUNNING').length, 'loans still running when the worker died').toBeGreaterThan(0);

    const results = (await Promise.all(handles.map((h) => h.result()))) as CollectionResult[];
    expect(results.map((r) => r.outcome)).toEqual(loanIds.map(() => 'handed_to_legal'));
    expect(survivor.child.exitCode, survivor.output()).toBeNull();
    expect(smtp.messages.length + sms.calls.length, 'messages sent after the kill (by the survivor)').toBeGreaterThan(messagesAtKill);

    // Nothing lost: every send a workflow scheduled has its contact record, settled (none failed or
    // left half-way), and every loan got its final demand. A send the killed worker had claimed but not
    // confirmed is `presumed_sent` (activities/channels.ts: it may have left, so it is never resent). A
    // reminder step whose time passed while its run waited for the survivor is skipped by the workflow's
    // own no-burst rule, so the count of messages is what the histories scheduled, not a fixed number.
    const rows = await database.db.select().from(contactAttempts).where(inArray(contactAttempts.loanId, loanIds));
    expect(rows.filter((r) => r.status !== 'sent' && r.status !== 'presumed_sent').map((r) => `${r.idempotencyKey}:${r.status}`)).toEqual([]);
    const sends = new Set(['sendEmail', 'sendSms', 'sendLetter']);
    for (const [i, handle] of handles.entries()) {
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? []).filter((e) => sends.has(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '')).length;
      const loanRows = rows.filter((r) => r.loanId === loanIds[i]);
      expect({ loan: loanIds[i], records: loanRows.length, finalDemand: loanRows.some((r) => r.template === 'final-demand') }).toEqual({ loan: loanIds[i], records: scheduled, finalDemand: true });
    }
    // Nothing twice: each message reached its sink at most once; every one recorded as sent did, and
    // the sinks hold nothing without a record.
    const delivered = [...smtp.messages.map((m) => m.messageId ?? ''), ...sms.calls.map((c) => (c.body as { id: string }).id)];
    expect(delivered.length, 'a message delivered twice').toBe(new Set(delivered).size);
    const address = (r: (typeof rows)[number]) => (r.channel === 'email' ? messageIdFor(r.idempotencyKey) : r.idempotencyKey);
    const recorded = new Set(rows.map(address));
    expect(delivered.filter((id) => !recorded.has(id)), 'delivered without a contact record').toEqual([]);
    const deliveredSet = new Set(delivered);
    expect(rows.filter((r) => r.status === 'sent' && !deliveredSet.has(address(r))).map((r) => r.idempotencyKey), 'recorded as sent, never delivered').toEqual([]);
  }, 300_000);
});
