// `npm run bench`: Overdue on one local Temporal dev server (ephemeral), in one run. Not a test: it
// runs each timed phase --repeat times (3) and prints the median with the minimum and maximum, the
// machine's core count and load average, and writes bench/results.json (kept out of git); --json
// prints a one-line summary on stdout instead of the table.
//  1. engine efficiency: loans/s through "two reminders then payment" with Overdue's workflow vs a
//     minimal workflow with the same timers and activities (bench/baseline-workflow.ts), and the
//     Temporal actions one loan costs on each;
//  2. start throughput: the sweep (runSweep) vs a plain loop of client.workflow.start at the same
//     concurrency (the side that runs first alternates), the CPU each side costs per start in this
//     process and in the dev server, and a second sweep, which must start nothing;
//  3. worker memory with N workflows waiting on timers (this process is the worker; once per run);
//  4. payment-to-close latency from the API call (POST /v1/loans/:id/payments via inject) to the
//     workflow's completion;
//  5. history size in events and Temporal actions (bench/actions.ts) per path (test/histories,
//     recorded by the path tests), and database round trips per loan path (bench/round-trips.ts);
//  6. cure-propensity scoring (bench/scoring.ts): what a score adds to a case open (median), and the
//     time to fit 100,000 synthetic closed cases.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from '../scripts/lib/scratch-database';
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
import { bundleWorkflows, createWorkers, quietBundlerLogger } from '../worker/workers';
import { workflowIdForLoan } from '../contracts/messages';
import { addDays, businessDate } from '../domain/ledger';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../worker/config';
import { baselinePaid, type BaselineActivities } from './baseline-workflow';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { replayCpuMs } from './replay-cpu';
import { cpuPerLoan, describeCpu, sampleCpu, type CpuPerLoan } from './cpu';
import { countActions, describeActions, type ActionCounts, type HistoryEvent } from './actions';
import { openLoansPhase, type OpenLoansResult } from './open-loans';
import { fitTime, scoringLatency } from './scoring';
import { databaseRoundTripsPerPath, describeRoundTrips, type RoundTrips } from './round-trips';

// `npm run bench -- memory …`: the worker-memory and eviction bench, with its own options (#19).
if (process.argv[2] === 'memory') {
  const { runMemoryBench } = await import('./memory');
  await runMemoryBench(process.argv.slice(3));
  process.exit(0);
}

const HELP = `Usage: npm run bench -- [options]
       npm run bench -- memory [options]   (worker memory in a worker process of its own, and the
                                            replay cost of an eviction; see its --help)

Runs Overdue's benchmarks on one ephemeral Temporal dev server: each timed phase --repeat times, the
median with the minimum and maximum, and the machine's core count and load average. Prints a table
(or, with --json, one line of JSON) and writes bench/results.json. The engine and start phases also
read, from /proc, the CPU each side spent per loan or start in the Temporal server and this process,
and the engine phase in the bench database's PostgreSQL backends too (on 2 cores the phases are bound by CPU, and these figures move
far less with other jobs than the rates do). The engine phase then replays one loan's history of each
side 200 times (50 with --quick) and reports the workflow code's own CPU per loan, which moves
least of all. Needs PostgreSQL: DATABASE_URL, or
a scratch database created on BENCH_POSTGRES_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres)
and dropped at the end.

Options:
  --loans <n>        Workflows for the start-throughput and memory phases (default 10000); the
                     engine phase uses n/10 (50..1000), the latency phase n/50 (20..200) per repetition
  --repeat <n>       Repetitions of each timed phase (default 3, 2 with --quick; the memory phase
                     runs once)
  --quick            At most about 3 minutes on 2 cores: --loans 200, 30 loans in the engine phase,
                     10 payments per latency repetition, 20 scored case opens, a fit of 10,000 cases,
                     --repeat 2
  --json             Print one line of JSON (the summary) on stdout; progress goes to stderr
  --concurrency <n>  Starts in flight at once (default 50: the dev server's SQLite store times out
                     with thousands at once)
  --max-cached <n>   The collections worker's sticky-cache size (default WORKER_MAX_CACHED_WORKFLOWS,
                     else ${DEFAULT_MAX_CACHED_WORKFLOWS})
  --temporal <where> dev (default): an ephemeral dev server; cluster: the server 'npm run cluster' runs
                     (its address from DATA_DIR/cluster/cluster.json; start it first)
  --open-loans <n>   The open-loans phase: n collections opened and left waiting, then one reminder
                     wave for all of them at one instant; start time, PostgreSQL growth per open loan,
                     worker and server memory, the wave's drain time (default 100000 with --temporal
                     cluster, 1000 with --quick there; 0, off, on the dev server)
  --wave-timeout <m> Minutes to wait for the wave to drain before reporting how far it got (default 60)
  --only <phases>    Run only these timed phases, comma-separated: engine, start (e.g. --only engine
                     while profiling); the table and the JSON line then hold only their figures
  --engine-loans <n> Loans per engine-phase repetition (default n/10 in 50..1000, 30 with --quick)
  --out <file>       Results file (default bench/results.json)
  -h, --help         Show this help
`;

