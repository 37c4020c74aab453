// Runs the model: loans in batches, each batch on a fresh PostgreSQL database (so the sweeps in its
// scripts see only its own loans) with Overdue's real workers, the shared Temporal dev server, a real
// SMTP sink and SMS endpoint. Every loan plays its seeded script; when the scripts are done and every
// workflow has closed or sits paused, the invariants are checked from what was observed.
import { WorkflowNotFoundError } from '@temporalio/client';
import { migrateDatabase } from '../../db/migrate';
import * as m from '../../contracts/messages';
import { startHarness, type Harness } from '../support/harness';
import { createSuiteDatabase } from '../faults/infra';
import { LoanDriver, type LoanRecord } from './driver';
import type { LetterProvider } from '../../channels/letter';
import { checkInvariants, INVARIANTS, observe, type LetterCall, type Violation } from './invariants';
import { planScripts, type LoanScript } from './script';

export interface ModelOptions {
  loans: number;
  seed: number;
  /** Loans in flight together (one database and one set of workers per batch). */
  batch: number;
  /** Loans of a batch start spread over this window. */
  startWindowMs: number;
  log?: (line: string) => void;
}

export interface ModelReport {
  seed: number;
  loans: number;
  batches: number;
  seconds: number;
  actions: number;
  actionsByKind: Record<string, Record<string, number>>;
  starts: Record<string, number>;
  paths: Record<string, number>;
  outcomes: Record<string, number>;
  stillWaiting: number;
  cases: number;
  messagesSent: number;
  taskClaims: number;
  strayClaims: number;
  violationsByInvariant: Record<string, number>;
  violations: Violation[];
  notes: string[];
  records: Map<string, LoanRecord>;
}

