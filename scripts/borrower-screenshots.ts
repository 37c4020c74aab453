// `npm run screenshots`: the README's screenshots of the borrower's self-service page (zh-CN and en),
// taken with playwright-core in headless Chromium by the browser test, on a real case (the test harness
// brings up the worker, the API and an SMTP sink against the test Temporal server and PostgreSQL).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELP = `Usage: npm run screenshots -- [options]

Writes docs/screenshots/borrower-page-zh-CN.png and borrower-page-en.png: the borrower's self-service
page as a phone (390x844) shows it, opened from the link in a real email. Runs the browser test's
accessibility case (test/integration/browser/borrower.test.ts) with SCREENSHOTS_DIR set; it needs
what the integration tests need (PostgreSQL on 127.0.0.1:5432, the Temporal CLI, /usr/bin/chromium).

Options:
  --out <dir>   Where to write the images (default docs/screenshots)
  -h, --help    Show this help
`;

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const out = values.out ?? `${root}docs/screenshots`;
mkdirSync(out, { recursive: true });
const run = spawnSync('npx', ['vitest', 'run', 'test/integration/browser/borrower.test.ts', '-t', 'accessibility'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SCREENSHOTS_DIR: out },
});
if (run.status === 0) console.log(`screenshots written to ${out}`);
process.exit(run.status ?? 1);
