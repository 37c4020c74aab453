// `npm run report`: the portfolio report from the database (DATABASE_URL, or the embedded PGlite under
// .data/pglite) — a terminal table, JSON, or a self-contained HTML page. Reads the system of record
// only; no Temporal server is needed.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/client';
import { explainDatabaseError, exitWithStartupError } from '../worker/startup';
import { migrateDb } from '../db/migrate';
import { buildReport, renderReportHtml, renderReportTable } from './lib/report';

const HELP = `Usage: npm run report -- [options]

The portfolio report: cases by stage and outcome, cure rate, right-party-contact rate, promise-kept
rate, recovery by DPD bucket at case open, contacts per resolved case, contacts blocked by rule and
time to resolution. Reads DATABASE_URL, or the embedded database in .data/pglite.

Options:
  --json            Print the report as JSON instead of a table
  --html <file>     Also write a self-contained HTML report (inline SVG charts) to <file>
  --as-of <instant> Leave out facts recorded after this ISO-8601 instant (default now)
  --prefix <text>   Only loans whose id starts with <text> (e.g. one demo run)
  --day-seconds <s> Length of a "day" for durations and curves (default 86400; the demo uses 1)
  -h, --help        Show this help
`;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    html: { type: 'string' },
    'as-of': { type: 'string' },
    prefix: { type: 'string' },
    'day-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const asOf = values['as-of'] ? new Date(values['as-of']) : undefined;
if (asOf && Number.isNaN(asOf.getTime())) {
  console.error(`--as-of must be an ISO-8601 instant, e.g. 2025-06-30T00:00:00Z (got ${JSON.stringify(values['as-of'])})`);
  process.exit(2);
}
const daySeconds = values['day-seconds'] === undefined ? 86_400 : Number(values['day-seconds']);
if (!(daySeconds > 0)) {
  console.error(`--day-seconds must be a positive number (got ${JSON.stringify(values['day-seconds'])})`);
  process.exit(2);
}

const database = await createDatabase().catch((error) => exitWithStartupError('report', explainDatabaseError(error, process.env.DATABASE_URL)));
try {
  await migrateDb(database.db);
  const report = await buildReport(database.db, { asOf, loanIdPrefix: values.prefix, dayMs: daySeconds * 1000 });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(renderReportTable(report));
  if (values.html) {
    const file = resolve(values.html);
    writeFileSync(file, renderReportHtml(report));
    console.error(`HTML report written to ${file}`);
  }
} finally {
  await database.close();
}
