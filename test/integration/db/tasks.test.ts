import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../db/client';
import {
  beginContactAttempt,
  claimNextTask,
  completeTask,
  ConflictError,
  createApiKey,
  enqueueTask,
  getBorrowerForLoan,
  listContactHistory,
  markContactBlocked,
  markContactFailed,
  markContactSent,
  revokeApiKey,
  setChannelOptOut,
  verifyApiKey,
} from '../../../db/repository';
import { collectorTasks } from '../../../db/schema';
import { connect, givenLoan, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

describe('collector tasks', () => {
  it('never gives the same task to two concurrent claimers', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const collector = uniquePrefix('c'); // tasks assigned to this test's collectors only
    // A kind of its own: other test files queue unassigned call tasks in the same database, which any
    // collector may claim.
    const kind = uniquePrefix('call');
    const keys = Array.from({ length: 10 }, (_, i) => `${loanId}-call-${i}`);
    for (const key of keys) await enqueueTask(handle.db, { idempotencyKey: key, loanId, kind, collectorId: collector });
    expect((await enqueueTask(handle.db, { idempotencyKey: keys[0]!, loanId, kind, collectorId: collector })).created).toBe(false);

    // 16 claims race for 10 tasks, all as the one collector the tasks are assigned to.
    const claims = await Promise.all(Array.from({ length: 16 }, () => claimNextTask(handle.db, collector, 60_000, { kinds: [kind] })));
    const claimed = claims.filter((t) => t !== null);
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed.map((t) => t.id)).size).toBe(10);
    expect(await claimNextTask(handle.db, collector, 60_000, { kinds: [kind] })).toBeNull();
  });

  it('makes a task claimable again when its lease expires, and only the holder may complete it', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const kind = uniquePrefix('kind');
    const { task } = await enqueueTask(handle.db, { idempotencyKey: `${loanId}-t`, loanId, kind });
    const first = await claimNextTask(handle.db, 'alice', 1, { kinds: [kind] });
    expect(first!.id).toBe(task.id);
    await handle.db.execute(sql`SELECT pg_sleep(0.01)`);
    const second = await claimNextTask(handle.db, 'bob', 60_000, { kinds: [kind] });
    expect(second).toMatchObject({ id: task.id, claimedBy: 'bob' });
    await expect(completeTask(handle.db, { taskId: task.id, collectorId: 'alice', outcome: 'no_answer' })).rejects.toBeInstanceOf(ConflictError);
    const done = await completeTask(handle.db, { taskId: task.id, collectorId: 'bob', outcome: 'promise_to_pay' });
    expect(done).toMatchObject({ status: 'done', outcome: 'promise_to_pay' });
    expect(await completeTask(handle.db, { taskId: task.id, collectorId: 'bob', outcome: 'promise_to_pay' })).toEqual(done);
    expect(await claimNextTask(handle.db, 'carol', 60_000, { kinds: [kind] })).toBeNull();
    expect(await handle.db.$count(collectorTasks, sql`${collectorTasks.kind} = ${kind}`)).toBe(1);
  });
});

describe('contact attempts', () => {
  it('returns the existing attempt for a repeated key and never downgrades a sent message', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const input = { idempotencyKey: `${loanId}-reminder-1`, loanId, channel: 'email' as const, template: 'reminder-friendly', scheduledFor: new Date() };
    const [a, b] = await Promise.all([beginContactAttempt(handle.db, input), beginContactAttempt(handle.db, input)]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.attempt.id).toBe(b.attempt.id);

    const sent = await markContactSent(handle.db, input.idempotencyKey, { providerMessageId: 'msg-1' });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: 'msg-1' });
    expect(await markContactFailed(handle.db, input.idempotencyKey, 'late timeout')).toMatchObject({ status: 'sent' });
    expect((await beginContactAttempt(handle.db, input)).attempt.status).toBe('sent');

    const blockedKey = `${loanId}-sms-1`;
    await beginContactAttempt(handle.db, { ...input, idempotencyKey: blockedKey, channel: 'sms' });
    const until = new Date(Date.now() + 3_600_000);
    expect(await markContactBlocked(handle.db, blockedKey, 'cn.quiet-hours', until)).toMatchObject({
      status: 'blocked',
      blockedRule: 'cn.quiet-hours',
      blockedUntil: until,
    });

    const history = await listContactHistory(handle.db, loanId, new Date(Date.now() - 60_000));
    expect(history.map((h) => [h.channel, h.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'blocked'],
    ]);
  });

  it('loads the borrower contact profile with opt-outs', async () => {
    const loanId = uniquePrefix('L');
    const { loan } = await givenLoan(handle, loanId, ['2025-01-15']);
    await setChannelOptOut(handle.db, loan.borrowerId, 'sms', new Date('2025-02-01T00:00:00Z'));
    expect(await getBorrowerForLoan(handle.db, loanId)).toMatchObject({
      loanId,
      timeZone: 'America/Los_Angeles',
      locale: 'en',
      phone: '+12135550100',
      optedOut: ['sms'],
      flags: { deceased: false, bankruptcy: false, representedByAttorney: false, vulnerable: false },
    });
  });
});

describe('api keys', () => {
  it('stores only a hash, verifies the plaintext once issued, and stops after revocation', async () => {
    const created = await createApiKey(handle.db, { role: 'collector', collectorId: 'c-42' });
    expect(await verifyApiKey(handle.db, created.key)).toEqual({ id: created.id, role: 'collector', collectorId: 'c-42' });
    const stored = await handle.db.execute(sql`SELECT count(*)::int AS n FROM api_keys WHERE hashed_key = ${created.key}`);
    expect(JSON.stringify(stored)).toContain('"n":0');
    await revokeApiKey(handle.db, created.id);
    expect(await verifyApiKey(handle.db, created.key)).toBeNull();
  });
});
