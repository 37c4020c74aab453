// `npm run bench -- memory`: the collections worker's memory with many open loans waiting on timers,
// and what a sticky-cache eviction costs when such a loan wakes up (issue #19). The worker is a process
// of its own, worker/main.ts as `npm run worker` runs it, so its RSS is the whole worker's: Node, the
// Temporal core, the workflow bundle, the sticky cache and the database pool, and nothing of the bench.
// Options and their rules: bench/memory-options.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { sql } from 'drizzle-orm';
import { createScratchDatabase } from '../scripts/lib/scratch-database';
import { recordPaymentAndSignal, startCollectionRun } from '../client/collection';
import { workflowIdForLoan } from '../contracts/messages';
import { createDatabase, dataDir, queryRows, type Database } from '../db/client';
import { migrateDb } from '../db/migrate';
import { getLoanPosition } from '../db/repository/ledger';
import { saveStrategy } from '../db/repository/strategies';
import { seedPortfolio } from '../db/seed';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import { parseStrategy } from '../domain/strategy/validate';
import { startTemporal } from '../scripts/lib/temporal';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../worker/config';
import { spawnWorker, untilServing, type WorkerProcess } from '../test/support/worker-process';
import { MEMORY_HELP, metricSum, parseMemoryOptions, percentile, type MemoryOptions } from './memory-options';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAverage = () => loadavg().map((x) => Number(x.toFixed(2)));

/** Runs `fn` over `items`, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The worker's resident memory now and at its peak (VmRSS, VmHWM), in MB. */
function residentMemory(pid: number): { rssMB: number; peakRssMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakRssMB: kb('VmHWM') / 1024 };
}

/**
 * Where the worker's resident memory is, in MB: file-backed pages (the node binary, the Temporal core's
 * native library, mapped code) and anonymous ones (/proc/<pid>/smaps_rollup); of the anonymous, the
 * main thread's V8 heap and its external memory (buffers), from the worker's own Node metrics
 * (prom-client's nodejs_heap_size_total_bytes, nodejs_external_memory_bytes). The rest of the anonymous
 * memory is the workflow thread's V8 heap (the sticky cache lives there), the Temporal core (Rust) and
 * the allocator's free lists.
 */
async function memoryBreakdown(pid: number, metricsText: string): Promise<MemoryBreakdown> {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  const mb = (bytes: number | undefined) => Math.round((bytes ?? NaN) / 1024 / 1024);
  const anonymousMB = Math.round(kb('Anonymous') / 1024);
  const mainHeapMB = mb(metricSum(metricsText, 'nodejs_heap_size_total_bytes'));
  const mainExternalMB = mb(metricSum(metricsText, 'nodejs_external_memory_bytes'));
  return {
    fileBackedMB: Math.round((kb('Rss') - kb('Anonymous')) / 1024),
    anonymousMB,
    mainThreadHeapMB: mainHeapMB,
    mainThreadHeapUsedMB: mb(metricSum(metricsText, 'nodejs_heap_size_used_bytes')),
    mainThreadExternalMB: mainExternalMB,
    otherAnonymousMB: anonymousMB - mainHeapMB - mainExternalMB,
  };
}

interface MemoryBreakdown {
  fileBackedMB: number;
  anonymousMB: number;
  mainThreadHeapMB: number;
  mainThreadHeapUsedMB: number;
  mainThreadExternalMB: number;
  /** The workflow thread's V8 heap, the Temporal core and the allocator's free memory. */
  otherAnonymousMB: number;
}

const describeBreakdown = (b: MemoryBreakdown) =>
  `file-backed ${b.fileBackedMB} MB, anonymous ${b.anonymousMB} MB (main thread heap ${b.mainThreadHeapMB} MB, ${b.mainThreadHeapUsedMB} used, external ${b.mainThreadExternalMB} MB; workflow thread, core and allocator ${b.otherAnonymousMB} MB)`;

/** The latency of the workflow task that handled the payment: the first one scheduled after the signal. */
interface TaskLatency {
  scheduledToCompletedMs: number;
  startedToCompletedMs: number;
}

interface HistoryJson {
  events: Array<{ eventType: string; eventTime: string }>;
}

