// Everything an end-to-end test file needs, real parts only: the shared Temporal dev server and
// PostgreSQL database from the global setup, a real SMTP sink, a real HTTP endpoint for SMS, and
// Overdue's own workers on task queues unique to this file. Workflow code is bundled once per file.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createCaseActivities } from '../../activities/case';
import type { CaseActivities } from '../../contracts/activities';
import { createChannelActivities } from '../../activities/channels';
import { createSmtpMailer } from '../../channels/email';
import type { LetterProvider } from '../../channels/letter';
import { recordPaymentAndSignal } from '../../client/collection';
import { createWebhookSmsProvider } from '../../channels/sms';
import { createDatabase, type Database, type DatabaseHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { upsertBorrower, type BorrowerInput } from '../../db/repository/borrowers';
import { upsertLoan } from '../../db/repository/ledger';
import { collection } from '../../workflows/collection';
import { TASK_QUEUE, workflowIdForLoan, type CollectionInput } from '../../contracts/messages';
import { createStrategyLoader } from '../../worker/strategies';
import { bundleWorkflows, createWorkers, installRuntimeLogging, type WorkerSet } from '../../worker/workers';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { startWebhookSink, type WebhookSink } from './webhook-sink';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Tests print the runtime's warnings and errors only, unless LOG_LEVEL asks for more.
    installRuntimeLogging({ level: process.env.LOG_LEVEL ?? 'warn' });
  } catch {
    // already installed by another harness in this worker process
  }
}

export interface Harness {
  db: DatabaseHandle['db'];
  /** The URL of `db` (for child processes such as the CLI). */
  databaseUrl: string;
  client: Client;
  queues: { collections: string; email: string; sms: string; letter: string };
  smtp: SmtpSink;
  sms: WebhookSink;
  /** Creates a borrower and a loan with `overdueInstallments` instalments past due (`dpd` days for the oldest). */
  seedLoan(options?: SeedOptions): Promise<SeededLoan>;
  startCollection(loanId: string, input?: Partial<CollectionInput>): Promise<WorkflowHandle<typeof collection>>;
  /** Starts the workflow with a signal delivered in its very first task (no race with the first timer). */
  startWithSignal<A extends any[]>(loanId: string, signal: SignalDefinition<A>, args: A, input?: Partial<CollectionInput>): Promise<WorkflowHandle<typeof collection>>;
  /**
   * Returns the history's length in events; with RECORD_HISTORIES=1 also writes it to
   * test/histories/<name>.json, where the replay test runs it through the current workflow code.
   */
  keepHistory(handle: WorkflowHandle, name: string): Promise<number>;
  /** Ledger first, then the signal: exactly what the API does. */
  pay(loanId: string, amountMinor: number, paymentId?: string): Promise<void>;
  close(): Promise<void>;
}

export interface SeedOptions {
  dpd?: number;
  installmentMinor?: number;
  overdueInstallments?: number;
  futureInstallments?: number;
  currency?: string;
  timeZone?: string;
  locale?: string;
  borrower?: Partial<BorrowerInput>;
}

