// A database of its own for a bench or a test suite, created through an admin connection (default: the
// local server's `postgres` database) and dropped when done, so nothing writes into a lender's data.
import postgres from 'postgres';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  name: string;
  url: string;
  /** The admin connection that created it (one connection), for ALTER DATABASE and the like. */
  admin: postgres.Sql;
  /** Drops the database, whoever is still connected, and closes the admin connection. */
  drop(): Promise<void>;
}

/** Creates the database `name` on the server `adminUrl` names. */
export async function createScratchDatabase(name: string, adminUrl = process.env.BENCH_POSTGRES_ADMIN_URL ?? DEFAULT_ADMIN_URL): Promise<ScratchDatabase> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
