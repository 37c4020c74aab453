// One database handle for the whole app: PostgreSQL through postgres.js when a URL is given
// (production, tests), embedded PGlite under .data/pglite otherwise (zero-setup local runs).
// Both speak the same SQL and get the same committed migrations.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { lockEmbeddedDatabase } from './embedded-lock';
import * as schema from './schema';

export type Schema = typeof schema;

/** A drizzle database over either driver; repository functions take this (or a transaction, which is one too). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export interface DatabaseHandle {
  db: Database;
  close(): Promise<void>;
  kind: 'postgres' | 'pglite';
}

/** Where local state lives (embedded database, dev-server store, outbox): DATA_DIR, else the repository's `.data`. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATA_DIR ? resolve(env.DATA_DIR) : fileURLToPath(new URL('../.data', import.meta.url));
}

/** Default directory of the embedded database: `<data dir>/pglite`. */
export function defaultPgliteDir(): string {
  return join(dataDir(), 'pglite');
}

export interface CreateDatabaseOptions {
  /** Max pooled connections (postgres.js). */
  max?: number;
  /** PGlite data directory; 'memory://' for an in-memory database. */
  pgliteDir?: string;
  /**
   * Called with each statement sent to PostgreSQL (postgres.js's debug hook; BEGIN and COMMIT included):
   * the bench counts database round trips with it. Not called on PGlite.
   */
  onQuery?: (statement: string) => void;
}


/**
 * Opens the database at `url` (postgres:// or postgresql://), or, when no URL is given and
 * DATABASE_URL is unset, an embedded PGlite database persisted under `<data dir>/pglite`, held by this
 * process alone (a second process gets EmbeddedDatabaseBusyError naming the first).
 */
export async function createDatabase(
  url: string | undefined = process.env.DATABASE_URL,
  options: CreateDatabaseOptions = {},
): Promise<DatabaseHandle> {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { onQuery } = options;
    const client = postgres(url, { max: options.max ?? 10, onnotice: () => {}, ...(onQuery ? { debug: (_connection: number, statement: string) => onQuery(statement) } : {}) });
    const db = drizzle(namedStatements(client), { schema }) as unknown as Database;
    return { db, kind: 'postgres', close: () => client.end({ timeout: 5 }) };
  }
  if (url) {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got ${JSON.stringify(url)})`);
  }
  const dir = options.pgliteDir ?? defaultPgliteDir();
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let release = () => {};
  if (!dir.startsWith('memory://')) {
    mkdirSync(dir, { recursive: true });
    // One process at a time: see db/embedded-lock.ts.
    release = lockEmbeddedDatabase(dir);
  }
  try {
    const client = await PGlite.create(dir);
    const db = drizzle(client, { schema }) as unknown as Database;
    return { db, kind: 'pglite', close: () => client.close().finally(release) };
  } catch (error) {
    release();
    throw error;
  }
}

type PostgresClient = import('postgres').Sql;

/** A JSON array column of a raw statement: parsed by postgres.js, text from PGlite; SQL NULL as []. */
export function jsonArray<T>(value: unknown): T[] {
  return ((typeof value === 'string' ? JSON.parse(value) : value) as T[] | null) ?? [];
}

/**
 * Has postgres.js run drizzle's parameterised statements as named prepared statements (#19). Drizzle sends
 * a query unnamed unless it was built with .prepare(name); postgres.js then asks the server to describe
 * every unnamed statement that has parameters before it runs it: two round trips, two socket writes and
 * a parse per statement, at every call. Named, a statement is parsed and described once per connection
 * (postgres.js keeps them by text and parameter types) and each later call is one round trip. Statements
 * without parameters (BEGIN, COMMIT) keep the simple protocol. Transactions and savepoints get the same.
 * `?prepare=false` in DATABASE_URL (postgres.js reads it) turns prepared statements off, as a
 * transaction-mode connection pooler without prepared-statement support (pgbouncer before 1.21) needs.
 */
function namedStatements<T extends PostgresClient>(client: T): T {
  if ((client.options as { prepare?: boolean } | undefined)?.prepare === false) return client;
  const unsafe = client.unsafe.bind(client);
  client.unsafe = ((query: string, args?: unknown[], queryOptions?: Record<string, unknown>) =>
    Array.isArray(args) && args.length > 0 ? unsafe(query, args as never, { ...queryOptions, prepare: true }) : unsafe(query, args as never, queryOptions as never)) as T['unsafe'];
  const scoped = client as unknown as { begin?: (...a: unknown[]) => unknown; savepoint?: (...a: unknown[]) => unknown };
  for (const method of ['begin', 'savepoint'] as const) {
    const original = scoped[method];
    if (typeof original !== 'function') continue;
    scoped[method] = (...a: unknown[]) => {
      const fn = a.pop() as (sql: PostgresClient) => unknown;
      return original.call(client, ...a, (sql: PostgresClient) => fn(namedStatements(sql)));
    };
  }
  return client;
}

/** Rows of a raw `db.execute(sql...)` on either driver (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(
  db: Database,
  query: Parameters<Database['execute']>[0],
): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
