// Seeds a synthetic portfolio (db/seed.ts) into DATABASE_URL or embedded PGlite, migrating first.
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/client';
import { explainDatabaseError, exitWithStartupError } from '../worker/startup';
import { migrateDb } from '../db/migrate';
import { seedPortfolio } from '../db/seed';

const HELP = `Usage: npm run db:seed [-- options]

Seeds synthetic borrowers and loans (fictional names, example.com / example.cn addresses) into
$DATABASE_URL, or embedded PGlite in .data/pglite when it is unset. Migrates first.

Options:
  --loans <n>            Number of loans, one borrower each (default 200)
  --overdue-share <0..1> Share of loans 1-120 days past due (default 0.6)
  --seed <n>             PRNG seed, for a reproducible portfolio (default 1)
  --as-of <YYYY-MM-DD>   Date the portfolio is built around (default today, UTC)
  --prefix <text>        Id prefix, e.g. S -> S-L0000001 (default S)
  --url <url>            PostgreSQL URL (default $DATABASE_URL)
  -h, --help             Show this help
`;

const { values } = parseArgs({
  options: {
    loans: { type: 'string' },
    'overdue-share': { type: 'string' },
    seed: { type: 'string' },
    'as-of': { type: 'string' },
    prefix: { type: 'string' },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    console.error(`--${name} must be a number (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return n;
}

const handle = await createDatabase(values.url ?? process.env.DATABASE_URL).catch((error) =>
  exitWithStartupError('db:seed', explainDatabaseError(error, values.url ?? process.env.DATABASE_URL)),
);
try {
  await migrateDb(handle.db);
  const started = Date.now();
  const result = await seedPortfolio(handle.db, {
    loans: number('loans', values.loans, 200),
    overdueShare: number('overdue-share', values['overdue-share'], 0.6),
    seed: number('seed', values.seed, 1),
    asOf: values['as-of'],
    idPrefix: values.prefix,
    onProgress: (done, total) => process.stdout.write(`\rseeded ${done}/${total} loans`),
  });
  process.stdout.write('\n');
  console.log(
    `${handle.kind}: ${result.loans} loans (${result.overdueLoans} past due as of ${result.asOf}), ` +
      `${result.installments} instalments, ${result.payments} payments in ${Date.now() - started} ms`,
  );
} catch (error) {
  console.error(`seeding failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
