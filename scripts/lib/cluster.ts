// The production-shaped Temporal cluster (issue #18), built from the sources a user would deploy: the
// Temporal server and its SQL tool at the version the CLI embeds, and the Temporal UI server, each
// `go install`ed into the same per-user cache as the CLI; the server runs on PostgreSQL (persistence and
// visibility in databases of their own) with several history shards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import postgres from 'postgres';
import { cacheDir, ensureSearchAttributes, serverServicesYaml, waitForTemporal } from './temporal';

/** The server version the Temporal CLI v1.5.1 embeds (`go version -m ~/.cache/overdue/bin/temporal`). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI server the same CLI embeds. */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

export const clusterBinaries = {
  server: { module: `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, file: 'server' },
  sqlTool: { module: `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`, file: 'temporal-sql-tool' },
  uiServer: { module: `github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_SERVER_VERSION}`, file: 'temporal-ui-server' },
} as const;

type Log = (line: string) => void;

function findGo(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * The binary in ~/.cache/overdue/bin, built with `go install` when missing. Each module is installed into
 * a directory of its own first, because two of them are called `server` by Go.
 */
export async function ensureBinary(which: keyof typeof clusterBinaries, log: Log): Promise<string> {
  const { module, file } = clusterBinaries[which];
  const target = join(cacheDir(), 'bin', file);
  if (existsSync(target)) return target;
  const go = findGo();
  if (!go) throw new Error(`${target} is missing and Go is not installed (PATH needs /usr/local/go/bin): cannot build ${module}`);
  const staging = join(cacheDir(), 'build', file);
  mkdirSync(staging, { recursive: true });
  log(`building ${module} with go install (several minutes the first time; reused afterwards)`);
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(go, ['install', module], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: staging, PATH: `${dirname(go)}${delimiter}${process.env.PATH ?? ''}` },
    });
    child.on('exit', (c) => resolve(c));
  });
  const built = join(staging, basename(module.split('@')[0]!));
  if (code !== 0 || !existsSync(built)) throw new Error(`go install ${module} failed (exit ${code})`);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(built, target);
  log(`built ${file} in ${Math.round((Date.now() - started) / 1000)} s`);
  return target;
}

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function postgresTarget(url: string): PostgresTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username || 'postgres'), password: decodeURIComponent(parsed.password) };
}

/**
 * Creates the persistence and visibility databases when missing and brings both schemas to the server's
 * version with temporal-sql-tool (its embedded postgresql/v12 schemas; update-schema is idempotent).
 */
export async function setupSchemas(sqlTool: string, adminUrl: string, databases: { persistence: string; visibility: string }, log: Log): Promise<void> {
  const target = postgresTarget(adminUrl);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const [kind, name] of Object.entries(databases)) {
      const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
      const schema = kind === 'persistence' ? 'postgresql/v12/temporal' : 'postgresql/v12/visibility';
      const base = ['--endpoint', target.host, '--port', String(target.port), '--user', target.user, '--password', target.password, '--plugin', 'postgres12', '--db', name];
      const run = (args: string[]) => {
        const result = spawnSync(sqlTool, [...base, ...args], { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`temporal-sql-tool ${args[0]} on ${name} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`);
      };
      if (found.length === 0) {
        log(`creating database ${name} and its ${kind} schema`);
        run(['create-database']);
        run(['setup-schema', '--version', '0.0']); // the version table only; update-schema applies every version
      }
      run(['update-schema', '--schema-name', schema]);
    }
    log(`schemas up to date in ${databases.persistence} and ${databases.visibility}`);
  } finally {
    await admin.end();
  }
}

export interface ServerConfigOptions {
  dir: string;
  postgres: PostgresTarget;
  databases: { persistence: string; visibility: string };
  shards: number;
  frontendPort: number;
  /** Where the server's own Prometheus metrics are served (host:port). */
  metricsAddress: string;
}

/** Writes <dir>/config/overdue-cluster.yaml (all four services in one process) and its dynamic config. */
export function writeServerConfig(options: ServerConfigOptions): string {
  const configDir = join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  // Temporal's own layout, relative to the frontend port (7233 -> history 7234, matching 7235, worker
  // 7239, HTTP 7243, membership 6933-6939). Membership ports are stored as a PostgreSQL smallint, so
  // they must stay below 32768: no ephemeral ports here.
  const p = options.frontendPort;
  if (p - 300 < 1024 || p + 10 > 32767) throw new Error(`the frontend port must be between 1324 and 32757 (got ${p}): Temporal keeps membership ports in a smallint`);
  const [httpPort, history, matching, worker] = [p + 10, p + 1, p + 2, p + 6];
  const [frontendMember, historyMember, matchingMember, workerMember] = [p - 300, p - 299, p - 298, p - 294];
  // Each of the four services opens its own pools, so the server holds about twice these counts (8 and
  // 4 gave 24 connections; 20 and 10 gave 40+ of the shared server's 100 and starved the other clients).
  const store = (database: string, maxConns: number) => `      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${options.postgres.host}:${options.postgres.port}"
        connectProtocol: tcp
        user: ${JSON.stringify(options.postgres.user)}
        password: ${JSON.stringify(options.postgres.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const dynamicConfig = join(options.dir, 'dynamic-config.yaml');
  // As the dev server does: a larger mutable-state cache and more visibility requests per second than
  // the defaults (10/s would throttle the UI and the tests' list queries).
  writeFileSync(
    dynamicConfig,
    `frontend.namespaceRPS.visibility:
  - value: 100
history.hostLevelCacheMaxSize:
  - value: 8096
`,
  );
  const file = join(configDir, 'overdue-cluster.yaml');
  writeFileSync(
    file,
    `# Generated by scripts/cluster.ts; rewritten on every start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed once the persistence database exists: the server refuses to start with another count.
  numHistoryShards: ${options.shards}
  datastores:
    postgres-default:
${store(options.databases.persistence, 8)}
    postgres-visibility:
${store(options.databases.visibility, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "${options.metricsAddress}"
${serverServicesYaml({ frontend: [options.frontendPort, frontendMember], matching: [matching, matchingMember], history: [history, historyMember], worker: [worker, workerMember], httpPort, dynamicConfig })}`,
  );
  return file;
}

/** Registers the namespace when missing, then the project's search attributes (retried while the new namespace propagates). */
export async function registerNamespace(address: string, namespace: string, retentionDays: number, log: Log, alive: () => string | undefined): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.describeNamespace({ namespace }).catch(async () => {
      log(`registering namespace ${namespace} (retention ${retentionDays} days)`);
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
    });
  } finally {
    await connection.close();
  }
  await waitForTemporal(address, namespace, 60_000, alive);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await ensureSearchAttributes(address, namespace);
      break;
    } catch (error) {
      if (attempt >= 60 || alive()) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  log(`namespace ${namespace} has Overdue's search attributes`);
}