const { values } = parseArgs({
  options: {
    loans: { type: 'string' },
    repeat: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '50' },
    'max-cached': { type: 'string' },
    temporal: { type: 'string', default: 'dev' },
    'open-loans': { type: 'string' },
    'wave-timeout': { type: 'string', default: '60' },
    only: { type: 'string' },
    'engine-loans': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const loans = Number(values.loans ?? (values.quick ? 200 : 10_000));
const concurrency = Number(values.concurrency);
const repeat = Number(values.repeat ?? (values.quick ? 2 : 3));
const openLoans = Number(values['open-loans'] ?? (values.temporal === 'cluster' ? (values.quick ? 1000 : 100_000) : 0));
const waveTimeoutMinutes = Number(values['wave-timeout']);
const maxCachedWorkflows = Number(values['max-cached'] ?? process.env.WORKER_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS);
const engineLoans = Number(values['engine-loans'] ?? (values.quick ? 30 : Math.max(50, Math.min(1000, Math.floor(loans / 10)))));
const only = values.only ? new Set(values.only.split(',').map((p) => p.trim())) : undefined;
for (const phase of only ?? []) {
  if (phase !== 'engine' && phase !== 'start') {
    console.error(`--only takes engine and/or start, comma-separated (got ${JSON.stringify(phase)})`);
    process.exit(2);
  }
}
const runs = (phase: 'engine' | 'start') => !only || only.has(phase);
for (const [name, value, min] of [
  ['--loans', loans, 10],
  ['--concurrency', concurrency, 1],
  ['--repeat', repeat, 1],
  ['--max-cached', maxCachedWorkflows, 1],
  ['--engine-loans', engineLoans, 1],
  ['--open-loans', openLoans, 0],
  ['--wave-timeout', waveTimeoutMinutes, 1],
] as const) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer >= ${min} (got ${JSON.stringify(String(value))})`);
    process.exit(2);
  }
}
/** Replays of one loan's history per side for the engine phase's workflow-code CPU (bench/replay-cpu.ts). */
const replays = values.quick ? 50 : 200;
const latencySamples = values.quick ? 10 : Math.max(20, Math.min(200, Math.floor(loans / 50)));
const fitCases = values.quick ? 10_000 : 100_000;

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

// With --json, stdout carries only the summary line (printed last); progress and the table go to stderr.
const out = (text: string) => (values.json ? process.stderr : process.stdout).write(`${text}\n`);
const log = (line: string) => out(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s.length ? s[Math.max(0, Math.ceil(p * s.length) - 1)]! : NaN;
};
/** The median of the repetitions with their minimum and maximum (an even count: the mean of the middle two). */
interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}
function spread(runs: number[]): Spread {
  const s = sorted(runs);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs };
}
/** Each part's median over the repetitions (so the parts need not add up to the total's median). */
function medianCpu(runs: CpuPerLoan[]): CpuPerLoan {
  const part = (pick: (c: CpuPerLoan) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === runs.length ? spread(values).median : undefined;
  };
  const serverMs = part((c) => c.serverMs);
  const postgresMs = part((c) => c.postgresMs);
  return { ...(serverMs === undefined ? {} : { serverMs }), ...(postgresMs === undefined ? {} : { postgresMs }), workerMs: part((c) => c.workerMs)!, totalMs: part((c) => c.totalMs)! };
}
const describeSampledActions = (a: SampledActions) => `${describeActions(a.median)}, the median of ${a.loans} loans (${a.min}-${a.max})`;
const fmt = (x: Spread, digits = 0, unit = '') => `${x.median.toFixed(digits)}${unit} (min ${x.min.toFixed(digits)}, max ${x.max.toFixed(digits)})`;
const loadAverage = () => loadavg().map((x) => Number(x.toFixed(2))) as [number, number, number];
const loadAtStart = loadAverage();
const benchStarted = performance.now();

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
const scratch = process.env.DATABASE_URL ? undefined : await createScratchDatabase(`overdue_bench_run_${process.pid}`);
const databaseUrl = process.env.DATABASE_URL ?? scratch!.url;
const database = await createDatabase(databaseUrl, { max: 20 });
const { db } = database;
await migrateDb(db);
if (values.temporal !== 'dev' && values.temporal !== 'cluster') {
  console.error(`--temporal must be dev or cluster (got ${JSON.stringify(values.temporal)})`);
  process.exit(1);
}
// On the cluster: its frontend, as `npm run cluster` recorded it (the bench runs its own workers there,
// on task queues of its own).
const cluster =
  values.temporal === 'cluster'
    ? (JSON.parse(readFileSync(join(dataDir(), 'cluster', 'cluster.json'), 'utf8')) as { address: string; pids: Record<string, number> })
    : undefined;
const clusterAddress = cluster?.address;
const temporal = await startTemporal({ ephemeral: true, external: clusterAddress, log });
log(`Temporal ${clusterAddress ? 'cluster' : 'dev server'} at ${temporal.address}; database ${scratch ? `scratch ${scratch.name}` : 'DATABASE_URL'}`);

const quietMailer: EmailSender = { send: async (m) => ({ providerMessageId: `<${m.idempotencyKey}@bench>` }) };
/**
 * The engine phase's reminders accounted for, per loan, counted in this process as the activities return
 * (as the baseline's are, in its own activity): a send (sent, presumed sent, blocked or failed), a contact
 * the workflow recorded as blocked, and each reminder the workflow recorded as skipped (its audit event
 * rides on the next activity). Until #19's engine work the phase found them with a database query every
 * 100 ms while the baseline looked in memory: the query's own cost fell on Overdue's side alone.
 */
const remindersAccounted = new Map<string, number>();
function countingReminders<T extends object>(activities: T): T {
  const counted = Object.entries(activities).map(([name, run]) => [
    name,
    async (input: { loanId?: string; audits?: Array<{ action: string }> }, ...rest: unknown[]) => {
      const result = await (run as (...a: unknown[]) => Promise<unknown>)(input, ...rest);
      const loanId = input?.loanId;
      if (loanId) {
        const skipped = input.audits?.filter((a) => a.action === 'reminder_skipped').length ?? 0;
        const contact = name === 'sendEmail' || name === 'recordBlockedContact' ? 1 : 0;
        if (skipped + contact > 0) remindersAccounted.set(loanId, (remindersAccounted.get(loanId) ?? 0) + skipped + contact);
      }
      return result;
    },
  ]);
  return Object.fromEntries(counted) as T;
}
const queues = { collections: 'bench-collections', email: 'bench-email', sms: 'bench-sms', letter: 'bench-letter' };
const nativeConnection = await NativeConnection.connect({ address: temporal.address });
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection, namespace: temporal.namespace });
// Each side's workflow code bundled once: for its worker and for the replays of the engine phase.
const overdueBundle = await bundleWorkflows();
const baselineBundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url)),
  logger: quietBundlerLogger,
});
const workerSet = await createWorkers({
  connection: nativeConnection,
  namespace: temporal.namespace,
  queues,
  emailPerSecond: 10_000,
  smsPerSecond: 10_000,
  bundle: overdueBundle,
  maxCachedWorkflows,
  caseActivities: countingReminders(createCaseActivities({ db, loadStrategy: createStrategyLoader(db, 'fast-test'), queues })),
  channelActivities: countingReminders(createChannelActivities({ db, mailer: quietMailer, sms: createConsoleSmsProvider(() => {}), letters: createConsoleLetterQueue(() => {}) })),
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
  workflowBundle: baselineBundle,
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

const results: Record<string, unknown> = {
  at: new Date().toISOString(),
  quick: values.quick,
  repeat,
  loans,
  engineLoans,
  latencySamples,
  concurrency,
  maxCachedWorkflows,
  cpus: cpus().length,
  loadAverage: { start: loadAtStart },
};
log(`${cpus().length} cores, load average ${loadAtStart.join(' ')} (1, 5, 15 min); ${repeat} repetition(s) per timed phase; maxCachedWorkflows ${maxCachedWorkflows}`);

/**
 * One repetition of the engine phase: Overdue's workflow and the minimal one on fresh loans, in turn
 * (Overdue first in even repetitions, the baseline first in odd ones, so neither always meets a warmer
 * worker and server). Both sides find their loans' reminders in this process and poll for them at the
 * same 100 ms, and both are timed from the first start to the last completion.
 */
/** Loans whose histories the engine phase counts actions in, per side. */
const ACTION_SAMPLE = 20;

/** A side's billed actions per loan: the median loan's (by total), and the least and most over the sample. */
interface SampledActions {
  median: ActionCounts;
  min: number;
  max: number;
  loans: number;
}

/** Counts the billed actions of the first ACTION_SAMPLE workflows; the median one's history is kept to replay. */
async function sampleActions(workflowIds: readonly string[]) {
  const counted = await Promise.all(
    workflowIds.slice(0, ACTION_SAMPLE).map(async (workflowId) => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      return { history, counts: countActions((JSON.parse(historyToJSON(history)) as { events: HistoryEvent[] }).events) };
    }),
  );
  counted.sort((a, b) => a.counts.total - b.counts.total);
  const median = counted[Math.floor((counted.length - 1) / 2)]!;
  const actions: SampledActions = { median: median.counts, min: counted[0]!.counts.total, max: counted[counted.length - 1]!.counts.total, loans: counted.length };
  return { actions, medianHistory: median.history };
}

async function enginePhase(rep: number) {
  const enginePrefix = `BE${run}R${rep}`;
  const engineSeed = await seedPortfolio(db, { loans: engineLoans, overdueShare: 1, idPrefix: enginePrefix, seed: 7 + rep, inconvenientTimeShare: 0 });
  const overdueIds = engineSeed.overdueLoanIds;
  // What each loan pays, read before the clock starts: a lender's backend knows the amount it received.
  const amounts = new Map<string, { amountMinor: number; currency: string }>();
  for (const loanId of overdueIds) {
    const position = await getLoanPosition(db, loanId);
    amounts.set(loanId, { amountMinor: position.pastDueMinor, currency: position.currency });
  }

  async function overdueSide(): Promise<number> {
    const t0 = performance.now();
    const paid = new Set<string>();
    const closing: Promise<unknown>[] = [];
    const starting = pool(overdueIds, concurrency, async (loanId) => {
      await startCollection(loanId, twoReminders.id);
    });
    // Both reminders accounted for: sent (or blocked, failed), or skipped. Under load the first can go out
    // so late that the second is already due; the workflow then sends the later one only and records the
    // other as skipped (no bursts), so a loan may never have two contacts.
    const deadline = Date.now() + 10 * 60_000 + overdueIds.length * 2_000;
    let reported = Date.now();
    while (paid.size < overdueIds.length) {
      for (const loanId of overdueIds) {
        if ((remindersAccounted.get(loanId) ?? 0) < 2 || paid.has(loanId)) continue;
        paid.add(loanId);
        // Ledger first, then the signal: the function the API calls.
        const payment = { paymentId: `${loanId}-pay`, loanId, ...amounts.get(loanId)!, receivedAt: new Date() };
        closing.push(recordPaymentAndSignal({ db, client }, payment).then(() => client.workflow.getHandle(workflowIdForLoan(loanId)).result()));
      }
      if (Date.now() - reported > 15_000) {
        reported = Date.now();
        log(`  … ${paid.size} of ${overdueIds.length} loans past both reminders and paid`);
      }
      if (Date.now() > deadline) throw new Error(`engine phase: only ${paid.size} of ${overdueIds.length} loans had both reminders sent or skipped after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      await sleep(100);
    }
    await starting;
    await Promise.all(closing);
    return (performance.now() - t0) / 1000;
  }

  const baselineIds = Array.from({ length: overdueIds.length }, (_, i) => `bench-baseline-${run}-${rep}-${i}`);
  async function baselineSide(): Promise<number> {
    const t0 = performance.now();
    const signalled = new Set<string>();
    const baselineDone: Promise<unknown>[] = [];
    const baselineStarting = pool(baselineIds, concurrency, async (workflowId) => {
      await client.workflow.start('baseline', { taskQueue: 'bench-baseline', workflowId, args: [{ workflowId, firstMs: 1000, secondMs: 2000 }] });
    });
    while (signalled.size < baselineIds.length) {
      for (const workflowId of baselineIds) {
        if ((baselineReminders.get(workflowId) ?? 0) < 2 || signalled.has(workflowId)) continue;
        signalled.add(workflowId);
        const handle = client.workflow.getHandle(workflowId);
        baselineDone.push(handle.signal(baselinePaid).then(() => handle.result()));
      }
      await sleep(100);
    }
    await baselineStarting;
    await Promise.all(baselineDone);
    return (performance.now() - t0) / 1000;
  }

  // CPU by process while each side runs: what a loan costs the server, PostgreSQL and the worker.
  const serverPid = cluster ? cluster.pids.temporal : temporal.pid;
  const backends = async () => (await queryRows<{ pid: number }>(db, sql`select pid from pg_stat_activity where datname = current_database()`)).map((r) => r.pid);
  const measured = async (side: () => Promise<number>) => {
    const before = sampleCpu(serverPid, await backends());
    const seconds = await side();
    // Sampled before the query that lists the backends, which costs a backend some CPU itself.
    const worker = sampleCpu(serverPid, []);
    const after = { ...sampleCpu(serverPid, await backends()), server: worker.server, worker: worker.worker };
    return { seconds, cpu: cpuPerLoan(before, after, overdueIds.length) };
  };
  let overdueRun: Awaited<ReturnType<typeof measured>>;
  let baselineRun: Awaited<ReturnType<typeof measured>>;
  if (rep % 2 === 0) {
    overdueRun = await measured(overdueSide);
    baselineRun = await measured(baselineSide);
  } else {
    baselineRun = await measured(baselineSide);
    overdueRun = await measured(overdueSide);
  }
  const overdueSeconds = overdueRun.seconds;
  const baselineSeconds = baselineRun.seconds;
  const overdue = overdueIds.length / overdueSeconds;
  const baseline = overdueIds.length / baselineSeconds;
  log(`  run ${rep + 1}/${repeat}: overdue ${overdue.toFixed(1)} loans/s, baseline ${baseline.toFixed(1)} loans/s${rep % 2 ? ' (baseline ran first)' : ''}; CPU per loan: overdue ${describeCpu(overdueRun.cpu)}, baseline ${describeCpu(baselineRun.cpu)}`);
  // Once: the billed actions per loan through this path (loans differ: a reminder the message gap
  // deferred adds an activity writing the deferral's audit event before the wait, a reminder sent late
  // needs no timer), and the CPU the workflow code takes when the median loan's history is replayed;
  // Overdue's workflow and the minimal one.
  let once: { actions: { overdue: SampledActions; baseline: SampledActions }; replayCpuMs: { overdue: number; baseline: number } } | undefined;
  if (rep === 0) {
    const [overdueSample, baselineSample] = await Promise.all([sampleActions(overdueIds.map(workflowIdForLoan)), sampleActions(baselineIds)]);
    log(`  replaying one loan's history ${replays} times per side: the workflow code's CPU per loan`);
    once = {
      actions: { overdue: overdueSample.actions, baseline: baselineSample.actions },
      replayCpuMs: {
        overdue: await replayCpuMs(overdueBundle, overdueSample.medianHistory, replays),
        baseline: await replayCpuMs(baselineBundle, baselineSample.medianHistory, replays),
      },
    };
  }
  return { overdue, baseline, ratio: overdue / baseline, ...once, cpu: { overdue: overdueRun.cpu, baseline: baselineRun.cpu } };
}

