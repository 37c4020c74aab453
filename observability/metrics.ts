// Overdue's application metrics (prom-client), served with the Temporal SDK's own metrics at /metrics on
// each worker and, with the HTTP request metrics, on the API. Counters count what the activities
// returned: a contact sent or blocked (by rule), sweeps' loans started or skipped; the open cases per
// stage are read from the database at scrape time; payment-to-close is the time from the loan's last
// payment to the close of its case, observed once, by whoever closed it: the payment's own transaction
// (client/collection.ts, so on the API's /metrics: a cure or repayment while the case is open), or the
// close activity (the worker's /metrics: a close no payment made, such as a legal outcome `paid` or a case
// opened on a loan already cured). Labels carry channels, rules and stages, never ids.
import { createServer, type Server } from 'node:http';
import client, { Counter, Gauge, Histogram, register } from 'prom-client';
import type { CaseActivities, ChannelActivities, ContactResult, SweepActivities } from '../contracts/activities';
import type { Database } from '../db/client';
import { countOpenCasesByStage, latestPaymentAt } from '../db/repository/metrics';
import { logger } from './logger';

/** The process-wide registry: application metrics, Node's default metrics. */
export const registry = register;

let defaultsCollected = false;
if (!defaultsCollected) {
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: registry });
}

let stageDb: Database | undefined;

export const casesByStage = new Gauge({
  name: 'overdue_open_cases',
  help: 'Open collection cases by stage (read from the database when scraped)',
  labelNames: ['stage'],
  registers: [registry],
  async collect() {
    if (!stageDb) return;
    this.reset();
    try {
      for (const { stage, count } of await countOpenCasesByStage(stageDb)) this.set({ stage }, count);
    } catch (error) {
      logger.warn({ err: error }, 'metrics: could not count open cases by stage');
    }
  },
});

export const contacts = new Counter({
  name: 'overdue_contacts_total',
  help: 'Contacts by channel and result (sent, presumed_sent, blocked, failed); blocked ones by rule',
  labelNames: ['channel', 'result', 'rule'],
  registers: [registry],
});

export const sweepLoans = new Counter({
  name: 'overdue_sweep_loans_total',
  help: 'Loans the daily sweep found, by result: started, skipped (lifecycle rule), already_running, failed',
  labelNames: ['result'],
  registers: [registry],
});

export const sweepRuns = new Counter({
  name: 'overdue_sweep_runs_total',
  help: 'Daily sweep runs finished',
  registers: [registry],
});

export const paymentToClose = new Histogram({
  name: 'overdue_payment_to_close_seconds',
  help: "Time from a loan's last payment to the closing of its case, by outcome",
  labelNames: ['outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  registers: [registry],
});

/** Payment-to-close for a close made at `closedAt` (default now), the payment received at `paidAt`. */
export function observePaymentToClose(outcome: 'cured' | 'paid', paidAt: Date, closedAt: Date = new Date()): void {
  paymentToClose.observe({ outcome }, Math.max(0, (closedAt.getTime() - paidAt.getTime()) / 1000));
}

/** Lets the open-cases gauge read this database when scraped. */
export function observeCases(db: Database): void {
  stageDb = db;
}

function countContact(channel: string, result: ContactResult): ContactResult {
  contacts.inc({ channel, result: result.status, rule: result.status === 'blocked' ? (result.rule ?? 'unknown') : '' });
  return result;
}

/** The same activities, counting each contact's result. */
export function instrumentChannelActivities(activities: ChannelActivities): ChannelActivities {
  return {
    ...activities,
    sendEmail: async (request) => countContact('email', await activities.sendEmail(request)),
    sendSms: async (request) => countContact('sms', await activities.sendSms(request)),
    sendLetter: async (request) => countContact('letter', await activities.sendLetter(request)),
  };
}

/** The same activities, counting contacts the workflow's rules refused and timing payment-to-close. */
export function instrumentCaseActivities(activities: CaseActivities, db: Database): CaseActivities {
  const observeClose = async (loanId: string, outcome: 'cured' | 'paid') => {
    const paidAt = await latestPaymentAt(db, loanId).catch(() => undefined);
    if (paidAt) observePaymentToClose(outcome, paidAt);
  };
  return {
    ...activities,
    async recordBlockedContact(input) {
      await activities.recordBlockedContact(input);
      contacts.inc({ channel: input.channel, result: 'blocked', rule: input.rule });
    },
    // A close the payment made first (alreadyClosed) was observed there: once per close.
    async closeCaseIfSettled(input) {
      const result = await activities.closeCaseIfSettled(input);
      if (result.closedAs && !result.alreadyClosed) await observeClose(input.loanId, result.closedAs);
      return result;
    },
    // Runs opened on contracts 5 and 6 take a payment's position from its signal and close a settled case
    // at the end of the run, here (older ones in closeCaseIfSettled); since contract 7 the payment closes
    // it, and this sees it already closed.
    async closeCase(input) {
      const result = await activities.closeCase(input);
      if (!result.alreadyClosed && (input.outcome === 'cured' || input.outcome === 'paid')) await observeClose(input.loanId, input.outcome);
      return result;
    },
  };
}

export function instrumentSweepActivities(activities: SweepActivities): SweepActivities {
  return {
    async runDailySweep(input) {
      const summary = await activities.runDailySweep(input);
      sweepRuns.inc();
      sweepLoans.inc({ result: 'started' }, summary.started);
      sweepLoans.inc({ result: 'skipped' }, summary.skipped);
      sweepLoans.inc({ result: 'already_running' }, summary.alreadyRunning);
      sweepLoans.inc({ result: 'failed' }, summary.failed);
      return summary;
    },
  };
}

/** Application metrics, then (when given) the Temporal SDK's Prometheus endpoint of this process. */
export async function metricsText(sdkMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!sdkMetricsUrl) return own;
  try {
    const response = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2_000) });
    return `${own}\n${await response.text()}`;
  } catch (error) {
    logger.warn({ err: error }, 'metrics: the Temporal SDK endpoint did not answer');
    return own;
  }
}

/** The worker's /metrics: an HTTP server of its own on host:port. */
export async function startMetricsServer(options: { host: string; port: number; sdkMetricsUrl?: string }): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metricsText(options.sdkMetricsUrl).then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
