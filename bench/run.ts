// `npm run bench`: Overdue on one local Temporal dev server (ephemeral), in one run. Not a test: it
// prints medians and ratios and writes bench/results.json.
//  1. engine efficiency: loans/s through "two reminders then payment" with Overdue's workflow vs a
//     minimal workflow with the same timers and activities (bench/baseline-workflow.ts);
//  2. start throughput: the sweep (runSweep) vs a plain loop of client.workflow.start at the same
//     concurrency, and a second sweep, which must start nothing;
//  3. worker memory with N workflows waiting on timers (this process is the worker);
//  4. history size in events per path (test/histories, recorded by the path tests);
//  5. payment-to-close latency from the API call (POST /v1/loans/:id/payments via inject) to the
//     workflow's completion;
//  6. cure-propensity scoring (bench/scoring.ts): what a score adds to a case open (median), and the
//     time to fit 100,000 synthetic closed cases.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createCaseActivities } from '../activities/case';
import { createChannelActivities } from '../activities/channels';
import { buildApi } from '../api/server';
import type { EmailSender } from '../channels/email';
import { createConsoleLetterQueue } from '../channels/letter';
import { createConsoleSmsProvider } from '../channels/sms';
import { recordPaymentAndSignal, startCollectionRun } from '../client/collection';
import { createDatabase, dataDir, queryRows, type Database } from '../db/client';
import { migrateDb } from '../db/migrate';
import { createApiKey } from '../db/repository/apiKeys';
import { getLoanPosition } from '../db/repository/ledger';
import { saveStrategy } from '../db/repository/strategies';
import { seedPortfolio } from '../db/seed';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import { parseStrategy } from '../domain/strategy/validate';
import { runSweep } from '../client/sweep';
import { startTemporal } from '../scripts/lib/temporal';
import { createStrategyLoader } from '../worker/strategies';
import { bundleWorkflows, createWorkers } from '../worker/workers';
import { workflowIdForLoan } from '../contracts/messages';
import { baselinePaid, type BaselineActivities } from './baseline-workflow';
import { fitTime, scoringLatency } from './scoring';

const HELP = `Usage: npm run bench -- [options]

Runs Overdue's benchmarks on one ephemeral Temporal dev server and prints a table; writes
bench/results.json. Needs PostgreSQL: DATABASE_URL, or a scratch database created on
BENCH_POSTGRES_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.

Options:
  --loans <n>        Workflows for the start-throughput and memory phases (default 10000); the
                     engine phase uses n/10 (50..1000), the latency phase n/50 (20..200)
  --quick            Same as --loans 500
  --concurrency <n>  Starts in flight at once (default 50: the dev server's SQLite store times out
                     with thousands at once)
  --temporal <where> dev (default): an ephemeral dev server; cluster: the server 'npm run cluster' runs
                     (its address from DATA_DIR/cluster/cluster.json; start it first)
  --out <file>       Results file (default bench/results.json)
  -h, --help         Show this help
`;

const { values } = parseArgs({
  options: {
    loans: { type: 'string' },
    quick: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '50' },
    temporal: { type: 'string', default: 'dev' },
    out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const loans = Number(values.loans ?? (values.quick ? 500 : 10_000));
const concurrency = Number(values.concurrency);
if (!Number.isInteger(loans) || loans < 10 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`--loans must be an integer >= 10 and --concurrency a positive integer (got ${values.loans}, ${values.concurrency})`);
  process.exit(2);
}
const engineLoans = Math.max(50, Math.min(1000, Math.floor(loans / 10)));
const latencySamples = Math.max(20, Math.min(200, Math.floor(loans / 50)));

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

const log = (line: string) => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s.length ? s[Math.max(0, Math.ceil(p * s.length) - 1)]! : NaN;
};

