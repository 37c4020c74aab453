// `npm start`: the whole pipeline in one process on embedded defaults — a Temporal dev server the
// project provisions itself (state in .data/temporal.sqlite), the database (PGlite under .data/ when
// DATABASE_URL is unset, migrated), the workers, and the HTTP API. Ctrl-C stops everything it started.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApi } from '../api/server';
import { readConfig } from '../worker/config';
import { createConfiguredWorkers, openRuntime } from '../worker/runtime';
import { installRuntimeLogging } from '../worker/workers';
import { startTemporal } from './lib/temporal';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm start

Starts Overdue on embedded defaults: a Temporal dev server (or TEMPORAL_ADDRESS), the database
(DATABASE_URL, or embedded PGlite in .data/pglite), migrations, the workers and the API.
Prints the Temporal UI address. Ctrl-C stops everything it started.
Configuration: see the README's table of environment variables.`);
  process.exit(0);
}

installRuntimeLogging();
const log = (line: string) => console.log(`[overdue] ${line}`);
const config = readConfig();
const temporal = await startTemporal({ port: config.temporalPort, uiPort: config.temporalUiPort, namespace: config.temporalNamespace, log });
log(`Temporal at ${temporal.address}${temporal.uiUrl ? `, UI at ${temporal.uiUrl}` : ''}`);

const cleanups: Array<() => Promise<void>> = [() => temporal.stop()];
async function stopAll(code: number): Promise<never> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  process.exit(code);
}

try {
  const runtime = await openRuntime(config, log);
  cleanups.push(() => runtime.close());
  const connection = await NativeConnection.connect({ address: temporal.address });
  cleanups.push(() => connection.close());
  const clientConnection = await Connection.connect({ address: temporal.address });
  cleanups.push(() => clientConnection.close());
  const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
  const workers = await createConfiguredWorkers(config, runtime, { connection, client, namespace: temporal.namespace });
  const running = workers.run();
  log(`Workers polling ${Object.values(config.queues).join(', ')}`);
  const api = buildApi({ db: runtime.database.db, client, taskQueue: config.queues.collections, logger: false });
  await api.listen({ host: config.apiHost, port: config.apiPort });
  cleanups.push(() => api.close());
  log(`API at http://${config.apiHost}:${config.apiPort}/v1 (OpenAPI: /openapi.json, docs: /docs)`);
  if (temporal.uiUrl) log(`Open the Temporal UI: ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`);
  log('Ready. Ctrl-C to stop.');

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log('Stopping…');
      workers.shutdown();
    });
  }
  await running;
  await stopAll(0);
} catch (error) {
  console.error(`[overdue] start failed: ${(error as Error).message}`);
  await stopAll(1);
}
