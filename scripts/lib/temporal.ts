// Provisions the Temporal server Overdue runs on, the same way for `npm start`, the tests and CI:
//  1. TEMPORAL_ADDRESS set  -> use that server (fail clearly if it does not answer);
//  2. otherwise a Temporal CLI: TEMPORAL_CLI, the per-user cache (~/.cache/overdue/bin), then PATH;
//  3. none found but Go is available -> build the CLI into the cache with `go install` (minutes, once);
//     if that module cannot be had, build the Temporal server itself and run it on SQLite (no UI);
//  4. no Go either -> @temporalio/testing's own download (needs internet).
// The dev server keeps its state in a SQLite file under .data/ (in memory for tests) and has the
// project's search attributes registered at start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { allSearchAttributes } from '../../contracts/search-attributes';
import { logger } from '../../observability/logger';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
const SERVER_MODULE = 'go.temporal.io/server/cmd/server@v1.29.1';

export interface TemporalServer {
  /** host:port of the frontend gRPC endpoint. */
  address: string;
  namespace: string;
  /** Web UI address, when this process started a server with the UI. */
  uiUrl?: string;
  /** The dev server's process id, when this process started one. */
  pid?: number;
  /** Stops the server if this process started it; a no-op for an external TEMPORAL_ADDRESS. */
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  /** In-memory store and no UI (tests). Otherwise state persists in `dbFile`. */
  ephemeral?: boolean;
  /** SQLite file for the persisted store; default .data/temporal.sqlite. */
  dbFile?: string;
  /** Frontend port; default TEMPORAL_PORT or 7233 (ephemeral: a free port). */
  port?: number;
  /** UI port; default TEMPORAL_UI_PORT or 8233. */
  uiPort?: number;
  namespace?: string;
  /** An existing frontend to use instead of starting one; default TEMPORAL_ADDRESS. */
  external?: string;
  /** Called if the server this process started dies after it was ready, with its last output. */
  onUnexpectedExit?: (reason: string) => void;
  /** Aborting stops a server still starting (a signal during `npm start`'s start-up). */
  abort?: AbortSignal;
  log?: (line: string) => void;
}

const cliTypeName: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  BOOL: 'Bool',
  TEXT: 'Text',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'overdue');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function findGo(): string | undefined {
  return onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** Finds the Temporal CLI, building it with Go into the per-user cache when none exists. */
export function findOrBuildTemporalCli(log: (line: string) => void = (line) => logger.info(line)): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TEMPORAL_CLI points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const cached = join(cacheDir(), 'bin', 'temporal');
  if (existsSync(cached)) return cached;
  const path = onPath('temporal');
  if (path) return path;

  log('No Temporal CLI found.');
  return goInstall(process.env.TEMPORAL_CLI_MODULE ?? CLI_MODULE, cached, log);
}

/** `go install module` into the per-user cache; the path of the binary, or undefined without Go or on failure. */
function goInstall(module: string, binary: string, log: (line: string) => void): string | undefined {
  const go = findGo();
  if (!go) return undefined;
  mkdirSync(dirname(binary), { recursive: true });
  log(`Building ${module} into ${dirname(binary)}: the first build takes several minutes; later runs reuse it.`);
  const built = spawnSync(go, ['install', module], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: dirname(binary), PATH: `${dirname(go)}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (built.status === 0 && existsSync(binary)) return binary;
  log(`go install ${module} failed (exit ${built.status}).`);
  return undefined;
}

/** The fallback: the Temporal server itself (module cmd/server), built into the cache. */
export function findOrBuildTemporalServer(log: (line: string) => void = (line) => logger.info(line)): string | undefined {
  const cached = join(cacheDir(), 'bin', 'server');
  if (existsSync(cached)) return cached;
  return goInstall(SERVER_MODULE, cached, log);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolveInUse) => {
    const server = createServer();
    server.once('error', () => resolveInUse(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveInUse(false)));
  });
}

/** Waits until the frontend answers a namespace describe; throws after `timeoutMs`. */
export async function waitForTemporal(address: string, namespace: string, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = exited?.();
    if (why) throw new Error(why);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const last = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs / 1000}s (${last.split('\n')[0]})`);
}

/** Registers the project's search attributes on a server we did not start (idempotent). */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = allSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    const typeNumbers: Record<string, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, typeNumbers[key.type]!])),
    });
  } finally {
    await connection.close();
  }
}

