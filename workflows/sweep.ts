// The daily sweep, started by the Temporal Schedule `overdue-daily-sweep`: one activity that starts a
// collection workflow for every delinquent loan without an open case.
import { proxyActivities } from '@temporalio/workflow';
import type { SweepActivities, SweepInput, SweepSummary } from '../contracts/activities';

const { runDailySweep } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '10s', maximumAttempts: 5 },
  summary: 'sweep delinquent loans',
});

export async function sweep(input: SweepInput = {}): Promise<SweepSummary> {
  return runDailySweep(input);
}
