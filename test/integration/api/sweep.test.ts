// The delinquency sweep (client/sweep.ts) across pages, when aborted and when starts fail: real Temporal
// dev server and PostgreSQL, on a database of this file's own so every loan the sweep finds is one of
// these tests'. Its runs go to a task queue no worker polls (only the start is under test here) and are
// terminated at the end. Each test seeds loans due further back than the last one's and sweeps as of a
// date only its own loans are overdue for (the earlier tests' fell due later).
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningCollection } from '../../../client/collection';
import { runSweep, type SweepProgress } from '../../../client/sweep';
import { workflowIdForLoan } from '../../../contracts/messages';
import { startHarness, type Harness } from '../../support/harness';

let h: Harness;
const unpolled = `sweep-unpolled-${randomUUID().slice(0, 8)}`;
const started: string[] = [];

beforeAll(async () => {
  h = await startHarness('sweep', { ownDatabase: true });
});
afterAll(async () => {
  for (const loanId of started) await h?.client.workflow.getHandle(workflowIdForLoan(loanId)).terminate('sweep test finished').catch(() => {});
  await h?.close();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600 * 1000);
async function seedLoans(n: number, dpd: number): Promise<string[]> {
  const loanIds: string[] = [];
  for (let i = 0; i < n; i++) loanIds.push((await h.seedLoan({ dpd, futureInstallments: 0 })).loanId);
  started.push(...loanIds);
  return loanIds;
}
const hasRun = async (loanId: string) => (await runningCollection(h.client, loanId)) !== null;

describe('the delinquency sweep', () => {
  it('starts every loan over several pages with at most `concurrency` starts in flight, and its progress ends at the last loan', async () => {
    const loanIds = await seedLoans(7, 1000);
    // The same connection, with an interceptor that counts the starts in flight.
    let inFlight = 0;
    let most = 0;
    const counting: WorkflowClientInterceptor = {
      async start(input, next) {
        most = Math.max(most, ++inFlight);
        try {
          return await next(input);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const client = new Client({ connection: h.client.connection, interceptors: { workflow: [counting] } });
    const progress: SweepProgress[] = [];
    const summary = await runSweep({ db: h.db, client, taskQueue: unpolled, asOf: daysAgo(990), concurrency: 2, pageSize: 3, onProgress: (p) => progress.push(p) });

    expect(summary).toMatchObject({ found: 7, started: 7, alreadyRunning: 0, skipped: 0, failed: 0, failures: [] });
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    for (const loanId of loanIds) expect(await hasRun(loanId), loanId).toBe(true);
    // Progress only moves forward, never counts more done than found, and ends with every loan done.
    const done = progress.map((p) => p.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    for (const p of progress) expect(p.done).toBeLessThanOrEqual(p.found);
    expect(progress.at(-1)).toMatchObject({ done: 7, found: 7, started: 7 });
    expect(new Set(progress.map((p) => p.lastLoanId).filter(Boolean))).toEqual(new Set(loanIds));

    // Once more: every loan is found running and nothing new starts.
    const again = await runSweep({ db: h.db, client: h.client, taskQueue: unpolled, asOf: daysAgo(990), concurrency: 2, pageSize: 3 });
    expect(again).toMatchObject({ found: 7, started: 0, alreadyRunning: 7, failed: 0 });
  });

  it('stops starting once aborted and leaves the loans it had not reached without a run', async () => {
    const loanIds = await seedLoans(6, 2000);
    const abort = new AbortController();
    const summary = await runSweep({
      db: h.db,
      client: h.client,
      taskQueue: unpolled,
      asOf: daysAgo(1990),
      concurrency: 1,
      pageSize: 2,
      signal: abort.signal,
      // Aborted as soon as the first start is counted (while the next page may be being read).
      onProgress: (p) => {
        if (p.lastLoanId) abort.abort();
      },
    });
    expect(summary).toMatchObject({ started: 1, alreadyRunning: 0, failed: 0 });
    const running = [];
    for (const loanId of loanIds) if (await hasRun(loanId)) running.push(loanId);
    expect(running).toHaveLength(1);

    // A sweep aborted before it begins reads and starts nothing.
    const before = await runSweep({ db: h.db, client: h.client, taskQueue: unpolled, asOf: daysAgo(1990), signal: AbortSignal.abort() });
    expect(before).toMatchObject({ found: 0, started: 0, failed: 0 });
  });

  it('counts a start that fails, names its loan and goes on with the others', async () => {
    const loanIds = await seedLoans(3, 3000);
    // A namespace the server does not have: every start is refused.
    const client = new Client({ connection: h.client.connection, namespace: `no-such-namespace-${randomUUID().slice(0, 8)}` });
    const summary = await runSweep({ db: h.db, client, taskQueue: unpolled, asOf: daysAgo(2990), concurrency: 2, pageSize: 2 });
    expect(summary).toMatchObject({ found: 3, started: 0, alreadyRunning: 0, failed: 3 });
    expect(summary.failures.map((f) => f.loanId).sort()).toEqual([...loanIds].sort());
    for (const failure of summary.failures) expect(failure.error).toMatch(/namespace/i);
    for (const loanId of loanIds) expect(await hasRun(loanId)).toBe(false);
  });
});
