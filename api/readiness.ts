// Readiness: can this API serve requests now? It needs its database and Temporal (the namespace it
// starts workflows in). Each is asked once, with a time limit, both at the same time. The answer names
// what was checked and, for a dependency that is down, a short reason (an error code, never a message
// that could carry a connection string: the probe needs no API key).
import { sql } from 'drizzle-orm';
import type { OperationDeps } from './operations';

/** How long one dependency may take to answer before it counts as down. */
export const READINESS_TIMEOUT_MS = 2_000;

export interface DependencyCheck {
  ok: boolean;
  /** Time the check took, in milliseconds. */
  ms: number;
  /** Why it is down: an error code such as ECONNREFUSED or UNAVAILABLE, or `timeout`. */
  reason?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: DependencyCheck; temporal: DependencyCheck & { namespace: string } };
}

async function check(what: () => Promise<unknown>, timeoutMs: number): Promise<DependencyCheck> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'timeout' })), timeoutMs);
  });
  try {
    await Promise.race([what(), timeout]);
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, reason: reasonOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A short, secret-free reason: the error's code (errno, SQLSTATE or gRPC status), else its class. */
function reasonOf(error: unknown): string {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.code === 'string') return e.code;
    if (typeof e.code === 'number') return GRPC_STATUS[e.code] ?? `grpc ${e.code}`;
  }
  return (error as Error | undefined)?.name ?? 'error';
}

const GRPC_STATUS: Record<number, string> = { 1: 'CANCELLED', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

export async function checkReadiness(deps: Pick<OperationDeps, 'db' | 'client'>, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  const namespace = deps.client.options.namespace;
  const [database, temporal] = await Promise.all([
    check(() => deps.db.execute(sql`select 1`), timeoutMs),
    check(() => deps.client.withDeadline(Date.now() + timeoutMs, () => deps.client.workflowService.describeNamespace({ namespace })), timeoutMs),
  ]);
  return { ready: database.ok && temporal.ok, checks: { database, temporal: { ...temporal, namespace } } };
}
