// The parts the fault suite breaks on purpose, each behind a small handle: an SMTP sink that can be
// stopped and restarted on the same port (and told to answer 4xx/5xx), an SMS webhook sink that
// timestamps every request, the worker as a real child process that can be SIGKILLed, PostgreSQL
// refusing connections, and the Temporal dev server stopped and restarted on its persisted SQLite file
// (or, with TEMPORAL_ADDRESS, the server `npm run cluster` runs, restarted through its supervisor).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { dataDir } from '../../db/client';
import { createScratchDatabase } from '../../scripts/lib/scratch-database';
import { freePort, startTemporal, waitForTemporal, type TemporalServer } from '../../scripts/lib/temporal';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// ---- SMTP ----

export interface ReceivedMail {
  messageId: string;
  subject: string;
  at: number;
}

export interface RestartableSmtpSink {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** The next `count` transactions are refused with `code` (4xx: try later; 5xx: refused for good). */
  failNext(count: number, code: number): void;
  /** Stops listening: clients get connection refused until start(). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  readonly running: boolean;
}

export async function startRestartableSmtpSink(): Promise<RestartableSmtpSink> {
  const port = await freePort();
  const messages: ReceivedMail[] = [];
  let failures = 0;
  let failCode = 451;
  let server: SMTPServer | undefined;

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        if (failures > 0) {
          failures -= 1;
          const code = failCode;
          stream.resume();
          stream.on('end', () => callback(Object.assign(new Error(code >= 500 ? 'rejected' : 'try again later'), { responseCode: code })));
          return;
        }
        simpleParser(stream)
          .then((mail) => {
            messages.push({ messageId: mail.messageId ?? '', subject: mail.subject ?? '', at: Date.now() });
            callback();
          })
          .catch(callback);
      },
    });

  const sink: RestartableSmtpSink = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    failNext(count, code) {
      failures = count;
      failCode = code;
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async start() {
      if (server) return;
      const next = create();
      await new Promise<void>((resolve, reject) => {
        next.server.once('error', reject);
        next.listen(port, '127.0.0.1', () => resolve());
      });
      server = next;
    },
    get running() {
      return server !== undefined;
    },
  };
  await sink.start();
  return sink;
}

// ---- SMS webhook: the shared test endpoint (test/support/webhook-sink.ts), which timestamps each call ----

export type { WebhookCall as SmsRequest } from '../support/webhook-sink';

// ---- the worker process ----

export interface WorkerProcess {
  /** SIGKILLs the running worker (no shutdown, no cleanup) and starts a fresh one. */
  killAndRestart(): Promise<void>;
  /** How many worker processes were started, and how many exited without being killed by us. */
  readonly starts: number;
  readonly unexpectedExits: number;
  stop(): Promise<void>;
}

/**
 * Runs `node --import tsx worker/main.ts` as one process (so SIGKILL reaches the worker itself, not a
 * wrapper). An exit we did not cause (e.g. Temporal or PostgreSQL unreachable at start-up) is followed by
 * a restart a second later, the way a process supervisor would.
 */
export function superviseWorker(env: NodeJS.ProcessEnv, logDir: string): WorkerProcess {
  mkdirSync(logDir, { recursive: true });
  let child: ChildProcess | undefined;
  let starts = 0;
  let unexpectedExits = 0;
  let stopping = false;
  let log: WriteStream | undefined;

  const launch = () => {
    starts += 1;
    log?.end();
    log = createWriteStream(join(logDir, `worker-${starts}.log`));
    const proc = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    proc.once('exit', () => {
      if (child !== proc) return;
      child = undefined;
      if (stopping) return;
      unexpectedExits += 1;
      setTimeout(() => {
        if (!stopping && !child) launch();
      }, 1_000);
    });
    child = proc;
  };
  launch();

  const killCurrent = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    child = undefined;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    async killAndRestart() {
      await killCurrent('SIGKILL');
      if (!stopping) launch();
    },
    get starts() {
      return starts;
    },
    get unexpectedExits() {
      return unexpectedExits;
    },
    async stop() {
      stopping = true;
      await killCurrent('SIGTERM');
      log?.end();
    },
  };
}

