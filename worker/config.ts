// Overdue's configuration: one validated reading of the environment. Every variable is listed with
// its default in the README; a bad value fails at start-up with the variable named.
import { dataDir } from '../db/client';
import { withoutCredentials } from '../observability/logger';

export interface Config {
  /** postgres://… for PostgreSQL; unset -> embedded PGlite under <dataDir>/pglite. */
  databaseUrl?: string;
  /** Local state: the embedded database, the dev server's store, the outbox. DATA_DIR, else the repository's .data. */
  dataDir: string;
  /** An existing Temporal frontend; unset -> the project starts its own dev server. */
  temporalAddress?: string;
  temporalNamespace: string;
  temporalPort: number;
  temporalUiPort: number;
  queues: { collections: string; email: string; sms: string; letter: string };
  /** Provider rate limits, enforced by Temporal per task queue (maxTaskQueueActivitiesPerSecond). */
  emailPerSecond: number;
  smsPerSecond: number;
  /** smtp://… ; unset -> messages are written as .eml files under <dataDir>/outbox (nothing leaves the machine). */
  smtpUrl?: string;
  smtpFrom: string;
  apiPort: number;
  apiHost: string;
  defaultStrategyId: string;
  /** Where a worker process serves /metrics (METRICS_HOST:METRICS_PORT). */
  metricsHost: string;
  metricsPort: number;
  /** The Temporal SDK's own Prometheus endpoint (host:port); unset -> a free port on 127.0.0.1. */
  sdkMetricsAddress?: string;
  /**
   * Workflows the collections worker keeps in its sticky cache (Worker.create's maxCachedWorkflows);
   * beyond it the least recently used is evicted and replayed from history on its next task. 'auto' leaves
   * the size to the Temporal SDK, which derives it from the V8 heap limit.
   */
  maxCachedWorkflows: number | 'auto';
  /** A workflow bundle `npm run bundle` wrote (WORKFLOW_BUNDLE); unset -> the worker bundles at start-up. */
  workflowBundle?: string;
}

/**
 * The sticky-cache default. Temporal's TypeScript SDK otherwise derives the size from the V8 heap limit
 * (about 600 workflows per GB of heap with reuseV8Context, WorkerOptions.maxCachedWorkflows), so a
 * worker's memory would grow with the machine it runs on. 250, from `npm run bench -- memory` on this
 * project's 2-core machine (README, Benchmarks: worker memory): with the worker's process settings
 * (workerProcessEnv, WORKER_HEAP_GROWING_PERCENT) the whole worker held 279 MB at 10,000 open loans and
 * 327 MB at 20,000, under 400 MB at its peaks too; with 500 cached it read 419-565 MB at 1,000-2,000
 * open loans (before the heap-growth limit). An evicted loan that wakes up costs a replay of a few tens
 * of milliseconds, and a loan waiting days between steps is evicted by then whatever the size.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

/**
 * What a worker process must be started with, because glibc and V8 read it before any of Overdue's code
 * runs (README, Benchmarks: worker memory, measured with `npm run bench -- memory`):
 * - MALLOC_ARENA_MAX=2: glibc otherwise gives every thread that allocates (the Temporal core's Rust
 *   threads, the workflow thread, libuv's pool) an arena of its own, up to 8 per core, and the freed
 *   memory of a burst of workflow tasks stays scattered over them: the resident memory kept growing with
 *   the loans opened (+120 MB from 1,000 to 2,000) with the cache already full; with 2 arenas it is flat.
 * - V8's --max-semi-space-size=2 (MB): each isolate (the main thread, the workflow thread) otherwise
 *   reserves up to 16 MB per semi-space for short-lived objects; 2 MB costs more frequent scavenges,
 *   which the workflow-task latencies in the README include.
 * Settings already in `env` win: MALLOC_ARENA_MAX as given, and a --max-semi-space-size of NODE_OPTIONS
 * comes after this one.
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv = process.env): { MALLOC_ARENA_MAX: string; NODE_OPTIONS: string } {
  return {
    MALLOC_ARENA_MAX: optional(env, 'MALLOC_ARENA_MAX') ?? '2',
    NODE_OPTIONS: ['--max-semi-space-size=2', optional(env, 'NODE_OPTIONS')].filter(Boolean).join(' '),
  };
}

/**
 * How far V8 lets a worker's heaps grow past what survived the last full collection before it collects
 * again: 25 %, where V8 otherwise picks up to 300 % by how fast it collects. After a burst of workflow
 * tasks the main thread's heap stayed at 100-190 MB for 50-60 MB of live objects, and V8 gives such
 * pages back only if its memory reducer happens to run once the work stops; with 25 % the worker's
 * RSS peaked at about 300 MB opening 1,000 loans, against 400-600 MB (README, Benchmarks: worker
 * memory). Set at start-up by worker/main.ts with v8.setFlagsFromString: V8 reads it at every
 * collection, so it applies to the main thread and to the workflow thread started after it; a
 * --heap-growing-percent on node's command line wins (NODE_OPTIONS does not take it).
 */
