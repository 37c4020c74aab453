// Builds Overdue's workers: the collections queue runs the workflows, their case (database)
// activities and the sweep activity; each channel has its own queue so Temporal enforces the provider's rate limit
// (maxTaskQueueActivitiesPerSecond) however many workers poll it.
import { fileURLToPath } from 'node:url';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { logger as rootLogger } from '../observability/logger';
import type { CaseActivities, ChannelActivities, SweepActivities } from '../contracts/activities';
import { DEFAULT_MAX_CACHED_WORKFLOWS, type Config } from './config';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The pure modules the workflows import (domain/: no Temporal import, no I/O, no state but caches of
 * pure results), loaded once into the worker's reusable V8 context and shared by every workflow in it
 * (BundleOptions.preloadModules; the SDK freezes their exports). Any other module is instantiated again
 * for each workflow in the sticky cache, with its own copy of module-level state: the compliance rules'
 * cache of Intl.DateTimeFormat per time zone, for one, which is native (ICU) memory. And one module
 * for its side effect on the sandbox: workflows/stack-frames.ts sets how deep its stack traces go.
 */
export const sharedWorkflowModules = ['workflows/stack-frames.ts', 'domain/compliance/index.ts', 'domain/ledger.ts', 'domain/money.ts', 'domain/strategy/duration.ts', 'domain/vocabulary.ts'].map((path) =>
  fileURLToPath(new URL(`../${path}`, import.meta.url)),
);

/** Bundles the workflow code once (about a second); pass the result to every worker of a process. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, preloadModules: sharedWorkflowModules, logger: quietBundlerLogger });
}

/** The bundler's logger for a worker or bench: its warnings and errors only, through Overdue's logger. */
export const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => rootLogger.warn({ component: 'bundler' }, message),
  error: (message: string) => rootLogger.error({ component: 'bundler' }, message),
};

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  queues: Config['queues'];
  emailPerSecond: number;
  smsPerSecond: number;
  caseActivities: CaseActivities;
  channelActivities: ChannelActivities;
  /** The daily sweep's activity (run by the `sweep` workflow that the Temporal Schedule starts). */
  sweepActivities?: SweepActivities;
  /** A bundle built once for the process, or a built bundle's path ({ codePath }); unset -> bundled now. */
  bundle?: WorkflowBundleOption;
  /**
   * The collections worker's sticky-cache size (WORKER_MAX_CACHED_WORKFLOWS); default
   * DEFAULT_MAX_CACHED_WORKFLOWS; 'auto' leaves it to the SDK (sized from the V8 heap limit).
   */
  maxCachedWorkflows?: number | 'auto';
}

export interface WorkerSet {
  workers: Worker[];
  /** Runs every worker until shutdown() (or one fails). */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkers(options: WorkerSetOptions): Promise<WorkerSet> {
  const { connection, namespace, queues } = options;
  const bundle = options.bundle ?? (await bundleWorkflows());
  const { sendEmail, sendSms, sendLetter } = options.channelActivities;
  const workers = await Promise.all([
    Worker.create({
      connection,
      namespace,
      taskQueue: queues.collections,
      workflowBundle: bundle,
      activities: { ...options.caseActivities, ...options.sweepActivities },
      // Bounded so a worker's memory stays flat however many loans wait on timers; an evicted workflow
      // replays its history on its next task. One V8 context shared by all workflows (the SDK's default,
      // stated so it is not lost): far less memory per cached workflow than a context each.
      ...(options.maxCachedWorkflows === 'auto' ? {} : { maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS }),
      reuseV8Context: true,
    }),
    Worker.create({
      connection,
      namespace,
      taskQueue: queues.email,
      activities: { sendEmail },
      maxTaskQueueActivitiesPerSecond: options.emailPerSecond,
    }),
    Worker.create({
      connection,
      namespace,
      taskQueue: queues.sms,
      activities: { sendSms },
      maxTaskQueueActivitiesPerSecond: options.smsPerSecond,
    }),
    Worker.create({ connection, namespace, taskQueue: queues.letter, activities: { sendLetter } }),
  ]);
  return {
    workers,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

/**
 * The Temporal runtime logs through Overdue's pino logger (activity and workflow logs at LOG_LEVEL, the
 * core's own at WARN and above), minus the start-up notes about queues that (by design) have no workflows
 * or Nexus services: channel queues run activities only. With `sdkMetricsAddress` the SDK serves its
 * Prometheus metrics there (telemetryOptions.metrics.prometheus); the worker's /metrics includes them.
 */
export function installRuntimeLogging(options: { sdkMetricsAddress?: string; level?: string } = {}): void {
  const expected = /No (workflows|Nexus services) registered/;
  const log = rootLogger.child({ component: 'temporal' }, options.level ? { level: options.level } : {});
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (expected.test(message)) return;
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
    log[method](meta ?? {}, message);
  };
  const logger: Logger = {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
  Runtime.install({
    logger,
    ...(options.sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.sdkMetricsAddress } } } } : {}),
  });
}
