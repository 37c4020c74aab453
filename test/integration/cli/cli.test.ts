// The operator's CLI as an operator runs it: `overdue` spawned as its own process against the test
// database and the run's Temporal server, acting on real collection workflows run by this file's
// workers. Each command is checked by what it changes: the workflow's state, its result, search
// visibility, rows in api_keys and audit_events. This file has a database of its own, so `keys list`
// sees only the keys it made.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyApiKey } from '../../../db/repository/apiKeys';
import { saveStrategy } from '../../../db/repository/strategies';
import { apiKeys, auditEvents } from '../../../db/schema';
import { getState, workflowIdForLoan, type CollectionResult, type CollectionState } from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';
import { patientStrategy } from '../../support/patient-strategy';
import { runOverdue } from '../../support/cli';

const STRATEGY = 'cli-test';
let h: Harness;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await startHarness('cli', { strategyId: STRATEGY, ownDatabase: true });
  await saveStrategy(h.db, { id: STRATEGY, version: 1, document: patientStrategy(STRATEGY) });
  env = { ...process.env, DATABASE_URL: h.databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: h.queues.collections };
});
afterAll(async () => {
  await h?.close();
});


const overdue = (...args: string[]) => runOverdue(env, args);

async function json<T>(...args: string[]): Promise<T> {
  const run = await overdue(...args, '--json');
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout) as T;
}

const state = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);
const result = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).result() as Promise<CollectionResult>;
const inCall = (s: CollectionState) => s.stage === 'call' && (s.waitingFor ?? '').startsWith('outcome of call');

/** A loan 100 days late (call first), started through the CLI, its call waiting for an outcome. */
async function loanInCall() {
  const loan = await h.seedLoan({ dpd: 100, installmentMinor: 123_456, currency: 'CNY', timeZone: 'Asia/Shanghai' });
  const started = await json<{ started: boolean; workflowId: string }>('start', loan.loanId, '--strategy', STRATEGY);
  expect(started).toMatchObject({ started: true, workflowId: workflowIdForLoan(loan.loanId) });
  await waitForState(() => state(loan.loanId), inCall, { what: 'the call waiting for its outcome' });
  return loan;
}

