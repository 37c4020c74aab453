// Finds the Temporal CLI, building it into the per-user cache if needed, and prints its path.
// Used by CI so the (slow, once per machine) build happens before the tests start.
import { parseArgs } from 'node:util';
import { findOrBuildTemporalCli } from './lib/temporal';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npx tsx scripts/temporal-cli.ts

Finds the Temporal CLI (TEMPORAL_CLI, ~/.cache/overdue/bin, then PATH) and builds it with
'go install' into the cache when none is found. Prints the path it will use.`);
  process.exit(0);
}
const cli = findOrBuildTemporalCli();
if (!cli) {
  console.log('No Temporal CLI and no Go toolchain: the tests will fall back to the SDK download (needs internet).');
} else {
  console.log(`Temporal CLI: ${cli}`);
}