// ---- PostgreSQL ----

export interface SuiteDatabase {
  name: string;
  url: string;
  /** Refuses new connections and ends the open ones; `restore()` lets them in again. */
  refuseConnections(): Promise<void>;
  restore(): Promise<void>;
  drop(): Promise<void>;
}

export async function createSuiteDatabase(adminUrl: string, prefix = 'overdue_faults'): Promise<SuiteDatabase> {
  const scratch = await createScratchDatabase(`${prefix}_${process.pid}_${Date.now()}`, adminUrl);
  const { name, admin } = scratch;
  return {
    name,
    url: scratch.url,
    async refuseConnections() {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.unsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
    },
    async restore() {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    async drop() {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await scratch.drop();
    },
  };
}

// ---- Temporal ----

export interface RestartableTemporal {
  address: string;
  stop(): Promise<void>;
  /** Starts the server again on the same port and SQLite file; resolves once it answers. */
  start(): Promise<void>;
  /** At the end of the run: stops a server the suite started; leaves the cluster running. */
  close(): Promise<void>;
}

export async function startRestartableTemporal(dbFile: string, log: (line: string) => void): Promise<RestartableTemporal> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) return clusterTemporal(external, log);
  const [port, uiPort] = [await freePort(), await freePort()];
  let server: TemporalServer | undefined = await startTemporal({ dbFile, port, uiPort, log });
  return {
    address: server.address,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async close() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      if (server) return;
      // The old process may hold the port for a moment after exit.
      for (let attempt = 1; ; attempt += 1) {
        try {
          server = await startTemporal({ dbFile, port, uiPort, log });
          return;
        } catch (error) {
          if (attempt >= 20 || !/already in use/.test((error as Error).message)) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
  };
}

/**
 * The server `npm run cluster` runs (Temporal on PostgreSQL), when TEMPORAL_ADDRESS names it: stop()
 * sends SIGUSR2 to the cluster's supervisor, which stops the server and starts it again on the same
 * databases (scripts/cluster.ts), and waits until the old process is gone; start() waits until the new
 * one answers. Any other external server is refused: the suite must be able to restart what it tests.
 */
function clusterTemporal(address: string, log: (line: string) => void): RestartableTemporal {
  const file = join(dataDir(), 'cluster', 'cluster.json');
  const read = () => JSON.parse(readFileSync(file, 'utf8')) as { address: string; namespace: string; pid?: number; pids: { temporal: number } };
  const state = existsSync(file) ? read() : undefined;
  if (!state || state.address !== address || !state.pid) {
    throw new Error(
      `TEMPORAL_ADDRESS=${address} is not the server 'npm run cluster' runs (${file}${state ? ` names ${state.address}` : ' is missing'}): ` +
        'the fault suite restarts the server it tests, so it runs against its own dev server (unset TEMPORAL_ADDRESS) or that cluster',
    );
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let stoppedPid: number | undefined;
  return {
    address,
    async stop() {
      stoppedPid = read().pids.temporal;
      log(`restarting the cluster's Temporal server (pid ${stoppedPid}) through its supervisor (pid ${state.pid})`);
      process.kill(state.pid!, 'SIGUSR2');
      // The server is the cluster supervisor's child, not ours: no exit event reaches this process, so
      // its pid is probed (signal 0) until it is gone, with a deadline. The same holds for start(), which
      // reads the supervisor's state file for the new server's pid.
      for (let waited = 0; alive(stoppedPid); waited += 200) {
        if (waited > 30_000) throw new Error(`the cluster's Temporal server (pid ${stoppedPid}) did not stop within 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async start() {
      const deadline = Date.now() + 120_000;
      while (read().pids.temporal === stoppedPid) {
        if (Date.now() > deadline || !alive(state.pid!)) throw new Error('the cluster did not restart its Temporal server within 120 s');
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitForTemporal(address, state.namespace, 60_000);
      log(`the cluster's Temporal server is back (pid ${read().pids.temporal})`);
    },
    async close() {},
  };
}