/** Writes the UI server's config (<dir>/ui/config/overdue.yaml). */
export function writeUiConfig(dir: string, options: { temporalAddress: string; port: number; namespace: string }): string {
  const root = join(dir, 'ui');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config', 'overdue.yaml'),
    `temporalGrpcAddress: ${options.temporalAddress}
host: 127.0.0.1
port: ${options.port}
enableUi: true
defaultNamespace: ${options.namespace}
notifyOnNewVersion: false
cors:
  cookieInsecure: true
  allowOrigins:
    - http://127.0.0.1:${options.port}
    - http://localhost:${options.port}
`,
  );
  return root;
}

export interface Supervised {
  name: string;
  child: ChildProcess;
  /** Why it stopped, when it did. */
  exited(): string | undefined;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a child whose output goes to a log file; `stop` sends SIGTERM, then SIGKILL after 15 s. */
export function runLogged(name: string, command: string, args: string[], options: { logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string; inherit?: boolean; onExit?: (reason: string) => void }): Supervised {
  let out: ReturnType<typeof createWriteStream> | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    out = createWriteStream(options.logFile, { flags: 'a' });
  }
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe'] });
  if (out) {
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
  }
  let reason: string | undefined;
  let stopping = false;
  child.on('exit', (code, signal) => {
    reason = `${name} exited (code ${code}, signal ${signal})${options.logFile ? `; see ${options.logFile}` : ''}`;
    out?.end();
    if (!stopping) options.onExit?.(reason);
  });
  child.on('error', (error) => {
    reason = `${name} could not start: ${error.message}`;
  });
  return {
    name,
    child,
    exited: () => reason,
    async stop(signal = 'SIGTERM') {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Waits until an HTTP URL answers (any status), or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = alive();
    if (why) throw new Error(why);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
