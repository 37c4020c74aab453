#!/usr/bin/env -S npx tsx
// `overdue`: the operator's command line. Same operations as the HTTP API (api/operations.ts), run
// directly against DATABASE_URL (embedded PGlite when unset) and TEMPORAL_ADDRESS (default
// 127.0.0.1:TEMPORAL_PORT). Human tables by default, `--json` for scripts.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { buildReport, renderReportHtml, renderReportTable } from './lib/report';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client, Connection, ScheduleAlreadyRunning } from '@temporalio/client';
import { count } from 'drizzle-orm';
import { ApiError, toApiError } from '../api/errors';
import {
  readState,
  reportLegalOutcome,
  startCollection,
  submitCallOutcome,
  submitPayment,
  submitPromise,
  fileDispute,
  type LegalOutcome,
  type OperationDeps,
  type Principal,
} from '../api/operations';
import type { DatabaseHandle } from '../db/client';
import { createApiKey } from '../db/repository/apiKeys';
import { API_ROLES, collectionCases, type ApiRole } from '../db/schema';
import { callOutcomes, type CallOutcome } from '../contracts/messages';
import { readConfig } from '../worker/config';
import { connectTemporal, openDatabase } from '../worker/startup';
import { createSweepSchedule, progressPrinter, runSweep, SWEEP_SCHEDULE_ID } from '../client/sweep';

type Options = NonNullable<ParseArgsConfig['options']>;

const LEGAL_OUTCOMES = ['paid', 'settled', 'written_off'] as const;

/** Thrown for a bad command line: printed with the command's usage hint, exit code 2. */
class UsageError extends Error {}

const common: Options = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

interface Command {
  usage: string;
  summary: string;
  options: Options;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[]; json: boolean }): Promise<unknown>;
}

// ---- connections, opened only by the commands that need them ----

const config = (() => {
  try {
    return readConfig();
  } catch (error) {
    // A bad variable (TEMPORAL_PORT=abc, DATABASE_URL=mysql://…) is one line naming it.
    console.error(`overdue: ${(error as Error).message}`);
    process.exit(2);
  }
})();
let database: DatabaseHandle | undefined;
let connection: Connection | undefined;

async function db() {
  // The embedded database belongs to one process: while `npm start` holds it, this fails naming it.
  database ??= await openDatabase(config);
  return database.db;
}

async function temporal(): Promise<Client> {
  // TEMPORAL_ADDRESS, else 127.0.0.1:TEMPORAL_PORT: the address start, api and worker dial too.
  connection ??= await connectTemporal(config);
  return new Client({ connection, namespace: config.temporalNamespace });
}

async function deps(): Promise<OperationDeps> {
  return { db: await db(), client: await temporal(), taskQueue: config.queues.collections };
}

const cli: Principal = { keyId: 'cli', role: 'operator', collectorId: null };
const asCollector = (collectorId: string): Principal => ({ keyId: 'cli', role: 'collector', collectorId });

// ---- argument helpers: every message names the flag ----

