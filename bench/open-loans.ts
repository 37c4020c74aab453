// The open-loans phase of `npm run bench` (issue #18): N collections opened and left waiting, as a book of
// open loans is in production, then one reminder wave for all of them. Reports the time to start and
// open them, the PostgreSQL growth per open loan (Temporal's persistence and visibility databases when
// they are PostgreSQL, and Overdue's), the worker's and the server's memory, and how long the wave takes
// to drain.
//
// The wave: every loan shares one due date, and its only reminder step is anchored on that date
// (`from: 'dueDate'`), so all of their timers fall due at the same instant, W. That is what the contact
// window's opening does every morning (a reminder deferred by quiet hours waits on a timer set for 09:00
// local). W is chosen after a calibration batch: the rest of the loans should be open and waiting by
// then, so the wave meets a quiet system. The calibration batch waits 30 days instead (open, not in the
// wave).
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { workflowIdForLoan } from '../contracts/messages';
import { queryRows, type Database } from '../db/client';
import { saveStrategy } from '../db/repository/strategies';
import { borrowers, installments, loans } from '../db/schema';
import { addDays, businessDate } from '../domain/ledger';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import { parseStrategy } from '../domain/strategy/validate';

export interface OpenLoansOptions {
  db: Database;
  client: Client;
  /** Starts a collection for the loan on the bench's workers with the given strategy. */
  start(loanId: string, strategyId: string): Promise<unknown>;
  loans: number;
  concurrency: number;
  /** Run id: loan ids are `BO<run>-…`. */
  run: string;
  /** Give up waiting for the wave after this long, and report how far it got. */
  waveTimeoutMs: number;
  /** A connection to the PostgreSQL server holding the databases below, to read their sizes. */
  admin: postgres.Sql;
  /** Overdue's database. */
  overdueDatabase: string;
  /** Temporal's databases and server process on the cluster; absent on the dev server (SQLite). */
  temporal?: { persistence: string; visibility: string; serverPid?: number };
  log(line: string): void;
}

export interface OpenLoansResult {
  loans: number;
  calibrationLoans: number;
  waveLoans: number;
  startsPerSecond: number;
  secondsToStart: number;
  secondsToStartAndOpen: number;
  bytesPerOpenLoan: { temporalPersistence: number | null; temporalVisibility: number | null; overdue: number };
  rssMB: { worker: number; workerPeakDuringWave: number; temporalServer: number | null };
  workerRssKBPerOpenLoan: number;
  wave: {
    at: string;
    /** Seconds between the last case opening and W (null: the wave met cases still opening). */
    spareSeconds: number | null;
    /** Cases open when the wave fell due. */
    openAtWave: number;
    drained: number;
    complete: boolean;
    /** From W to the last reminder sent (or to the timeout). */
    seconds: number;
    secondsToHalf: number | null;
    secondsTo99: number | null;
    remindersPerSecond: number;
  };
  note: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssKB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function countOf(db: Database, query: Parameters<typeof queryRows>[1]): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, query);
  return Number(row?.n ?? 0);
}

/** Borrowers, loans and one instalment each, all past due since the same date, in batches. */
async function seed(db: Database, ids: string[], dueDate: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    await db.transaction(async (tx) => {
      await tx.insert(borrowers).values(
        batch.map((id) => ({
          id: `${id}-B`,
          externalRef: `${id}-ext`,
          name: 'Bench Borrower',
          email: `${id.toLowerCase()}@example.com`,
          timeZone: 'Asia/Shanghai',
          locale: 'zh-CN',
          consents: { email: { consentAt: `${dueDate}T00:00:00.000Z` } },
        })),
      );
      await tx.insert(loans).values(batch.map((id) => ({ id, borrowerId: `${id}-B`, product: 'bench', currency: 'CNY', principalMinor: 150_000, openedAt: new Date(`${addDays(dueDate, -90)}T00:00:00Z`) })));
      await tx.insert(installments).values(batch.map((loanId) => ({ loanId, seq: 1, dueDate, amountDueMinor: 50_000 })));
    });
  }
}

