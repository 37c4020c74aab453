// CPU time by process for the bench's engine phase (#19): where a loan's cost goes — the Temporal server,
// PostgreSQL, and this process (the worker's activities and workflow threads plus the bench's own client
// calls). Read from /proc on Linux, the bench's home; elsewhere those parts are left out, not guessed.
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc's utime and stime: 100 on every Linux the bench runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  /** CPU seconds of the Temporal server process (its children are not counted). */
  server?: number;
  /** CPU seconds of each PostgreSQL backend serving the bench's database, by pid. */
  postgres: Map<number, number>;
  /** CPU seconds of this process, all threads. */
  worker: number;
}

/** utime + stime of one process, in seconds; undefined when /proc can't tell. */
export function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * `backendPids`: the PostgreSQL backends serving the bench's database now (from pg_stat_activity), so
 * others' tests or benches on the same server are not counted. A backend that ends between two samples
 * is lost (the bench's pool keeps its connections open); one that starts between them counts in full.
 */
export function sampleCpu(serverPid: number | undefined, backendPids: readonly number[]): CpuSample {
  const { user, system } = process.cpuUsage();
  const postgres = new Map<number, number>();
  for (const pid of backendPids) {
    const seconds = processSeconds(pid);
    if (seconds !== undefined) postgres.set(pid, seconds);
  }
  return { server: serverPid ? processSeconds(serverPid) : undefined, postgres, worker: (user + system) / 1e6 };
}

export interface CpuPerLoan {
  /** Milliseconds of CPU per loan, by process; a part /proc could not read is absent. */
  serverMs?: number;
  postgresMs?: number;
  workerMs: number;
  totalMs: number;
}

export function cpuPerLoan(before: CpuSample, after: CpuSample, loans: number): CpuPerLoan {
  const serverMs = before.server === undefined || after.server === undefined ? undefined : ((after.server - before.server) * 1000) / loans;
  // The server's own processes (checkpointer, WAL writer) are not counted: a lower bound.
  const backendSeconds = [...after.postgres].reduce((sum, [pid, seconds]) => sum + seconds - (before.postgres.get(pid) ?? 0), 0);
  const postgresMs = after.postgres.size ? (backendSeconds * 1000) / loans : undefined;
  const workerMs = ((after.worker - before.worker) * 1000) / loans;
  return {
    ...(serverMs === undefined ? {} : { serverMs }),
    ...(postgresMs === undefined ? {} : { postgresMs }),
    workerMs,
    totalMs: (serverMs ?? 0) + (postgresMs ?? 0) + workerMs,
  };
}

/** "169 ms (server 74, PostgreSQL 20, worker 75)" for the table. */
export function describeCpu(cpu: CpuPerLoan): string {
  const parts = [
    cpu.serverMs === undefined ? undefined : `server ${cpu.serverMs.toFixed(0)}`,
    cpu.postgresMs === undefined ? undefined : `PostgreSQL ${cpu.postgresMs.toFixed(0)}`,
    `worker ${cpu.workerMs.toFixed(0)}`,
  ].filter(Boolean);
  return `${cpu.totalMs.toFixed(0)} ms (${parts.join(', ')})`;
}
