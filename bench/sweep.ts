// Benchmark (not a test): how long the delinquency sweep's first page takes on a 1,000,000-loan
// portfolio. Loads a scratch database with INSERT ... SELECT generate_series, times
// findDelinquentLoansWithoutOpenCase (median of several runs), prints the figures and the plan, and
// drops the scratch database.
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { createDatabase, queryRows } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { findDelinquentLoansWithoutOpenCase, sweepPageQuery } from '../db/repository';

const HELP = `Usage: npx tsx bench/sweep.ts [options]

Options:
  --loans <n>         Loans to load (default 1000000)
  --installments <n>  Monthly instalments per loan (default 6)
  --limit <n>         Sweep page size (default 1000)
  --runs <n>          Timed runs per measurement (default 7)
  --admin-url <url>   Server to create the scratch database on
                      (default $BENCH_POSTGRES_ADMIN_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --keep              Keep the scratch database
  -h, --help          Show this help
`;

const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '1000000' },
    installments: { type: 'string', default: '6' },
    limit: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '7' },
    'admin-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const loans = Number(values.loans);
const perLoan = Number(values.installments);
const limit = Number(values.limit);
const runs = Number(values.runs);
const asOf = '2025-06-30';
const adminUrl = values['admin-url'] ?? process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `overdue_bench_${process.pid}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;

const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${name}`);
console.log(`scratch database ${name}`);