/**
 * One repetition of the start phase on fresh loans. Each repetition seeds its loans as of a business
 * date 200 days before the last one's and sweeps as of that date, so it finds only its own loans
 * (every earlier repetition's are not yet due then) and never re-meets workflows already started.
 *
 * The two timed sides run in turn, the sweep first in even repetitions and the plain loop first in odd
 * ones (as in the engine phase), so neither always meets a warmer or busier server; the second sweep,
 * which must start nothing, runs after both and is not part of the ratio.
 *
 * What the two sides start is not the same, on purpose: the sweep is the product path and sends what
 * the product sends. Per start, the sweep also reads its work list from PostgreSQL (a page of 500
 * loans per query, the open-case check and lifecycle verdict in it), starts 'collection' with the loan's
 * input and a UI summary and details (staticSummary, staticDetails: two more payloads the server
 * stores in the start event), conflict policy FAIL, and counts each start in its summary. The plain
 * loop starts 'baseline' with a tiny input and no metadata. Both use the same client, the same
 * concurrency and a task queue no worker polls, so no worker takes CPU from either.
 */
/**
 * Before the first repetition, untimed: each side on up to 500 loans (a sweep of its own, as of a date
 * 200 days ahead that no repetition's sweep reaches, and as many plain starts), so the side that runs
 * first in repetition 1 does not alone pay for compiling the client's and the sweep's code paths. (It
 * still spends more of this process's CPU per start than later ones, 1.2-1.6 ms against 0.7-1.1 ms in
 * the runs of 2026-12-07, with 100 loans of warm-up as with 500; why is not known.)
 */
