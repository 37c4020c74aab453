// Start-up checks shared by every entry point (npm start, npm run api, npm run worker, the CLI): each
// failure becomes one line naming the cause and the variable to change, never a stack trace. The cheap
// checks (ports) come before the slow work, so a mistake shows in a second, not after the dev server.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDatabase, type DatabaseHandle } from '../db/client';
import { EmbeddedDatabaseBusyError } from '../db/embedded-lock';
import { migrateDb } from '../db/migrate';
import { temporalAddress, type Config } from './config';

/** A start-up failure whose message is the whole story: print it, exit 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The first line of an error's message, without the driver's noise. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n').find((line) => line.trim() !== '') ?? message).trim().slice(0, 300);
}

/** Fails unless `host:port` can be bound, naming the variable that chooses the port. */
export async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  const problem = await new Promise<string | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (!problem) return;
  if (problem === 'EADDRINUSE') throw new StartupError(`port ${port} on ${host} is already in use: stop what listens there, or set ${variable} to a free port`);
  if (problem === 'EACCES') throw new StartupError(`port ${port} on ${host} needs privileges: set ${variable} to a port above 1023`);
  if (problem === 'EADDRNOTAVAIL' || problem === 'ENOTFOUND') throw new StartupError(`${host} is not an address of this machine: set API_HOST (e.g. 127.0.0.1 or 0.0.0.0)`);
  throw new StartupError(`cannot listen on ${host}:${port} (${problem}): set ${variable}`);
}

/** The ports `npm start` will listen on, checked before anything slow starts. */
export async function assertStartPortsFree(config: Config): Promise<void> {
  await assertPortFree(config.apiHost, config.apiPort, 'API_PORT');
  if (config.temporalAddress) return; // an existing server: nothing of ours listens for Temporal
  await assertPortFree('127.0.0.1', config.temporalPort, 'TEMPORAL_PORT (or TEMPORAL_ADDRESS to use the server already there)');
  await assertPortFree('127.0.0.1', config.temporalUiPort, 'TEMPORAL_UI_PORT');
}

// Driver and server codes that say why the database could not be used.
const DATABASE_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'the database does not exist',
  '42501': 'permission denied',
};

function errorChain(error: unknown): Array<Error & { code?: string; errors?: unknown[] }> {
  const chain: Array<Error & { code?: string; errors?: unknown[] }> = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length) {
    const next = queue.shift();
    if (!(next instanceof Error) || seen.has(next)) continue;
    seen.add(next);
    chain.push(next);
    queue.push((next as { cause?: unknown }).cause, ...(((next as { errors?: unknown[] }).errors) ?? []));
  }
  return chain;
}

/** host:port/db of a postgres URL, without the credentials. */
function databaseTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** One line for a database failure at start-up: the reason found under drizzle's "Failed query: …". */
export function explainDatabaseError(error: unknown, url: string | undefined): StartupError {
  const chain = errorChain(error);
  const busy = chain.find((e) => e instanceof EmbeddedDatabaseBusyError);
  if (busy) return new StartupError(busy.message);
  if (!url) return new StartupError(`the embedded database could not be opened: ${oneLine(chain.at(-1) ?? error)} (DATA_DIR chooses where it lives; DATABASE_URL uses PostgreSQL instead)`);
  const coded = chain.find((e) => e.code && DATABASE_REASONS[e.code]);
  const reason = coded ? DATABASE_REASONS[coded.code!] : oneLine(chain.at(-1) ?? error);
  return new StartupError(`cannot use the database at ${databaseTarget(url)}: ${reason}. Check DATABASE_URL, or unset it to use the embedded database`);
}

/** The configured database, migrated; a failure is a StartupError naming DATABASE_URL. */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  let handle: DatabaseHandle | undefined;
  try {
    handle = await createDatabase(config.databaseUrl, { pgliteDir: join(config.dataDir, 'pglite') });
    await migrateDb(handle.db);
    return handle;
  } catch (error) {
    await handle?.close().catch(() => {});
    throw explainDatabaseError(error, config.databaseUrl);
  }
}

function unreachable(address: string, error: unknown): StartupError {
  return new StartupError(`cannot reach Temporal at ${address} (${oneLine(error)}): start it, or set TEMPORAL_ADDRESS (TEMPORAL_PORT for a dev server on this machine)`);
}

/** A client connection to the configured Temporal frontend, failing in seconds with one line. */
export async function connectTemporal(config: Config): Promise<Connection> {
  const address = temporalAddress(config);
  return Connection.connect({ address, connectTimeout: '5s' }).catch((error) => {
    throw unreachable(address, error);
  });
}

/** The worker's connection to the configured Temporal frontend. */
export async function connectWorkerTemporal(config: Config): Promise<NativeConnection> {
  const address = temporalAddress(config);
  return NativeConnection.connect({ address }).catch((error) => {
    throw unreachable(address, error);
  });
}

/**
 * Prints a start-up failure as one line and exits 1. Errors we did not foresee keep their stack when
 * OVERDUE_DEBUG is set.
 */
export function exitWithStartupError(prefix: string, error: unknown): never {
  console.error(`${prefix}: ${oneLine(error)}`);
  if (process.env.OVERDUE_DEBUG && error instanceof Error && !(error instanceof StartupError)) console.error(error.stack);
  process.exit(1);
}
