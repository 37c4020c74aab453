// `npm run api`: the HTTP API on its own (the worker runs elsewhere, e.g. `npm run worker`). Reads the
// same configuration as everything else, migrates the database and listens on API_HOST:API_PORT.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/server';
import { createDatabase } from '../db/client';
import { migrateDb } from '../db/migrate';
import { readConfig } from '../worker/config';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run api

Serves Overdue's HTTP API (/v1, OpenAPI at /openapi.json, docs at /docs) on API_HOST:API_PORT
(default 127.0.0.1:3000), against TEMPORAL_ADDRESS (default 127.0.0.1:7233) and DATABASE_URL
(embedded PGlite when unset; PGlite is single-process, so run the worker in the same process with
\`npm start\`, or use PostgreSQL). Create keys with \`overdue keys create --role backend\`.`);
  process.exit(0);
}

const config = readConfig();
const address = config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
const database = await createDatabase(config.databaseUrl);
await migrateDb(database.db);
const connection = await Connection.connect({ address }).catch((error: Error) => {
  console.error(`Cannot reach Temporal at ${address}: ${error.message} (set TEMPORAL_ADDRESS)`);
  process.exit(1);
});
const client = new Client({ connection, namespace: config.temporalNamespace });
const app = buildApi({ db: database.db, client, taskQueue: config.queues.collections, logger: { level: 'info' } });
await app.listen({ host: config.apiHost, port: config.apiPort });
console.log(`API on http://${config.apiHost}:${config.apiPort} (docs: /docs) · Temporal ${address} · ${database.kind}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await connection.close();
    await database.close();
    process.exit(0);
  });
}