async function warmStartPaths() {
  const warmLoans = Math.min(loans, 500);
  const asOf = addDays(businessDate(new Date()), 200);
  await seedPortfolio(db, { loans: warmLoans, overdueShare: 1, idPrefix: `BW${run}`, seed: 5, asOf });
  await runSweep({ db, client, taskQueue: 'bench-unpolled', concurrency, asOf });
  await pool(
    Array.from({ length: warmLoans }, (_, i) => `bench-plain-${run}-warm-${i}`),
    concurrency,
    async (workflowId) => {
      await client.workflow.start('baseline', { taskQueue: 'bench-unpolled', workflowId, args: [{ workflowId, firstMs: 1, secondMs: 2 }] });
    },
  );
}

/**
 * CPU seconds (user + system) used so far by this process (the client side of the start phase; its
 * workers' threads sit idle then, the start phase's queue has no poller) and by the Temporal dev server
 * (from /proc, at 100 ticks a second; null on a cluster or without /proc). When other jobs share the
 * cores these move too, but less than starts per second (on 2026-12-07 at load 6-12: CPU per start
 * within a factor of 2, starts per second within a factor of 7).
 */
function cpuSeconds(): { bench: number; server: number | null } {
  const { worker, server } = sampleCpu(temporal.pid, []);
  return { bench: worker, server: server ?? null };
}
/** Milliseconds of CPU per start between two readings of cpuSeconds. */
function cpuPerStart(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, starts: number) {
  return {
    benchMs: ((after.bench - before.bench) * 1000) / starts,
    serverMs: after.server === null || before.server === null ? null : ((after.server - before.server) * 1000) / starts,
  };
}

