// The options of `npm run bench -- memory` (bench/memory.ts), read apart from the run so that their
// rules can be tested without a server: checkpoint sizes, the sticky-cache setting handed to the
// worker process, its heap limit, the start pacing and the latency samples.
import { parseArgs } from 'node:util';

export const MEMORY_HELP = `Usage: npm run bench -- memory [options]

Worker memory and the cost of a sticky-cache eviction, in a worker process of its own (worker/main.ts,
as 'npm run worker' runs it) on one ephemeral Temporal dev server. Opens loans whose first step is 30
days away, in order, up to each checkpoint size; at each checkpoint, once the worker is idle and has
been left alone for --settle seconds, reads the worker's resident memory (RSS, /proc; and as the last
loan opened), where it is (file-backed, the main thread's V8 heap and external memory, the rest) and
its sticky-cache size (the SDK's temporal_sticky_cache_size). The worker starts with the process
settings of 'npm run worker' (worker/config.ts, workerProcessEnv: MALLOC_ARENA_MAX, V8 semi-spaces).
After the last checkpoint it pays --samples loans still in the cache (the newest) and --samples loans
evicted from it (the oldest), one at a time, and reads the latency of the workflow task that handles
each payment from the workflow's history (scheduled -> completed, and started -> completed: the worker's
own time, replay included). Prints the RSS by open loans last; writes bench/memory-results.json after
every checkpoint (complete: false) and at the end; --json prints it as one line on stdout.
Needs PostgreSQL: DATABASE_URL, or a scratch database created on BENCH_POSTGRES_ADMIN_URL (default
postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.

Options:
  --sizes <n,n,...>   Open loans at each checkpoint, increasing (default 10000,50000)
  --max-cached <n|auto>
                      The worker's WORKER_MAX_CACHED_WORKFLOWS (default: this environment's, else the
                      worker's default); auto leaves it to the Temporal SDK (sized from the heap limit)
  --heap-mb <n>       The worker's V8 heap limit, --max-old-space-size (default: node's own)
                      (the worker inherits this environment: WORKFLOW_BUNDLE=<file> runs a built bundle)
  --concurrency <n>   Starts in flight at once (default 50)
  --window <n>        At most this many started loans not yet waiting on their timer (default 1000:
                      the dev server's SQLite store falls behind with thousands of tasks queued)
  --settle <seconds>  Quiet time before each reading, the bench not touching the worker (default 30):
                      V8 gives heap pages back some seconds after allocation stops, as in a worker
                      whose loans wait days; the reading as the last loan opened is kept beside it
  --samples <n>       Payments per latency group, cached and evicted (default 100)
  --temporal <where>  dev (default) or cluster (the server 'npm run cluster' runs)
  --out <file>        Results file (default bench/memory-results.json)
  --json              Print the results as one line of JSON on stdout; progress goes to stderr
  -h, --help          Show this help
`;

export interface MemoryOptions {
  sizes: number[];
  /** undefined: the environment's WORKER_MAX_CACHED_WORKFLOWS, else the worker's own default. */
  maxCached?: number | 'auto';
  heapMb?: number;
  concurrency: number;
  window: number;
  samples: number;
  settleSeconds: number;
  temporal: 'dev' | 'cluster';
  out?: string;
  json: boolean;
  help: boolean;
}

function wholeNumber(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min} (got ${JSON.stringify(raw)})`);
  return value;
}

/** Reads the memory bench's arguments; a bad value throws with the option named. */
export function parseMemoryOptions(argv: string[]): MemoryOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '10000,50000' },
      'max-cached': { type: 'string' },
      'heap-mb': { type: 'string' },
      concurrency: { type: 'string', default: '50' },
      window: { type: 'string', default: '1000' },
      samples: { type: 'string', default: '100' },
      settle: { type: 'string', default: '30' },
      temporal: { type: 'string', default: 'dev' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const sizes = values.sizes.split(',').map((s) => wholeNumber('--sizes', s.trim(), 1));
  for (let i = 1; i < sizes.length; i++) {
    if (sizes[i]! <= sizes[i - 1]!) throw new Error(`--sizes must increase (got ${JSON.stringify(values.sizes)})`);
  }
  const rawCached = values['max-cached'];
  const maxCached = rawCached === undefined ? undefined : rawCached === 'auto' ? 'auto' : wholeNumber('--max-cached', rawCached, 1);
  if (values.temporal !== 'dev' && values.temporal !== 'cluster') throw new Error(`--temporal must be dev or cluster (got ${JSON.stringify(values.temporal)})`);
  const samples = wholeNumber('--samples', values.samples, 1);
  if (2 * samples > sizes[sizes.length - 1]!) throw new Error(`--samples ${samples} needs at least ${2 * samples} loans at the last checkpoint`);
  return {
    sizes,
    maxCached,
    heapMb: values['heap-mb'] === undefined ? undefined : wholeNumber('--heap-mb', values['heap-mb'], 256),
    concurrency: wholeNumber('--concurrency', values.concurrency, 1),
    window: wholeNumber('--window', values.window, 1),
    samples,
    settleSeconds: wholeNumber('--settle', values.settle, 0),
    temporal: values.temporal,
    out: values.out,
    json: values.json,
    help: values.help,
  };
}

/** The value `p` (0..1) of the sorted samples: the smallest at or above that share (nearest rank). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.max(0, Math.ceil(p * s.length) - 1)]! : NaN;
}

/**
 * Sums a Prometheus text exposition's samples named `name` (every label set), or undefined when there
 * is none: the worker's /metrics carries the Temporal SDK's metrics with a label per task queue.
 */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}
