// `npm run worker`: the production worker process. Needs TEMPORAL_ADDRESS (a running cluster) and
// DATABASE_URL; `npm start` is the all-in-one alternative for a laptop.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readConfig } from './config';
import { createConfiguredWorkers, openRuntime } from './runtime';
import { installRuntimeLogging } from './workers';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run worker

Runs Overdue's workers (queues: collections, channel-email, channel-sms, channel-letter) against
TEMPORAL_ADDRESS (default 127.0.0.1:7233) and DATABASE_URL (embedded PGlite when unset).
Every variable is listed in the README's Configuration table.`);
  process.exit(0);
}

installRuntimeLogging();
const config = readConfig();
const address = config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
const runtime = await openRuntime(config);
const connection = await NativeConnection.connect({ address }).catch((error: Error) => {
  console.error(`Cannot reach Temporal at ${address}: ${error.message}`);
  process.exit(1);
});
const client = new Client({ connection: await Connection.connect({ address }), namespace: config.temporalNamespace });
const workers = await createConfiguredWorkers(config, runtime, { connection, client, namespace: config.temporalNamespace });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
console.log(`Worker polling ${Object.values(config.queues).join(', ')} on ${address}`);
await workers.run();
await connection.close();
await client.connection.close();
await runtime.close();
