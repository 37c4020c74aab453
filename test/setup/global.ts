// One Temporal dev server and one fresh PostgreSQL database for the whole integration run.
// The database is created empty, migrated with the committed migrations, and dropped at the end.
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { migrateDatabase } from '../../db/migrate';
import { startTemporal } from '../../scripts/lib/temporal';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
  }
}

const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  const name = `overdue_test_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await migrateDatabase(databaseUrl);

  const temporal = await startTemporal({ ephemeral: true, log: (line) => console.log(`[temporal] ${line}`) });

  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporal.address);

  return async () => {
    await temporal.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
}
