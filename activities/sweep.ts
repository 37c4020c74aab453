// The daily sweep as an activity, for the Temporal Schedule: heartbeats its progress so a worker crash
// is noticed within the heartbeat timeout, and a retry simply sweeps again (starting is idempotent).
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import { runSweep } from '../client/sweep';
import type { SweepActivities } from '../contracts/activities';

export function createSweepActivities(deps: { db: Database; client: Client; taskQueue: string }): SweepActivities {
  return {
    async runDailySweep(input) {
      const context = Context.current();
      let lastBeat = 0;
      return runSweep({
        db: deps.db,
        client: deps.client,
        taskQueue: deps.taskQueue,
        asOf: input.asOf,
        concurrency: input.concurrency,
        signal: context.cancellationSignal,
        onProgress(progress) {
          if (Date.now() - lastBeat < 1000) return;
          lastBeat = Date.now();
          context.heartbeat(progress);
        },
      });
    },
  };
}
