// The workflow code's own CPU per loan, by replay (#19): one loan's history of the engine path, replayed
// many times through the worker's replayer, with no server, database or channel in the way. The engine
// phase's CPU per loan moves with whatever else the machine does; this figure moves far less, so a change
// to workflow code (or to what the SDK does around it) shows here when it is lost in the phase's noise.
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';

/** Replays run first and left out of the figure: the replayer's start-up and the JIT's warm-up. */
const WARM_UP = 20;

/**
 * Milliseconds of this process's CPU (all threads: the replayer's workflow thread and its core) per
 * replay of `history`, over `replays` replays after the warm-up.
 */
export async function replayCpuMs(bundle: WorkflowBundleWithSourceMap, history: temporal.api.history.v1.IHistory, replays: number): Promise<number> {
  async function* histories() {
    for (let i = 0; i < WARM_UP + replays; i++) yield { workflowId: `bench-replay-${i}`, history };
  }
  let done = 0;
  let started: NodeJS.CpuUsage | undefined;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories())) {
    if (result.error) throw result.error;
    done += 1;
    if (done === WARM_UP) started = process.cpuUsage();
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / replays;
}
