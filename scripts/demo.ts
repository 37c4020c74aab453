// `npm run demo`: a synthetic portfolio run through the whole pipeline on a time-scaled clock, then the
// portfolio report. Embedded defaults like `npm start`: a Temporal dev server persisted under .data
// (or TEMPORAL_ADDRESS), the database (DATABASE_URL or PGlite under .data/pglite), Overdue's own
// workers; scripted borrowers and collectors (scripts/lib/borrower-sim.ts) react to what is sent.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { createCaseActivities } from '../activities/case';
import { createChannelActivities } from '../activities/channels';
import { createSmtpMailer } from '../channels/email';
import { startCollectionRun } from '../client/collection';
import { createConsoleLetterQueue } from '../channels/letter';
import { createConsoleSmsProvider } from '../channels/sms';
import { createDatabase, queryRows } from '../db/client';
import { EmbeddedDatabaseBusyError } from '../db/embedded-lock';
import { migrateDb } from '../db/migrate';
import { getActiveScoringModel } from '../db/repository/scoring';
import { getStrategy, saveStrategy } from '../db/repository/strategies';
import { seedPortfolio } from '../db/seed';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import { parseDuration } from '../domain/strategy/duration';
import { scaleStrategy } from '../domain/strategy/select';
import type { Strategy } from '../domain/strategy/types';
import { parseStrategy } from '../domain/strategy/validate';
import cnConsumerScored from '../strategies/cn-consumer-scored.json';
import { readConfig } from '../worker/config';
import { createOutboxMailer } from '../worker/runtime';
import { createStrategyLoader } from '../worker/strategies';
import { createWorkers } from '../worker/workers';
import { assignBehaviours, BEHAVIOUR_MIX, startBorrowerSimulator, writeRepaymentPast } from './lib/borrower-sim';
import { activateModel, fitModel } from './lib/model';
import { generatePortfolio, writePortfolio } from './lib/portfolio-history';
import { buildReport, renderReportHtml, renderReportTable } from './lib/report';
import { startTemporal } from './lib/temporal';

/** The synthetic book the demo fits its model on: fixed seed and size, ids apart from any demo run's (D…). */
const HISTORY_PREFIX = 'DEMO-HISTORY';
const HISTORY_SEED = 1;
const HISTORY_LOANS = 2000;

const HELP = `Usage: npm run demo -- [options]

Seeds a synthetic portfolio of overdue loans, starts a collection workflow for each on a time-scaled
copy of a strategy, lets scripted borrowers and collectors react (pay after the first reminder, pay
after a call, promise and keep, promise and break, take the plan Overdue offers and keep up with it
as their ability allows, dispute, go silent), shows loans by stage while it runs, then prints the
portfolio report and writes it as HTML.

Before its loans open, the database gets an active cure-propensity model: when none is active, the demo
writes a synthetic book with a past (${HISTORY_LOANS} loans ${HISTORY_PREFIX}-L…, seed ${HISTORY_SEED}, as of today's
midnight UTC), fits a scorecard on it and activates it. The default strategy, cn-consumer-scored, runs
today's unscored cn-consumer treatment (champion) against one that reads the score (challenger) on half
of the loans; the report compares the two arms with 95% intervals.

Options:
  --loans <n>           Loans to seed, all past due (default 200)
  --day-seconds <s>     Seconds of real time per strategy day (default 1)
  --seed <n>            Portfolio and behaviour seed (default 1)
  --strategy <id>       Strategy to scale: cn-consumer-scored (champion vs a scored challenger),
                        cn-consumer or us-consumer (default cn-consumer-scored)
  --html <file>         HTML report (default .data/demo-report.html)
  --timeout <seconds>   Stop waiting for open cases after this long (default 600)
  --keep                Leave Temporal, its UI and the workers running after the report, so the
                        printed links work, until Ctrl-C or SIGTERM (default: stop at the end)
  -h, --help            Show this help

Environment: TEMPORAL_ADDRESS (else a dev server persisted in .data/temporal.sqlite), DATABASE_URL
(else embedded PGlite in .data/pglite), SMTP_URL (else emails become .eml files in .data/outbox).
`;

