// Issue #18: what Prometheus would scrape. A real worker process (worker/main.ts) serves /metrics with
// Overdue's counters and the Temporal SDK's own metrics; the API serves /metrics with its request
// metrics. After a small run the counters have moved.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApi } from '../../../api/server';
import { recordPaymentAndSignal } from '../../../client/collection';
import { workflowIdForLoan, type CollectionResult } from '../../../contracts/messages';
import { createDatabase, type DatabaseHandle } from '../../../db/client';
import { collection } from '../../../workflows/collection';
import { seedOverdueLoan } from '../../support/loans';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink';
import { startWebhookSink, type WebhookSink } from '../../support/webhook-sink';
import { spawnWorker, until, untilServing, type WorkerProcess } from '../../support/worker-process';


/** The value of one sample (`name{labels}`), summed over series whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) total += Number(match[3]);
  }
  return total;
}

describe('metrics', () => {
  const suffix = randomUUID().slice(0, 8);
  const queues = { TASK_QUEUE: `metrics-${suffix}`, EMAIL_TASK_QUEUE: `metrics-email-${suffix}`, SMS_TASK_QUEUE: `metrics-sms-${suffix}`, LETTER_TASK_QUEUE: `metrics-letter-${suffix}` };
  let database: DatabaseHandle;
  let smtp: SmtpSink;
  let sms: WebhookSink;
  let connection: Connection;
  let client: Client;
  let worker: WorkerProcess;
  let metricsUrl: string;
  const scrape = () => fetch(metricsUrl).then((r) => r.text());

  beforeAll(async () => {
    [smtp, sms] = await Promise.all([startSmtpSink(), startWebhookSink()]);
    database = await createDatabase(inject('databaseUrl'), { max: 3 });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    worker = await spawnWorker({
      ...queues,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      SMTP_URL: smtp.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: 'metrics-secret',
      DEFAULT_STRATEGY: 'fast-test',
    });
    metricsUrl = worker.metricsUrl;
    await untilServing(worker);
  }, 120_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exited;
    }
    await Promise.all([smtp?.close(), sms?.close(), connection?.close(), database?.close()]);
  });

  it("a worker's /metrics counts contacts, shows open cases by stage and the SDK's metrics; the API's times payment-to-close", async () => {
    const before = await scrape();
    // The payment is recorded in this process, as the API records it; the API here serves this process's metrics.
    const api = buildApi({ db: database.db, client, taskQueue: queues.TASK_QUEUE });
    const scrapeApi = async () => (await api.inject({ method: 'GET', url: '/metrics' })).body;
    const cures = (text: string) => sample(text, 'overdue_payment_to_close_seconds_count', { outcome: 'cured' });
    const apiBefore = await scrapeApi();
    const loanId = `metrics-${suffix}-1`;
    await seedOverdueLoan(database.db, loanId);
    const handle = await client.workflow.start(collection, { taskQueue: queues.TASK_QUEUE, workflowId: workflowIdForLoan(loanId), args: [{ loanId }] });

    // The first reminder (an SMS) goes out; while the case is open it counts under its stage.
    const sentBefore = sample(before, 'overdue_contacts_total', { channel: 'sms', result: 'sent' });
    let during = before;
    await until('an SMS counted', async () => sample((during = await scrape()), 'overdue_contacts_total', { channel: 'sms', result: 'sent' }) > sentBefore, { timeoutMs: 60_000, context: worker.output });
    expect(sample(during, 'overdue_open_cases')).toBeGreaterThanOrEqual(1);
    expect(during).toMatch(/^overdue_open_cases\{stage="reminder"\} \d+/m);

    // Paid in full: the payment closes the case as cured in its own transaction (contract 7), timed there,
    // once: the worker, whose workflow runs no close of its own, times nothing.
    await recordPaymentAndSignal({ db: database.db, client }, { paymentId: `pay-${suffix}`, loanId, amountMinor: 50_000, currency: 'CNY', receivedAt: new Date() });
    expect(((await handle.result()) as CollectionResult).outcome).toBe('cured');
    const after = await scrape();
    expect(cures(await scrapeApi())).toBe(cures(apiBefore) + 1);
    await api.close();
    expect(cures(after)).toBe(cures(before));
    // The Temporal SDK's own metrics, from telemetryOptions.metrics.prometheus, on the same endpoint.
    expect(sample(after, 'temporal_workflow_completed', { task_queue: queues.TASK_QUEUE })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'temporal_activity_execution_latency_count', { task_queue: queues.SMS_TASK_QUEUE })).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("the API's /metrics counts its requests by route and status", async () => {
    const api = buildApi({ db: database.db, client, taskQueue: queues.TASK_QUEUE });
    try {
      const count = (text: string) => sample(text, 'http_request_duration_seconds_count', { route: '/openapi.json', status_code: '200' });
      const before = count((await api.inject({ method: 'GET', url: '/metrics' })).body);
      expect((await api.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
      const response = await api.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(count(response.body)).toBe(before + 1);
      expect(response.body).toContain('overdue_contacts_total');
    } finally {
      await api.close();
    }
  });
});
