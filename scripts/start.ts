// `npm start`: the whole pipeline in one process on embedded defaults — a Temporal dev server the
// project provisions itself (state in .data/temporal.sqlite), the database (PGlite under .data/ when
// DATABASE_URL is unset, migrated), the workers, and the HTTP API.
//
// Start-up checks the cheap things first (configuration, ports, the database) and reports a failure as
// one line naming the variable to change. SIGINT or SIGTERM, at any moment, stops the workers first
// (in-flight activities finish), then the API, the connections, the database and the dev server.
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { count, isNull } from 'drizzle-orm';
import { join } from 'node:path';
import { buildApi } from '../api/server';
import type { Database } from '../db/client';
import { createApiKey } from '../db/repository/apiKeys';
import { apiKeys, type ApiRole } from '../db/schema';
import { readConfig } from '../worker/config';
import { createConfiguredWorkers, openRuntime } from '../worker/runtime';
import { assertStartPortsFree, connectTemporal, connectWorkerTemporal, exitWithStartupError, StartupError } from '../worker/startup';
import { installRuntimeLogging } from '../worker/workers';
import { logger } from '../observability/logger';
import { freePort, startTemporal } from './lib/temporal';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm start

Starts Overdue on embedded defaults: a Temporal dev server on TEMPORAL_PORT (or the server at
TEMPORAL_ADDRESS), the database (DATABASE_URL, or embedded PGlite in DATA_DIR/pglite, held by this
process alone), migrations, the workers and the API on API_HOST:API_PORT.
On a database without API keys it creates a backend and an operator key and prints them once.
Ctrl-C or SIGTERM stops everything it started.
Configuration: see the README's table of environment variables.`);
  process.exit(0);
}

// The Temporal SDK's Prometheus endpoint, appended to the API's /metrics.
const sdkMetricsAddress = process.env.TEMPORAL_METRICS_ADDRESS || `127.0.0.1:${await freePort()}`;
installRuntimeLogging({ sdkMetricsAddress });
const startLog = logger.child({ component: 'start' });
const log = (line: string) => startLog.info(line);

// What has been started, stopped in reverse order.
const cleanups: Array<() => Promise<void>> = [];
let stopWorkers: (() => void) | undefined;
let stopping = false;
const startup = new AbortController();

async function stopAll(code: number): Promise<never> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => startLog.error(`while stopping: ${(error as Error).message}`));
  process.exit(code);
}

// Installed before anything starts, so a signal during start-up also stops what was started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    if (stopWorkers) {
      // The main flow continues once the workers have drained, and stops the rest.
      stopWorkers();
    } else {
      startup.abort();
      void stopAll(0);
    }
  });
}

// A process manager or shell that dies without passing on its signal (sh under `npm start` did: npm
// forwarded SIGTERM to sh, which died and left this process running) orphans this process: the parent
// changes. That counts as a stop request too, so the dev server never outlives its owner.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) process.emit('SIGTERM', 'SIGTERM');
}, 1_000).unref();

/**
 * On a database without keys, a backend key (borrowers, loans, payments) and an operator key (cases),
 * shown once, so a newcomer can call the API at once: while npm start holds the embedded database, no
 * other process can make one.
 */
async function firstKeys(db: Database): Promise<Array<{ role: ApiRole; key: string }>> {
  const [row] = await db.select({ n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt));
  if ((row?.n ?? 0) > 0) return [];
  const roles: ApiRole[] = ['backend', 'operator'];
  return Promise.all(roles.map(async (role) => ({ role, key: (await createApiKey(db, { role, label: `first ${role} key, created by npm start` })).key })));
}

try {
  const config = readConfig();
  await assertStartPortsFree(config);

  const provisionTemporal = () =>
    startTemporal({
      external: config.temporalAddress,
      port: config.temporalPort,
      uiPort: config.temporalUiPort,
      namespace: config.temporalNamespace,
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      abort: startup.signal,
      onUnexpectedExit(reason) {
        startLog.error(reason);
        stopping = true;
        void stopAll(1);
      },
      log,
    }).catch((error: Error) => {
      throw new StartupError(error.message);
    });
  // The faster check first: an existing server answers (or not) in seconds, before the database's
  // migrations; our own dev server takes longer to start than the database to open.
  const external = config.temporalAddress ? await provisionTemporal() : undefined;
  const runtime = await openRuntime(config, log);
  cleanups.push(() => runtime.close());
  const temporal = external ?? (await provisionTemporal());
  cleanups.push(() => temporal.stop());
  if (stopping) await new Promise(() => {}); // a signal arrived meanwhile: stopAll exits
  log(`Temporal at ${temporal.address}${temporal.pid ? ` (dev server pid ${temporal.pid})` : ''}${temporal.uiUrl ? `, UI at ${temporal.uiUrl}` : ''}`);

  // The address every entry point derives (worker/config temporalAddress), which the server above listens on.
  const connection = await connectWorkerTemporal(config);
  cleanups.push(() => connection.close());
  const clientConnection = await connectTemporal(config);
  cleanups.push(() => clientConnection.close());
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace });

  const workers = await createConfiguredWorkers(config, runtime, { connection, client, namespace: temporal.namespace });
  const running = workers.run();
  stopWorkers = () => workers.shutdown();
  if (stopping) stopWorkers();
  log(`Workers polling ${Object.values(config.queues).join(', ')}`);

  const api = buildApi({ db: runtime.database.db, client, taskQueue: config.queues.collections, loggerInstance: logger, sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` });
  await api.listen({ host: config.apiHost, port: config.apiPort });
  // After the workers in the list, so stopping closes the API before the connections it uses.
  cleanups.push(() => api.close());
  const apiUrl = `http://${config.apiHost}:${config.apiPort}`;
  log(`API at ${apiUrl}/v1 (OpenAPI: /openapi.json, docs: /docs, Prometheus metrics: /metrics)`);
  if (temporal.uiUrl) log(`Open the Temporal UI: ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`);

  const keys = await firstKeys(runtime.database.db);
  if (keys.length) {
    // Printed as plain lines, not logged: keys are secrets, shown once, and must not reach a log store.
    console.log('[overdue] No API keys yet; created these (shown once, only their hashes are stored):');
    for (const { role, key } of keys) console.log(`[overdue]   ${role.padEnd(8)} ${key}`);
    console.log(`[overdue]   try: curl -H 'Authorization: Bearer ${keys.find((k) => k.role === 'operator')!.key}' ${apiUrl}/v1/collections`);
  }
  if (runtime.database.kind === 'pglite') {
    log('The embedded database belongs to this process: to make more keys, stop npm start, run `npm run overdue -- keys create`, start again (or set DATABASE_URL: PostgreSQL is shared by every process).');
  }
  log('Ready. Ctrl-C to stop.');

  await running;
  await stopAll(0);
} catch (error) {
  if (startup.signal.aborted) await new Promise(() => {}); // a signal is stopping everything: stopAll exits
  // Stop what was started before reporting, so the one line is the last thing printed.
  startup.abort();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  exitWithStartupError('[overdue] start failed', error);
}