/** Runs `fn` over `items`, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function count(db: Database, query: Parameters<typeof queryRows>[1]): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, query);
  return Number(row?.n ?? 0);
}

// ---- setup: database, Temporal, workers ----
let scratch: { admin: postgres.Sql; name: string } | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  const adminUrl = process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `overdue_bench_run_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  scratch = { admin, name };
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
}
const database = await createDatabase(databaseUrl, { max: 20 });
const { db } = database;
await migrateDb(db);
if (values.temporal !== 'dev' && values.temporal !== 'cluster') {
  console.error(`--temporal must be dev or cluster (got ${JSON.stringify(values.temporal)})`);
  process.exit(1);
}
// On the cluster: its frontend, as `npm run cluster` recorded it (the bench runs its own workers there,
// on task queues of its own).
const clusterAddress =
  values.temporal === 'cluster'
    ? (JSON.parse(readFileSync(join(dataDir(), 'cluster', 'cluster.json'), 'utf8')) as { address: string }).address
    : undefined;
const temporal = await startTemporal({ ephemeral: true, external: clusterAddress, log });
log(`Temporal ${clusterAddress ? 'cluster' : 'dev server'} at ${temporal.address}; database ${scratch ? `scratch ${scratch.name}` : 'DATABASE_URL'}`);

const quietMailer: EmailSender = { send: async (m) => ({ providerMessageId: `<${m.idempotencyKey}@bench>` }) };
const queues = { collections: 'bench-collections', email: 'bench-email', sms: 'bench-sms', letter: 'bench-letter' };
const nativeConnection = await NativeConnection.connect({ address: temporal.address });
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection, namespace: temporal.namespace });
const workerSet = await createWorkers({
  connection: nativeConnection,
  namespace: temporal.namespace,
  queues,
  emailPerSecond: 10_000,
  smsPerSecond: 10_000,
  bundle: await bundleWorkflows(),
  caseActivities: createCaseActivities({ db, loadStrategy: createStrategyLoader(db, 'fast-test'), queues }),
  channelActivities: createChannelActivities({ db, mailer: quietMailer, sms: createConsoleSmsProvider(() => {}), letters: createConsoleLetterQueue(() => {}) }),
});
const baselineReminders = new Map<string, number>();
const baselineActivities: BaselineActivities = {
  async remind({ workflowId }) {
    baselineReminders.set(workflowId, (baselineReminders.get(workflowId) ?? 0) + 1);
  },
};
const baselineWorker = await Worker.create({
  connection: nativeConnection,
  namespace: temporal.namespace,
  taskQueue: 'bench-baseline',
  workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
  activities: baselineActivities,
});
const running = Promise.all([workerSet.run(), baselineWorker.run()]);

// Two bench strategies on the sandbox pack (no clock-based rules): the engine path, and a long wait.
const base = findDefaultStrategy('fast-test')!;
const twoReminders = parseStrategy({
  ...base,
  id: 'bench-two-reminders',
  name: 'Bench: two reminders, then wait for payment',
  segments: [{ id: 'all', when: {}, path: 'two-reminders' }],
  paths: {
    'two-reminders': [
      {
        kind: 'reminder',
        steps: [
          { after: 'PT1S', from: 'stageEntry', channel: 'email', template: 'reminder-friendly' },
          { after: 'PT2S', from: 'stageEntry', channel: 'email', template: 'reminder-firm' },
        ],
        waitAfterLast: 'PT10M',
      },
    ],
  },
});
const longWait = parseStrategy({
  ...twoReminders,
  id: 'bench-long-wait',
  name: 'Bench: first reminder in 30 days',
  paths: { 'two-reminders': [{ kind: 'reminder', steps: [{ after: 'P30D', from: 'stageEntry', channel: 'email', template: 'reminder-friendly' }], waitAfterLast: 'P30D' }] },
});
await saveStrategy(db, { id: twoReminders.id, version: twoReminders.version, document: twoReminders });
await saveStrategy(db, { id: longWait.id, version: longWait.version, document: longWait });

const run = Date.now().toString(36).toUpperCase();
const startCollection = (loanId: string, strategyId: string, taskQueue = queues.collections) => startCollectionRun(client, taskQueue, loanId, { strategyId });

/** Ledger first, then the signal: the same function the API calls. */
async function pay(loanId: string) {
  const position = await getLoanPosition(db, loanId);
  const paymentId = `${loanId}-pay`;
  await recordPaymentAndSignal({ db, client }, { paymentId, loanId, amountMinor: position.pastDueMinor, currency: position.currency, receivedAt: new Date() });
}

