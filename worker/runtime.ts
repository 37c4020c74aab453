// Wires Overdue's parts from the configuration: the database (migrated), the channel adapters and the
// activities. Shared by `npm start` (everything in one process) and `npm run worker`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { createCaseActivities } from '../activities/case';
import { createSweepActivities } from '../activities/sweep';
import { createChannelActivities } from '../activities/channels';
import type { CaseActivities, ChannelActivities } from '../contracts/activities';
import { createSmtpMailer, messageIdFor, type EmailSender } from '../channels/email';
import { createLegalNotifierFromEnv } from '../channels/legal';
import { createSmsProviderFromEnv } from '../channels/sms';
import type { DatabaseHandle } from '../db/client';
import { getLoanPosition } from '../db/repository/ledger';
import { logger } from '../observability/logger';
import { instrumentCaseActivities, instrumentChannelActivities, instrumentSweepActivities, observeCases } from '../observability/metrics';
import type { Config } from './config';
import { openDatabase, StartupError } from './startup';
import { createStrategyLoader } from './strategies';
import { createWorkers, type WorkerSet } from './workers';

export interface Runtime {
  database: DatabaseHandle;
  caseActivities: CaseActivities;
  channelActivities: ChannelActivities;
  close(): Promise<void>;
}

/** Without SMTP_URL nothing leaves the machine: each message becomes an .eml file to look at. */
export function createOutboxMailer(dir: string, from: string): EmailSender {
  mkdirSync(dir, { recursive: true });
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const messageId = messageIdFor(message.idempotencyKey);
      const info = await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html, messageId });
      const file = join(dir, `${messageId.replace(/[<>@]/g, '_')}.eml`);
      writeFileSync(file, info.message as Buffer);
      return { providerMessageId: messageId };
    },
  };
}

export async function openRuntime(config: Config, log: (line: string) => void = (line) => logger.info(line)): Promise<Runtime> {
  const database = await openDatabase(config);
  log(`Database: ${database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${join(config.dataDir, 'pglite')}`}, migrated`);
  const db = database.db;

  const mailer = config.smtpUrl ? createSmtpMailer(config.smtpUrl, { from: config.smtpFrom }) : createOutboxMailer(join(config.dataDir, 'outbox'), config.smtpFrom);
  if (!config.smtpUrl) log(`Email: SMTP_URL unset, messages are written to ${join(config.dataDir, 'outbox')}/*.eml`);
  const legal = createLegalNotifierFromEnv(config.smtpUrl ? mailer : undefined);

  const caseActivities = createCaseActivities({
    db,
    loadStrategy: createStrategyLoader(db, config.defaultStrategyId),
    queues: { email: config.queues.email, sms: config.queues.sms, letter: config.queues.letter },
    async notifyLegalTeam({ idempotencyKey, legalCaseId, caseId, loanId }) {
      const position = await getLoanPosition(db, loanId);
      await legal.notifyHandOff({
        idempotencyKey,
        legalCaseId,
        caseId,
        loanId,
        currency: position.currency,
        pastDueMinor: position.pastDueMinor,
        outstandingMinor: position.outstandingMinor,
        dpd: position.dpd,
        handedOverAt: new Date().toISOString(),
      });
    },
  });
  const channelActivities = createChannelActivities({ db, mailer, sms: createSmsProviderFromEnv() });
  observeCases(db);
  return {
    database,
    caseActivities: instrumentCaseActivities(caseActivities, db),
    channelActivities: instrumentChannelActivities(channelActivities),
    async close() {
      mailer.close?.();
      await database.close();
    },
  };
}

/** The configured worker set for a runtime: every queue, its rate limit, and the sweep activity. */
export function createConfiguredWorkers(config: Config, runtime: Runtime, temporal: { connection: NativeConnection; client: Client; namespace: string }): Promise<WorkerSet> {
  if (config.workflowBundle && !existsSync(config.workflowBundle)) {
    throw new StartupError(`WORKFLOW_BUNDLE=${config.workflowBundle} does not exist: build it with 'npm run bundle -- ${config.workflowBundle}', or unset it to bundle at start-up`);
  }
  return createWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    queues: config.queues,
    emailPerSecond: config.emailPerSecond,
    smsPerSecond: config.smsPerSecond,
    maxCachedWorkflows: config.maxCachedWorkflows,
    ...(config.workflowBundle ? { bundle: { codePath: config.workflowBundle } } : {}),
    caseActivities: runtime.caseActivities,
    channelActivities: runtime.channelActivities,
    sweepActivities: instrumentSweepActivities(createSweepActivities({ db: runtime.database.db, client: temporal.client, taskQueue: config.queues.collections })),
  });
}