async function startPhase(rep: number) {
  const asOf = addDays(businessDate(new Date()), -200 * rep);
  await seedPortfolio(db, { loans, overdueShare: 1, idPrefix: `BS${run}R${rep}`, seed: 11 + rep, asOf });

  async function sweepSide() {
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    const sweep = await runSweep({ db, client, taskQueue: 'bench-unpolled', concurrency, asOf });
    return { sweep, seconds: (performance.now() - t0) / 1000, cpu: cpuPerStart(cpu0, cpuSeconds(), sweep.started) };
  }
  async function plainSide() {
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    await pool(
      Array.from({ length: loans }, (_, i) => i),
      concurrency,
      async (i) => {
        const workflowId = `bench-plain-${run}-${rep}-${i}`;
        await client.workflow.start('baseline', { taskQueue: 'bench-unpolled', workflowId, args: [{ workflowId, firstMs: 1, secondMs: 2 }] });
      },
    );
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuPerStart(cpu0, cpuSeconds(), loans) };
  }

  let swept: Awaited<ReturnType<typeof sweepSide>>;
  let plain: Awaited<ReturnType<typeof plainSide>>;
  if (rep % 2 === 0) {
    swept = await sweepSide();
    plain = await plainSide();
  } else {
    plain = await plainSide();
    swept = await sweepSide();
  }
  const { sweep, seconds: sweepSeconds } = swept;
  const plainSeconds = plain.seconds;
  const ms = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  const t0 = performance.now();
  const second = await runSweep({ db, client, taskQueue: 'bench-unpolled', concurrency, asOf });
  const secondSeconds = (performance.now() - t0) / 1000;
  const sweepRate = sweep.started / sweepSeconds;
  const plainRate = loans / plainSeconds;
  log(
    `  run ${rep + 1}/${repeat}: sweep ${sweepRate.toFixed(0)} starts/s (started ${sweep.started}, failed ${sweep.failed}); plain loop ${plainRate.toFixed(0)} starts/s; ` +
      `ratio ${(sweepRate / plainRate).toFixed(2)}${rep % 2 ? ' (plain loop ran first)' : ''}; second sweep started ${second.started}; load ${loadAverage()[0]}; ` +
      `CPU ms per start, sweep / plain: bench ${ms(swept.cpu.benchMs)} / ${ms(plain.cpu.benchMs)}, server ${ms(swept.cpu.serverMs)} / ${ms(plain.cpu.serverMs)}`,
  );
  return {
    sweep: { found: sweep.found, started: sweep.started, alreadyRunning: sweep.alreadyRunning, failed: sweep.failed, startsPerSecond: sweepRate, cpuMsPerStart: swept.cpu },
    plainLoopStartsPerSecond: plainRate,
    plainLoopCpuMsPerStart: plain.cpu,
    ratio: sweepRate / plainRate,
    firstSide: rep % 2 === 0 ? 'sweep' : 'plain',
    secondSweep: { found: second.found, started: second.started, alreadyRunning: second.alreadyRunning, seconds: secondSeconds },
  };
}

