// `compliance-report`: the check an auditor runs. Reads the contact record, the ledger and the audit trail
// of one case, one loan or the whole portfolio, re-runs each case's rule pack over every contact that went
// out, and lists the ones the rules forbade at their instant (scripts/lib/compliance-audit.ts).
// Exit code: 0 clean, 1 violations found, 2 bad input, 3 the audit could not run (e.g. no database).
import { parseArgs } from 'node:util';
import { createDatabase, type DatabaseHandle } from '../db/client';
import { RepositoryError } from '../db/repository/errors';
import { auditContacts, parseSince, type ComplianceAudit } from './lib/compliance-audit';

const HELP = `Usage: npx tsx scripts/compliance-report.ts [options]

Lists every contact (email, SMS, letter, collector call) that broke its case's compliance rule pack at
the moment it happened, given what was on record by then: disputes, cease requests, opt-outs, pauses,
payments that cured the loan, quiet hours, call caps. Reads $DATABASE_URL, or embedded PGlite in
.data/pglite when it is unset. Read-only.

Options:
  --loan <id>      Only this loan's cases
  --case <uuid>    Only this case
                   (neither: every case in the portfolio)
  --since <iso>    Only contacts at or after this instant, e.g. 2025-03-01T00:00:00Z or 2025-03-01
                   (earlier contacts still count towards the caps)
  --json           Print {checked, cases, violations} as JSON instead of a table
  --url <url>      PostgreSQL URL (default $DATABASE_URL)
  -h, --help       Show this help

Exit code: 0 no violations, 1 violations found, 2 bad input, 3 the audit could not run.
`;

function badInput(message: string): never {
  process.stderr.write(`${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

let values: { loan?: string; case?: string; since?: string; json?: boolean; url?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      loan: { type: 'string' },
      case: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  }));
} catch (error) {
  badInput((error as Error).message);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
for (const name of ['loan', 'case', 'since'] as const) {
  if (values[name] !== undefined && values[name]!.trim() === '') badInput(`--${name} must not be empty`);
}

if (values.since !== undefined) {
  try {
    parseSince(values.since);
  } catch (error) {
    badInput((error as Error).message);
  }
}

let handle: DatabaseHandle | undefined;
let report: ComplianceAudit;
try {
  handle = await createDatabase(values.url ?? process.env.DATABASE_URL, { max: 4 });
  report = await auditContacts(handle.db, {
    ...(values.loan === undefined ? {} : { loanId: values.loan }),
    ...(values.case === undefined ? {} : { caseId: values.case }),
    ...(values.since === undefined ? {} : { since: values.since }),
  });
} catch (error) {
  await handle?.close().catch(() => {});
  if (error instanceof RepositoryError && error.type !== 'conflict') badInput(error.message);
  // drizzle wraps the driver's error (connection refused, missing table) as `cause`: that is the useful part.
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  process.stderr.write(`compliance report could not run: ${cause ?? (error as Error).message}\n`);
  process.exit(3);
}
await handle.close();

if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write(table(report));
}
process.exit(report.violations.length > 0 ? 1 : 0);

function table({ checked, cases, violations }: ComplianceAudit): string {
  const summary = `${checked} contact${checked === 1 ? '' : 's'} checked in ${cases} case${cases === 1 ? '' : 's'}: ${
    violations.length === 0 ? 'no violations' : `${violations.length} violation${violations.length === 1 ? '' : 's'}`
  }\n`;
  if (violations.length === 0) return summary;
  const header = ['at (UTC)', 'loan', 'case', 'channel', 'rule', 'allowed from'];
  const rows = violations.map((v) => [v.at, v.loanId, v.caseId, v.channel, v.rule, v.allowedFrom ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '\n', summary].join('');
}
