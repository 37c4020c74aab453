// `npm run bundle -- <file>`: writes the collection workflow's bundle (webpack, as the worker would build
// it at start-up) to a file, for WORKFLOW_BUNDLE. A worker given a built bundle skips the bundling, which
// costs a few seconds of CPU at every start and leaves the worker about 100 MB more resident memory
// that it never gives back (README, Benchmarks: worker memory).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflows } from '../worker/workers';

const HELP = `Usage: npm run bundle -- <file>

Bundles the workflow code (workflows/index.ts and what it imports) into <file>, for a worker started
with WORKFLOW_BUNDLE=<file>. Build it again whenever the workflow code changes: a worker runs the
bundle it is given (the Docker image builds it with the code it copies).

Options:
  -h, --help   Show this help
`;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (positionals.length !== 1) {
  process.stderr.write(`bundle: name one output file (got ${positionals.length})\n\n${HELP}`);
  process.exit(2);
}
const file = resolve(positionals[0]!);
const started = Date.now();
const { code } = await bundleWorkflows();
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, code);
console.log(`wrote ${file} (${(code.length / 1024).toFixed(0)} KB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