try {
  if (runs('engine')) {
    // ---- 1. engine efficiency ----
    log(`1/6 engine efficiency: ${engineLoans} loans, two reminders then payment, ${repeat} time(s)`);
    const engineRuns: Array<Awaited<ReturnType<typeof enginePhase>>> = [];
    for (let rep = 0; rep < repeat; rep++) engineRuns.push(await enginePhase(rep));
    results.engine = {
      loans: engineLoans,
      overdueLoansPerSecond: spread(engineRuns.map((r) => r.overdue)),
      baselineLoansPerSecond: spread(engineRuns.map((r) => r.baseline)),
      ratio: spread(engineRuns.map((r) => r.ratio)),
      actionsPerLoan: engineRuns[0]!.actions,
      cpuPerLoanMs: { overdue: medianCpu(engineRuns.map((r) => r.cpu.overdue)), baseline: medianCpu(engineRuns.map((r) => r.cpu.baseline)) },
      replayCpuMsPerLoan: engineRuns[0]!.replayCpuMs,
      note: 'each loan waits at least 2 s of timers; loans/s = loans / wall time from first start to last completion; ratio per repetition',
    };
  }
  if (runs('start')) {
    // ---- 2. start throughput ----
    log(`2/6 start throughput: ${loans} loans, concurrency ${concurrency}, on a task queue no worker polls, ${repeat} time(s)`);
    await warmStartPaths();
    const startRuns: Array<Awaited<ReturnType<typeof startPhase>>> = [];
    for (let rep = 0; rep < repeat; rep++) startRuns.push(await startPhase(rep));
    results.startThroughput = {
      loans,
      sweepStartsPerSecond: spread(startRuns.map((r) => r.sweep.startsPerSecond)),
      plainLoopStartsPerSecond: spread(startRuns.map((r) => r.plainLoopStartsPerSecond)),
      ratio: spread(startRuns.map((r) => r.ratio)),
      cpuMsPerStart: {
        sweepBench: spread(startRuns.map((r) => r.sweep.cpuMsPerStart.benchMs)),
        plainBench: spread(startRuns.map((r) => r.plainLoopCpuMsPerStart.benchMs)),
        ...(startRuns.every((r) => r.sweep.cpuMsPerStart.serverMs !== null && r.plainLoopCpuMsPerStart.serverMs !== null)
          ? {
              sweepServer: spread(startRuns.map((r) => r.sweep.cpuMsPerStart.serverMs!)),
              plainServer: spread(startRuns.map((r) => r.plainLoopCpuMsPerStart.serverMs!)),
            }
          : {}),
      },
      sweepFailed: startRuns.reduce((n, r) => n + r.sweep.failed, 0),
      secondSweepStarted: startRuns.reduce((n, r) => n + r.secondSweep.started, 0),
      note: 'starts/s = started / wall time of the side; ratio per repetition; the sweep runs first in even repetitions, the plain loop in odd ones; both warmed up untimed on up to 500 loans first',
      runs: startRuns,
    };
  }
  // Phases 3-6 and the open-loans phase run only in a full run (no --only).
  if (!only) {
    // ---- 3. worker memory ----
    // Once per run: a process's RSS does not go back to the system between repetitions, so a second
    // reading in the same process would not measure the same thing.
    log(`3/6 worker memory: ${loans} Overdue workflows waiting on a 30-day timer (sticky cache ${maxCachedWorkflows}; measured once)`);
    const memPrefix = `BM${run}`;
    const memSeed = await seedPortfolio(db, { loans, overdueShare: 1, idPrefix: memPrefix, seed: 13 });
    // A full collection before each reading, so garbage from the earlier phases does not hide the delta.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
    const before = process.memoryUsage();
    let t0 = performance.now();
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
      maxCachedWorkflows,
      secondsToStartAndOpen: openSeconds,
      rssDeltaMB: mb(after.rss - before.rss),
      heapUsedDeltaMB: mb(after.heapUsed - before.heapUsed),
      rssPerWorkflowKB: (after.rss - before.rss) / 1024 / memSeed.overdueLoanIds.length,
      gcExposed: Boolean(gc),
      note: 'measured once in this process, which runs the workers (maxCachedWorkflows as shown)',
    };
    log(`  RSS +${mb(after.rss - before.rss).toFixed(0)} MB, heap +${mb(after.heapUsed - before.heapUsed).toFixed(0)} MB over ${memSeed.overdueLoanIds.length} workflows`);

    // ---- 4. payment-to-close latency (on some of the waiting workflows) ----
    const latencyRuns = Math.min(repeat, Math.floor(memSeed.overdueLoanIds.length / latencySamples));
    log(`4/6 payment-to-close latency: ${latencySamples} payments through POST /v1/loans/:id/payments, ${latencyRuns} time(s)`);
    const api = buildApi({ db, client, taskQueue: queues.collections });
    const { key } = await createApiKey(db, { role: 'backend', label: 'bench' });
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (let rep = 0; rep < latencyRuns; rep++) {
      const latencies: number[] = [];
      for (const loanId of memSeed.overdueLoanIds.slice(rep * latencySamples, (rep + 1) * latencySamples)) {
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
      p50s.push(pct(latencies, 0.5));
      p99s.push(pct(latencies, 0.99));
      log(`  run ${rep + 1}/${latencyRuns}: p50 ${pct(latencies, 0.5).toFixed(0)} ms, p99 ${pct(latencies, 0.99).toFixed(0)} ms`);
    }
    await api.close();
    results.paymentToCloseMs = { samplesPerRun: latencySamples, p50: spread(p50s), p99: spread(p99s) };

    const paidCount = latencyRuns * latencySamples;
    log(`terminating the ${memSeed.overdueLoanIds.length - paidCount} workflows still waiting`);
    await pool(memSeed.overdueLoanIds.slice(paidCount), concurrency, async (loanId) => {
      await client.workflow.getHandle(workflowIdForLoan(loanId)).terminate('bench finished').catch(() => {});
    });

    // ---- open loans and a reminder wave (on by default on the cluster) ----
    if (openLoans > 0) {
      log(`open loans: ${openLoans} collections opened and left waiting, then one reminder wave for all of them`);
      const admin = postgres(process.env.BENCH_POSTGRES_ADMIN_URL ?? process.env.TEMPORAL_DB_URL ?? DEFAULT_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        results.openLoans = await openLoansPhase({
          db,
          client,
          start: startCollection,
          loans: openLoans,
          concurrency,
          run,
          waveTimeoutMs: waveTimeoutMinutes * 60_000,
          admin,
          overdueDatabase: new URL(databaseUrl).pathname.slice(1),
          temporal: cluster ? { persistence: 'overdue_temporal', visibility: 'overdue_temporal_visibility', serverPid: cluster.pids.temporal } : undefined,
          log,
        });
      } finally {
        await admin.end();
      }
    }

    // ---- 5. history size per path ----
    log('5/6 history size and Temporal actions per path (test/histories)');
    const historiesDir = fileURLToPath(new URL('../test/histories/', import.meta.url));
    const histories: Record<string, number> = {};
    const actionsPerPath: Record<string, ActionCounts> = {};
    for (const file of readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort()) {
      const history = JSON.parse(readFileSync(`${historiesDir}${file}`, 'utf8')) as { events?: HistoryEvent[] };
      histories[file.replace(/\.json$/, '')] = history.events?.length ?? 0;
      actionsPerPath[file.replace(/\.json$/, '')] = countActions(history.events ?? []);
    }
    results.historyEvents = histories;
    results.actionsPerPath = actionsPerPath;
    log('  database round trips per loan path: one loan at a time, fast-test strategy');
    results.databaseRoundTrips = await databaseRoundTripsPerPath({ db, databaseUrl: databaseUrl!, connection: nativeConnection, client, namespace: temporal.namespace });

    // ---- 6. scoring ----
    // The case-open comparison fits and activates a model: only in the scratch database, never in
    // DATABASE_URL's; once, since after it a model is active. The fit is timed `repeat` times.
    log(`6/6 scoring: ${scratch ? 'case opens without and with an active model; ' : ''}a fit of ${fitCases} synthetic closed cases, ${repeat} time(s)`);
    const caseOpen = scratch ? await scoringLatency(db, values.quick ? 20 : 100) : null;
    const fits = Array.from({ length: repeat }, () => fitTime(fitCases));
    results.scoring = { caseOpen, fit: { cases: fitCases, totalMs: spread(fits.map((f) => f.totalMs)), holdoutAuc: fits[0]!.holdoutAuc } };
  }
} finally {
  workerSet.shutdown();
  baselineWorker.shutdown();
  await running.catch(() => {});
  await Promise.all([nativeConnection.close(), connection.close(), database.close()]);
  await temporal.stop();
  await scratch?.drop();
}

const loadAtEnd = loadAverage();
results.loadAverage = { start: loadAtStart, end: loadAtEnd };
results.seconds = Number(((performance.now() - benchStarted) / 1000).toFixed(1));
writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);

