// `npm run cluster`: Overdue on a production-shaped Temporal cluster on this machine (issue #18): the
// Temporal server on PostgreSQL with several history shards, the UI server in front of it, and worker
// processes, all built from source with `go install` and started in order, with progress shown.
// Ctrl-C or SIGTERM stops everything it started, workers first.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migrateDatabase } from '../db/migrate';
import { logger } from '../observability/logger';
import { readConfig, workerProcessEnv } from '../worker/config';
import {
  ensureBinary,
  postgresTarget,
  registerNamespace,
  runLogged,
  setupSchemas,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_SERVER_VERSION,
  waitForHttp,
  writeServerConfig,
  writeUiConfig,
  type Supervised,
} from './lib/cluster';
import { waitForTemporal } from './lib/temporal';

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    workers: { type: 'string', default: '2' },
    shards: { type: 'string', default: '4' },
    port: { type: 'string' },
    'ui-port': { type: 'string' },
    'server-metrics-port': { type: 'string', default: '9091' },
    'worker-metrics-port': { type: 'string', default: '9464' },
    'admin-url': { type: 'string' },
    'build-only': { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run cluster [-- options]

Runs Overdue on a production-shaped Temporal cluster on this machine:
  1. builds, with 'go install' into ~/.cache/overdue/bin (once; reused afterwards):
     the Temporal server and temporal-sql-tool (go.temporal.io/server ${TEMPORAL_SERVER_VERSION}, the version
     the Temporal CLI embeds) and the Temporal UI server (github.com/temporalio/ui-server/v2 ${TEMPORAL_UI_SERVER_VERSION});
  2. creates the databases overdue_temporal and overdue_temporal_visibility in PostgreSQL when missing
     and brings their schemas up to date with temporal-sql-tool;
  3. writes the server's configuration under DATA_DIR/cluster and starts the server (every service in
     one process, --shards history shards), logging to DATA_DIR/cluster/temporal.log;
  4. registers the namespace (TEMPORAL_NAMESPACE) and Overdue's search attributes;
  5. starts the UI server in front of it (logging to DATA_DIR/cluster/ui.log);
  6. migrates Overdue's database (DATABASE_URL, default the database overdue_cluster, created when
     missing) once, then starts --workers worker processes (worker/main.ts), each with /metrics.
Ctrl-C or SIGTERM stops the workers (in-flight activities finish), the UI server and the Temporal server.
SIGUSR2 restarts the Temporal server alone (the workers and the UI reconnect); the fault suite uses it.

Options:
  --workers N               worker processes (default 2; 0 runs the cluster alone)
  --shards N                history shards (default 4; fixed once overdue_temporal exists)
  --port N                  Temporal frontend port (default TEMPORAL_PORT, 7233); the other services
                            take Temporal's usual ports beside it (+1, +2, +6, +10, -300 to -294)
  --ui-port N               UI port (default TEMPORAL_UI_PORT, 8233)
  --server-metrics-port N   the Temporal server's Prometheus endpoint (default 9091)
  --worker-metrics-port N   first worker's /metrics port; the next workers count up (default 9464)
  --admin-url URL           PostgreSQL for Temporal's databases (default TEMPORAL_DB_URL, else
                            postgres://postgres@127.0.0.1:5432/postgres)
  --build-only              build the three binaries and stop

Then: TEMPORAL_ADDRESS=127.0.0.1:<port> DATABASE_URL=<as printed> npm run api, or the tests
(TEMPORAL_ADDRESS=… npx vitest run …). LOG_LEVEL sets the level of every process's log.`);
  process.exit(0);
}

function positiveInteger(name: string, raw: string | undefined, fallback: number, { zero = false } = {}): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (zero ? 0 : 1)) {
    console.error(`--${name} must be a ${zero ? 'non-negative' : 'positive'} integer (got ${JSON.stringify(raw)})`);
    process.exit(1);
  }
  return value;
}

const log = logger.child({ component: 'cluster' });
const info = (line: string) => log.info(line);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const config = readConfig();
const workerCount = positiveInteger('workers', values.workers, 2, { zero: true });
const shards = positiveInteger('shards', values.shards, 4);
const port = positiveInteger('port', values.port, config.temporalPort);
const uiPort = positiveInteger('ui-port', values['ui-port'], config.temporalUiPort);
const serverMetricsPort = positiveInteger('server-metrics-port', values['server-metrics-port'], 9091);
const workerMetricsPort = positiveInteger('worker-metrics-port', values['worker-metrics-port'], 9464);
const adminUrl = values['admin-url'] ?? process.env.TEMPORAL_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databases = { persistence: 'overdue_temporal', visibility: 'overdue_temporal_visibility' };
const dir = resolve(config.dataDir, 'cluster');
const address = `127.0.0.1:${port}`;
const namespace = config.temporalNamespace;

const started: Supervised[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  // Workers first (they drain), then the UI, then the server they all talk to.
  for (const part of started.splice(0).reverse()) {
    info(`stopping ${part.name}`);
    await part.stop().catch(() => {});
  }
  info('stopped');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    info(`${signal}: stopping the cluster…`);
    void stopAll(0);
  });
}

function died(reason: string) {
  if (stopping) return;
  log.error(reason);
  void stopAll(1);
}

