// `npx tsx bench/cluster.ts`: figures for docs/capacity.md, measured on the cluster `npm run cluster`
// runs (Temporal on PostgreSQL, its workers). Opens --loans collections with the default strategy
// (cn-consumer), which send their first reminder and then wait days on timers: open loans, as in
// production. Reports, per open loan: Temporal's PostgreSQL growth (persistence and visibility),
// Overdue's own database growth, the server's persistence requests to open a case and send its first
// reminder, and the workers' and server's memory; plus the start rate and the time to drain.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { workflowIdForLoan } from '../contracts/messages';
import { createDatabase } from '../db/client';
import { upsertBorrower } from '../db/repository/borrowers';
import { upsertLoan } from '../db/repository/ledger';
import { readConfig } from '../worker/config';
import { collection } from '../workflows/collection';

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    loans: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
    'server-metrics': { type: 'string', default: 'http://127.0.0.1:9091/metrics' },
    out: { type: 'string', default: 'bench/cluster-results.json' },
  },
});
if (values.help) {
  console.log(`Usage: npx tsx bench/cluster.ts [--loans N] [--concurrency N] [--server-metrics URL] [--out FILE]

Needs a running 'npm run cluster' (reads DATA_DIR/cluster/cluster.json for its address, database and
process ids). Opens N collections (default 2,000) on its workers and prints, per open loan, the growth
of Temporal's and Overdue's PostgreSQL databases, the server's persistence requests, and memory.`);
  process.exit(0);
}
const loans = Number(values.loans);
const concurrency = Number(values.concurrency);
const log = (line: string) => console.log(`[bench:cluster] ${line}`);

const config = readConfig();
const state = JSON.parse(readFileSync(join(resolve(config.dataDir), 'cluster', 'cluster.json'), 'utf8')) as { address: string; databaseUrl: string; pids: Record<string, number> };
const admin = postgres(state.databaseUrl, { max: 1, onnotice: () => {} });
const database = await createDatabase(state.databaseUrl, { max: 20 });
const connection = await Connection.connect({ address: state.address });
const client = new Client({ connection });

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
async function snapshot() {
  const sizes = await admin<{ datname: string; bytes: string }[]>`SELECT datname, pg_database_size(datname)::text AS bytes FROM pg_database WHERE datname IN ('overdue_temporal', 'overdue_temporal_visibility', ${new URL(state.databaseUrl).pathname.slice(1)})`;
  const text = await fetch(values['server-metrics']!).then((r) => r.text());
  let persistence = 0;
  for (const line of text.split('\n')) if (line.startsWith('persistence_requests{')) persistence += Number(line.split(' ').at(-1));
  const rss = Object.fromEntries(Object.entries(state.pids).map(([name, pid]) => [name, rssKb(pid)]));
  return { at: Date.now(), sizes: Object.fromEntries(sizes.map((s) => [s.datname, Number(s.bytes)])), persistence, rss };
}
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const run = `cap-${Date.now().toString(36)}`;
const ids = Array.from({ length: loans }, (_, i) => `${run}-${i + 1}`);
const day = 24 * 3600 * 1000;
log(`seeding ${loans} loans (2 days past due)`);
await pool(ids, 20, async (loanId) => {
  const borrowerId = `b-${loanId}`;
  await upsertBorrower(database.db, { id: borrowerId, externalRef: `ext-${borrowerId}`, name: 'Bench Borrower', email: `${borrowerId}@example.com`, phone: '+8613800138000', timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
  const due = (d: number) => new Date(Date.now() + d * day).toISOString().slice(0, 10);
  await upsertLoan(database.db, { id: loanId, borrowerId, product: 'consumer-loan', currency: 'CNY', principalMinor: 150_000, openedAt: new Date(Date.now() - 90 * day), installments: [{ seq: 1, dueDate: due(-2), amountDueMinor: 50_000 }, { seq: 2, dueDate: due(28), amountDueMinor: 50_000 }, { seq: 3, dueDate: due(58), amountDueMinor: 50_000 }] });
});
await admin`CHECKPOINT`;
const before = await snapshot();
log(`starting ${loans} collections at concurrency ${concurrency}`);
const startedAt = Date.now();
await pool(ids, concurrency, async (loanId) => {
  await client.workflow.start(collection, { taskQueue: config.queues.collections, workflowId: workflowIdForLoan(loanId), args: [{ loanId }] });
});
const startSeconds = (Date.now() - startedAt) / 1000;
log(`started in ${startSeconds.toFixed(1)} s; waiting for every case to open and send its first reminder`);
// Drained: every loan has its case, and the contacts stop coming (a loan whose first step falls outside
// the borrower's contact window waits for it, as in production).
let settled = -1;
for (;;) {
  const [row] = await admin<{ cases: number; contacts: number }[]>`SELECT (SELECT count(*)::int FROM collection_cases WHERE loan_id LIKE ${`${run}-%`}) AS cases, (SELECT count(*)::int FROM contact_attempts WHERE loan_id LIKE ${`${run}-%`} AND status <> 'planned' AND status <> 'sending') AS contacts`;
  if (row!.cases >= loans && row!.contacts === settled) break;
  settled = row!.contacts;
  await new Promise((r) => setTimeout(r, 10_000));
}
const drainSeconds = (Date.now() - startedAt - 10_000) / 1000;
let quiet = await snapshot();
for (;;) {
  await new Promise((r) => setTimeout(r, 5000));
  const next = await snapshot();
  const rate = (next.persistence - quiet.persistence) / 5;
  quiet = next;
  if (rate < loans / 100) break;
}
await admin`CHECKPOINT`;
const after = await snapshot();
const per = (a: number, b: number) => (a - b) / loans;
const overdueDb = new URL(state.databaseUrl).pathname.slice(1);
const results = {
  loans,
  measuredAt: new Date().toISOString(),
  startsPerSecond: Math.round(loans / startSeconds),
  secondsToOpenAllAndSendFirstReminders: Math.round(drainSeconds),
  firstRemindersSent: settled,
  bytesPerOpenLoan: {
    temporalPersistence: Math.round(per(after.sizes.overdue_temporal!, before.sizes.overdue_temporal!)),
    temporalVisibility: Math.round(per(after.sizes.overdue_temporal_visibility!, before.sizes.overdue_temporal_visibility!)),
    overdue: Math.round(per(after.sizes[overdueDb]!, before.sizes[overdueDb]!)),
  },
  persistenceRequestsPerLoanToFirstReminder: Math.round(per(after.persistence, before.persistence)),
  rssMb: Object.fromEntries(Object.entries(after.rss).map(([k, v]) => [k, Math.round(v / 1024)])),
  rssGrowthKbPerLoan: Object.fromEntries(Object.entries(after.rss).map(([k, v]) => [k, Math.round(per(v, before.rss[k]!))])),
};
console.log(JSON.stringify(results, null, 2));
writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
await connection.close();
await database.close();
await admin.end();
