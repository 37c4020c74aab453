#!/usr/bin/env -S npx tsx
// `overdue`: the operator's command line. Same operations as the HTTP API (api/operations.ts), run
// directly against DATABASE_URL (embedded PGlite when unset) and TEMPORAL_ADDRESS (default
// 127.0.0.1:TEMPORAL_PORT). Human tables by default, `--json` for scripts.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildReport, renderReportHtml, renderReportTable } from './lib/report';
import { parseArgs } from 'node:util';
import { Client, Connection, ScheduleAlreadyRunning } from '@temporalio/client';
import { ApiError, toApiError } from '../api/errors';
import {
  closeByLender,
  pauseCollection,
  readState,
  reassignCollection,
  reportLegalOutcome,
  resumeCollection,
  searchCollections,
  startCollection,
  submitCallOutcome,
  submitPayment,
  submitPlan,
  submitPromise,
  fileDispute,
  type LegalOutcome,
  type OperationDeps,
  type Principal,
} from '../api/operations';
import type { DatabaseHandle } from '../db/client';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/repository/apiKeys';
import { getBorrowerForLoan } from '../db/repository/borrowers';
import { getLoan } from '../db/repository/ledger';
import { API_ROLES, type ApiRole } from '../db/schema';
import { formatMoney } from '../domain/money';
import { STAGES } from '../domain/vocabulary';
import { callOutcomes, type CallOutcome } from '../contracts/messages';
import type { PlanOfferView } from '../contracts/activities';
import { readConfig } from '../worker/config';
import { connectTemporal, openDatabase } from '../worker/startup';
import { didYouMean } from './lib/suggest';
import { createSweepSchedule, progressPrinter, runSweep, SWEEP_SCHEDULE_ID } from '../client/sweep';
import { activateModel, DEFAULT_LABEL_DAYS, describeFit, fitModel, showModels } from './lib/model';

const LEGAL_OUTCOMES = ['paid', 'settled', 'written_off'] as const;
const CLOSE_OUTCOMES = ['settled', 'written_off', 'cancelled'] as const;
const ASSIGNABLE_OUTCOMES = callOutcomes.filter((o) => o !== 'promise_to_pay');
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Thrown for a bad command line: printed with the command's usage hint, exit code 2. */
class UsageError extends Error {}

/** One flag: how parseArgs reads it and how `--help` shows it. `default` is what the command uses when it is absent. */
interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help, e.g. MINOR. */
  value?: string;
  description: string;
  default?: string;
}
type Flags = Record<string, Flag>;
type Values = Record<string, string | boolean | undefined>;