export async function startTemporal(options: StartTemporalOptions = {}): Promise<TemporalServer> {
  const log = options.log ?? ((line: string) => logger.info(line));
  const namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';

  const external = options.external ?? process.env.TEMPORAL_ADDRESS;
  if (external) {
    try {
      await waitForTemporal(external, namespace, 10_000, () => (options.abort?.aborted ? 'stopped while waiting for Temporal' : undefined));
    } catch (error) {
      throw new Error(`TEMPORAL_ADDRESS=${external} does not answer: ${(error as Error).message}. Start that server, or unset TEMPORAL_ADDRESS to let Overdue run its own dev server.`);
    }
    await ensureSearchAttributes(external, namespace);
    return { address: external, namespace, stop: async () => {} };
  }

  const port = options.port ?? (options.ephemeral ? await freePort() : Number(process.env.TEMPORAL_PORT ?? 7233));
  const uiPort = options.uiPort ?? Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  if (await portInUse(port)) {
    throw new Error(`Port ${port} is already in use (another Temporal server?). Set TEMPORAL_ADDRESS=127.0.0.1:${port} to use it, or TEMPORAL_PORT to pick another port.`);
  }
  const address = `127.0.0.1:${port}`;

  const cli = findOrBuildTemporalCli(log);
  if (!cli) {
    const server = findOrBuildTemporalServer(log);
    if (server) return startServerBinary(server, { ...options, namespace, port, log });
    return startWithSdkDownload({ ...options, namespace, port, uiPort, log });
  }

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'error'];
  for (const key of allSearchAttributes) args.push('--search-attribute', `${key.name}=${cliTypeName[key.type]}`);
  if (options.ephemeral) {
    args.push('--headless');
  } else {
    const dbFile = resolve(options.dbFile ?? join('.data', 'temporal.sqlite'));
    mkdirSync(dirname(dbFile), { recursive: true });
    // The SQLite store has one connection; WAL and relaxed sync keep it from stalling on disk.
    args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
    args.push('--ui-port', String(uiPort));
  }

  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const watched = watchChild(child, 'Temporal dev server', options);
  try {
    // Ready means a namespace describe answers, not that the port or the UI is open: the frontend
    // accepts connections a moment before it serves the namespace.
    await waitForTemporal(address, namespace, 60_000, watched.whyNotRunning);
  } catch (error) {
    await watched.stop();
    throw error;
  }
  watched.ready();
  return {
    address,
    namespace,
    uiUrl: options.ephemeral ? undefined : `http://127.0.0.1:${uiPort}`,
    pid: child.pid,
    stop: watched.stop,
  };
}

/**
 * Keeps the last output of a server we started (stdout and stderr: the dev server logs to both), so a
 * server that dies, while starting or later, is reported with its own words; stops it when asked or
 * when `abort` fires.
 */
function watchChild(child: ChildProcess, what: string, options: Pick<StartTemporalOptions, 'onUnexpectedExit' | 'abort'>) {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitReason: string | undefined;
  let isReady = false;
  let stopping = false;
  const stopServer = stopChild(child);
  const stop = async () => {
    stopping = true;
    await stopServer();
  };
  child.on('exit', (code, signal) => {
    exitReason = `${what} exited (code ${code}, signal ${signal})${output.trim() ? `; its output:\n${output.trim()}` : ' without output'}`;
    if (isReady && !stopping) options.onUnexpectedExit?.(exitReason);
  });
  options.abort?.addEventListener('abort', () => void stop(), { once: true });
  return {
    whyNotRunning: () => exitReason ?? (options.abort?.aborted ? `stopped while ${what} was starting` : undefined),
    ready: () => {
      isReady = true;
    },
    stop,
  };
}

/** Stops a child process: SIGTERM, then SIGKILL after ten seconds. */
function stopChild(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killTimer);
  };
}

/**
 * Runs the plain Temporal server (the fallback when the CLI cannot be built) on SQLite: one history
 * shard, every service in one process bound to 127.0.0.1, the schema created on first start. It has no
 * UI and no default namespace, so the namespace is registered here, with the search attributes.
 */