function one(positionals: string[], name: string): string {
  if (positionals.length === 0) throw new UsageError(`missing <${name}>`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  return positionals[0]!;
}

function need(values: Record<string, unknown>, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

function integer(value: string | undefined, flag: string, { min = 1 } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${flag} must be an integer >= ${min} (got ${JSON.stringify(value)})`);
  return Number(value);
}

function instant(value: string, flag: string): string {
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--${flag} must be an ISO-8601 instant such as 2025-03-01T09:00:00Z (got ${JSON.stringify(value)})`);
  return new Date(value).toISOString();
}

const FLAG_OF: Record<string, string> = { amountMinor: '--amount', currency: '--currency', dueAt: '--due-at', receivedAt: '--received-at', paymentId: '--payment-id', outcome: '--outcome', collectorId: '--collector', loanId: '<loanId> / --loan' };

// ---- output ----

function table(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

function pairs(record: Record<string, unknown>): string {
  return table(Object.entries(record).map(([field, value]) => ({ field, value })));
}

function stateView(s: Awaited<ReturnType<typeof readState>>) {
  return {
    loanId: s.loanId,
    caseId: s.caseId ?? '-',
    stage: s.stage,
    pauses: s.pauses.join(', ') || '-',
    waitingFor: s.waitingFor ?? '-',
    // Absent while the run is still opening its case.
    pastDue: s.currency ? `${s.pastDueMinor} ${s.currency}` : '-',
    outstanding: s.currency ? `${s.outstandingMinor} ${s.currency}` : '-',
    dpd: s.dpd ?? '-',
    assignedCollector: s.assignedCollector ?? '-',
    promise: s.promise ? `${s.promise.amountMinor} by ${s.promise.dueAt} (${s.promise.status})` : '-',
    plan: s.plan ? `${s.plan.installments.length} instalments (${s.plan.status})` : '-',
    dispute: s.dispute ? `${s.dispute.disputeId} (${s.dispute.status})` : '-',
    contacts: `${s.contacts.sent} sent, ${s.contacts.blocked} blocked`,
    strategy: s.strategy ? `${s.strategy.id} v${s.strategy.version} ${s.strategy.segment}/${s.strategy.pathId} (${s.strategy.arm})` : '-',
    outcome: s.outcome ?? '-',
  };
}

// ---- commands ----

const commands: Record<string, Command> = {
  start: {
    usage: 'overdue start <loanId> [--strategy ID] [--reopen-reason TEXT]',
    summary: 'start collection for a loan (returns the running case if there is one); after a terminal outcome only with --reopen-reason (audited; never after bankruptcy or death)',
    options: { strategy: { type: 'string' }, 'reopen-reason': { type: 'string' } },
    async run({ values, positionals, json }) {
      const reason = values['reopen-reason'] as string | undefined;
      const result = await startCollection(
        await deps(),
        one(positionals, 'loanId'),
        { strategyId: values.strategy as string | undefined, ...(reason !== undefined ? { reopen: { reason } } : {}) },
        cli,
      );
      return json ? result : `${result.started ? 'started' : 'already running'}: ${result.workflowId} (run ${result.runId})`;
    },
  },
  sweep: {
    usage: 'overdue sweep [--as-of YYYY-MM-DD] [--concurrency N] | overdue sweep --schedule [--hour H] [--minute M] [--time-zone TZ]',
    summary: 'start collection for every delinquent loan without an open case; --schedule makes it daily',
    options: {
      'as-of': { type: 'string' },
      concurrency: { type: 'string' },
      schedule: { type: 'boolean' },
      hour: { type: 'string' },
      minute: { type: 'string' },
      'time-zone': { type: 'string' },
    },
    async run({ values, positionals, json }) {
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
      if (values.schedule) return scheduleCreate(values, json);
      const asOf = values['as-of'] as string | undefined;
      if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new UsageError(`--as-of must be a date YYYY-MM-DD (got ${JSON.stringify(asOf)})`);
      const d = await deps();
      const printer = progressPrinter(process.stderr);
      const summary = await runSweep({ ...d, asOf, concurrency: integer(values.concurrency as string | undefined, 'concurrency') ?? 8, onProgress: json ? undefined : printer.onProgress });
      if (!json) printer.finish();
      if (json) return summary;
      const { failures, skippedBy, ...counts } = summary;
      const skips = Object.entries(skippedBy).map(([because, loans]) => ({ because, loans }));
      return [
        pairs(counts),
        skips.length ? `\nskipped (the loan's last case ended collection; see README "A loan's collection lifecycle"):\n${table(skips)}` : '',
        failures.length ? `\nfailures:\n${table(failures)}` : '',
      ].join('');
    },
  },
  schedule: {
    usage: 'overdue schedule create [--hour H] [--minute M] [--time-zone TZ]',
    summary: `create the daily sweep schedule (${SWEEP_SCHEDULE_ID}; overlap SKIP, catch-up 1 day)`,
    options: { hour: { type: 'string' }, minute: { type: 'string' }, 'time-zone': { type: 'string' } },
    async run({ values, positionals, json }) {
      if (one(positionals, 'action') !== 'create') throw new UsageError(`unknown action ${JSON.stringify(positionals[0])}; try: overdue schedule create`);
      return scheduleCreate(values, json);
    },
  },
  status: {
    usage: 'overdue status <loanId>',
    summary: "the case as the workflow sees it (the getState query)",
    options: {},
    async run({ positionals, json }) {
      const state = await readState(await deps(), one(positionals, 'loanId'));
      return json ? state : pairs(stateView(state));
    },
  },
  pay: {
    usage: 'overdue pay <loanId> --amount MINOR --currency CUR [--payment-id ID] [--received-at ISO]',
    summary: 'record a payment in the ledger, then tell the workflow (idempotent by --payment-id)',
    options: { amount: { type: 'string' }, currency: { type: 'string' }, 'payment-id': { type: 'string' }, 'received-at': { type: 'string' } },
    async run({ values, positionals, json }) {
      const loanId = one(positionals, 'loanId');
      const result = await submitPayment(
        await deps(),
        loanId,
        {
          paymentId: (values['payment-id'] as string | undefined) ?? `cli-${randomUUID()}`,
          amountMinor: integer(need(values, 'amount'), 'amount')!,
          currency: need(values, 'currency'),
          receivedAt: values['received-at'] ? instant(values['received-at'] as string, 'received-at') : new Date().toISOString(),
        },
        cli,
      );
      return json ? result : pairs({ ...result, position: `past due ${result.position.pastDueMinor}, outstanding ${result.position.outstandingMinor} ${result.position.currency}` });
    },
  },
  dispute: {
    usage: 'overdue dispute <loanId> --reason TEXT [--key IDEMPOTENCY_KEY] [--amount MINOR --currency CUR]',
    summary: 'file a dispute: recorded, then collection pauses',
    options: { reason: { type: 'string' }, key: { type: 'string' }, amount: { type: 'string' }, currency: { type: 'string' } },
    async run({ values, positionals, json }) {
      const result = await fileDispute(
        await deps(),
        one(positionals, 'loanId'),
        {
          idempotencyKey: (values.key as string | undefined) ?? `cli-${randomUUID()}`,
          reason: need(values, 'reason'),
          amountMinor: integer(values.amount as string | undefined, 'amount'),
          currency: values.currency as string | undefined,
        },
        cli,
      );
      return json ? result : pairs(result);
    },
  },
  outcome: {
    usage: `overdue outcome <loanId> --outcome OUTCOME --collector ID   (OUTCOME: ${callOutcomes.filter((o) => o !== 'promise_to_pay').join(', ')})`,
    summary: "record a call's outcome as the collector",
    options: { outcome: { type: 'string' }, collector: { type: 'string' } },
    async run({ values, positionals, json }) {
      const outcome = need(values, 'outcome');
      if (!(callOutcomes as readonly string[]).includes(outcome) || outcome === 'promise_to_pay') {
        throw new UsageError(`--outcome must be one of ${callOutcomes.filter((o) => o !== 'promise_to_pay').join(', ')} (got ${JSON.stringify(outcome)}); use \`overdue promise\` for a promise to pay`);
      }
      const state = await submitCallOutcome(await deps(), one(positionals, 'loanId'), outcome as CallOutcome, asCollector(need(values, 'collector')));
      return json ? state : pairs(stateView(state));
    },
  },
  promise: {
    usage: 'overdue promise <loanId> --amount MINOR --currency CUR --due-at ISO --collector ID',
    summary: 'record a promise to pay as the collector',
    options: { amount: { type: 'string' }, currency: { type: 'string' }, 'due-at': { type: 'string' }, collector: { type: 'string' } },
    async run({ values, positionals, json }) {
      const state = await submitPromise(
        await deps(),
        one(positionals, 'loanId'),
        { amountMinor: integer(need(values, 'amount'), 'amount')!, currency: need(values, 'currency'), dueAt: instant(need(values, 'due-at'), 'due-at') },
        asCollector(need(values, 'collector')),
      );
      return json ? state : pairs(stateView(state));
    },
  },
  'legal-outcome': {
    usage: `overdue legal-outcome --loan ID --outcome OUTCOME   (OUTCOME: ${LEGAL_OUTCOMES.join(', ')}; the loan id may also be given as <loanId>)`,
    summary: 'report how a case handed to legal ended; accepted only while the workflow awaits it (audited)',
    options: { loan: { type: 'string' }, outcome: { type: 'string' } },
    async run({ values, positionals, json }) {
      const loanId = (values.loan as string | undefined) ?? one(positionals, 'loanId');
      if (values.loan !== undefined && positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (the loan is already given by --loan)`);
      const outcome = need(values, 'outcome');
      if (!(LEGAL_OUTCOMES as readonly string[]).includes(outcome)) {
        throw new UsageError(`--outcome must be one of ${LEGAL_OUTCOMES.join(', ')} (got ${JSON.stringify(outcome)})`);
      }
      const result = await reportLegalOutcome(await deps(), loanId, outcome as LegalOutcome, cli);
      return json ? result : `legal outcome ${result.outcome} reported for loan ${loanId}; the case closes as ${result.outcome}`;
    },
  },
  report: {
    usage: 'overdue report [--html FILE] [--as-of ISO-INSTANT]',
    summary: 'the portfolio report: stages, outcomes, cure, contact and promise-kept rates, recovery by DPD bucket',
    options: { html: { type: 'string' }, 'as-of': { type: 'string' } },
    async run({ values, positionals, json }) {
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
      const asOf = values['as-of'] === undefined ? undefined : new Date(instant(values['as-of'] as string, 'as-of'));
      const report = await buildReport(await db(), { asOf });
      if (values.html) writeFileSync(values.html as string, renderReportHtml(report));
      if (json) return report;
      return `${renderReportTable(report)}${values.html ? `\nHTML report written to ${values.html}` : ''}`;
    },
  },
  keys: {
    usage: 'overdue keys create --role backend|collector|operator [--collector ID] [--label TEXT]',
    summary: 'create an API key (the key is shown once; only its hash is stored)',
    options: { role: { type: 'string' }, collector: { type: 'string' }, label: { type: 'string' } },
    async run({ values, positionals, json }) {
      if (one(positionals, 'action') !== 'create') throw new UsageError(`unknown action ${JSON.stringify(positionals[0])}; try: overdue keys create --role backend`);
      const role = need(values, 'role');
      if (!(API_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${API_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
      if (role === 'collector' && !values.collector) throw new UsageError('--collector is required with --role collector');
      if (role !== 'collector' && values.collector) throw new UsageError('--collector only applies to --role collector');
      const created = await createApiKey(await db(), { role: role as ApiRole, collectorId: values.collector as string | undefined, label: values.label as string | undefined });
      return json ? created : `${pairs({ ...created })}\n\nStore the key now: it cannot be shown again.`;
    },
  },
};

async function scheduleCreate(values: Record<string, unknown>, json: boolean) {
  const client = await temporal();
  const hour = integer(values.hour as string | undefined, 'hour', { min: 0 }) ?? 2;
  const minute = integer(values.minute as string | undefined, 'minute', { min: 0 }) ?? 0;
  if (hour > 23) throw new UsageError(`--hour must be 0..23 (got ${hour})`);
  if (minute > 59) throw new UsageError(`--minute must be 0..59 (got ${minute})`);
  const timeZone = (values['time-zone'] as string | undefined) ?? 'UTC';
  try {
    await createSweepSchedule(client, { taskQueue: config.queues.collections, hour, minute, timeZone });
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      const result = { scheduleId: SWEEP_SCHEDULE_ID, created: false };
      return json ? result : `schedule ${SWEEP_SCHEDULE_ID} already exists (delete it in the Temporal UI or with \`temporal schedule delete\` to change it)`;
    }
    throw error;
  }
  const result = { scheduleId: SWEEP_SCHEDULE_ID, created: true, at: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} ${timeZone}` };
  return json ? result : `created schedule ${SWEEP_SCHEDULE_ID}: the sweep runs daily at ${result.at} (overlap SKIP, catch-up window 1 day)`;
}

function rootHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `Usage: overdue <command> [options]   (--json for machine-readable output, --help on any command)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Connects to DATABASE_URL (embedded PGlite under .data/pglite when unset; it belongs to one process,
so stop \`npm start\` first or use PostgreSQL) and TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT,
port 7233). Collection workflows run on TASK_QUEUE (default collections).`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(rootHelp());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`overdue: unknown command ${JSON.stringify(name)}\n\n${rootHelp()}`);
    return 2;
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...common, ...command.options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    console.error(`overdue ${name}: ${(error as Error).message}\nUsage: ${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}\n\nOptions: ${Object.keys(command.options).map((o) => `--${o}`).join(' ')}${Object.keys(command.options).length ? ' ' : ''}--json --help`);
    return 0;
  }
  const json = Boolean(parsed.values.json);
  try {
    const output = await command.run({ ...parsed, json });
    console.log(json ? JSON.stringify(output, null, 2) : String(output));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`overdue ${name}: ${error.message}\nUsage: ${command.usage}`);
      return 2;
    }
    const known = error instanceof ApiError || (error as { name?: string }).name?.endsWith('Error');
    const apiError = toApiError(error);
    const message = apiError.type === 'internal' && known ? (error as Error).message : apiError.message;
    const flag = apiError.field ? ` (${FLAG_OF[apiError.field] ?? apiError.field})` : '';
    if (json) console.error(JSON.stringify({ error: { type: apiError.type, message, ...(apiError.field ? { field: apiError.field } : {}) } }));
    else console.error(`overdue ${name}: ${message}${flag}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2)).finally(async () => {
  await connection?.close().catch(() => {});
  await database?.close().catch(() => {});
});
process.exit(code);
