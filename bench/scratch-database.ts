// A database of the bench's own, created on BENCH_POSTGRES_ADMIN_URL (default: the local server's
// `postgres` database) and dropped when the bench is done, so a bench never writes into a lender's data.
import postgres from 'postgres';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `overdue_bench_<kind>_<pid>` and returns its URL and a drop that also closes the admin pool. */
export async function createScratchDatabase(kind: string): Promise<ScratchDatabase> {
  const adminUrl = process.env.BENCH_POSTGRES_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const name = `overdue_bench_${kind}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
