// `npm start` as a newcomer and a process manager meet it: a real process tree (npm, tsx, the app, the
// Temporal dev server) on free ports with its own data directory. It prints keys that work at once,
// holds the embedded database against a second process, stops everything on SIGTERM, and reports
// start-up mistakes as one line naming the variable to change.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../scripts/lib/temporal';

const root = resolve(import.meta.dirname, '../../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const dirs: string[] = [];
const started: ChildProcess[] = [];

afterAll(() => {
  // A failed assertion must not leave a process tree behind: each was started in its own group.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) killGroup(child.pid!);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'overdue-start-'));
  dirs.push(dir);
  return dir;
}

/** The environment of a fresh checkout: nothing Overdue-specific inherited from the test run. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'API_PORT', 'API_HOST', 'DATA_DIR', 'SMTP_URL']) delete env[name];
  return { ...env, ...extra };
}

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000}s`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const server = createServer();
    server.once('error', () => r(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => r(true)));
  });
}

/** Lines written to stderr, ignoring blank ones. */
const errorLines = (r: Run) => r.stderr().split('\n').filter((line) => line.trim() !== '');

describe('npm start', () => {
  it('prints keys that work at once, holds the embedded database, and stops everything on SIGTERM', async () => {
    const dir = dataDir();
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env = cleanEnv({ DATA_DIR: dir, API_PORT: String(apiPort), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort) });
    const app = run('npm', ['start', '--silent'], env);
    const api = `http://127.0.0.1:${apiPort}`;

    await until('the API to answer', 120_000, async () => {
      if (app.child.exitCode !== null) throw new Error(`npm start exited early:\n${app.stdout()}\n${app.stderr()}`);
      return fetch(`${api}/healthz`).then((r) => r.ok, () => false);
    });
    await until('the first keys to be printed', 10_000, () => /operator\s+ovd_operator_/.test(app.stdout()));

    // The keys npm start printed work against the API it runs.
    const operatorKey = /operator\s+(ovd_operator_\S+)/.exec(app.stdout())![1]!;
    const backendKey = /backend\s+(ovd_backend_\S+)/.exec(app.stdout())![1]!;
    const listed = await fetch(`${api}/v1/collections`, { headers: { authorization: `Bearer ${operatorKey}` } });
    expect(listed.status).toBe(200);
    const borrower = await fetch(`${api}/v1/borrowers/B-start-1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${backendKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(borrower.status).toBe(400); // past authentication: the empty body is what is wrong
    expect((await fetch(`${api}/v1/collections`)).status).toBe(401);

    // A second process on the same embedded database is refused, naming the holder and what to do.
    const startPid = (JSON.parse(readFileSync(`${join(dir, 'pglite')}.lock`, 'utf8')) as { pid: number }).pid;
    const cli = run(tsx, ['scripts/overdue.ts', 'keys', 'create', '--role', 'backend'], env);
    expect((await within(cli.exited, 30_000, 'the CLI')).code).toBe(1);
    expect(errorLines(cli)).toEqual([expect.stringMatching(new RegExp(`in use by npm start \\(pid ${startPid}\\).*DATABASE_URL`))]);

    const devServerPid = Number(/dev server pid (\d+)/.exec(app.stdout())![1]);
    expect(isAlive(devServerPid)).toBe(true);

    // SIGTERM to npm itself, as Docker or systemd would send it.
    const stoppedAt = Date.now();
    app.child.kill('SIGTERM');
    await within(app.exited, 30_000, 'npm start to exit after SIGTERM');
    await until('the app to exit', 30_000, () => !isAlive(startPid));
    await until('the Temporal dev server to exit', 15_000, () => !isAlive(devServerPid));
    const stopSeconds = (Date.now() - stoppedAt) / 1000;
    expect(stopSeconds).toBeLessThan(30);
    for (const port of [apiPort, temporalPort, uiPort]) expect(await portIsFree(port)).toBe(true);
    expect(existsSync(`${join(dir, 'pglite')}.lock`)).toBe(false);

    // The database is free again: the CLI can now make a key.
    const after = run(tsx, ['scripts/overdue.ts', 'keys', 'create', '--role', 'backend', '--json'], env);
    expect((await within(after.exited, 30_000, 'the CLI')).code).toBe(0);
    expect(JSON.parse(after.stdout())).toMatchObject({ role: 'backend', key: expect.stringMatching(/^ovd_backend_/) });
  });

  it('a port already in use is one line naming API_PORT, before anything slow starts', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const began = Date.now();
      const app = run(tsx, ['scripts/start.ts'], cleanEnv({ DATA_DIR: dataDir(), API_PORT: String(port), TEMPORAL_PORT: String(await freePort()) }));
      expect((await within(app.exited, 30_000, 'start')).code).toBe(1);
      expect(errorLines(app)).toEqual([expect.stringMatching(new RegExp(`port ${port} .*already in use.*API_PORT`))]);
      // No dev server was started: the check comes first.
      expect(app.stdout()).not.toMatch(/Temporal at/);
      expect(Date.now() - began).toBeLessThan(20_000);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a database that refuses connections is one line naming the cause and DATABASE_URL', async () => {
    const port = await freePort();
    const app = run(tsx, ['scripts/start.ts'], cleanEnv({ DATA_DIR: dataDir(), DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/overdue`, API_PORT: String(await freePort()), TEMPORAL_PORT: String(await freePort()) }));
    expect((await within(app.exited, 60_000, 'start')).code).toBe(1);
    expect(errorLines(app)).toEqual([expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port}/overdue: connection refused.*DATABASE_URL`))]);
    expect(app.stderr()).not.toMatch(/Failed query|\n\s+at /);
  });

  it('an unreachable TEMPORAL_ADDRESS is one line naming it', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const app = run(tsx, ['scripts/start.ts'], cleanEnv({ DATA_DIR: dataDir(), TEMPORAL_ADDRESS: address, API_PORT: String(await freePort()) }));
    expect((await within(app.exited, 60_000, 'start')).code).toBe(1);
    expect(errorLines(app)).toEqual([expect.stringMatching(new RegExp(`TEMPORAL_ADDRESS=${address} does not answer.*unset TEMPORAL_ADDRESS`))]);
  });

  it('the CLI dials 127.0.0.1:TEMPORAL_PORT like every other entry point', async () => {
    const port = await freePort();
    const cli = run(tsx, ['scripts/overdue.ts', 'status', 'no-such-loan'], cleanEnv({ DATABASE_URL: inject('databaseUrl'), TEMPORAL_PORT: String(port) }));
    expect((await within(cli.exited, 60_000, 'the CLI')).code).toBe(1);
    expect(errorLines(cli)).toEqual([expect.stringMatching(new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${port} .*TEMPORAL_ADDRESS`))]);
  });

  it('every entry point answers --help without starting anything', async () => {
    const dir = dataDir();
    const scripts = ['scripts/start.ts', 'scripts/api.ts', 'worker/main.ts', 'scripts/db-migrate.ts', 'scripts/db-seed.ts', 'scripts/demo.ts', 'scripts/report.ts', 'scripts/compliance-report.ts', 'scripts/overdue.ts', 'scripts/temporal-cli.ts', 'scripts/temporal-dev.ts'];
    const runs = scripts.map((script) => ({ script, run: run(tsx, [script, '--help'], cleanEnv({ DATA_DIR: dir })) }));
    for (const { script, run: r } of runs) {
      const { code } = await within(r.exited, 60_000, `${script} --help`);
      expect({ script, code, usage: /Usage:/.test(r.stdout()) }).toEqual({ script, code: 0, usage: true });
    }
    // Nothing was created: no database, no dev-server store.
    expect(existsSync(join(dir, 'pglite'))).toBe(false);
    expect(existsSync(join(dir, 'temporal.sqlite'))).toBe(false);
  });
});
