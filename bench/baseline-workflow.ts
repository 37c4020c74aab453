// The engine baseline for bench/run.ts: the same shape as Overdue's "two reminders then payment" path
// — two timers, two activities, then wait for the payment signal — with none of Overdue's logic or
// database work, so the ratio of the two throughputs is the cost of Overdue's own code and I/O.
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface BaselineActivities {
  remind(input: { workflowId: string; step: number }): Promise<void>;
}

const { remind } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1m' });

export const baselinePaid = defineSignal('baselinePaid');

export async function baseline({ workflowId, firstMs, secondMs }: { workflowId: string; firstMs: number; secondMs: number }): Promise<string> {
  let paid = false;
  setHandler(baselinePaid, () => {
    paid = true;
  });
  await sleep(firstMs);
  await remind({ workflowId, step: 1 });
  await sleep(Math.max(1, secondMs - firstMs));
  await remind({ workflowId, step: 2 });
  await condition(() => paid);
  return 'cured';
}