function paymentTaskLatency(history: HistoryJson): TaskLatency {
  const events = history.events;
  const signal = events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  const find = (type: string, from: number) => {
    const i = events.findIndex((e, j) => j > from && e.eventType === `EVENT_TYPE_WORKFLOW_TASK_${type}`);
    if (i < 0) throw new Error(`no WORKFLOW_TASK_${type} after the payment signal`);
    return i;
  };
  const scheduled = find('SCHEDULED', signal);
  const started = find('STARTED', scheduled);
  const completed = find('COMPLETED', started);
  const at = (i: number) => Date.parse(events[i]!.eventTime);
  return { scheduledToCompletedMs: at(completed) - at(scheduled), startedToCompletedMs: at(completed) - at(started) };
}

export async function runMemoryBench(argv: string[]): Promise<void> {
  let options: MemoryOptions;
  try {
    options = parseMemoryOptions(argv);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(MEMORY_HELP);
    return;
  }
  const out = (text: string) => (options.json ? process.stderr : process.stdout).write(`${text}\n`);
  const log = (line: string) => out(`[bench memory] ${line}`);
  const loadAtStart = loadAverage();
  const benchStarted = performance.now();

  const scratch = process.env.DATABASE_URL ? undefined : await createScratchDatabase(`overdue_bench_memory_${process.pid}`);
  const databaseUrl = process.env.DATABASE_URL ?? scratch!.url;
  const database = await createDatabase(databaseUrl, { max: 4 });
  const { db } = database;
  const workerDataDir = mkdtempSync(join(tmpdir(), 'overdue-bench-memory-'));
  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;
  let temporal: Awaited<ReturnType<typeof startTemporal>> | undefined;
  try {
    await migrateDb(db);
    const clusterAddress =
      options.temporal === 'cluster'
        ? (JSON.parse(readFileSync(join(dataDir(), 'cluster', 'cluster.json'), 'utf8')) as { address: string }).address
        : undefined;
    temporal = await startTemporal({ ephemeral: true, external: clusterAddress, log });
    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });

    // A strategy whose first step is 30 days away: every loan opens its case, then waits on a timer.
    const base = findDefaultStrategy('fast-test')!;
    const longWait = parseStrategy({
      ...base,
      id: 'bench-memory-long-wait',
      name: 'Bench: first reminder in 30 days',
      segments: [{ id: 'all', when: {}, path: 'wait' }],
      paths: { wait: [{ kind: 'reminder', steps: [{ after: 'P30D', from: 'stageEntry', channel: 'email', template: 'reminder-friendly' }], waitAfterLast: 'P30D' }] },
    });
    await saveStrategy(db, { id: longWait.id, version: longWait.version, document: longWait });

    const queues = { TASK_QUEUE: 'bench-memory-collections', EMAIL_TASK_QUEUE: 'bench-memory-email', SMS_TASK_QUEUE: 'bench-memory-sms', LETTER_TASK_QUEUE: 'bench-memory-letter' };
    const nodeOptions = [process.env.NODE_OPTIONS, options.heapMb ? `--max-old-space-size=${options.heapMb}` : undefined].filter(Boolean).join(' ');
    worker = await spawnWorker({
      ...queues,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      DATA_DIR: workerDataDir,
      ...(options.maxCached === undefined ? {} : { WORKER_MAX_CACHED_WORKFLOWS: String(options.maxCached) }),
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    });
    await untilServing(worker);
    const pid = worker.child.pid!;
    const maxCachedSetting = options.maxCached ?? process.env.WORKER_MAX_CACHED_WORKFLOWS ?? `default (${DEFAULT_MAX_CACHED_WORKFLOWS})`;
    const metrics = async () => (await fetch(worker!.metricsUrl)).text();
    const metric = async (name: string) => metricSum(await metrics(), name) ?? 0;
    log(`${cpus().length} cores, load average ${loadAtStart.join(' ')}; worker pid ${pid}, WORKER_MAX_CACHED_WORKFLOWS ${maxCachedSetting}, heap ${options.heapMb ? `${options.heapMb} MB` : "node's default"}`);

    /**
     * Idle: every task handled so far (workflow tasks and activities, from the SDK's counters) and no
     * more for 3 readings a second apart, so the RSS is read with no work in flight.
     */
    const handled = async () => {
      const text = await metrics();
      return (metricSum(text, 'temporal_workflow_task_execution_latency_count') ?? 0) + (metricSum(text, 'temporal_activity_execution_latency_count') ?? 0);
    };
    async function untilIdle() {
      let last = await handled();
      let still = 0;
      while (still < 3) {
        await sleep(1000);
        const now = await handled();
        still = now === last ? still + 1 : 0;
        last = now;
      }
    }

    await untilIdle();
    await sleep(options.settleSeconds * 1000);
    const reading = async () => {
      const text = await metrics();
      return { ...residentMemory(pid), breakdown: await memoryBreakdown(pid, text), stickyCacheSize: metricSum(text, 'temporal_sticky_cache_size') ?? 0 };
    };
    const idle = { openLoans: 0, ...(await reading()), loadAverage: loadAverage() };
    log(`idle worker: RSS ${idle.rssMB.toFixed(0)} MB: ${describeBreakdown(idle.breakdown)}`);

    const run = Date.now().toString(36).toUpperCase();
    const like = `MEM${run}%`;
    const countOpened = async () => {
      const [row] = await queryRows<{ n: number | string }>(db, sql`SELECT count(*) AS n FROM audit_events WHERE loan_id LIKE ${like} AND action = 'case.opened'`);
      return Number(row?.n ?? 0);
    };
    const loanIds: string[] = [];
    const checkpoints: Array<typeof idle & { secondsToOpen: number; peakStickyCacheSize: number }> = [];
    const resultsFile = options.out ?? fileURLToPath(new URL('./memory-results.json', import.meta.url));
    // Written after every checkpoint too (complete: false), so a long run stopped early keeps its readings.
    const results = (rest: Record<string, unknown>) => ({
      at: new Date().toISOString(),
      cpus: cpus().length,
      loadAverage: { start: loadAtStart, end: loadAverage() },
      temporal: options.temporal,
      maxCachedWorkflows: maxCachedSetting,
      heapMb: options.heapMb ?? null,
      concurrency: options.concurrency,
      window: options.window,
      idle,
      checkpoints,
      rssMBByOpenLoans: Object.fromEntries(checkpoints.map((c) => [c.openLoans, Math.round(c.rssMB)])),
      ...rest,
      seconds: Number(((performance.now() - benchStarted) / 1000).toFixed(1)),
      note: 'RSS of the worker process (worker/main.ts) once idle; latency of the first workflow task after each payment signal, from the workflow history',
    });
    const writeResults = (rest: Record<string, unknown>) => writeFileSync(resultsFile, `${JSON.stringify(results(rest), null, 2)}\n`);
    let started = 0;
    let opened = 0;
    let refreshing: Promise<void> | undefined;
    // Waits for the count of opened cases to move: the window keeps the server's backlog bounded.
    const refreshOpened = () =>
      (refreshing ??= (async () => {
        await sleep(500);
        opened = await countOpened();
      })().finally(() => (refreshing = undefined)));
    let peakCache = 0;
    let settling = false;
    const watchCache = setInterval(() => {
      if (settling) return;
      metric('temporal_sticky_cache_size').then((n) => (peakCache = Math.max(peakCache, n)), () => {});
    }, 2000);

    try {
      for (const [i, size] of options.sizes.entries()) {
        const adding = size - loanIds.length;
        log(`checkpoint ${i + 1}/${options.sizes.length}: seeding ${adding} overdue loans`);
        const seed = await seedPortfolio(db, { loans: adding, overdueShare: 1, idPrefix: `MEM${run}C${i}`, seed: 19 + i });
        const t0 = performance.now();
        log(`  starting ${adding} loans (concurrency ${options.concurrency}, at most ${options.window} not yet waiting)`);
        let reported = Date.now();
        await pool(seed.overdueLoanIds, options.concurrency, async (loanId) => {
          while (started - opened >= options.window) await refreshOpened();
          started++;
          await startCollectionRun(client, queues.TASK_QUEUE, loanId, { strategyId: longWait.id });
          loanIds.push(loanId);
          if (Date.now() - reported > 15_000) {
            reported = Date.now();
            log(`  … ${loanIds.length.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} started, ${opened.toLocaleString('en-US')} open, worker RSS ${residentMemory(pid).rssMB.toFixed(0)} MB`);
          }
        });
        while (opened < loanIds.length) await refreshOpened();
        await untilIdle();
        const secondsToOpen = (performance.now() - t0) / 1000;
        const rssAfterBurstMB = residentMemory(pid).rssMB;
        settling = true;
        await sleep(options.settleSeconds * 1000);
        settling = false;
        const checkpoint = { openLoans: loanIds.length, ...(await reading()), rssAfterBurstMB, peakStickyCacheSize: peakCache, loadAverage: loadAverage(), secondsToOpen };
        checkpoints.push(checkpoint);
        log(
          `  ${size} open loans waiting: RSS ${checkpoint.rssMB.toFixed(0)} MB after ${options.settleSeconds} s idle (${rssAfterBurstMB.toFixed(0)} MB as the last loan opened, peak ${checkpoint.peakRssMB.toFixed(0)} MB), sticky cache ${checkpoint.stickyCacheSize} (peak ${peakCache}), ${secondsToOpen.toFixed(0)} s to open, load ${checkpoint.loadAverage.join(' ')}`,
        );
        log(`    ${describeBreakdown(checkpoint.breakdown)}`);
        writeResults({ complete: false });
      }
    } finally {
      clearInterval(watchCache);
    }

    // The replay cost: pay loans one at a time and read the workflow task that handles each payment.
    // The newest loans are the last the worker touched, so still cached; the oldest were evicted (when
    // more loans are open than the cache holds). The cached group goes first: paying an evicted loan
    // loads it and evicts the least recently used one, which is never among the newest.
    async function payGroup(label: string, group: string[]) {
      const missesBefore = await metric('temporal_sticky_cache_miss');
      const latencies: TaskLatency[] = [];
      for (const loanId of group) {
        const position = await getLoanPosition(db, loanId);
        await recordPaymentAndSignal({ db, client }, { paymentId: `${loanId}-bench`, loanId, amountMinor: position.pastDueMinor, currency: position.currency, receivedAt: new Date() });
        const handle = client.workflow.getHandle(workflowIdForLoan(loanId));
        await handle.result();
        latencies.push(paymentTaskLatency(JSON.parse(historyToJSON(await handle.fetchHistory())) as HistoryJson));
      }
      const of = (key: keyof TaskLatency) => latencies.map((l) => l[key]);
      const summary = {
        loans: group.length,
        stickyCacheMisses: (await metric('temporal_sticky_cache_miss')) - missesBefore,
        scheduledToCompletedMs: { p50: percentile(of('scheduledToCompletedMs'), 0.5), p99: percentile(of('scheduledToCompletedMs'), 0.99) },
        startedToCompletedMs: { p50: percentile(of('startedToCompletedMs'), 0.5), p99: percentile(of('startedToCompletedMs'), 0.99) },
      };
      log(
        `  ${label}: payment's workflow task scheduled->completed p50 ${summary.scheduledToCompletedMs.p50} ms, p99 ${summary.scheduledToCompletedMs.p99} ms; started->completed p50 ${summary.startedToCompletedMs.p50} ms, p99 ${summary.startedToCompletedMs.p99} ms; sticky-cache misses ${summary.stickyCacheMisses}`,
      );
      return summary;
    }
    log(`replay cost: ${options.samples} payments to cached loans (the newest), then ${options.samples} to evicted ones (the oldest), one at a time`);
    const cached = await payGroup('cached', loanIds.slice(-options.samples));
    const evicted = await payGroup('evicted', loanIds.slice(0, options.samples));
    const afterPayments = { ...residentMemory(pid), stickyCacheSize: await metric('temporal_sticky_cache_size') };

    const final = { complete: true, workflowTaskLatencyAfterPayment: { cached, evicted }, afterPayments };
    writeResults(final);
    log(`worker RSS by open loans: ${checkpoints.map((c) => `${c.openLoans.toLocaleString('en-US')}: ${Math.round(c.rssMB)} MB`).join(', ')} (idle ${Math.round(idle.rssMB)} MB, cache ${maxCachedSetting})`);
    if (options.json) process.stdout.write(`${JSON.stringify(results(final))}\n`);
  } finally {
    if (worker && worker.child.exitCode === null) {
      const exited = new Promise((r) => worker!.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
    await connection?.close();
    await temporal?.stop();
    await database.close();
    rmSync(workerDataDir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

// Also runnable on its own: `npx tsx bench/memory.ts [options]`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runMemoryBench(process.argv.slice(2));
  process.exit(0);
}