describe('overdue operates on running collections', () => {
  it('status shows the money in its currency and times in the borrower’s zone and UTC', async () => {
    const loan = await loanInCall();
    const shown = await overdue('status', loan.loanId);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/pastDue\s+CN¥1,234\.56/);
    expect(shown.stdout).toMatch(/timeZone\s+Asia\/Shanghai/);
    // The promise a collector takes shows its date both ways: 2027-03-01T16:00Z is midnight in Shanghai.
    const collector = `c-${randomUUID().slice(0, 6)}`;
    expect((await overdue('reassign', loan.loanId, '--collector', collector)).code).toBe(0);
    await waitForState(() => state(loan.loanId), (s) => s.assignedCollector === collector, { what: 'the reassignment' });
    const promised = await overdue('promise', loan.loanId, '--amount', '100000', '--currency', 'CNY', '--due-at', '2027-03-01T16:00:00Z', '--collector', collector);
    expect(promised.code, promised.stderr).toBe(0);
    expect(promised.stdout).toMatch(/promise\s+CN¥1,000\.00 by 2027-03-02 00:00 Asia\/Shanghai \(2027-03-01 16:00 UTC\) \(open\)/);
    const asJson = await json<CollectionState>('status', loan.loanId);
    expect(asJson).toMatchObject({ loanId: loan.loanId, pastDueMinor: 123_456, currency: 'CNY', promise: { amountMinor: 100_000, status: 'open' } });
    await overdue('close', loan.loanId, '--outcome', 'cancelled');
  });

  it('pause, resume, reassign and list --stage act on the workflow', async () => {
    const loan = await loanInCall();
    const paused = await overdue('pause', loan.loanId, '--reason', 'operator review');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`paused loan ${loan.loanId}`);
    await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('paused'), { what: 'the pause' });
    await waitForState(
      () => h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'workflow.paused'))),
      (rows) => rows.length === 1,
      { what: 'the pause in the audit trail' },
    ).then(([row]) => expect(row!.after).toMatchObject({ reason: 'operator review', operator: 'operator:cli' }));

    expect(await json('resume', loan.loanId)).toEqual({ loanId: loan.loanId, accepted: true, signal: 'resumeRequested' });
    await waitForState(() => state(loan.loanId), (s) => !s.pauses.includes('paused'), { what: 'the resume' });

    expect(await json('reassign', loan.loanId, '--collector', 'alice')).toMatchObject({ collectorId: 'alice', signal: 'collectorReassigned' });
    await waitForState(() => state(loan.loanId), (s) => s.assignedCollector === 'alice', { what: 'alice assigned' });
    expect((await overdue('reassign', loan.loanId, '--collector', 'bob', '--unassign')).code).toBe(2);
    expect((await overdue('reassign', loan.loanId, '--unassign')).code).toBe(0);
    await waitForState(() => state(loan.loanId), (s) => s.assignedCollector === null, { what: 'unassigned' });

    // Visibility is a few seconds behind the workflow: poll the command until the case is listed.
    type Listed = Array<{ loanId: string; stage: string }>;
    const listed = await waitForState(() => json<Listed>('list', '--stage', 'call'), (rows) => rows.some((r) => r.loanId === loan.loanId), { what: 'the case under --stage call', timeoutMs: 45_000 });
    expect(listed.every((r) => r.stage === 'call')).toBe(true);
    expect((await json<Listed>('list', '--stage', 'legal')).map((r) => r.loanId)).not.toContain(loan.loanId);
    const table = await overdue('list', '--stage', 'call');
    expect(table.stdout).toMatch(new RegExp(`${loan.loanId}\\s+call\\s+\\d+\\s+CN¥1,234\\.56`));
    const typo = await overdue('list', '--stage', 'cal');
    expect(typo).toMatchObject({ code: 2 });
    expect(typo.stderr).toContain('did you mean "call"?');
    await overdue('close', loan.loanId, '--outcome', 'cancelled');
  });

  it('close ends the case with the lender’s outcome, audited; bad input changes nothing', async () => {
    const loan = await loanInCall();
    const bad = await overdue('close', loan.loanId, '--outcome', 'writen_off');
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('--outcome must be one of settled, written_off, cancelled (got "writen_off"); did you mean "written_off"?');
    expect((await state(loan.loanId)).outcome).toBeUndefined();

    const closed = await overdue('close', loan.loanId, '--outcome', 'written_off', '--reason', 'sold to a debt buyer');
    expect(closed.code, closed.stderr).toBe(0);
    expect((await result(loan.loanId)).outcome).toBe('written_off');
    const audited = await h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'collection.close_requested')));
    expect(audited).toMatchObject([{ actor: 'operator:cli', after: { outcome: 'written_off', reason: 'sold to a debt buyer' } }]);
  });

  it('an unknown loan is one line naming it, exit 1, for every command that takes one', async () => {
    for (const args of [['pause', 'no-such-loan', '--reason', 'x'], ['resume', 'no-such-loan'], ['reassign', 'no-such-loan', '--unassign'], ['close', 'no-such-loan', '--outcome', 'cancelled']]) {
      const run = await overdue(...args);
      expect(run, args.join(' ')).toMatchObject({ code: 1 });
      expect(run.stderr).toContain('loan no-such-loan not found');
    }
    const asJson = await overdue('pause', 'no-such-loan', '--reason', 'x', '--json');
    expect(JSON.parse(asJson.stderr)).toEqual({ error: { type: 'not_found', message: expect.stringContaining('no-such-loan'), field: 'loanId' } });
  });
});

describe('overdue keys', () => {
  it('lists keys without their secret, revokes one (audited), and the revoked key stops working', async () => {
    const created = await json<{ id: string; key: string }>('keys', 'create', '--role', 'operator', '--label', 'night shift');
    const other = await json<{ id: string }>('keys', 'create', '--role', 'collector', '--collector', 'carol');
    expect(await verifyApiKey(h.db, created.key)).toMatchObject({ id: created.id });

    const listed = await json<Array<Record<string, unknown>>>('keys', 'list');
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: created.id, role: 'operator', label: 'night shift', revokedAt: null }),
        expect.objectContaining({ id: other.id, role: 'collector', collectorId: 'carol' }),
      ]),
    );
    for (const row of listed) expect(Object.keys(row).sort()).toEqual(['collectorId', 'createdAt', 'id', 'label', 'revokedAt', 'role']);
    const table = await overdue('keys', 'list');
    expect(table.stdout).toContain(created.id);
    expect(table.stdout).not.toContain(created.key);

    const revoked = await overdue('keys', 'revoke', created.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${created.id}`);
    expect(await verifyApiKey(h.db, created.key)).toBeNull();
    const [row] = await h.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.revokedAt).toBeInstanceOf(Date);
    const audited = await h.db.select().from(auditEvents).where(eq(auditEvents.action, 'api_key.revoked'));
    expect(audited).toMatchObject([{ actor: 'operator:cli', after: { id: created.id, role: 'operator', label: 'night shift' } }]);

    // Revoking again changes nothing and writes no second audit event.
    expect((await overdue('keys', 'revoke', created.id)).code).toBe(0);
    expect(await h.db.select().from(auditEvents).where(eq(auditEvents.action, 'api_key.revoked'))).toHaveLength(1);
    const active = await json<Array<{ id: string }>>('keys', 'list', '--active');
    expect(active.map((k) => k.id)).toContain(other.id);
    expect(active.map((k) => k.id)).not.toContain(created.id);

    const unknown = await overdue('keys', 'revoke', 'key_nope');
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('api key key_nope not found');
  });
});