const common: Flags = {
  json: { type: 'boolean', description: 'print the result as JSON (errors as {"error":{type,message,field}} on stderr)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

interface Command {
  usage: string;
  summary: string;
  options: Flags;
  /** The first positional names one of these (keys create, schedule create). */
  actions?: readonly string[];
  run(args: { values: Values; positionals: string[]; json: boolean }): Promise<unknown>;
}

// ---- connections, opened only by the commands that need them ----

let loadedConfig: ReturnType<typeof readConfig> | undefined;
function config(): ReturnType<typeof readConfig> {
  try {
    return (loadedConfig ??= readConfig());
  } catch (error) {
    // A bad variable (TEMPORAL_PORT=abc, DATABASE_URL=mysql://…) is one line naming it.
    console.error(`overdue: ${(error as Error).message}`);
    process.exit(2);
  }
}
let database: DatabaseHandle | undefined;
let connection: Connection | undefined;

async function db() {
  // The embedded database belongs to one process: while `npm start` holds it, this fails naming it.
  database ??= await openDatabase(config());
  return database.db;
}

async function temporal(): Promise<Client> {
  // TEMPORAL_ADDRESS, else 127.0.0.1:TEMPORAL_PORT: the address start, api and worker dial too.
  connection ??= await connectTemporal(config());
  return new Client({ connection, namespace: config().temporalNamespace });
}

async function deps(): Promise<OperationDeps> {
  return { db: await db(), client: await temporal(), taskQueue: config().queues.collections };
}

const cli: Principal = { keyId: 'cli', role: 'operator', collectorId: null };
const asCollector = (collectorId: string): Principal => ({ keyId: 'cli', role: 'collector', collectorId });

// ---- argument helpers: every message names the flag ----

function one(positionals: string[], name: string): string {
  if (positionals.length === 0) throw new UsageError(`missing <${name}>`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  return positionals[0]!;
}

function none(positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
}

function need(values: Values, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})${didYouMean(value, allowed)}`);
  return value as T;
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

function action(command: Command, positionals: string[], name: string): string {
  const [given] = positionals;
  const actions = command.actions!;
  if (given === undefined) throw new UsageError(`missing <action>: one of ${actions.join(', ')}`);
  if (!actions.includes(given)) throw new UsageError(`unknown action ${JSON.stringify(given)} for ${name} (actions: ${actions.join(', ')})${didYouMean(given, actions)}`);
  return given;
}

const FLAG_OF: Record<string, string> = {
  amountMinor: '--amount',
  currency: '--currency',
  dueAt: '--due-at',
  receivedAt: '--received-at',
  paymentId: '--payment-id',
  outcome: '--outcome',
  collectorId: '--collector',
  reason: '--reason',
  loanId: '<loanId> / --loan',
  id: '<keyId>',
  days: '--days',
  holdoutFrom: '--holdout-from',
  version: '--version',
};

// ---- output ----

function table(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

function pairs(record: Record<string, unknown>): string {
  return table(Object.entries(record).map(([field, value]) => ({ field, value })));
}

const minutes = (timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** An instant as the borrower's wall clock and as UTC: "2026-03-01 18:00 Asia/Shanghai (10:00 UTC)". */
function when(iso: string, timeZone: string): string {
  const at = new Date(iso);
  const utc = minutes('UTC').format(at).replace(', ', ' ');
  if (timeZone === 'UTC') return `${utc} UTC`;
  const local = minutes(timeZone).format(at).replace(', ', ' ');
  // Same day in both: the UTC part needs only the time.
  const utcShown = local.slice(0, 10) === utc.slice(0, 10) ? utc.slice(11) : utc;
  return `${local} ${timeZone} (${utcShown} UTC)`;
}

/** The proposed plan on one line: "3 × ¥400.00 (last ¥400.00), ¥1,200.00 of ¥1,500.00 past due (¥300.00 off) — why". */
function offerLine(offer: PlanOfferView, money: (minor: number | undefined) => string): string {
  const discount = offer.discountMinor ? `, ${money(offer.totalMinor)} of ${money(offer.pastDueMinor)} past due (${money(offer.discountMinor)} off)` : '';
  return `${offer.installments} × ${money(offer.amountMinor)} (last ${money(offer.lastAmountMinor)})${discount} — ${offer.reasons.map((r) => r.en).join('; ')}`;
}

/** The case for a person: money formatted in its currency, instants in the borrower's zone and UTC. */
function stateView(s: Awaited<ReturnType<typeof readState>>, timeZone: string) {
  const money = (minor: number | undefined) => (s.currency && minor !== undefined ? formatMoney(minor, s.currency) : '-');
  return {
    loanId: s.loanId,
    caseId: s.caseId ?? '-',
    stage: s.stage,
    pauses: s.pauses.join(', ') || '-',
    pausedUntil: s.pausedUntil ? when(s.pausedUntil, timeZone) : '-',
    waitingFor: s.waitingFor ?? '-',
    nextAction: s.nextAction ? `${s.nextAction.what} at ${when(s.nextAction.at, timeZone)}` : '-',
    // Absent while the run is still opening its case.
    pastDue: money(s.pastDueMinor),
    outstanding: money(s.outstandingMinor),
    dpd: s.dpd ?? '-',
    assignedCollector: s.assignedCollector ?? '-',
    promise: s.promise ? `${money(s.promise.amountMinor)} by ${when(s.promise.dueAt, timeZone)} (${s.promise.status})` : '-',
    plan: s.plan ? `${s.plan.installments.length} instalments, ${money(s.plan.installments.reduce((sum, i) => sum + i.amountMinor, 0))}${s.plan.discountMinor ? ` (${money(s.plan.discountMinor)} off)` : ''} (${s.plan.status})` : '-',
    dispute: s.dispute ? `${s.dispute.disputeId} (${s.dispute.status})` : '-',
    contacts: `${s.contacts.sent} sent, ${s.contacts.blocked} blocked`,
    lastBlocked: s.lastBlocked ? `${s.lastBlocked.channel} by ${s.lastBlocked.rule}${s.lastBlocked.until ? ` until ${when(s.lastBlocked.until, timeZone)}` : ''}` : '-',
    strategy: s.strategy ? `${s.strategy.id} v${s.strategy.version} ${s.strategy.segment}/${s.strategy.pathId} (${s.strategy.arm})` : '-',
    outcome: s.outcome ?? '-',
    cure: !s.score ? '-' : s.score.status === 'skipped' ? `not scored: ${s.score.reason}` : `${Math.round(s.score.probability * 100)}% (model v${s.score.modelVersion}, ${s.score.trigger})${s.score.reasons.length ? ` — ${s.score.reasons.map((r) => r.en).join('; ')}` : ''}`,
    offer: s.score?.status === 'scored' && s.score.offer ? offerLine(s.score.offer, money) : '-',
    timeZone,
  };
}

async function showState(state: Awaited<ReturnType<typeof readState>>): Promise<string> {
  const { timeZone } = await getBorrowerForLoan(await db(), state.loanId);
  return pairs(stateView(state, timeZone));
}

function accepted(verb: string, loanId: string, detail = ''): string {
  return `${verb} loan ${loanId}${detail} (signalled; \`overdue status ${loanId}\` shows the case)`;
}

// ---- commands ----

const commands: Record<string, Command> = {
  start: {
    usage: 'overdue start <loanId> [--strategy ID] [--reopen-reason TEXT]',
    summary: 'start collection for a loan (returns the running case if there is one); after a terminal outcome only with --reopen-reason (audited; never after bankruptcy or death)',
    options: {
      strategy: { type: 'string', value: 'ID', description: "strategy to pin for this case", default: "the segment's default (DEFAULT_STRATEGY_ID)" },
      'reopen-reason': { type: 'string', value: 'TEXT', description: "why a loan whose last case ended is collected again (audited)" },
    },
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
      'as-of': { type: 'string', value: 'YYYY-MM-DD', description: 'business date whose delinquency counts', default: 'today (UTC)' },
      concurrency: { type: 'string', value: 'N', description: 'workflow starts in flight at once', default: '8' },
      schedule: { type: 'boolean', description: 'create the daily sweep schedule instead of sweeping now' },
      hour: { type: 'string', value: 'H', description: 'with --schedule: hour of day, 0..23', default: '2' },
      minute: { type: 'string', value: 'M', description: 'with --schedule: minute, 0..59', default: '0' },
      'time-zone': { type: 'string', value: 'TZ', description: 'with --schedule: IANA zone of --hour', default: 'UTC' },
    },
    async run({ values, positionals, json }) {
      none(positionals);
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
    actions: ['create'],
    options: {
      hour: { type: 'string', value: 'H', description: 'hour of day, 0..23', default: '2' },
      minute: { type: 'string', value: 'M', description: 'minute, 0..59', default: '0' },
      'time-zone': { type: 'string', value: 'TZ', description: 'IANA zone of --hour', default: 'UTC' },
    },
    async run({ values, positionals, json }) {
      action(commands.schedule!, positionals, 'schedule');
      none(positionals.slice(1));
      return scheduleCreate(values, json);
    },
  },
  status: {
    usage: 'overdue status <loanId>',
    summary: 'the case as the workflow sees it (the getState query): money in its currency, times in the borrower\'s zone and UTC',
    options: {},
    async run({ positionals, json }) {
      const state = await readState(await deps(), one(positionals, 'loanId'));
      return json ? state : showState(state);
    },
  },
  list: {
    usage: `overdue list [--stage STAGE] [--collector ID] [--limit N]`,
    summary: 'running collections, by stage or collector, from Temporal visibility (a few seconds behind)',
    options: {
      stage: { type: 'string', value: 'STAGE', description: `only this stage: ${STAGES.join(', ')}`, default: 'every stage' },
      collector: { type: 'string', value: 'ID', description: 'only cases assigned to this collector', default: 'any' },
      limit: { type: 'string', value: 'N', description: 'at most this many, 1..1000', default: '100' },
    },
    async run({ values, positionals, json }) {
      none(positionals);
      const stage = values.stage === undefined ? undefined : oneOf(values.stage as string, STAGES, 'stage');
      const limit = integer(values.limit as string | undefined, 'limit') ?? 100;
      if (limit > 1000) throw new UsageError(`--limit must be 1..1000 (got ${limit})`);
      const d = await deps();
      const found = await searchCollections(d.client, { stage, assignedCollector: values.collector as string | undefined, taskQueue: d.taskQueue, limit });
      if (json) return found;
      // Search attributes carry minor units only; the loan row has the currency.
      const currencies = new Map(await Promise.all([...new Set(found.map((c) => c.loanId))].map(async (id) => [id, (await getLoan(d.db, id))?.currency] as const)));
      return table(
        found.map((c) => {
          const currency = currencies.get(c.loanId);
          return {
            loan: c.loanId,
            stage: c.stage ?? '-',
            dpd: c.daysPastDue ?? '-',
            'past due': c.pastDueMinor === null ? '-' : currency ? formatMoney(c.pastDueMinor, currency) : `${c.pastDueMinor} (minor units)`,
            collector: c.assignedCollector ?? '-',
            started: c.startedAt,
          };
        }),
      );
    },
  },
  pay: {
    usage: 'overdue pay <loanId> --amount MINOR --currency CUR [--payment-id ID] [--received-at ISO]',
    summary: 'record a payment in the ledger, then tell the workflow (idempotent by --payment-id)',
    options: {
      amount: { type: 'string', value: 'MINOR', description: 'amount in minor units (12345 = 123.45 in a two-decimal currency); required' },
      currency: { type: 'string', value: 'CUR', description: "ISO 4217 code, the loan's currency; required" },
      'payment-id': { type: 'string', value: 'ID', description: 'your id for the payment: the same id twice records it once', default: 'a new cli-<uuid>' },
      'received-at': { type: 'string', value: 'ISO', description: 'when the money arrived, an ISO-8601 instant', default: 'now' },
    },
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
      const { currency } = result.position;
      return json ? result : pairs({ ...result, position: `past due ${formatMoney(result.position.pastDueMinor, currency)}, outstanding ${formatMoney(result.position.outstandingMinor, currency)}` });
    },
  },
  dispute: {
    usage: 'overdue dispute <loanId> --reason TEXT [--key IDEMPOTENCY_KEY] [--amount MINOR --currency CUR]',
    summary: 'file a dispute: recorded, then collection pauses',
    options: {
      reason: { type: 'string', value: 'TEXT', description: "the borrower's reason; required" },
      key: { type: 'string', value: 'KEY', description: 'idempotency key: the same key twice files one dispute', default: 'a new cli-<uuid>' },
      amount: { type: 'string', value: 'MINOR', description: 'disputed amount in minor units', default: 'the whole debt' },
      currency: { type: 'string', value: 'CUR', description: 'ISO 4217 code of --amount' },
    },
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
  pause: {
    usage: 'overdue pause <loanId> --reason TEXT',
    summary: "pause the case: nothing is sent and its open call tasks are cancelled until `overdue resume`",
    options: { reason: { type: 'string', value: 'TEXT', description: 'why (shown in the workflow and the audit trail); required' } },
    async run({ values, positionals, json }) {
      const loanId = one(positionals, 'loanId');
      const result = await pauseCollection(await deps(), loanId, need(values, 'reason'), cli);
      return json ? result : accepted('paused', loanId);
    },
  },
  resume: {
    usage: 'overdue resume <loanId>',
    summary: 'resume a case paused by an operator',
    options: {},
    async run({ positionals, json }) {
      const loanId = one(positionals, 'loanId');
      const result = await resumeCollection(await deps(), loanId, cli);
      return json ? result : accepted('resumed', loanId);
    },
  },
  reassign: {
    usage: 'overdue reassign <loanId> (--collector ID | --unassign)',
    summary: 'assign the case, and its queued call tasks, to a collector, or leave it unassigned',
    options: {
      collector: { type: 'string', value: 'ID', description: 'the collector who takes the case' },
      unassign: { type: 'boolean', description: 'no collector: any collector may claim its calls' },
    },
    async run({ values, positionals, json }) {
      const loanId = one(positionals, 'loanId');
      if (values.unassign && values.collector !== undefined) throw new UsageError('give --collector ID or --unassign, not both');
      const collectorId = values.unassign ? null : need(values, 'collector');
      const result = await reassignCollection(await deps(), loanId, collectorId, cli);
      return json ? result : accepted(collectorId ? `assigned ${collectorId} to` : 'unassigned', loanId);
    },
  },
  close: {
    usage: `overdue close <loanId> --outcome OUTCOME [--reason TEXT]   (OUTCOME: ${CLOSE_OUTCOMES.join(', ')})`,
    summary: 'the lender closes the case (settled outside, written off, cancelled); audited',
    options: {
      outcome: { type: 'string', value: 'OUTCOME', description: `how it ends: ${CLOSE_OUTCOMES.join(', ')}; required` },
      reason: { type: 'string', value: 'TEXT', description: 'why, for the audit trail' },
    },
    async run({ values, positionals, json }) {
      const loanId = one(positionals, 'loanId');
      const outcome = oneOf(need(values, 'outcome'), CLOSE_OUTCOMES, 'outcome');
      const result = await closeByLender(await deps(), loanId, outcome, values.reason as string | undefined, cli);
      return json ? { ...result, outcome } : accepted(`closing (${outcome})`, loanId);
    },
  },
  outcome: {
    usage: `overdue outcome <loanId> --outcome OUTCOME --collector ID   (OUTCOME: ${ASSIGNABLE_OUTCOMES.join(', ')})`,
    summary: "record a call's outcome as the collector",
    options: {
      outcome: { type: 'string', value: 'OUTCOME', description: `what the call gave: ${ASSIGNABLE_OUTCOMES.join(', ')}; required` },
      collector: { type: 'string', value: 'ID', description: 'the collector who called; required' },
    },
    async run({ values, positionals, json }) {
      const outcome = need(values, 'outcome');
      if (outcome === 'promise_to_pay') throw new UsageError('use `overdue promise` for a promise to pay');
      oneOf(outcome, ASSIGNABLE_OUTCOMES, 'outcome');
      const state = await submitCallOutcome(await deps(), one(positionals, 'loanId'), outcome as CallOutcome, asCollector(need(values, 'collector')));
      return json ? state : showState(state);
    },
  },
  promise: {
    usage: 'overdue promise <loanId> --amount MINOR --currency CUR --due-at ISO --collector ID',
    summary: 'record a promise to pay as the collector',
    options: {
      amount: { type: 'string', value: 'MINOR', description: 'promised amount in minor units; required' },
      currency: { type: 'string', value: 'CUR', description: "ISO 4217 code, the loan's currency; required" },
      'due-at': { type: 'string', value: 'ISO', description: 'promised by this instant (ISO-8601); required' },
      collector: { type: 'string', value: 'ID', description: 'the collector who took the promise; required' },
    },
    async run({ values, positionals, json }) {
      const state = await submitPromise(
        await deps(),
        one(positionals, 'loanId'),
        { amountMinor: integer(need(values, 'amount'), 'amount')!, currency: need(values, 'currency'), dueAt: instant(need(values, 'due-at'), 'due-at') },
        asCollector(need(values, 'collector')),
      );
      return json ? state : showState(state);
    },
  },
  plan: {
    usage: 'overdue plan <loanId> --currency CUR --installments MINOR@ISO[,MINOR@ISO...] --collector ID',
    summary: 'record a payment plan agreed as the collector (a discounted one within the strategy\'s limits, on contract 6)',
    options: {
      currency: { type: 'string', value: 'CUR', description: "ISO 4217 code, the loan's currency; required" },
      installments: { type: 'string', value: 'LIST', description: 'the instalments in order, each amount in minor units @ due instant (ISO-8601), comma-separated; required' },
      collector: { type: 'string', value: 'ID', description: 'the collector who agreed the plan; required' },
    },
    async run({ values, positionals, json }) {
      const installments = need(values, 'installments').split(',').map((entry, n) => {
        const [amount, dueAt, extra] = entry.trim().split('@');
        if (amount === undefined || dueAt === undefined || extra !== undefined) {
          throw new UsageError(`--installments entry ${n + 1} must be MINOR@ISO, e.g. 20000@2027-03-01T00:00:00Z (got ${JSON.stringify(entry)})`);
        }
        return { amountMinor: integer(amount, 'installments')!, dueAt: instant(dueAt, 'installments') };
      });
      const state = await submitPlan(await deps(), one(positionals, 'loanId'), { currency: need(values, 'currency'), installments }, asCollector(need(values, 'collector')));
      return json ? state : showState(state);
    },
  },
  'legal-outcome': {
    usage: `overdue legal-outcome --loan ID --outcome OUTCOME   (OUTCOME: ${LEGAL_OUTCOMES.join(', ')}; the loan id may also be given as <loanId>)`,
    summary: 'report how a case handed to legal ended; accepted only while the workflow awaits it (audited)',
    options: {
      loan: { type: 'string', value: 'ID', description: 'the loan (or give it as <loanId>)' },
      outcome: { type: 'string', value: 'OUTCOME', description: `how legal ended it: ${LEGAL_OUTCOMES.join(', ')}; required` },
    },
    async run({ values, positionals, json }) {
      const loanId = (values.loan as string | undefined) ?? one(positionals, 'loanId');
      if (values.loan !== undefined && positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (the loan is already given by --loan)`);
      const outcome = oneOf(need(values, 'outcome'), LEGAL_OUTCOMES, 'outcome');
      const result = await reportLegalOutcome(await deps(), loanId, outcome as LegalOutcome, cli);
      return json ? result : `legal outcome ${result.outcome} reported for loan ${loanId}; the case closes as ${result.outcome}`;
    },
  },
  report: {
    usage: 'overdue report [--html FILE] [--as-of ISO-INSTANT]',
    summary: 'the portfolio report: stages, outcomes, cure, contact and promise-kept rates, recovery by DPD bucket',
    options: {
      html: { type: 'string', value: 'FILE', description: 'also write the report as a self-contained HTML page with charts' },
      'as-of': { type: 'string', value: 'ISO', description: 'leave out facts recorded after this instant', default: 'now' },
    },
    async run({ values, positionals, json }) {
      none(positionals);
      const asOf = values['as-of'] === undefined ? undefined : new Date(instant(values['as-of'] as string, 'as-of'));
      const report = await buildReport(await db(), { asOf });
      if (values.html) writeFileSync(values.html as string, renderReportHtml(report));
      if (json) return report;
      return `${renderReportTable(report)}${values.html ? `\nHTML report written to ${values.html}` : ''}`;
    },
  },
  keys: {
    usage: 'overdue keys create --role backend|collector|operator [--collector ID] [--label TEXT] | overdue keys list [--active] | overdue keys revoke <keyId>',
    summary: 'API keys: create one (shown once; only its hash is stored), list them (never the key), revoke one (audited)',
    actions: ['create', 'list', 'revoke'],
    options: {
      role: { type: 'string', value: 'ROLE', description: `create: ${API_ROLES.join(', ')}; required` },
      collector: { type: 'string', value: 'ID', description: 'create: the collector a collector key acts as; required with --role collector' },
      label: { type: 'string', value: 'TEXT', description: 'create: a note on what the key is for' },
      active: { type: 'boolean', description: 'list: leave out revoked keys' },
    },
    async run({ values, positionals, json }) {
      switch (action(commands.keys!, positionals, 'keys')) {
        case 'create':
          none(positionals.slice(1));
          return keysCreate(values, json);
        case 'list': {
          none(positionals.slice(1));
          const keys = await listApiKeys(await db(), { activeOnly: Boolean(values.active) });
          return json ? keys : table(keys.map((k) => ({ ...k, revokedAt: k.revokedAt ?? '-', collectorId: k.collectorId ?? '-', label: k.label ?? '' })));
        }
        default: {
          const id = one(positionals.slice(1), 'keyId');
          const row = await revokeApiKey(await db(), id, 'operator:cli');
          const { hashedKey: _hash, ...key } = row;
          return json ? key : `revoked ${key.id} (${key.role}${key.collectorId ? ` ${key.collectorId}` : ''}) at ${key.revokedAt!.toISOString()}: it no longer authenticates`;
        }
      }
    },
  },
  model: {
    usage: 'overdue model fit [--days N] [--holdout-from DATE] | overdue model activate --version V | overdue model show [--version V]',
    summary: 'cure-propensity scorecard: fit one on closed cases (AUC, KS, calibration on a holdout split by time), activate it (refused when worse than the active one), show the versions',
    actions: ['fit', 'activate', 'show'],
    options: {
      days: { type: 'string', value: 'N', description: 'fit: the label, cured within N days of the case opening', default: String(DEFAULT_LABEL_DAYS) },
      'holdout-from': { type: 'string', value: 'DATE', description: 'fit: cases opened on or after this date or instant are the holdout', default: 'the latest fifth of the cases' },
      version: { type: 'string', value: 'V', description: 'activate: the version to make active (required); show: one version in full' },
    },
    async run({ values, positionals, json }) {
      const verb = action(commands.model!, positionals, 'model');
      none(positionals.slice(1));
      if (verb === 'fit') {
        const holdoutFrom = values['holdout-from'] as string | undefined;
        if (holdoutFrom !== undefined && Number.isNaN(Date.parse(holdoutFrom))) throw new UsageError(`--holdout-from must be a date YYYY-MM-DD or an ISO-8601 instant (got ${JSON.stringify(holdoutFrom)})`);
        const { row, report } = await fitModel(await db(), { days: integer(values.days as string | undefined, 'days'), holdoutFrom });
        return json ? { version: row.version, metrics: report.metrics, document: report.document } : describeFit(row, report);
      }
      if (verb === 'activate') {
        const row = await activateModel(await db(), integer(need(values, 'version'), 'version')!);
        return json ? { version: row.version, active: row.active } : `scoring model v${row.version} is active: cases are scored with it from now on`;
      }
      const shown = await showModels(await db(), integer(values.version as string | undefined, 'version'));
      return json || !Array.isArray(shown) ? shown : table(shown as unknown as Array<Record<string, unknown>>);
    },
  },
};

async function keysCreate(values: Values, json: boolean) {
  const role = oneOf(need(values, 'role'), API_ROLES, 'role');
  if (role === 'collector' && !values.collector) throw new UsageError('--collector is required with --role collector');
  if (role !== 'collector' && values.collector) throw new UsageError('--collector only applies to --role collector');
  const created = await createApiKey(await db(), { role: role as ApiRole, collectorId: values.collector as string | undefined, label: values.label as string | undefined });
  return json ? created : `${pairs({ ...created })}\n\nStore the key now: it cannot be shown again.`;
}

async function scheduleCreate(values: Values, json: boolean) {
  const client = await temporal();
  const hour = integer(values.hour as string | undefined, 'hour', { min: 0 }) ?? 2;
  const minute = integer(values.minute as string | undefined, 'minute', { min: 0 }) ?? 0;
  if (hour > 23) throw new UsageError(`--hour must be 0..23 (got ${hour})`);
  if (minute > 59) throw new UsageError(`--minute must be 0..59 (got ${minute})`);
  const timeZone = (values['time-zone'] as string | undefined) ?? 'UTC';
  try {
    await createSweepSchedule(client, { taskQueue: config().queues.collections, hour, minute, timeZone });
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

// ---- help ----

function flagLines(flags: Flags): string {
  const left = Object.entries(flags).map(([name, f]) => `${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return Object.values(flags)
    .map((f, i) => `  ${left[i]!.padEnd(width)}  ${f.description}${f.default !== undefined ? ` (default: ${f.default})` : ''}`)
    .join('\n');
}

function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}\n\nOptions:\n${flagLines({ ...command.options, ...common })}`;
}

function rootHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `Usage: overdue <command> [options]   (overdue <command> --help for its options and defaults)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Options:
  --json           machine-readable output, on every command
  -h, --help       this help, or a command's with \`overdue <command> --help\`
  -v, --version    the version (${VERSION})

Connects to DATABASE_URL (embedded PGlite under .data/pglite when unset; it belongs to one process,
so stop \`npm start\` first or use PostgreSQL) and TEMPORAL_ADDRESS (default 127.0.0.1:TEMPORAL_PORT,
port 7233). Collection workflows run on TASK_QUEUE (default collections).`;
}

// ---- main ----

function parse(command: Command, args: string[]): { values: Values; positionals: string[] } {
  const flags = { ...command.options, ...common };
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}) }]));
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec((error as Error).message)?.[1];
    if (unknown) {
      const known = Object.keys(flags).map((n) => `--${n}`);
      throw new UsageError(`unknown option ${unknown}${didYouMean(unknown.startsWith('--') ? unknown : `-${unknown}`, known, (w) => w)}`);
    }
    throw new UsageError((error as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(rootHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(`overdue ${VERSION}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`overdue: unknown command ${JSON.stringify(name)}${didYouMean(name, Object.keys(commands))}\n\n${rootHelp()}`);
    return 2;
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parse(command, rest);
  } catch (error) {
    console.error(`overdue ${name}: ${(error as Error).message}\nUsage: ${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(commandHelp(command));
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
