// Applies the committed migrations (db/migrations) to DATABASE_URL, or to the embedded PGlite
// database under .data/pglite when DATABASE_URL is unset.
import { parseArgs } from 'node:util';
import { defaultPgliteDir } from '../db/client';
import { migrateDatabase, migrationsFolder } from '../db/migrate';
import { withoutCredentials } from '../observability/logger';

const HELP = `Usage: npm run db:migrate [-- --url postgres://...]

Applies the committed migrations in db/migrations.

Options:
  --url <url>   PostgreSQL URL (default: $DATABASE_URL; when unset, embedded PGlite in .data/pglite)
  -h, --help    Show this help
`;

const { values } = parseArgs({
  options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const url = values.url ?? process.env.DATABASE_URL;
const target = url ? withoutCredentials(url) : `PGlite at ${defaultPgliteDir()}`;
const started = Date.now();
try {
  await migrateDatabase(url);
  console.log(`migrated ${target} from ${migrationsFolder} in ${Date.now() - started} ms`);
} catch (error) {
  console.error(`migration of ${target} failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