export interface SeededLoan {
  loanId: string;
  borrowerId: string;
  pastDueMinor: number;
  currency: string;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface HarnessOptions {
  strategyId?: string;
  /**
   * A database of this file's own (created, migrated, dropped on close) instead of the run's shared one:
   * for tests of the collector queue, where a claim takes any unassigned task in the table and would
   * otherwise take (and assign) another file's.
   */
  ownDatabase?: boolean;
  /** A database the file made itself (a file whose assertions count rows across the whole database). */
  databaseUrl?: string;
  /** Where letters go; default the console queue. */
  letters?: LetterProvider;
  /** Wraps the worker's case activities (a run opened on an older contract, instrumented ones). */
  wrapCaseActivities?: (activities: CaseActivities, db: Database) => CaseActivities;
}

/** Creates and migrates a fresh database next to the run's shared one; `drop` removes it. */
async function createOwnDatabase(sharedUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const dbName = `${new URL(sharedUrl).pathname.slice(1)}_${name.replace(/[^a-z0-9]/gi, '_')}_${randomUUID().slice(0, 8)}`.toLowerCase();
  const admin = postgres(sharedUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(sharedUrl);
  url.pathname = `/${dbName}`;
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function startHarness(name: string, options: HarnessOptions = {}): Promise<Harness> {
  quietRuntime();
  const suffix = randomUUID().slice(0, 8);
  const queues = {
    collections: `${name}-${TASK_QUEUE}-${suffix}`,
    email: `${name}-email-${suffix}`,
    sms: `${name}-sms-${suffix}`,
    letter: `${name}-letter-${suffix}`,
  };
  const address = inject('temporalAddress');
  const own = options.ownDatabase ? await createOwnDatabase(inject('databaseUrl'), name) : undefined;
  const databaseUrl = own?.url ?? options.databaseUrl ?? inject('databaseUrl');
  const database = await createDatabase(databaseUrl, { max: 5 });
  const db = database.db;
  const [smtp, sms, bundle, nativeConnection, connection] = await Promise.all([
    startSmtpSink(),
    startWebhookSink(),
    bundleWorkflows(),
    NativeConnection.connect({ address }),
    Connection.connect({ address }),
  ]);
  const client = new Client({ connection });
  // Pooled (channels/email.ts): its kept-open connection is closed before the sink, which would wait for it.
  const mailer = createSmtpMailer(smtp.url);
  const workerSet: WorkerSet = await createWorkers({
    connection: nativeConnection,
    namespace: 'default',
    queues,
    emailPerSecond: 100,
    smsPerSecond: 100,
    bundle,
    caseActivities: (options.wrapCaseActivities ?? ((a) => a))(
      createCaseActivities({
        db,
        loadStrategy: createStrategyLoader(db, options.strategyId ?? 'fast-test'),
        queues: { email: queues.email, sms: queues.sms, letter: queues.letter },
      }),
      db,
    ),
    channelActivities: createChannelActivities({
      db,
      mailer,
      sms: createWebhookSmsProvider({ url: sms.url, secret: 'test-secret' }),
      ...(options.letters ? { letters: options.letters } : {}),
    }),
  });
  const running = workerSet.run();

  let counter = 0;
  return {
    db,
    databaseUrl,
    client,
    queues,
    smtp,
    sms,
    async seedLoan(seed = {}) {
      counter += 1;
      const id = `${name}-${suffix}-${counter}`;
      const dpd = seed.dpd ?? 5;
      const installmentMinor = seed.installmentMinor ?? 50_000;
      const overdue = seed.overdueInstallments ?? 1;
      const future = seed.futureInstallments ?? 2;
      const currency = seed.currency ?? 'CNY';
      const borrowerId = `b-${id}`;
      await upsertBorrower(db, {
        id: borrowerId,
        externalRef: `ext-${borrowerId}`,
        name: 'Test Borrower',
        email: `${borrowerId}@example.com`,
        phone: '+8613800138000',
        timeZone: seed.timeZone ?? 'Asia/Shanghai',
        locale: seed.locale ?? 'zh-CN',
        ...seed.borrower,
      });
      const day = 24 * 3600 * 1000;
      const oldestDue = Date.now() - dpd * day;
      const installments = [];
      for (let i = 0; i < overdue + future; i += 1) {
        // Overdue instalments a month apart ending no later than yesterday; future ones from next month.
        const due = i < overdue ? oldestDue + i * Math.min(30, Math.max(1, Math.floor(dpd / overdue))) * day : Date.now() + (i - overdue + 1) * 30 * day;
        installments.push({ seq: i + 1, dueDate: isoDate(due), amountDueMinor: installmentMinor });
      }
      await upsertLoan(db, {
        id,
        borrowerId,
        product: 'consumer-loan',
        currency,
        principalMinor: installmentMinor * (overdue + future),
        openedAt: new Date(Date.now() - (dpd + 60) * day),
        installments,
      });
      return { loanId: id, borrowerId, pastDueMinor: installmentMinor * overdue, currency };
    },
    async startCollection(loanId, input = {}) {
      return client.workflow.start(collection, {
        taskQueue: queues.collections,
        workflowId: workflowIdForLoan(loanId),
        args: [{ loanId, ...input }],
        staticSummary: `Collection of loan ${loanId}`,
      });
    },
    async keepHistory(handle, historyName) {
      const history = await handle.fetchHistory();
      if (process.env.RECORD_HISTORIES) {
        const dir = fileURLToPath(new URL('../histories', import.meta.url));
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/${historyName}.json`, historyToJSON(history));
      }
      return history.events?.length ?? 0;
    },
    async startWithSignal(loanId, signal, args, input = {}) {
      return client.workflow.signalWithStart(collection, {
        taskQueue: queues.collections,
        workflowId: workflowIdForLoan(loanId),
        args: [{ loanId, ...input }],
        signal: signal as SignalDefinition<any[]>,
        signalArgs: args,
        staticSummary: `Collection of loan ${loanId}`,
      });
    },
    async pay(loanId, amountMinor, paymentId = `pay-${randomUUID()}`) {
      await recordPaymentAndSignal({ db, client }, { paymentId, loanId, amountMinor, currency: 'CNY', receivedAt: new Date() });
    },
    async close() {
      workerSet.shutdown();
      await running.catch(() => {});
      mailer.close?.();
      await Promise.all([smtp.close(), sms.close(), nativeConnection.close(), connection.close(), database.close()]);
      await own?.drop();
    },
  };
}

/** Polls the workflow query until `predicate` holds: waiting on observable state, not on time. */
export async function waitForState<T>(
  read: () => Promise<T>,
  predicate: (state: T) => boolean,
  { timeoutMs = 30_000, what = 'state' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (predicate(last)) return last;
    } catch (error) {
      // A workflow answers queries once its first workflow task has run (it registers the handlers).
      if ((error as Error).name !== 'QueryNotRegisteredError') throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