export const WORKER_HEAP_GROWING_PERCENT = 25;

/** The V8 flag worker/main.ts sets, or undefined when the process was started with its own. */
export function workerHeapFlag(execArgv: readonly string[] = process.execArgv): string | undefined {
  const given = execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
  return given ? undefined : `--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`;
}

function text(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, { integer = false, or = '' } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}${or ? ` or ${or}` : ''} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`DATABASE_URL must be a postgres:// URL (got ${JSON.stringify(withoutCredentials(databaseUrl))}); unset it to use the embedded database`);
  }
  const smtpUrl = optional(env, 'SMTP_URL');
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new Error(`SMTP_URL must be an smtp:// or smtps:// URL (got ${JSON.stringify(withoutCredentials(smtpUrl))})`);
  return {
    databaseUrl,
    dataDir: dataDir(env),
    temporalAddress: optional(env, 'TEMPORAL_ADDRESS'),
    temporalNamespace: text(env, 'TEMPORAL_NAMESPACE', 'default'),
    temporalPort: positiveNumber(env, 'TEMPORAL_PORT', 7233, { integer: true }),
    temporalUiPort: positiveNumber(env, 'TEMPORAL_UI_PORT', 8233, { integer: true }),
    queues: {
      collections: text(env, 'TASK_QUEUE', 'collections'),
      email: text(env, 'EMAIL_TASK_QUEUE', 'channel-email'),
      sms: text(env, 'SMS_TASK_QUEUE', 'channel-sms'),
      letter: text(env, 'LETTER_TASK_QUEUE', 'channel-letter'),
    },
    emailPerSecond: positiveNumber(env, 'EMAIL_RATE_PER_SECOND', 20),
    smsPerSecond: positiveNumber(env, 'SMS_RATE_PER_SECOND', 10),
    smtpUrl,
    smtpFrom: text(env, 'SMTP_FROM', 'Overdue <collections@example.com>'),
    apiPort: positiveNumber(env, 'API_PORT', 3000, { integer: true }),
    apiHost: text(env, 'API_HOST', '127.0.0.1'),
    defaultStrategyId: text(env, 'DEFAULT_STRATEGY', 'cn-consumer'),
    metricsHost: text(env, 'METRICS_HOST', '127.0.0.1'),
    metricsPort: positiveNumber(env, 'METRICS_PORT', 9464, { integer: true }),
    sdkMetricsAddress: optional(env, 'TEMPORAL_METRICS_ADDRESS'),
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS === 'auto' ? 'auto' : positiveNumber(env, 'WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS, { integer: true, or: "'auto'" }),
    workflowBundle: optional(env, 'WORKFLOW_BUNDLE'),
  };
}

/**
 * The Temporal frontend every entry point dials (start, api, worker, the CLI): TEMPORAL_ADDRESS, else the
 * dev server's port on this machine, 127.0.0.1:TEMPORAL_PORT.
 */
export function temporalAddress(config: Pick<Config, 'temporalAddress' | 'temporalPort'>): string {
  return config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
}
