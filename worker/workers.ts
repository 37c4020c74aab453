// Builds Overdue's workers: the collections queue runs the workflows, their case (database)
// activities and the sweep activity; each channel has its own queue so Temporal enforces the provider's rate limit
// (maxTaskQueueActivitiesPerSecond) however many workers poll it.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { CaseActivities, ChannelActivities, SweepActivities } from '../contracts/activities';
import type { Config } from './config';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once (about a second); pass the result to every worker of a process. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
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
  bundle?: WorkflowBundleWithSourceMap;
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
 * Temporal's core logs at WARN and above, minus the start-up notes about queues that (by design) have
 * no workflows or Nexus services: channel queues run activities only.
 */
export function installRuntimeLogging(): void {
  const expected = /No (workflows|Nexus services) registered/;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (expected.test(entry.message)) return;
      const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
      console.error(`[temporal] ${entry.level} ${entry.message}${meta}`);
    }),
  });
}
