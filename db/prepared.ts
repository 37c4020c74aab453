// Statements built once (#19). Drizzle rebuilds a query's SQL text from its builder at every call: on the
// hot paths (the send-time gate, the contact attempt's claim and marks, a case's open and close, the audit
// trail) that was most of the worker's CPU in the database client. A prepared query is built once, with
// placeholders (sql.placeholder) for what changes per call, and postgres.js prepares it once per connection.
//
// A query is built once per driver and runs on whichever handle asks for it, a transaction included: the
// prepared query object is shared, and a handle other than the one it was built on gets it bound to its
// own connection (drizzle's prepared queries run on the `client` they hold; their text, parameters and
// result mapping do not depend on it). Should a drizzle upgrade change that, each handle builds its own
// (checked when a query is first built), never a statement sent outside the caller's transaction.
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './client';

interface Rebindable {
  client?: unknown;
}

/** The driver connection a handle's queries run on (drizzle's session.client; a transaction's own). */
function clientOf(db: Database): unknown {
  return (db._.session as unknown as Rebindable).client;
}

/** Shared queries by driver (the session's class) and name; null: this driver's queries cannot be rebound. */
const shared = new Map<string, unknown>();
const perHandle = new WeakMap<Database, Map<string, unknown>>();

/** The query `build` makes, built once per driver (see above) and run on `db`'s connection. */
export function preparedFor<T extends object>(db: Database, name: string, build: (db: Database) => T): T {
  const client = clientOf(db);
  const key = `${db._.session.constructor.name}:${name}`;
  let query = shared.get(key) as T | null | undefined;
  if (query === undefined) {
    const fresh = build(db);
    const rebindable = client !== undefined && (fresh as Rebindable).client === client;
    shared.set(key, rebindable ? fresh : null);
    if (rebindable) return fresh;
    return ownQuery(db, name, build, fresh);
  }
  if (query === null) return ownQuery(db, name, build);
  if ((query as Rebindable).client === client) return query;
  return Object.create(query, { client: { value: client } }) as T;
}

function ownQuery<T>(db: Database, name: string, build: (db: Database) => T, fresh?: T): T {
  let queries = perHandle.get(db);
  if (!queries) {
    queries = new Map();
    perHandle.set(db, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (query === undefined) {
    query = fresh ?? build(db);
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