export async function openLoansPhase(o: OpenLoansOptions): Promise<OpenLoansResult> {
  const prefix = `BO${o.run}`;
  const strategyRun = o.run.toLowerCase();
  const like = `${prefix}-%`;
  const ids = Array.from({ length: o.loans }, (_, i) => `${prefix}-${String(i + 1).padStart(7, '0')}`);
  const dueDate = addDays(businessDate(new Date()), -2);
  o.log(`  seeding ${o.loans} loans, all past due since ${dueDate}`);
  await seed(o.db, ids, dueDate);

  const base = findDefaultStrategy('fast-test')!;
  const strategy = (id: string, name: string, after: string, from: 'dueDate' | 'stageEntry') =>
    parseStrategy({
      ...base,
      id,
      name,
      segments: [{ id: 'all', when: {}, path: 'wave' }],
      paths: { wave: [{ kind: 'reminder', steps: [{ after, from, channel: 'email', template: 'reminder-friendly' }], waitAfterLast: 'P30D' }] },
    });
  const calibration = strategy(`bench-open-${strategyRun}-calibration`, 'Bench: open and wait 30 days', 'P30D', 'stageEntry');
  await saveStrategy(o.db, { id: calibration.id, version: calibration.version, document: calibration });

  const sizes = async () => {
    const read = async (name: string) => Number((await o.admin<{ bytes: string }[]>`SELECT pg_database_size(${name})::text AS bytes`)[0]!.bytes);
    await o.admin`CHECKPOINT`;
    return {
      persistence: o.temporal ? await read(o.temporal.persistence) : null,
      visibility: o.temporal ? await read(o.temporal.visibility) : null,
      overdue: await read(o.overdueDatabase),
    };
  };
  const opened = () => countOf(o.db, sql`SELECT count(*) AS n FROM collection_cases WHERE loan_id LIKE ${like}`);
  const before = await sizes();
  const rssBefore = process.memoryUsage().rss;

  // Calibration: the rate at which this stack starts and opens cases, to place the wave after the rest.
  const calibrationLoans = Math.max(50, Math.min(2000, Math.round(o.loans * 0.02)));
  const t0 = performance.now();
  await pool(ids.slice(0, calibrationLoans), o.concurrency, (loanId) => o.start(loanId, calibration.id));
  while ((await opened()) < calibrationLoans) await sleep(500);
  const rate = calibrationLoans / ((performance.now() - t0) / 1000);
  const rest = ids.slice(calibrationLoans);
  // 1.3 times the calibrated time plus a margin: the wave should meet every loan open and waiting.
  const waveAt = new Date(Math.ceil((Date.now() + (rest.length / rate) * 1300 + 30_000) / 1000) * 1000);
  const wave = strategy(`bench-open-${strategyRun}-wave`, 'Bench: one reminder, all at one instant', `PT${(waveAt.getTime() - Date.parse(`${dueDate}T00:00:00Z`)) / 1000}S`, 'dueDate');
  await saveStrategy(o.db, { id: wave.id, version: wave.version, document: wave });
  o.log(`  calibration: ${calibrationLoans} started and opened at ${rate.toFixed(1)} loans/s; the other ${rest.length} get one reminder at ${waveAt.toISOString()}`);

  let started = calibrationLoans;
  const progress = setInterval(() => {
    void opened().then((n) => o.log(`  … ${started} started, ${n} open (${((performance.now() - t0) / 1000).toFixed(0)} s)`));
  }, 30_000);
  let secondsToStart: number;
  let secondsToStartAndOpen: number;
  try {
    await pool(rest, o.concurrency, async (loanId) => {
      await o.start(loanId, wave.id);
      started += 1;
    });
    secondsToStart = (performance.now() - t0) / 1000;
    // Until every case is open, or the wave falls due (then it meets cases still opening, and says so).
    while ((await opened()) < o.loans && Date.now() < waveAt.getTime()) await sleep(1000);
    secondsToStartAndOpen = (performance.now() - t0) / 1000;
  } finally {
    clearInterval(progress);
  }
  const openAtWave = await opened();
  const spareSeconds = openAtWave < o.loans ? null : (waveAt.getTime() - Date.now()) / 1000;
  o.log(`  ${o.loans} started in ${secondsToStart.toFixed(0)} s (${(o.loans / secondsToStart).toFixed(1)}/s); ${openAtWave} open after ${secondsToStartAndOpen.toFixed(0)} s`);

  // The open book, before the wave: sizes after a checkpoint, memory with every loan waiting.
  const after = await sizes();
  const rssOpen = process.memoryUsage().rss;
  const serverRss = o.temporal?.serverPid ? rssKB(o.temporal.serverPid) : null;
  const per = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a - b) / o.loans));

  // The wave.
  if (openAtWave < o.loans) {
    o.log(`  the wave fell due with ${o.loans - openAtWave} cases still opening: its drain time includes opening them`);
  } else {
    o.log(`  waiting ${((waveAt.getTime() - Date.now()) / 1000).toFixed(0)} s for the wave at ${waveAt.toISOString()}`);
    await sleep(waveAt.getTime() - Date.now());
  }
  const waveLike = like;
  const done = () =>
    countOf(
      o.db,
      sql`SELECT count(*) AS n FROM contact_attempts WHERE loan_id LIKE ${waveLike} AND template = 'reminder-friendly' AND status IN ('sent', 'presumed_sent', 'blocked', 'failed')`,
    );
  let drained = 0;
  let peakRss = rssOpen;
  const deadline = waveAt.getTime() + o.waveTimeoutMs;
  for (;;) {
    drained = await done();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (drained >= rest.length || Date.now() > deadline) break;
    const seconds = (Date.now() - waveAt.getTime()) / 1000;
    o.log(`  wave: ${drained} of ${rest.length} reminders out after ${seconds.toFixed(0)} s (${(drained / Math.max(seconds, 1)).toFixed(1)}/s)`);
    await sleep(Math.min(15_000, Math.max(1000, deadline - Date.now())));
  }
  const complete = drained >= rest.length;
  if (!complete) o.log(`  wave: gave up after ${(o.waveTimeoutMs / 1000).toFixed(0)} s with ${drained} of ${rest.length} out (--wave-timeout)`);
  // When each reminder went out, from the contact record: the drain's shape, not the polling's.
  const [times] = await queryRows<{ last: string | null; half: string | null; p99: string | null }>(
    o.db,
    sql`SELECT max(sent_at)::text AS last,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY sent_at)::text AS half,
               percentile_disc(0.99) WITHIN GROUP (ORDER BY sent_at)::text AS p99
        FROM contact_attempts WHERE loan_id LIKE ${waveLike} AND template = 'reminder-friendly' AND sent_at IS NOT NULL`,
  );
  const since = (at: string | null | undefined) => (at ? Math.max(0, (Date.parse(at) - waveAt.getTime()) / 1000) : null);
  const waveSeconds = complete ? (since(times?.last) ?? 0) : (Date.now() - waveAt.getTime()) / 1000;
  o.log(`  wave: ${drained} reminders in ${waveSeconds.toFixed(0)} s (${(drained / Math.max(waveSeconds, 1)).toFixed(1)}/s)`);

  o.log(`  terminating the ${o.loans} open workflows`);
  await pool(ids, o.concurrency, (loanId) => o.client.workflow.getHandle(workflowIdForLoan(loanId)).terminate('bench finished').catch(() => {}));

  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    loans: o.loans,
    calibrationLoans,
    waveLoans: rest.length,
    startsPerSecond: o.loans / secondsToStart,
    secondsToStart,
    secondsToStartAndOpen,
    bytesPerOpenLoan: {
      temporalPersistence: per(after.persistence, before.persistence),
      temporalVisibility: per(after.visibility, before.visibility),
      overdue: per(after.overdue, before.overdue)!,
    },
    rssMB: { worker: mb(rssOpen), workerPeakDuringWave: mb(peakRss), temporalServer: serverRss === null ? null : Math.round(serverRss / 1024) },
    workerRssKBPerOpenLoan: (rssOpen - rssBefore) / 1024 / o.loans,
    wave: {
      at: waveAt.toISOString(),
      spareSeconds,
      openAtWave,
      drained,
      complete,
      seconds: waveSeconds,
      secondsToHalf: since(times?.half),
      secondsTo99: since(times?.p99),
      remindersPerSecond: drained / Math.max(waveSeconds, 1),
    },
    note: 'sizes per open loan are growth after a CHECKPOINT divided by the loans (Overdue: cases, contacts, audit; borrowers and loans were seeded before); the worker is this process; the wave is one email reminder per loan timed for one instant, sent through a sender that does not deliver (no provider limit)',
  };
}
