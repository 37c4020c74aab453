// `npm run worker`: the production worker process. Needs TEMPORAL_ADDRESS (a running cluster) and
// DATABASE_URL; `npm start` is the all-in-one alternative for a laptop.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Client } from '@temporalio/client';
import { logger } from '../observability/logger';
import { startMetricsServer } from '../observability/metrics';
import { freePort } from '../scripts/lib/temporal';
import { readConfig, temporalAddress, workerHeapFlag } from './config';
import { createConfiguredWorkers, openRuntime } from './runtime';
import { assertPortFree, connectTemporal, connectWorkerTemporal, exitWithStartupError } from './startup';
import { installRuntimeLogging } from './workers';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run worker

Runs Overdue's workers (queues: collections, channel-email, channel-sms, channel-letter) against
TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT, port 7233) and DATABASE_URL (embedded PGlite when unset).
Serves Prometheus metrics (Overdue's and the Temporal SDK's) at http://METRICS_HOST:METRICS_PORT/metrics
(default 127.0.0.1:9464). Logs with LOG_LEVEL (default info): readable in a terminal, JSON otherwise.
Every variable is listed in the README's Configuration table.`);
  process.exit(0);
}

// Before the workers start their workflow thread (worker/config.ts, WORKER_HEAP_GROWING_PERCENT).
const heapFlag = workerHeapFlag();
if (heapFlag) setFlagsFromString(heapFlag);

try {
  const config = readConfig();
  // The cheap check first: a second worker on this machine needs its own METRICS_PORT.
  await assertPortFree(config.metricsHost, config.metricsPort, 'METRICS_PORT');
  const sdkMetricsAddress = config.sdkMetricsAddress ?? `127.0.0.1:${await freePort()}`;
  installRuntimeLogging({ sdkMetricsAddress });
  const address = temporalAddress(config);
  const connection = await connectWorkerTemporal(config);
  const clientConnection = await connectTemporal(config);
  const runtime = await openRuntime(config);
  const workers = await createConfiguredWorkers(config, runtime, {
    connection,
    client: new Client({ connection: clientConnection, namespace: config.temporalNamespace }),
    namespace: config.temporalNamespace,
  });
  const metrics = await startMetricsServer({ host: config.metricsHost, port: config.metricsPort, sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` });
  // Either signal drains the workers (in-flight activities finish), then the connections close.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
  logger.info(`Worker polling ${Object.values(config.queues).join(', ')} on ${address}; metrics at http://${config.metricsHost}:${config.metricsPort}/metrics`);
  await workers.run();
  metrics.close();
  await connection.close();
  await clientConnection.close();
  await runtime.close();
} catch (error) {
  exitWithStartupError('worker: start failed', error);
}
