// The `overdue` CLI as an operator runs it: a child process from the repository's root, with the
// environment the test gives it. A non-zero exit is a result to assert on, not an error.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${repo}node_modules/.bin/tsx`;

/** Runs `overdue <args>` with `env`; the exit code, stdout and stderr, whatever the code. */
export async function runOverdue(env: NodeJS.ProcessEnv, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ['scripts/overdue.ts', ...args], { cwd: repo, env, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
