// `npm run api`: the HTTP API on its own (the worker runs elsewhere, e.g. `npm run worker`). Reads the
// same configuration as everything else, migrates the database and listens on API_HOST:API_PORT.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/server';
import type { DatabaseHandle } from '../db/client';
import { logger } from '../observability/logger';
import { readConfig, temporalAddress } from '../worker/config';
import { assertPortFree, connectTemporal, exitWithStartupError, openDatabase } from '../worker/startup';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run api

Serves Overdue's HTTP API (/v1, OpenAPI at /openapi.json, docs at /docs) on API_HOST:API_PORT
(default 127.0.0.1:3000), against TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT, port 7233) and
DATABASE_URL (embedded PGlite when unset; PGlite belongs to one process, so run the worker in the
same process with \`npm start\`, or use PostgreSQL). Create keys with \`overdue keys create --role backend\`.`);
  process.exit(0);
}

let app: ReturnType<typeof buildApi> | undefined;
let connection: Connection | undefined;
let database: DatabaseHandle | undefined;
async function stop(code: number): Promise<never> {
  await app?.close().catch(() => {});
  await connection?.close().catch(() => {});
  await database?.close().catch(() => {});
  process.exit(code);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void stop(0);
  });
}

try {
  const config = readConfig();
  await assertPortFree(config.apiHost, config.apiPort, 'API_PORT');
  database = await openDatabase(config);
  connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporalNamespace });
  app = buildApi({ db: database.db, client, taskQueue: config.queues.collections, loggerInstance: logger });
  await app.listen({ host: config.apiHost, port: config.apiPort });
  logger.info(`API on http://${config.apiHost}:${config.apiPort} (docs: /docs, metrics: /metrics) · Temporal ${temporalAddress(config)} · ${database.kind}`);
} catch (error) {
  await app?.close().catch(() => {});
  await connection?.close().catch(() => {});
  await database?.close().catch(() => {});
  exitWithStartupError('api: start failed', error);
}
