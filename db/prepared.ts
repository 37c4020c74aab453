// Statements built once per database handle (#19). Drizzle rebuilds a query's SQL text from its builder at
// every call, and sends it unnamed, so PostgreSQL parses and plans it again each time: on the hot paths
// (the send-time gate, the contact attempt's claim and marks, a case's open) that was most of the worker's
// CPU in the database client. A prepared query is built once per handle, with placeholders
// (sql.placeholder) for what changes per call, and postgres.js prepares it once per connection.
//
// Only for a handle that lives long (the app's `db`): a transaction is a new handle each time, so a query
// prepared on it would be built for one use; repository functions that run inside a caller's transaction
// keep building their statements.
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './client';

const built = new WeakMap<Database, Map<string, unknown>>();

/** The query `build` makes for `db`, built on the first call for that handle and kept while it lives. */
export function preparedFor<T>(db: Database, name: string, build: (db: Database) => T): T {
  let queries = built.get(db);
  if (!queries) {
    queries = new Map();
    built.set(db, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (query === undefined) {
    query = build(db);
    queries.set(name, query);
  }
  return query;
}

const dialect = new PgDialect();

/**
 * A raw SQL query with placeholders, prepared once per handle: its rows as objects (column names as
 * the query names them) on either driver, like queryRows.
 */
export function preparedRows<T extends Record<string, unknown>>(
  db: Database,
  name: string,
  query: () => SQL,
): (values: Record<string, unknown>) => Promise<T[]> {
  const prepared = preparedFor(db, name, (handle) => handle._.session.prepareQuery(dialect.sqlToQuery(query()), undefined, name, false));
  return async (values) => {
    const result = (await prepared.execute(values)) as unknown;
    if (Array.isArray(result)) return result as T[];
    return ((result as { rows?: T[] }).rows ?? []) as T[];
  };
}