type Engine = {
  overdueLoansPerSecond: Spread;
  baselineLoansPerSecond: Spread;
  ratio: Spread;
  actionsPerLoan?: { overdue: SampledActions; baseline: SampledActions };
  cpuPerLoanMs?: { overdue: CpuPerLoan; baseline: CpuPerLoan };
  replayCpuMsPerLoan?: { overdue: number; baseline: number };
};
type Start = {
  sweepStartsPerSecond: Spread;
  plainLoopStartsPerSecond: Spread;
  ratio: Spread;
  cpuMsPerStart: { sweepBench: Spread; plainBench: Spread; sweepServer?: Spread; plainServer?: Spread };
  sweepFailed: number;
  secondSweepStarted: number;
};
type Memory = { workflows: number; rssDeltaMB: number; heapUsedDeltaMB: number; rssPerWorkflowKB: number };
type Latency = { samplesPerRun: number; p50: Spread; p99: Spread };
type Scoring = { caseOpen: Awaited<ReturnType<typeof scoringLatency>> | null; fit: { cases: number; totalMs: Spread } };
const o = results.openLoans as OpenLoansResult | undefined;
const e = results.engine as Engine | undefined;
const st = results.startThroughput as Start | undefined;
const m = results.workerMemory as Memory | undefined;
const l = results.paymentToCloseMs as Latency | undefined;
const sc = results.scoring as Scoring | undefined;
const histories = (results.historyEvents ?? {}) as Record<string, number>;
const actionsPerPath = (results.actionsPerPath ?? {}) as Record<string, ActionCounts>;
const roundTrips = (results.databaseRoundTrips ?? {}) as Record<string, RoundTrips>;