const results: Record<string, unknown> = { at: new Date().toISOString(), loans, engineLoans, latencySamples, concurrency, cpus: (await import('node:os')).cpus().length };

try {
  // ---- 1. engine efficiency ----
  log(`1/5 engine efficiency: ${engineLoans} loans, two reminders then payment`);
  const enginePrefix = `BE${run}`;
  const engineSeed = await seedPortfolio(db, { loans: engineLoans, overdueShare: 1, idPrefix: enginePrefix, seed: 7 });
  const overdueIds = engineSeed.overdueLoanIds;
  let t0 = performance.now();
  const paid = new Set<string>();
  const closing: Promise<unknown>[] = [];
  const starting = pool(overdueIds, concurrency, async (loanId) => {
    await startCollection(loanId, twoReminders.id);
  });
  const like = `${enginePrefix}%`;
  while (paid.size < overdueIds.length) {
    const ready = await queryRows<{ loan_id: string }>(
      db,
      sql`SELECT loan_id FROM contact_attempts WHERE loan_id LIKE ${like} AND status IN ('sent', 'presumed_sent', 'blocked', 'failed')
          GROUP BY loan_id HAVING count(*) >= 2`,
    );
    for (const { loan_id: loanId } of ready) {
      if (paid.has(loanId)) continue;
      paid.add(loanId);
      closing.push(pay(loanId).then(() => client.workflow.getHandle(workflowIdForLoan(loanId)).result()));
    }
    await sleep(100);
  }
  await starting;
  await Promise.all(closing);
  const overdueSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const baselineIds = Array.from({ length: engineLoans }, (_, i) => `bench-baseline-${run}-${i}`);
  const signalled = new Set<string>();
  const baselineDone: Promise<unknown>[] = [];
  const baselineStarting = pool(baselineIds, concurrency, async (workflowId) => {
    await client.workflow.start('baseline', { taskQueue: 'bench-baseline', workflowId, args: [{ workflowId, firstMs: 1000, secondMs: 2000 }] });
  });
  while (signalled.size < baselineIds.length) {
    for (const [workflowId, n] of baselineReminders) {
      if (n < 2 || signalled.has(workflowId)) continue;
      signalled.add(workflowId);
      const handle = client.workflow.getHandle(workflowId);
      baselineDone.push(handle.signal(baselinePaid).then(() => handle.result()));
    }
    await sleep(100);
  }
  await baselineStarting;
  await Promise.all(baselineDone);
  const baselineSeconds = (performance.now() - t0) / 1000;
  results.engine = {
    loans: engineLoans,
    overdueLoansPerSecond: engineLoans / overdueSeconds,
    baselineLoansPerSecond: engineLoans / baselineSeconds,
    ratio: engineLoans / overdueSeconds / (engineLoans / baselineSeconds),
    note: 'each loan waits at least 2 s of timers; loans/s = loans / wall time from first start to last completion',
  };
  log(`  overdue ${(engineLoans / overdueSeconds).toFixed(1)} loans/s, baseline ${(engineLoans / baselineSeconds).toFixed(1)} loans/s`);

  // ---- 2. start throughput ----
  log(`2/5 start throughput: ${loans} loans, concurrency ${concurrency}, on a task queue no worker polls`);
  const startPrefix = `BS${run}`;
  await seedPortfolio(db, { loans, overdueShare: 1, idPrefix: startPrefix, seed: 11 });
  t0 = performance.now();
  const sweep = await runSweep({ db, client, taskQueue: 'bench-unpolled', concurrency });
  const sweepSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const second = await runSweep({ db, client, taskQueue: 'bench-unpolled', concurrency });
  const secondSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await pool(
    Array.from({ length: loans }, (_, i) => i),
    concurrency,
    async (i) => {
      await client.workflow.start('baseline', { taskQueue: 'bench-unpolled', workflowId: `bench-plain-${run}-${i}`, args: [{ workflowId: `bench-plain-${run}-${i}`, firstMs: 1, secondMs: 2 }] });
    },
  );
  const plainSeconds = (performance.now() - t0) / 1000;
  results.startThroughput = {
    loans,
    sweep: { started: sweep.started, alreadyRunning: sweep.alreadyRunning, failed: sweep.failed, startsPerSecond: sweep.started / sweepSeconds },
    plainLoopStartsPerSecond: loans / plainSeconds,
    ratio: sweep.started / sweepSeconds / (loans / plainSeconds),
    secondSweep: { found: second.found, started: second.started, alreadyRunning: second.alreadyRunning, seconds: secondSeconds },
  };
  log(`  sweep ${(sweep.started / sweepSeconds).toFixed(0)} starts/s (started ${sweep.started}, failed ${sweep.failed}); plain loop ${(loans / plainSeconds).toFixed(0)} starts/s; second sweep started ${second.started}`);

  // ---- 3. worker memory ----
  log(`3/5 worker memory: ${loans} Overdue workflows waiting on a 30-day timer`);
  const memPrefix = `BM${run}`;
  const memSeed = await seedPortfolio(db, { loans, overdueShare: 1, idPrefix: memPrefix, seed: 13 });
  // A full collection before each reading, so garbage from the earlier phases does not hide the delta.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  const before = process.memoryUsage();
  t0 = performance.now();
  await pool(memSeed.overdueLoanIds, concurrency, async (loanId) => {
    await startCollection(loanId, longWait.id);
  });
  const memLike = `${memPrefix}%`;
  await waitFor(
    'every workflow to open its case and wait',
    async () => (await count(db, sql`SELECT count(*) AS n FROM audit_events WHERE loan_id LIKE ${memLike} AND action = 'case.opened'`)) >= memSeed.overdueLoanIds.length,
    30 * 60_000,
    1000,
  );
  const openSeconds = (performance.now() - t0) / 1000;
  await sleep(2000);
  gc?.();
  const after = process.memoryUsage();
  const mb = (n: number) => n / 1024 / 1024;
  results.workerMemory = {
    workflows: memSeed.overdueLoanIds.length,
    secondsToStartAndOpen: openSeconds,
    rssDeltaMB: mb(after.rss - before.rss),
    heapUsedDeltaMB: mb(after.heapUsed - before.heapUsed),
    rssPerWorkflowKB: (after.rss - before.rss) / 1024 / memSeed.overdueLoanIds.length,
    gcExposed: Boolean(gc),
    note: 'measured in this process, which runs the workers with default cache settings (maxCachedWorkflows)',
  };
  log(`  RSS +${mb(after.rss - before.rss).toFixed(0)} MB, heap +${mb(after.heapUsed - before.heapUsed).toFixed(0)} MB over ${memSeed.overdueLoanIds.length} workflows`);

  // ---- 5. payment-to-close latency (on some of the waiting workflows) ----
  log(`5/5 payment-to-close latency: ${latencySamples} payments through POST /v1/loans/:id/payments`);
  const api = buildApi({ db, client, taskQueue: queues.collections });
  const { key } = await createApiKey(db, { role: 'backend', label: 'bench' });
  const latencies: number[] = [];
  for (const loanId of memSeed.overdueLoanIds.slice(0, latencySamples)) {
    const position = await getLoanPosition(db, loanId);
    const started = performance.now();
    const response = await api.inject({
      method: 'POST',
      url: `/v1/loans/${loanId}/payments`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: { paymentId: `${loanId}-api`, amountMinor: position.pastDueMinor, currency: position.currency, receivedAt: new Date().toISOString() },
    });
    if (response.statusCode !== 201) throw new Error(`payment for ${loanId} answered ${response.statusCode}: ${response.body}`);
    await client.workflow.getHandle(workflowIdForLoan(loanId)).result();
    latencies.push(performance.now() - started);
  }
  await api.close();
  results.paymentToCloseMs = { samples: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies) };
  log(`  p50 ${pct(latencies, 0.5).toFixed(0)} ms, p99 ${pct(latencies, 0.99).toFixed(0)} ms`);

  log(`terminating the ${memSeed.overdueLoanIds.length - latencySamples} workflows still waiting`);
  await pool(memSeed.overdueLoanIds.slice(latencySamples), concurrency, async (loanId) => {
    await client.workflow.getHandle(workflowIdForLoan(loanId)).terminate('bench finished').catch(() => {});
  });

  // ---- 4. history size per path ----
  const historiesDir = fileURLToPath(new URL('../test/histories/', import.meta.url));
  const histories: Record<string, number> = {};
  for (const file of readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort()) {
    const history = JSON.parse(readFileSync(`${historiesDir}${file}`, 'utf8')) as { events?: unknown[] };
    histories[file.replace(/\.json$/, '')] = history.events?.length ?? 0;
  }
  results.historyEvents = histories;

  // ---- 6. scoring ----
  // The case-open comparison fits and activates a model: only in the scratch database, never in DATABASE_URL's.
  log(`6/6 scoring: ${scratch ? 'case opens without and with an active model; ' : ''}a fit of 100,000 synthetic closed cases`);
  results.scoring = { caseOpen: scratch ? await scoringLatency(db, 100) : null, fit: fitTime(100_000) };
} finally {
  workerSet.shutdown();
  baselineWorker.shutdown();
  await running.catch(() => {});
  await Promise.all([nativeConnection.close(), connection.close(), database.close()]);
  await temporal.stop();
  if (scratch) {
    await scratch.admin.unsafe(`DROP DATABASE IF EXISTS ${scratch.name} WITH (FORCE)`);
    await scratch.admin.end();
  }
}

writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
const e = results.engine as { overdueLoansPerSecond: number; baselineLoansPerSecond: number; ratio: number };
const s = results.startThroughput as { sweep: { startsPerSecond: number; started: number }; plainLoopStartsPerSecond: number; ratio: number; secondSweep: { started: number } };
const m = results.workerMemory as { workflows: number; rssDeltaMB: number; heapUsedDeltaMB: number; rssPerWorkflowKB: number };
const l = results.paymentToCloseMs as { p50: number; p99: number; samples: number };
const rows: Array<[string, string]> = [
  [`engine: Overdue workflow (${engineLoans} loans)`, `${e.overdueLoansPerSecond.toFixed(1)} loans/s`],
  ['engine: baseline workflow', `${e.baselineLoansPerSecond.toFixed(1)} loans/s`],
  ['engine: ratio Overdue / baseline', e.ratio.toFixed(2)],
  [`start: sweep (${s.sweep.started} loans, concurrency ${concurrency})`, `${s.sweep.startsPerSecond.toFixed(0)} starts/s`],
  ['start: plain client.workflow.start loop', `${s.plainLoopStartsPerSecond.toFixed(0)} starts/s`],
  ['start: ratio sweep / plain', s.ratio.toFixed(2)],
  ['start: second sweep started', String(s.secondSweep.started)],
  [`memory: ${m.workflows} waiting workflows, RSS delta`, `${m.rssDeltaMB.toFixed(0)} MB (${m.rssPerWorkflowKB.toFixed(1)} KB each)`],
  ['memory: heap used delta', `${m.heapUsedDeltaMB.toFixed(0)} MB`],
  [`payment to close (${l.samples} via API), p50`, `${l.p50.toFixed(0)} ms`],
  ['payment to close, p99', `${l.p99.toFixed(0)} ms`],
  ...Object.entries(results.historyEvents as Record<string, number>).map(([k, v]): [string, string] => [`history events: ${k}`, String(v)]),
  ...scoringRows(results.scoring as { caseOpen: Awaited<ReturnType<typeof scoringLatency>> | null; fit: ReturnType<typeof fitTime> }),
];
function scoringRows({ caseOpen, fit }: { caseOpen: Awaited<ReturnType<typeof scoringLatency>> | null; fit: ReturnType<typeof fitTime> }): Array<[string, string]> {
  return [
    ...(caseOpen
      ? ([
          [`scoring: case open p50, no model / scored (${caseOpen.samples} each)`, `${caseOpen.openUnscoredP50Ms?.toFixed(1) ?? '-'} / ${caseOpen.openScoredP50Ms.toFixed(1)} ms`],
          ['scoring: added to a case open, p50', caseOpen.addedP50Ms === null ? '- (a model was already active)' : `${caseOpen.addedP50Ms.toFixed(1)} ms`],
        ] as Array<[string, string]>)
      : []),
    [`scoring: fit of ${fit.cases} closed cases`, `${(fit.totalMs / 1000).toFixed(1)} s`],
  ];
}
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\nwritten to ${values.out}`);
process.exit(0);
