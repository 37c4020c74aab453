// The delinquency sweep: every loan with an overdue unpaid instalment and no open case gets its
// collection workflow, at most `concurrency` starts in flight — unless its last case's outcome says it
// may not be collected again (domain/lifecycle: terminal, bankruptcy or death, or cured with no new
// lapse), which the sweep skips and counts. Idempotent by construction — a loan whose
// workflow is already running (even one started a moment ago, before its first activity opened the
// case row) is counted as alreadyRunning, so running the sweep twice starts nothing new.
import type { Client } from '@temporalio/client';
import type { SweepSummary } from '../contracts/activities';
import type { Database } from '../db/client';
import { findDelinquentLoansWithoutOpenCase, type DelinquentLoan } from '../db/repository/cases';
import { startCollectionRun } from './collection';

export type { SweepSummary } from '../contracts/activities';

export type SweepProgress = Omit<SweepSummary, 'failures' | 'skippedBy'> & { done: number; lastLoanId?: string };

export interface SweepOptions {
  db: Database;
  client: Client;
  taskQueue: string;
  asOf?: Date | string;
  /** Starts in flight at once (default 8). */
  concurrency?: number;
  /** Loans read per page (default 500). */
  pageSize?: number;
  onProgress?: (progress: SweepProgress) => void;
  signal?: AbortSignal;
}

const MAX_REPORTED_FAILURES = 20;

export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  const asOf = options.asOf === undefined ? new Date().toISOString().slice(0, 10) : options.asOf instanceof Date ? options.asOf.toISOString().slice(0, 10) : options.asOf;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const pageSize = options.pageSize ?? 500;
  const summary: SweepSummary = { asOf, found: 0, started: 0, skipped: 0, skippedBy: {}, alreadyRunning: 0, failed: 0, failures: [] };
  let done = 0;
  const aborted = () => options.signal?.aborted === true;

  const onProgress = options.onProgress;
  const report = onProgress
    ? (lastLoanId?: string) => {
        const { failures: _failures, skippedBy: _skippedBy, ...counts } = summary;
        onProgress({ ...counts, done, lastLoanId });
      }
    : () => {};

  const readPage = (afterLoanId: string | null) => {
    const reading = findDelinquentLoansWithoutOpenCase(options.db, { asOf, afterLoanId, limit: pageSize });
    // A page read ahead is awaited only once the starts before it are out: until then its failure must
    // not count as unhandled. Awaiting it later still throws.
    reading.catch(() => {});
    return reading;
  };

  // The work list as one stream of loan ids, the next page read while the current page's starts are in
  // flight, so the starts never wait for a query nor drain to one in flight at the end of a page. Reading
  // ahead is safe: keyset paging resumes after the page's last loan, and the starts in flight (whose
  // workflows open cases) are all for loans up to that one.
  async function* loansToStart(): AsyncGenerator<string> {
    let reading: Promise<DelinquentLoan[]> | undefined = aborted() ? undefined : readPage(null);
    try {
      while (reading) {
        const page = await reading;
        reading = undefined;
        if (page.length === 0) return;
        summary.found += page.length;
        // A short page is the last one; an aborted sweep reads no more.
        if (page.length === pageSize && !aborted()) reading = readPage(page[page.length - 1]!.loanId);
        const toStart: string[] = [];
        for (const loan of page) {
          if (!loan.skip) {
            toStart.push(loan.loanId);
            continue;
          }
          const key = `${loan.skip.because}:${loan.skip.outcome ?? 'borrower'}`;
          summary.skipped += 1;
          summary.skippedBy[key] = (summary.skippedBy[key] ?? 0) + 1;
          done += 1;
        }
        report();
        yield* toStart;
      }
    } finally {
      // A sweep that stopped early (aborted, or a page failed) leaves no query running behind it.
      await reading?.catch(() => {});
    }
  }

  const loans = loansToStart();
  let readError: unknown;
  const worker = async () => {
    while (!aborted()) {
      let next: IteratorResult<string>;
      try {
        next = await loans.next();
      } catch (error) {
        // The page query failed: the other workers finish the starts they have in flight and stop.
        readError ??= error;
        return;
      }
      if (next.done) return;
      const loanId = next.value;
      try {
        const result = await startCollectionRun(options.client, options.taskQueue, loanId);
        if (result.started) summary.started += 1;
        else summary.alreadyRunning += 1;
      } catch (error) {
        summary.failed += 1;
        if (summary.failures.length < MAX_REPORTED_FAILURES) summary.failures.push({ loanId, error: (error as Error).message });
      }
      done += 1;
      report(loanId);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await loans.return(undefined);
  if (readError !== undefined) throw readError;
  return summary;
}

/**
 * Progress for a person: a redrawn bar on a terminal, a plain line every `every` loans otherwise (CI
 * logs, pipes). The total grows as pages are read, so the bar is "done of found so far".
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, every = 100) {
  let lastLine = 0;
  let lastDraw = 0;
  return {
    onProgress(p: SweepProgress) {
      const counts = `started ${p.started} · skipped ${p.skipped} · already running ${p.alreadyRunning} · failed ${p.failed}`;
      if (stream.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 50 && p.done !== p.found) return;
        lastDraw = now;
        const width = 30;
        const filled = p.found ? Math.round((p.done / p.found) * width) : 0;
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.found} ${counts}\x1b[K`);
      } else if (p.done - lastLine >= every) {
        lastLine = p.done;
        stream.write(`sweep: ${p.done}/${p.found} ${counts}\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export const SWEEP_SCHEDULE_ID = 'overdue-daily-sweep';

/**
 * Creates the Temporal Schedule that runs the sweep workflow every day at `hour`:`minute` in `timeZone`.
 * SKIP: a sweep still running when the next is due is not doubled; a one-day catch-up window lets a
 * sweep missed during an outage run once when the cluster is back.
 */
export async function createSweepSchedule(
  client: Client,
  options: { taskQueue: string; scheduleId?: string; hour?: number; minute?: number; timeZone?: string; concurrency?: number },
) {
  const scheduleId = options.scheduleId ?? SWEEP_SCHEDULE_ID;
  return client.schedule.create({
    scheduleId,
    spec: { calendars: [{ hour: options.hour ?? 2, minute: options.minute ?? 0 }], timezone: options.timeZone ?? 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: 'sweep',
      workflowId: `${scheduleId}-run`,
      taskQueue: options.taskQueue,
      args: [{ concurrency: options.concurrency ?? 8 }],
      staticSummary: 'Daily delinquency sweep',
    },
    policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    memo: { createdBy: 'overdue schedule create' },
  });
}
