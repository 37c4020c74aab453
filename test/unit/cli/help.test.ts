// The CLI's help, version and typo suggestions: what a person sees before anything connects. Spawned as
// the real bin; none of these commands opens the database or dials Temporal.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../../scripts/lib/suggest';
import { runOverdue } from '../../support/cli';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
// A database nobody listens on: a command that tried to connect would fail, not pass by luck.
const env = { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TEMPORAL_ADDRESS: '127.0.0.1:1' };

const overdue = (...args: string[]) => runOverdue(env, args, 30_000);

describe('suggest', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('pay', 'pause')).toBe(3);
  });

  it('offers the nearest known word, a unique prefix, or nothing', () => {
    const commands = ['start', 'status', 'sweep', 'pay', 'pause', 'resume', 'report', 'reassign', 'keys'];
    expect(suggest('stauts', commands)).toBe('status');
    expect(suggest('resme', commands)).toBe('resume');
    expect(suggest('rep', commands)).toBe('report');
    expect(suggest('xyzzy', commands)).toBeUndefined();
    expect(suggest('--amout', ['--amount', '--currency'])).toBe('--amount');
  });
});

// Each spawn starts tsx (a few seconds on a busy machine).
describe('overdue --help, --version and typos', { timeout: 60_000 }, () => {
  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) expect(await overdue(flag)).toEqual({ code: 0, stdout: `overdue ${version}\n`, stderr: '' });
  });

  it("describes every option of a command, with the default it uses when it is absent", async () => {
    const help = await overdue('pay', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--amount MINOR\s+amount in minor units/);
    expect(help.stdout).toMatch(/--payment-id ID\s+.*\(default: a new cli-<uuid>\)/);
    expect(help.stdout).toMatch(/--received-at ISO\s+.*\(default: now\)/);
    expect(help.stdout).toMatch(/--json\s+print the result as JSON/);
    const list = await overdue('list', '-h');
    expect(list.stdout).toMatch(/--stage STAGE\s+only this stage: reminder, call, negotiation, legal, disputed, hardship, paused \(default: every stage\)/);
    expect(list.stdout).toMatch(/--limit N\s+.*\(default: 100\)/);
  });

  it('gives every command help in which each option has a description', async () => {
    const root = await overdue('--help');
    const names = [...root.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['pause', 'resume', 'reassign', 'close', 'list', 'keys', 'status']));
    const keys = await overdue('keys', '--help');
    expect(keys.stdout).toContain('overdue keys list [--active]');
    expect(keys.stdout).toContain('overdue keys revoke <keyId>');
    for (const line of keys.stdout.split('\n').filter((l) => /^\s+(-h, )?--/.test(l))) expect(line).toMatch(/--[a-z-]+( [A-Z]+)?\s{2,}\S/);
  });

  it('suggests the command, option or action that was meant, exit 2', async () => {
    const command = await overdue('stauts', 'L1');
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "stauts"; did you mean "status"?');
    const option = await overdue('pay', 'L1', '--amout', '5');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option --amout; did you mean --amount?');
    const action = await overdue('keys', 'revok', 'key_1');
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('did you mean "revoke"?');
    const nothingClose = await overdue('frobnicate');
    expect(nothingClose.code).toBe(2);
    expect(nothingClose.stderr).not.toContain('did you mean');
  });
});