async function startServerBinary(binary: string, options: StartTemporalOptions & { namespace: string; port: number; log: (line: string) => void }): Promise<TemporalServer> {
  const dir = options.ephemeral ? mkdtempSync(join(tmpdir(), 'overdue-temporal-')) : resolve(dirname(options.dbFile ?? join('.data', 'temporal.sqlite')));
  mkdirSync(dir, { recursive: true });
  const dbFile = options.ephemeral ? join(dir, 'temporal.sqlite') : resolve(options.dbFile ?? join('.data', 'temporal.sqlite'));
  const ports: number[] = [];
  for (let i = 0; i < 8; i += 1) ports.push(await freePort());
  const [httpPort, matching, matchingMember, history, historyMember, worker, workerMember, frontendMember] = ports as [number, number, number, number, number, number, number, number];
  const store = (file: string) => `      sql:
        pluginName: sqlite
        databaseName: ${JSON.stringify(file)}
        connectAddr: localhost
        connectProtocol: tcp
        connectAttributes:
          mode: rwc
          setup: true
          journal_mode: wal
          synchronous: 1
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: 1h`;
  const dynamicConfig = join(dir, 'temporal-dynamic.yaml');
  writeFileSync(dynamicConfig, '{}\n');
  // The server reads <root>/<config dir>/<environment>.yaml.
  const config = join(dir, 'overdue-temporal.yaml');
  writeFileSync(
    config,
    `log:
  stdout: true
  level: error
persistence:
  defaultStore: sqlite-default
  visibilityStore: sqlite-visibility
  numHistoryShards: 1
  datastores:
    sqlite-default:
${store(dbFile)}
    sqlite-visibility:
${store(`${dbFile}.visibility`)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
${serverServicesYaml({ frontend: [options.port, frontendMember], matching: [matching, matchingMember], history: [history, historyMember], worker: [worker, workerMember], httpPort, dynamicConfig })}`,
  );
  options.log(`No Temporal CLI: running the Temporal server (${binary}) on SQLite at ${dbFile}; it has no web UI.`);
  const child = spawn(binary, ['--root', dir, '--config', '.', '--env', 'overdue-temporal', '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const watched = watchChild(child, 'Temporal server', options);
  const exitReason = watched.whyNotRunning;
  const stop = async () => {
    await watched.stop();
    if (options.ephemeral) rmSync(dir, { recursive: true, force: true });
  };
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForTemporal(address, 'temporal-system', 120_000, exitReason);
    const connection = await Connection.connect({ address });
    try {
      await connection.workflowService.describeNamespace({ namespace: options.namespace }).catch(async () => {
        await connection.workflowService.registerNamespace({ namespace: options.namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
      });
    } finally {
      await connection.close();
    }
    await waitForTemporal(address, options.namespace, 30_000, exitReason);
    // A new namespace reaches every service's namespace cache within seconds; until then the
    // operator service answers NOT_FOUND.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ensureSearchAttributes(address, options.namespace);
        break;
      } catch (error) {
        if (attempt >= 60 || exitReason()) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  watched.ready();
  return { address, namespace: options.namespace, pid: child.pid, stop };
}

/** Last resort where neither a CLI nor Go exists: the SDK downloads a dev server (needs internet). */
async function startWithSdkDownload(options: StartTemporalOptions & { namespace: string; port: number; uiPort: number; log: (line: string) => void }): Promise<TemporalServer> {
  options.log('No Temporal CLI and no Go toolchain: asking @temporalio/testing to download a dev server.');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: options.port,
      namespace: options.namespace,
      dbFilename: options.ephemeral ? undefined : resolve(options.dbFile ?? join('.data', 'temporal.sqlite')),
      ui: !options.ephemeral,
      uiPort: options.ephemeral ? undefined : options.uiPort,
      searchAttributes: [...allSearchAttributes],
    },
  });
  return {
    address: `127.0.0.1:${options.port}`,
    namespace: options.namespace,
    uiUrl: options.ephemeral ? undefined : `http://127.0.0.1:${options.uiPort}`,
    stop: () => env.teardown(),
  };
}

/**
 * The Temporal server config from `services:` on: the four services on their ports and one active cluster.
 * Shared by the SQLite fallback server (startServerFallback) and the PostgreSQL cluster (scripts/lib/cluster.ts).
 */
export function serverServicesYaml(o: {
  frontend: [grpc: number, membership: number];
  matching: [grpc: number, membership: number];
  history: [grpc: number, membership: number];
  worker: [grpc: number, membership: number];
  httpPort: number;
  dynamicConfig: string;
}): string {
  const service = ([grpc, member]: [number, number], extra = '') => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${member}
      bindOnLocalHost: true${extra}`;
  return `services:
  frontend:
${service(o.frontend, `\n      httpPort: ${o.httpPort}`)}
  matching:
${service(o.matching)}
  history:
${service(o.history)}
  worker:
${service(o.worker)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${o.frontend[0]}
      httpAddress: 127.0.0.1:${o.httpPort}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${JSON.stringify(o.dynamicConfig)}
  pollInterval: 10s
`;
}
