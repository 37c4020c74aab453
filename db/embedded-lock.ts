// The embedded database (PGlite) is one process's memory image of files on disk: a second process that
// opens the same directory works on its own copy, and neither sees the other's writes (a key made with
// `overdue keys create` while `npm start` ran was refused by the running API until a restart). So the
// directory belongs to one process at a time, recorded in a lock file beside it with the owner's pid.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** The embedded database is held by another live process. */
export class EmbeddedDatabaseBusyError extends Error {
  override name = 'EmbeddedDatabaseBusyError';
}

interface Holder {
  pid: number;
  owner: string;
}

// The entry points a person would recognise, by script file.
const ENTRY_POINTS: Record<string, string> = {
  'start.ts': 'npm start',
  'api.ts': 'npm run api',
  'main.ts': 'npm run worker',
  'demo.ts': 'npm run demo',
  'db-seed.ts': 'npm run db:seed',
  'db-migrate.ts': 'npm run db:migrate',
  'report.ts': 'npm run report',
};

/** How this process names itself in the lock file: `npm start`, `overdue keys`, `vitest`… */
export function describeThisProcess(): string {
  const script = basename(process.argv[1] ?? 'node');
  if (script.startsWith('overdue')) return ['overdue', process.argv[2]].filter(Boolean).join(' ');
  return ENTRY_POINTS[script] ?? script;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, owner: String(holder.owner ?? 'another process') } : undefined;
  } catch {
    return undefined;
  }
}

// Handles this process holds, per lock file: one process may open the directory more than once.
const held = new Map<string, number>();

/** The lock file of a PGlite directory: beside it, since PGlite expects its own directory to hold only its files. */
export function lockFileFor(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.lock`;
}

/**
 * Takes the embedded database at `dir` for this process, or throws EmbeddedDatabaseBusyError naming the
 * process that holds it. A lock left by a process that no longer runs is taken over. Returns the release.
 */
export function lockEmbeddedDatabase(dir: string, owner: string = describeThisProcess()): () => void {
  const file = lockFileFor(dir);
  const release = () => {
    const count = (held.get(file) ?? 1) - 1;
    if (count > 0) return void held.set(file, count);
    held.delete(file);
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  };
  if (held.has(file)) {
    held.set(file, held.get(file)! + 1);
    return release;
  }
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, owner }));
      closeSync(fd);
      held.set(file, 1);
      process.once('exit', () => held.has(file) && rmSync(file, { force: true }));
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && alive(holder.pid)) {
        throw new EmbeddedDatabaseBusyError(
          `the embedded database (${dir}) is in use by ${holder.owner} (pid ${holder.pid}): use the API of that process, stop it first, or set DATABASE_URL to a PostgreSQL database that several processes can share`,
        );
      }
      // Stale: its owner died without removing it.
      rmSync(file, { force: true });
    }
  }
  throw new EmbeddedDatabaseBusyError(`could not take the lock ${file} for the embedded database; remove it if no Overdue process runs`);
}