async function step(label: string, run: () => Promise<unknown>) {
  const started = performance.now();
  await run();
  console.log(`${label.padEnd(44)} ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  await migrateDatabase(url.toString());
  const handle = await createDatabase(url.toString(), { max: 2 });
  const { db } = handle;
  try {
    // 60% of loans overdue by 1-120 days (two instalments paid, the third unpaid since then);
    // the rest current (three paid, the next due within 27 days). 10% of overdue loans have an open case.
    await step(`borrowers (${loans})`, () =>
      db.execute(sql`
        INSERT INTO borrowers (id, external_ref, name, email, phone, time_zone, locale)
        SELECT 'B' || lpad(g::text, 7, '0'), 'ext-' || g, 'Bench Borrower ' || g, 'b' || g || '@example.com',
               '+8613' || lpad(g::text, 9, '0'),
               (ARRAY['Asia/Shanghai','America/Los_Angeles','America/New_York','Europe/London','Australia/Sydney'])[1 + g % 5],
               CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END
        FROM generate_series(1, ${loans}) g`),
    );
    await step(`loans (${loans})`, () =>
      db.execute(sql`
        INSERT INTO loans (id, borrower_id, product, currency, principal_minor, risk_score, opened_at)
        SELECT 'L' || lpad(g::text, 7, '0'), 'B' || lpad(g::text, 7, '0'), 'personal', 'CNY',
               ${perLoan} * 10000, 300 + g % 550, timestamptz '2024-10-01'
        FROM generate_series(1, ${loans}) g`),
    );
    await step(`installments (${loans * perLoan})`, () =>
      db.execute(sql`
        INSERT INTO installments (loan_id, seq, due_date, amount_due_minor, amount_paid_minor)
        SELECT 'L' || lpad(g::text, 7, '0'), s,
               (CASE WHEN overdue THEN ${asOf}::date - (1 + g % 120) - interval '2 months'
                     ELSE ${asOf}::date + (g % 27) - interval '3 months' END + (s - 1) * interval '1 month')::date,
               10000,
               CASE WHEN s <= CASE WHEN overdue THEN 2 ELSE 3 END THEN 10000 ELSE 0 END
        FROM generate_series(1, ${loans}) g
        CROSS JOIN LATERAL (SELECT (g::bigint * 7919) % 100 < 60 AS overdue) o
        CROSS JOIN generate_series(1, ${perLoan}) s`),
    );
    await step('open cases (10% of overdue loans)', () =>
      db.execute(sql`
        INSERT INTO collection_cases (loan_id, workflow_id, strategy_id, strategy_version, stage)
        SELECT 'L' || lpad(g::text, 7, '0'), 'collection-L' || lpad(g::text, 7, '0'), 'default', 1, 'reminder'
        FROM generate_series(1, ${loans}) g
        WHERE (g::bigint * 7919) % 100 < 60 AND g % 10 = 0`),
    );
    // Earlier cases, closed, on 20% of the overdue loans without an open one: the lifecycle rule reads the
    // last of them (half cured before the current lapse; a quarter written off; a quarter settled, half of
    // those by a discounted plan, which the rule reads from the close's audit event), and 1% of borrowers
    // are barred.
    await step('closed cases (20% of overdue loans)', () =>
      db.execute(sql`
        INSERT INTO collection_cases (loan_id, workflow_id, strategy_id, strategy_version, stage, opened_at, closed_at, outcome)
        SELECT 'L' || lpad(g::text, 7, '0'), 'collection-L' || lpad(g::text, 7, '0'), 'default', 1, 'reminder',
               timestamptz '2024-11-01', timestamptz '2024-12-01',
               CASE WHEN g % 20 = 1 THEN 'written_off' WHEN g % 20 = 11 THEN 'settled' ELSE 'cured' END
        FROM generate_series(1, ${loans}) g
        WHERE (g::bigint * 7919) % 100 < 60 AND g % 5 = 1`),
    );
    // Their audit trails: eight events each, then the close (marked on the plan-settled ones), so that the
    // settled-by-plan lookup probes audit_events_case_idx in a table of realistic depth.
    await step('audit events of the closed cases (9 each)', () =>
      db.execute(sql`
        INSERT INTO audit_events (at, actor, action, case_id, loan_id, after)
        SELECT timestamptz '2024-11-01' + k * interval '1 day', 'workflow:' || c.workflow_id,
               CASE WHEN k < 9 THEN 'workflow.stage_entered' ELSE 'case.closed' END, c.id, c.loan_id,
               CASE WHEN k < 9 THEN jsonb_build_object('stage', 'reminder')
                    WHEN substr(c.loan_id, 2)::int % 40 = 11 THEN jsonb_build_object('outcome', c.outcome, 'settledBy', 'plan_discount')
                    ELSE jsonb_build_object('outcome', c.outcome) END
        FROM collection_cases c CROSS JOIN generate_series(1, 9) k
        WHERE c.closed_at IS NOT NULL`),
    );
    await step('barred borrowers (1%)', () => db.execute(sql`UPDATE borrowers SET bankruptcy = true WHERE substr(id, 2)::int % 100 = 7`));
    await step('vacuum analyze', () => db.execute(sql`VACUUM ANALYZE`));

    const [expected] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM loans l
          WHERE EXISTS (SELECT 1 FROM installments i WHERE i.loan_id = l.id AND i.amount_paid_minor + i.amount_written_down_minor < i.amount_due_minor AND i.due_date < ${asOf}::date)
            AND NOT EXISTS (SELECT 1 FROM collection_cases c WHERE c.loan_id = l.id AND c.closed_at IS NULL)`,
    );
    console.log(`delinquent loans without an open case: ${expected!.n}`);

    async function time(label: string, afterLoanId: string | null) {
      const times: number[] = [];
      let rows = 0;
      let skipped = 0;
      for (let i = 0; i < runs + 1; i++) {
        const started = performance.now();
        const page = await findDelinquentLoansWithoutOpenCase(db, { asOf, afterLoanId, limit });
        const ms = performance.now() - started;
        rows = page.length;
        skipped = page.filter((l) => l.skip).length;
        if (i > 0) times.push(ms); // the first run warms the cache
      }
      console.log(`${label.padEnd(44)} median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, ${rows} rows of which ${skipped} skipped, ${runs} runs)`);
      return median(times);
    }
    const firstPage = await time(`sweep first page (limit ${limit})`, null);
    await time(`sweep page from the middle (limit ${limit})`, `L${String(Math.floor(loans / 2)).padStart(7, '0')}`);

    const plan = await queryRows<{ 'QUERY PLAN': string }>(
      db,
      sql`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sweepPageQuery({ asOf, afterLoanId: null, limit })}`,
    );
    console.log('plan of the first page:');
    for (const row of plan) console.log(`  ${row['QUERY PLAN']}`);
    console.log(`\nRESULT sweep first page: ${firstPage.toFixed(1)} ms median at ${loans} loans (limit ${limit})`);
  } finally {
    await handle.close();
  }
} finally {
  if (values.keep) console.log(`kept ${url}`);
  else await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
