// `npm run temporal`: the Temporal dev server alone, the one `npm start` runs, for running the workers
// (`npm run worker`) and the API (`npm run api`) as separate processes. Same port, UI port, SQLite file
// and search attributes as `npm start`; Ctrl-C or SIGTERM stops it.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../worker/config';
import { logger } from '../observability/logger';
import { startTemporal } from './lib/temporal';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run temporal

Runs the Temporal dev server alone on 127.0.0.1:TEMPORAL_PORT (UI on TEMPORAL_UI_PORT), keeping its
state in DATA_DIR/temporal.sqlite, with Overdue's search attributes registered. Then start
'npm run worker' and 'npm run api' in other terminals. Ctrl-C or SIGTERM stops it.`);
  process.exit(0);
}

const config = readConfig();
if (config.temporalAddress) {
  console.error(`TEMPORAL_ADDRESS=${config.temporalAddress} is set: Overdue uses that server and starts none. Unset it to run the dev server here.`);
  process.exit(1);
}
try {
  const server = await startTemporal({
    port: config.temporalPort,
    uiPort: config.temporalUiPort,
    namespace: config.temporalNamespace,
    dbFile: join(config.dataDir, 'temporal.sqlite'),
    onUnexpectedExit(reason) {
      logger.error(reason);
      process.exit(1);
    },
  });
  logger.info(`Temporal dev server at ${server.address} (namespace ${server.namespace})${server.uiUrl ? `, UI at ${server.uiUrl}` : ''}; Ctrl-C stops it`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