const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '200' },
    'day-seconds': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    strategy: { type: 'string', default: 'cn-consumer-scored' },
    html: { type: 'string', default: '.data/demo-report.html' },
    timeout: { type: 'string', default: '600' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function positive(name: string, raw: string, integer = false): number {
  const value = Number(raw);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    console.error(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return value;
}
const loanCount = positive('loans', values.loans!, true);
const daySeconds = positive('day-seconds', values['day-seconds']!);
const seed = positive('seed', values.seed!, true);
const timeoutMs = positive('timeout', values.timeout!) * 1000;
const shipped = values.strategy === 'cn-consumer-scored' ? parseStrategy(cnConsumerScored) : findDefaultStrategy(values.strategy!);
if (!shipped || shipped.id === 'fast-test') {
  console.error(`--strategy must be cn-consumer-scored, cn-consumer or us-consumer (got ${JSON.stringify(values.strategy)})`);
  process.exit(2);
}
const dayMs = daySeconds * 1000;
const log = (line: string) => console.log(`[demo] ${line}`);

// The SDK core warns about slow workflow tasks when two cores run 200 workflows on a one-second day:
// expected here, and it would bury the progress line.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
const config = readConfig();
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanup() {
  for (const step of cleanups.reverse()) await step().catch((error) => console.error(error));
}

/**
 * A scaled call stage gives a collector a fraction of a second to answer (8 hours become 0.33 s at a
 * second a day); the simulated collectors work in real time, so each call keeps at least
 * MIN_CALL_OUTCOME_WAIT to be claimed and answered.
 */
const MIN_CALL_OUTCOME_WAIT = 'PT3S';
function keepCallsAnswerable(strategy: Strategy): Strategy {
  const floor = parseDuration(MIN_CALL_OUTCOME_WAIT);
  const paths = Object.fromEntries(
    Object.entries(strategy.paths).map(([id, stages]) => [
      id,
      stages.map((stage) => (stage.kind === 'call' && parseDuration(stage.outcomeTimeout) < floor ? { ...stage, outcomeTimeout: MIN_CALL_OUTCOME_WAIT } : stage)),
    ]),
  );
  return { ...strategy, paths };
}

/**
 * Saves the scaled strategy as `demo-<id>`: the same document again reuses its version; a different
 * scale becomes the next version, because a version in use is immutable.
 */
async function saveDemoStrategy(db: Parameters<typeof saveStrategy>[0], base: Strategy): Promise<Strategy> {
  const scaled = keepCallsAnswerable(scaleStrategy(base, daySeconds / 86_400));
  const id = `demo-${base.id}`;
  // The shipped rule packs hold real-clock rules (quiet hours 22:00-08:00, calls per day, 7-day
  // spacing): on a clock where a day lasts a second they would block almost every contact. The
  // sandbox pack keeps the stops that do not depend on the clock (disputes, cease, opt-outs, bankruptcy).
  const document = { ...scaled, id, name: `${base.name} — demo, a day is ${daySeconds} s`, rulePack: 'sandbox' as const };
  const latest = await getStrategy(db, id);
  // Compared as values, not as text: PostgreSQL's jsonb gives the keys back in its own order.
  const sameAs = (v: number) => isDeepStrictEqual(latest?.document, JSON.parse(JSON.stringify({ ...document, version: v })));
  const version = latest ? (sameAs(latest.version) ? latest.version : latest.version + 1) : 1;
  await saveStrategy(db, { id, version, document: { ...document, version } });
  return { ...document, version };
}

/**
 * Makes sure a cure-propensity model is active before the demo's loans open, so every case is scored at
 * open and the scored strategy's segments match. An active model (the lender's own, or an earlier demo
 * run's) is used as it is. Otherwise the synthetic book with a past is written once (fictional
 * borrowers without contact details, loan ids DEMO-HISTORY-L…, seed HISTORY_SEED, as of today's midnight
 * UTC so the clock does not move a label), fitted as of that instant — with any other closed cases the
 * database already holds, as `overdue model fit` would — and activated.
 */
async function ensureScoringModel(db: Parameters<typeof fitModel>[0]): Promise<string> {
  const active = await getActiveScoringModel(db);
  if (active) return `scoring model v${active.version} already active; cases are scored with it`;
  const asOf = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const [written] = await queryRows<{ n: number | string }>(db, sql`SELECT count(*) AS n FROM loans WHERE id LIKE ${`${HISTORY_PREFIX}-%`}`);
  if (Number(written?.n ?? 0) === 0) {
    await writePortfolio(db, generatePortfolio({ loans: HISTORY_LOANS, seed: HISTORY_SEED, asOf: asOf.toISOString(), idPrefix: HISTORY_PREFIX }));
  }
  const { row, report } = await fitModel(db, { now: asOf, actor: 'operator:demo' });
  await activateModel(db, row.version, 'operator:demo');
  const { train, holdout } = report.metrics;
  return `scoring model v${row.version} fitted on the synthetic book ${HISTORY_PREFIX}-L… (${train.count} training cases, holdout AUC ${holdout.auc.toFixed(3)} on ${holdout.count}) and activated`;
}

/**
 * Resolves with the first SIGINT or SIGTERM; the caller then stops the stack in order. The handlers stay
 * installed (`on`, not `once`): under tsx a signal can arrive twice (tsx re-sends it when the child's
 * acknowledgement is slow), and a second one with no handler left would kill the process mid-cleanup.
 */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => resolve(signal));
  });
}

