// A real worker process (worker/main.ts) for the tests that need one apart from the harness's in-process
// workers: the metrics test and the cluster failover test (and bench/memory.ts, which measures one).
// Each serves /metrics on a free port, which it does once its workers are created: that is when it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/lib/temporal';
import { workerProcessEnv } from '../../worker/config';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  metricsUrl: string;
  /** The last 4,000 characters it wrote, for failure messages. */
  output: () => string;
}

/**
 * Starts worker/main.ts as production starts it (its memory settings, workerProcessEnv) with `env` on top
 * of this process's environment and a METRICS_PORT of its own.
 */
export async function spawnWorker(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, ...workerProcessEnv({ ...process.env, ...env }), METRICS_PORT: String(port) },
  });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, metricsUrl: `http://127.0.0.1:${port}/metrics`, output: () => output };
}

/**
 * Polls `check` until it holds: for outside events no signal announces (a process serving HTTP, a
 * counter moving, messages reaching a sink). Fails with `what` and `context()` after `timeoutMs`.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, options: { timeoutMs: number; context?: () => string; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${options.timeoutMs / 1000} s${options.context ? `:\n${options.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/** Waits until the worker serves /metrics; fails at once if it exits first. */
export async function untilServing(worker: WorkerProcess, timeoutMs = 90_000): Promise<void> {
  await until(
    'worker serving /metrics',
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited early:\n${worker.output()}`);
      return fetch(worker.metricsUrl).then((r) => r.ok, () => false);
    },
    { timeoutMs, context: worker.output, intervalMs: 250 },
  );
}