const rows: Array<[string, string]> = [
  ['machine', `${cpus().length} cores; load average ${loadAtStart.join(' ')} at start, ${loadAtEnd.join(' ')} at end (1, 5, 15 min)`],
  ['repetitions per timed phase', `${repeat}: median (min, max)`],
  ...(e
    ? ([
        [`engine: Overdue workflow (${engineLoans} loans)`, fmt(e.overdueLoansPerSecond, 1, ' loans/s')],
        ['engine: baseline workflow', fmt(e.baselineLoansPerSecond, 1, ' loans/s')],
        ['engine: ratio Overdue / baseline', fmt(e.ratio, 2)],
        ...(e.actionsPerLoan
          ? ([
              ['engine: Temporal actions per loan, Overdue', describeSampledActions(e.actionsPerLoan.overdue)],
              ['engine: Temporal actions per loan, baseline', describeSampledActions(e.actionsPerLoan.baseline)],
            ] as Array<[string, string]>)
          : []),
        ...(e.cpuPerLoanMs
          ? ([
              ['engine: CPU per loan, Overdue (median)', describeCpu(e.cpuPerLoanMs.overdue)],
              ['engine: CPU per loan, baseline (median)', describeCpu(e.cpuPerLoanMs.baseline)],
            ] as Array<[string, string]>)
          : []),
        ...(e.replayCpuMsPerLoan
          ? ([
              [
                'engine: workflow code CPU per loan, by replay',
                `Overdue ${e.replayCpuMsPerLoan.overdue.toFixed(1)} ms, baseline ${e.replayCpuMsPerLoan.baseline.toFixed(1)} ms (${replays} replays of one loan's history each)`,
              ],
            ] as Array<[string, string]>)
          : []),
      ] as Array<[string, string]>)
    : []),
  ...(st
    ? ([
        [`start: sweep (${loans} loans, concurrency ${concurrency})`, fmt(st.sweepStartsPerSecond, 0, ' starts/s')],
        ['start: plain client.workflow.start loop', fmt(st.plainLoopStartsPerSecond, 0, ' starts/s')],
        ['start: ratio sweep / plain', fmt(st.ratio, 2)],
        ['start: CPU per start, sweep / plain: bench process', `${fmt(st.cpuMsPerStart.sweepBench, 2, ' ms')} / ${fmt(st.cpuMsPerStart.plainBench, 2, ' ms')}`],
        ...(st.cpuMsPerStart.sweepServer && st.cpuMsPerStart.plainServer
          ? ([['start: CPU per start, sweep / plain: Temporal server', `${fmt(st.cpuMsPerStart.sweepServer, 2, ' ms')} / ${fmt(st.cpuMsPerStart.plainServer, 2, ' ms')}`]] as Array<[string, string]>)
          : []),
        ['start: sweep failures; second sweeps started', `${st.sweepFailed}; ${st.secondSweepStarted}`],
      ] as Array<[string, string]>)
    : []),
  ...(m
    ? ([
        [
          `memory: ${m.workflows} waiting workflows, cache ${maxCachedWorkflows}, RSS delta (once)`,
          // At a few hundred workflows the delta is smaller than what the earlier phases give back to the system.
          `${m.rssDeltaMB.toFixed(0)} MB (${m.rssPerWorkflowKB.toFixed(1)} KB each)${m.workflows < 2000 ? '; too few workflows to read: noise from earlier phases' : ''}`,
        ],
        ['memory: heap used delta', `${m.heapUsedDeltaMB.toFixed(0)} MB`],
      ] as Array<[string, string]>)
    : []),
  ...(l
    ? ([
        [`payment to close (${l.samplesPerRun} via API per run), p50`, fmt(l.p50, 0, ' ms')],
        ['payment to close, p99', fmt(l.p99, 0, ' ms')],
      ] as Array<[string, string]>)
    : []),
  ...Object.entries(histories).map(([k, v]): [string, string] => [`history events; actions: ${k}`, `${v}; ${describeActions(actionsPerPath[k]!)}`]),
  ...Object.entries(roundTrips).map(([k, v]): [string, string] => [`database round trips: ${k}`, describeRoundTrips(v)]),
  ...(sc?.caseOpen
    ? ([
        [`scoring: case open p50, no model / scored (${sc.caseOpen.samples} each)`, `${sc.caseOpen.openUnscoredP50Ms?.toFixed(1) ?? '-'} / ${sc.caseOpen.openScoredP50Ms.toFixed(1)} ms`],
        ['scoring: added to a case open, p50', sc.caseOpen.addedP50Ms === null ? '- (a model was already active)' : `${sc.caseOpen.addedP50Ms.toFixed(1)} ms`],
      ] as Array<[string, string]>)
    : []),
  ...(o
    ? ([
        [`open loans: ${o.loans} started and opened`, `${o.secondsToStart.toFixed(0)} s to start (${o.startsPerSecond.toFixed(1)} starts/s), ${o.wave.openAtWave} open after ${o.secondsToStartAndOpen.toFixed(0)} s`],
        [
          'open loans: PostgreSQL growth per open loan',
          `Overdue ${(o.bytesPerOpenLoan.overdue / 1024).toFixed(1)} KB` +
            (o.bytesPerOpenLoan.temporalPersistence === null ? '; Temporal: SQLite (dev server), not measured' : `; Temporal persistence ${(o.bytesPerOpenLoan.temporalPersistence / 1024).toFixed(1)} KB, visibility ${(o.bytesPerOpenLoan.temporalVisibility! / 1024).toFixed(1)} KB`),
        ],
        ['open loans: memory', `worker RSS ${o.rssMB.worker} MB (${o.workerRssKBPerOpenLoan.toFixed(1)} KB per open loan), ${o.rssMB.workerPeakDuringWave} MB peak in the wave${o.rssMB.temporalServer === null ? '' : `; Temporal server ${o.rssMB.temporalServer} MB`}`],
        [
          `open loans: reminder wave (${o.waveLoans} at ${o.wave.at.slice(11, 19)} UTC)`,
          `${o.wave.complete ? '' : `INCOMPLETE, ${o.wave.drained} out when it timed out; `}${o.wave.seconds.toFixed(0)} s to drain (${o.wave.remindersPerSecond.toFixed(1)}/s; half by ${o.wave.secondsToHalf?.toFixed(0) ?? '-'} s, 99% by ${o.wave.secondsTo99?.toFixed(0) ?? '-'} s)${o.wave.openAtWave < o.loans ? `; met ${o.loans - o.wave.openAtWave} cases still opening` : ''}`,
        ],
      ] as Array<[string, string]>)
    : []),
  ...(sc
    ? ([[`scoring: fit of ${sc.fit.cases} closed cases`, fmt({ ...sc.fit.totalMs, median: sc.fit.totalMs.median / 1000, min: sc.fit.totalMs.min / 1000, max: sc.fit.totalMs.max / 1000 }, 1, ' s')]] as Array<[string, string]>)
    : []),
  ['wall time', `${results.seconds} s`],
];
const width = Math.max(...rows.map(([k]) => k.length));
out(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\nwritten to ${values.out}`);
// With --json the table above went to stderr; stdout's only line is this summary.
if (values.json) {
  // One line a script can read: medians with min and max, no per-run detail (that is in the results file).
  const roundCpu = (c: CpuPerLoan) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Math.round(v as number)]));
  const brief = (x: Spread, digits = 2) => ({ median: Number(x.median.toFixed(digits)), min: Number(x.min.toFixed(digits)), max: Number(x.max.toFixed(digits)) });
  const summary = {
    at: results.at,
    quick: values.quick,
    repeat,
    cpus: cpus().length,
    loadAverage: results.loadAverage,
    seconds: results.seconds,
    loans,
    engineLoans,
    concurrency,
    maxCachedWorkflows,
    only: only ? [...only] : null,
    engine: e
      ? {
          overdueLoansPerSecond: brief(e.overdueLoansPerSecond),
          baselineLoansPerSecond: brief(e.baselineLoansPerSecond),
          ratio: brief(e.ratio),
          actionsPerLoan: e.actionsPerLoan ? { overdue: e.actionsPerLoan.overdue.median.total, baseline: e.actionsPerLoan.baseline.median.total } : null,
          cpuPerLoanMs: e.cpuPerLoanMs ? { overdue: roundCpu(e.cpuPerLoanMs.overdue), baseline: roundCpu(e.cpuPerLoanMs.baseline) } : null,
          replayCpuMsPerLoan: e.replayCpuMsPerLoan
            ? { overdue: Number(e.replayCpuMsPerLoan.overdue.toFixed(1)), baseline: Number(e.replayCpuMsPerLoan.baseline.toFixed(1)) }
            : null,
        }
      : null,
    start: st
      ? {
          sweepStartsPerSecond: brief(st.sweepStartsPerSecond, 0),
          plainLoopStartsPerSecond: brief(st.plainLoopStartsPerSecond, 0),
          ratio: brief(st.ratio),
          cpuMsPerStart: Object.fromEntries(Object.entries(st.cpuMsPerStart).map(([k, v]) => [k, brief(v)])),
          sweepFailed: st.sweepFailed,
          secondSweepStarted: st.secondSweepStarted,
        }
      : null,
    memory: m ? { workflows: m.workflows, rssDeltaMB: Number(m.rssDeltaMB.toFixed(1)), heapUsedDeltaMB: Number(m.heapUsedDeltaMB.toFixed(1)), rssPerWorkflowKB: Number(m.rssPerWorkflowKB.toFixed(1)) } : null,
    paymentToCloseMs: l ? { samplesPerRun: l.samplesPerRun, p50: brief(l.p50, 0), p99: brief(l.p99, 0) } : null,
    historyEvents: histories,
    actionsPerPath: Object.fromEntries(Object.entries(actionsPerPath).map(([k, v]) => [k, v.total])),
    databaseRoundTrips: Object.fromEntries(Object.entries(roundTrips).map(([k, v]) => [k, v.total])),
    openLoans: o ? { loans: o.loans, startsPerSecond: Number(o.startsPerSecond.toFixed(1)), bytesPerOpenLoan: o.bytesPerOpenLoan, rssMB: o.rssMB, wave: o.wave } : null,
    scoring: sc ? { caseOpenAddedP50Ms: sc.caseOpen?.addedP50Ms == null ? null : Number(sc.caseOpen.addedP50Ms.toFixed(1)), fitCases: sc.fit.cases, fitMs: brief(sc.fit.totalMs, 0) } : null,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

process.exit(0);
