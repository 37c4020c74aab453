import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../db/client';
import { auditEvents, strategies } from '../../../db/schema';
import { appendAudit, ConflictError, getStrategy, listAuditEvents, markStrategyInUse, saveStrategy } from '../../../db/repository';
import { connect, databaseError, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

describe('audit trail', () => {
  it('is append-only: the database rejects UPDATE and DELETE', async () => {
    const loanId = uniquePrefix('L');
    const { id } = await appendAudit(handle.db, { actor: 'operator:test', action: 'test.appended', loanId, after: { n: 1 } });

    expect(await databaseError(handle.db.update(auditEvents).set({ actor: 'someone-else' }).where(eq(auditEvents.id, id)))).toMatch(
      /audit_events is append-only: UPDATE/,
    );
    expect(await databaseError(handle.db.delete(auditEvents).where(eq(auditEvents.id, id)))).toMatch(/append-only: DELETE/);
    expect(await databaseError(handle.db.execute(sql`TRUNCATE audit_events`))).toMatch(/append-only: TRUNCATE/);

    const events = await listAuditEvents(handle.db, { loanId });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'operator:test', action: 'test.appended', after: { n: 1 } });
  });
});

describe('strategies', () => {
  it('keeps a version immutable once in use', async () => {
    const id = uniquePrefix('strategy');
    await saveStrategy(handle.db, { id, version: 1, document: { name: 'draft' } });
    await saveStrategy(handle.db, { id, version: 1, document: { name: 'edited draft' } });
    await markStrategyInUse(handle.db, id, 1);
    expect(await saveStrategy(handle.db, { id, version: 1, document: { name: 'edited draft' } })).toMatchObject({ inUse: true });
    await expect(saveStrategy(handle.db, { id, version: 1, document: { name: 'changed' } })).rejects.toBeInstanceOf(ConflictError);
    // The trigger holds even for a raw UPDATE that bypasses the repository.
    expect(
      await databaseError(handle.db.update(strategies).set({ document: { name: 'sneaky' } }).where(eq(strategies.id, id))),
    ).toMatch(/in use and immutable/);
    await saveStrategy(handle.db, { id, version: 2, document: { name: 'v2' } });
    expect(await getStrategy(handle.db, id)).toMatchObject({ version: 2, inUse: false });
    expect((await getStrategy(handle.db, id, 1))!.document).toEqual({ name: 'edited draft' });
  });
});