const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** After the scripts end, every workflow must close or sit paused within this. */
const SETTLE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runModel(options: ModelOptions): Promise<ModelReport> {
  const log = options.log ?? ((line: string) => console.log(`[model ${new Date().toISOString().slice(11, 23)}] ${line}`));
  const t0 = Date.now();
  const scripts = planScripts(options.loans, options.seed, `m${options.seed}`, options.startWindowMs);
  const report: ModelReport = {
    seed: options.seed,
    loans: scripts.length,
    batches: 0,
    seconds: 0,
    actions: 0,
    actionsByKind: {},
    starts: {},
    paths: {},
    outcomes: {},
    stillWaiting: 0,
    cases: 0,
    messagesSent: 0,
    taskClaims: 0,
    strayClaims: 0,
    violationsByInvariant: Object.fromEntries(INVARIANTS.map((name) => [name, 0])),
    violations: [],
    notes: [],
    records: new Map(),
  };
  log(`seed ${options.seed}: ${scripts.length} loans in batches of ${options.batch} (replay with MODEL_SEED=${options.seed} MODEL_LOANS=${options.loans})`);
  for (let from = 0; from < scripts.length; from += options.batch) {
    const batch = scripts.slice(from, from + options.batch);
    report.batches += 1;
    await runBatch(batch, report, log);
    log(`batch ${report.batches}: loans ${from}-${from + batch.length - 1} done; ${report.violations.length} violation(s) so far, ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  report.seconds = Math.round((Date.now() - t0) / 1000);
  return report;
}

async function runBatch(scripts: LoanScript[], report: ModelReport, log: (line: string) => void): Promise<void> {
  const database = await createSuiteDatabase(adminUrl, 'overdue_model');
  let h: Harness | undefined;
  try {
    await migrateDatabase(database.url);
    const letters: LetterCall[] = [];
    h = await startHarness('model', { databaseUrl: database.url, letters: letterSink(letters) });
    const ctx = { db: h.db, client: h.client, deps: { db: h.db, client: h.client, taskQueue: h.queues.collections }, paymentsMade: new Map() };
    // On a server that outlives a run (TEMPORAL_ADDRESS, e.g. `npm run cluster`), an aborted earlier run
    // can have left these loans' workflows running, and the seed fixes their ids: end them first.
    await Promise.all(scripts.map((s) => h!.client.workflow.getHandle(m.workflowIdForLoan(s.loanId)).terminate('left running by an earlier run').catch(() => {})));
    const drivers = scripts.map((script) => new LoanDriver(ctx, script));
    await Promise.all(
      drivers.map(async (driver) => {
        await sleep(driver.script.startAtMs);
        try {
          await driver.play();
        } catch (error) {
          // An operation that throws past the API's error mapping is a finding, not a crashed run.
          driver.note(`script stopped: ${(error as Error).stack ?? error}`);
          report.violations.push({ invariant: 'noServerErrors', loanId: driver.script.loanId, detail: `script stopped: ${(error as Error).message}` });
          report.violationsByInvariant.noServerErrors! += 1;
        }
      }),
    );
    const loanIds = scripts.map((s) => s.loanId);
    await settle(h, loanIds);
    const records = new Map(drivers.map((d) => [d.script.loanId, d.record]));
    const observed = await observe(h.db, h.client, { loanIds, records, paymentsMade: ctx.paymentsMade, mail: h.smtp.messages, sms: h.sms.calls, letters });
    const violations = await checkInvariants(h.db, observed);
    tally(report, scripts, observed, violations);
    await terminateWaiting(h, loanIds);
  } finally {
    await h?.close().catch((error) => log(`closing the harness: ${error}`));
    await database.drop().catch((error) => log(`could not drop ${database.name}: ${error}`));
  }
}

/** The print-and-mail queue of the run: keeps each letter's key and arrival, like the other sinks. */
function letterSink(letters: LetterCall[]): LetterProvider {
  return {
    name: 'model-letters',
    async send(letter) {
      letters.push({ idempotencyKey: letter.idempotencyKey, loanId: letter.loanId, at: Date.now() });
      return { providerMessageId: `letter-${letter.idempotencyKey}` };
    },
  };
}

/** Waits until every loan's latest run has completed or sits paused with nothing scheduled to end it. */
async function settle(h: Harness, loanIds: string[]): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  let open = loanIds;
  while (open.length && Date.now() < deadline) {
    const still: string[] = [];
    for (const loanId of open) {
      const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loanId));
      const status = await handle.describe().then((d) => d.status.name, () => 'UNKNOWN');
      if (status !== 'RUNNING') continue;
      const state = await handle.query(m.getState).catch(() => undefined);
      if (state && (state.pauses.includes('disputed') || state.pauses.includes('paused'))) continue;
      still.push(loanId);
    }
    open = still;
    if (open.length) await sleep(1_000);
  }
}

/** Ends the runs left waiting on a pause, so nothing of this batch runs on after its checks. */
async function terminateWaiting(h: Harness, loanIds: string[]): Promise<void> {
  for (const loanId of loanIds) {
    await h.client.workflow
      .getHandle(m.workflowIdForLoan(loanId))
      .terminate('model run over')
      .catch((error) => {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
  }
}

function tally(report: ModelReport, scripts: LoanScript[], o: Awaited<ReturnType<typeof observe>>, violations: Violation[]): void {
  const bump = (map: Record<string, number>, key: string, n = 1) => (map[key] = (map[key] ?? 0) + n);
  for (const s of scripts) {
    bump(report.starts, s.start);
    bump(report.paths, s.pathId);
  }
  for (const [loanId, record] of o.records) {
    report.records.set(loanId, record);
    report.strayClaims += record.strayClaims;
    for (const a of record.actions) {
      report.actions += 1;
      report.actionsByKind[a.kind] ??= {};
      bump(report.actionsByKind[a.kind]!, a.result);
    }
  }
  for (const c of o.cases) if (c.outcome) bump(report.outcomes, c.outcome);
  report.stillWaiting += [...o.runs.values()].filter((r) => r.status === 'RUNNING').length;
  report.cases += o.cases.length;
  report.messagesSent += o.contacts.filter((c) => c.status === 'sent' || c.status === 'presumed_sent').length;
  report.taskClaims += o.tasks.filter((t) => t.claimedAt).length;
  for (const v of violations) bump(report.violationsByInvariant, v.invariant);
  report.violations.push(...violations);
  report.notes.push(...o.notes);
}

/** The figures and the first violations, each with the end of its loan's script log. */
export function printReport(report: ModelReport, print: (line: string) => void = console.log): void {
  const { records: _records, violations, notes, ...figures } = report;
  print(`\nModel-based run (replay: MODEL_SEED=${report.seed} MODEL_LOANS=${report.loans})\n${JSON.stringify({ ...figures, violations: violations.length }, null, 2)}`);
  for (const note of new Set(notes)) print(`  note: ${note}`);
  // Why restarts were refused (the lifecycle rule's 409s), so a run shows whether reopens were exercised.
  const refusals = new Map<string, number>();
  for (const record of report.records.values()) {
    for (const a of record.actions) {
      if (!a.kind.startsWith('restart') || a.result !== 'refused') continue;
      const why = `${a.kind} ${a.status ?? ''}: ${(a.note ?? '').replace(/loan \S+/g, 'loan …').replace(/ at \S+Z/g, '').slice(0, 110)}`;
      refusals.set(why, (refusals.get(why) ?? 0) + 1);
    }
  }
  for (const [why, n] of refusals) print(`  refused ${n}x: ${why}`);
  // A few of each invariant's violations (MODEL_SHOW, default 6), each loan's script and log once.
  const perInvariant = Number(process.env.MODEL_SHOW ?? 6);
  const shown = new Set<string>();
  for (const name of Object.keys(report.violationsByInvariant)) {
    const mine = violations.filter((v) => v.invariant === name);
    if (!mine.length) continue;
    print(`\n  ${name}: ${mine.length} violation(s)`);
    for (const v of mine.slice(0, perInvariant)) {
      print(`    ${v.loanId ?? ''} ${v.detail}`);
      const record = v.loanId && !shown.has(v.loanId) ? report.records.get(v.loanId) : undefined;
      if (!record) continue;
      shown.add(v.loanId!);
      print(`      script (${record.script.pathId}, start ${record.script.start}): ${record.script.steps.map((s) => JSON.stringify(s.step)).join(' ')}`);
      for (const line of record.log.slice(-10)) print(`        ${line}`);
    }
  }
}