try {
  const temporal = await startTemporal({ port: config.temporalPort, uiPort: config.temporalUiPort, namespace: config.temporalNamespace, log });
  cleanups.push(() => temporal.stop());
  log(`Temporal at ${temporal.address}${temporal.uiUrl ? `, UI at ${temporal.uiUrl}` : ''}`);

  const database = await createDatabase(config.databaseUrl);
  cleanups.push(() => database.close());
  await migrateDb(database.db);
  const { db } = database;
  log(`Database: ${database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite in .data/pglite'}`);

  const modelStarted = Date.now();
  const model = await ensureScoringModel(db);
  log(`${model} (${((Date.now() - modelStarted) / 1000).toFixed(1)} s)`);
  const strategy = await saveDemoStrategy(db, shipped);
  log(`Strategy ${strategy.id} v${strategy.version}: ${shipped.id} scaled to a day every ${daySeconds} s, rule pack sandbox`);

  const prefix = `D${Date.now().toString(36).toUpperCase()}`;
  const seeded = await seedPortfolio(db, { loans: loanCount, overdueShare: 1, seed, idPrefix: prefix });
  const latePayments = await writeRepaymentPast(db, prefix, seed);
  const behaviours = assignBehaviours(seeded.overdueLoanIds, seed);
  const mix = Object.keys(BEHAVIOUR_MIX).map((b) => `${b} ${[...behaviours.values()].filter((x) => x === b).length}`);
  log(`Seeded ${seeded.loans} overdue loans (${prefix}-L…): ${mix.join(', ')}; ${latePayments} earlier instalments paid late, by each borrower's hidden ability`);

  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  cleanups.push(() => nativeConnection.close());
  const connection = await Connection.connect({ address: temporal.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: temporal.namespace });

  let smsSent = 0;
  let lettersSent = 0;
  // SMTP connections are pooled (channels/email.ts): closed with the workers.
  const mailer = config.smtpUrl ? createSmtpMailer(config.smtpUrl, { from: config.smtpFrom }) : createOutboxMailer(resolve('.data', 'outbox'), config.smtpFrom);
  const workers = await createWorkers({
    connection: nativeConnection,
    namespace: temporal.namespace,
    queues: config.queues,
    // A scaled clock sends a month of messages in a minute; the demo's providers are local and quiet.
    emailPerSecond: 200,
    smsPerSecond: 200,
    caseActivities: createCaseActivities({ db, loadStrategy: createStrategyLoader(db, config.defaultStrategyId), queues: config.queues }),
    channelActivities: createChannelActivities({
      db,
      mailer,
      sms: createConsoleSmsProvider(() => (smsSent += 1)),
      letters: createConsoleLetterQueue(() => (lettersSent += 1)),
    }),
  });
  const running = workers.run();
  cleanups.push(async () => {
    workers.shutdown();
    await running.catch(() => {});
    mailer.close?.();
  });

  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < seeded.overdueLoanIds.length) {
        const loanId = seeded.overdueLoanIds[next++]!;
        await startCollectionRun(client, config.queues.collections, loanId, { strategyId: strategy.id });
      }
    }),
  );
  log(`Started ${seeded.overdueLoanIds.length} collection workflows in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const simulator = startBorrowerSimulator({ db, client, loanIdPrefix: prefix, behaviours, dayMs, seed, log: (line) => log(`sim: ${line}`) });
  cleanups.push(() => simulator.stop());

  // Progress: loans by stage and outcome from the case rows, once a second.
  const tty = process.stdout.isTTY;
  let lastPlain = '';
  let open = seeded.overdueLoanIds.length;
  const like = `${prefix}%`;
  while (Date.now() - started < timeoutMs) {
    const rows = await queryRows<{ label: string; n: number | string }>(
      db,
      sql`SELECT CASE WHEN closed_at IS NULL THEN stage ELSE outcome END AS label, count(*) AS n
          FROM collection_cases WHERE loan_id LIKE ${like} GROUP BY 1 ORDER BY 1`,
    );
    const counts = new Map(rows.map((r) => [r.label, Number(r.n)]));
    const openStages = ['reminder', 'call', 'negotiation', 'legal', 'disputed', 'hardship', 'paused'];
    open = seeded.overdueLoanIds.length - [...counts].filter(([k]) => !openStages.includes(k)).reduce((s, [, n]) => s + n, 0);
    const day = Math.floor((Date.now() - started) / dayMs);
    const line = `day ${String(day).padStart(3)} · open ${open}: ${openStages.filter((s) => counts.has(s)).map((s) => `${s} ${counts.get(s)}`).join(', ') || '—'} · closed: ${[...counts].filter(([k]) => !openStages.includes(k)).map(([k, n]) => `${k} ${n}`).join(', ') || '—'}`;
    if (tty) process.stdout.write(`\r${line}\x1b[K`);
    else if (line.replace(/^day +\d+ · /, '') !== lastPlain) {
      lastPlain = line.replace(/^day +\d+ · /, '');
      console.log(line);
    }
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (tty) process.stdout.write('\n');
  if (open > 0) log(`${open} cases still open after ${timeoutMs / 1000} s; the report shows them as open (their workflows keep running on the next start)`);
  log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s · ${smsSent} SMS, ${lettersSent} letters · simulated: ${Object.entries(simulator.stats).map(([k, n]) => `${k} ${n}`).join(', ')}`);

  const report = await buildReport(db, { loanIdPrefix: prefix, dayMs });
  console.log(`\n${renderReportTable(report)}\n`);
  const htmlFile = resolve(values.html!);
  mkdirSync(dirname(htmlFile), { recursive: true });
  writeFileSync(htmlFile, renderReportHtml(report));
  log(`HTML report: ${htmlFile}`);
  if (temporal.uiUrl) log(`Workflows: ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows?query=${encodeURIComponent(`WorkflowId STARTS_WITH "collection-${prefix}"`)}`);
  if (values.keep) {
    log(`--keep: Temporal${temporal.uiUrl ? ', its UI' : ''} and the workers stay up (cases still open keep running); Ctrl-C or SIGTERM stops them`);
    const signal = await untilStopped();
    log(`${signal}: stopping`);
  }
  await cleanup();
  process.exit(0);
} catch (error) {
  // A known start-up cause (the embedded database held by npm start, …) is one line; anything else keeps its stack.
  const known = error instanceof EmbeddedDatabaseBusyError;
  console.error(`[demo] failed: ${known ? error.message : ((error as Error).stack ?? error)}`);
  await cleanup();
  process.exit(1);
}