/** Overdue's own database for the workers: DATABASE_URL, else overdue_cluster next to Temporal's. */
async function overdueDatabase(): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const url = new URL(adminUrl);
  url.pathname = '/overdue_cluster';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const found = await admin`SELECT 1 FROM pg_database WHERE datname = 'overdue_cluster'`;
    if (found.length === 0) await admin.unsafe('CREATE DATABASE overdue_cluster');
  } finally {
    await admin.end();
  }
  return url.toString();
}

try {
  info(`1/6 binaries (Temporal server ${TEMPORAL_SERVER_VERSION}, UI server ${TEMPORAL_UI_SERVER_VERSION})`);
  const server = await ensureBinary('server', info);
  const sqlTool = await ensureBinary('sqlTool', info);
  const uiServer = await ensureBinary('uiServer', info);
  if (values['build-only']) {
    info(`built: ${server}, ${sqlTool}, ${uiServer}`);
    process.exit(0);
  }

  info(`2/6 schemas in PostgreSQL (${postgresTarget(adminUrl).host}:${postgresTarget(adminUrl).port})`);
  await setupSchemas(sqlTool, adminUrl, databases, info);

  info(`3/6 Temporal server on ${address}, ${shards} history shards`);
  writeServerConfig({ dir, postgres: postgresTarget(adminUrl), databases, shards, frontendPort: port, metricsAddress: `127.0.0.1:${serverMetricsPort}` });
  const startServer = () =>
    runLogged('Temporal server', server, ['--root', dir, '--config', 'config', '--env', 'overdue-cluster', '--allow-no-auth', 'start'], {
      logFile: join(dir, 'temporal.log'),
      onExit: died,
    });
  let temporal = startServer();
  started.push(temporal);
  await waitForTemporal(address, 'temporal-system', 120_000, temporal.exited);
  info(`Temporal server up (pid ${temporal.child.pid}; its metrics on http://127.0.0.1:${serverMetricsPort}/metrics)`);

  info(`4/6 namespace ${namespace} and search attributes`);
  await registerNamespace(address, namespace, 3, info, temporal.exited);

  info(`5/6 UI server on http://127.0.0.1:${uiPort}`);
  const uiRoot = writeUiConfig(dir, { temporalAddress: address, port: uiPort, namespace });
  const ui = runLogged('UI server', uiServer, ['--root', uiRoot, '--config', 'config', '--env', 'overdue', 'start'], { logFile: join(dir, 'ui.log'), onExit: died });
  started.push(ui);
  await waitForHttp(`http://127.0.0.1:${uiPort}/`, 30_000, ui.exited);

  const databaseUrl = await overdueDatabase();
  const pids: Record<string, number | undefined> = { temporal: temporal.child.pid, ui: ui.child.pid };
  if (workerCount > 0) {
    info(`6/6 ${workerCount} worker processes (database ${new URL(databaseUrl).pathname.slice(1)}, migrated once first)`);
    await migrateDatabase(databaseUrl);
    const metricsUrls: string[] = [];
    for (let i = 1; i <= workerCount; i += 1) {
      const metrics = workerMetricsPort + i - 1;
      const worker = runLogged(`worker-${i}`, process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
        cwd: repoRoot,
        inherit: true,
        env: { ...process.env, ...workerProcessEnv(), TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, DATABASE_URL: databaseUrl, METRICS_PORT: String(metrics), OVERDUE_PROCESS: `worker-${i}` },
        onExit: died,
      });
      started.push(worker);
      pids[`worker-${i}`] = worker.child.pid;
      metricsUrls.push(`http://127.0.0.1:${metrics}/metrics`);
    }
    await Promise.all(metricsUrls.map((url, i) => waitForHttp(url, 120_000, started[2 + i]!.exited)));
    info(`workers polling; their /metrics: ${metricsUrls.join(', ')}`);
  } else {
    info('6/6 no workers (--workers 0)');
  }
  const writeState = () =>
    writeFileSync(join(dir, 'cluster.json'), `${JSON.stringify({ address, namespace, ui: `http://127.0.0.1:${uiPort}`, databaseUrl, pid: process.pid, pids }, null, 2)}\n`);
  writeState();
  // SIGUSR2: the Temporal server stops and starts again on the same configuration and databases, as a
  // one-node cluster's rolling restart does; workers and the UI stay up and reconnect. The fault suite
  // sends it to restart the server under load (test/faults/infra.ts).
  let restarting = false;
  process.on('SIGUSR2', () => {
    if (stopping || restarting) return;
    restarting = true;
    void (async () => {
      info('SIGUSR2: restarting the Temporal server');
      await temporal.stop();
      const next = startServer();
      started[started.indexOf(temporal)] = next;
      temporal = next;
      await waitForTemporal(address, namespace, 120_000, next.exited);
      pids.temporal = next.child.pid;
      writeState();
      info(`Temporal server up again (pid ${next.child.pid})`);
    })()
      .catch((error: Error) => died(`Temporal server restart failed: ${error.message}`))
      .finally(() => {
        restarting = false;
      });
  });
  info(`ready: TEMPORAL_ADDRESS=${address} DATABASE_URL=${databaseUrl} · UI http://127.0.0.1:${uiPort}/namespaces/${namespace}/workflows · Ctrl-C stops everything`);
} catch (error) {
  log.error(`cluster start failed: ${(error as Error).message}`);
  await stopAll(1);
}
