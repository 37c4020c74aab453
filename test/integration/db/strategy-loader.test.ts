// Which strategy version a new case pins when Overdue ships a new version of a strategy that is already
// stored and in use (version 2 of the shipped strategies added minMessageGap).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../db/client';
import { getStrategy, listStrategies, markStrategyInUse, saveStrategy } from '../../../db/repository/strategies';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import type { Strategy } from '../../../domain/strategy/types';
import { createStrategyLoader } from '../../../worker/strategies';
import { connect, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

/** us-consumer under a fresh id, at `version`, without the gap before version 2 (as shipped then). */
function shippedAs(id: string, version: number): Strategy {
  const { minMessageGap, ...before } = findDefaultStrategy('us-consumer')!;
  return version >= 2 ? { ...before, id, version, minMessageGap: minMessageGap! } : { ...before, id, version };
}

describe('the strategy a new case pins', () => {
  it('stores and pins a shipped version newer than the one in use, leaving the old version as it was', async () => {
    const id = uniquePrefix('ship');
    const v1 = shippedAs(id, 1);
    await saveStrategy(handle.db, { id, version: 1, document: v1 });
    await markStrategyInUse(handle.db, id, 1);
    const load = createStrategyLoader(handle.db, id, (wanted) => (wanted === id ? shippedAs(id, 2) : undefined));

    const pinned = await load(undefined);
    expect(pinned).toMatchObject({ id, version: 2, minMessageGap: 'PT20H' });
    expect((await getStrategy(handle.db, id, 2))?.inUse).toBe(true);
    expect((await getStrategy(handle.db, id, 1))?.document).toEqual(v1);
    // Loading again pins the same stored version, not a third copy.
    expect(await load(id)).toEqual(pinned);
    expect((await listStrategies(handle.db)).filter((s) => s.id === id).map((s) => s.version)).toEqual([2, 1]);
  });

  it('keeps pinning a stored version that is newer than the shipped one (the lender\'s own edit)', async () => {
    const id = uniquePrefix('own');
    const own = { ...shippedAs(id, 3), minMessageGap: 'PT48H' };
    await saveStrategy(handle.db, { id, version: 3, document: own });
    const load = createStrategyLoader(handle.db, id, (wanted) => (wanted === id ? shippedAs(id, 2) : undefined));
    expect(await load(id)).toMatchObject({ version: 3, minMessageGap: 'PT48H' });
    expect(await getStrategy(handle.db, id, 2)).toBeNull();
  });

  it('says so when a strategy is neither stored nor shipped', async () => {
    const load = createStrategyLoader(handle.db, 'fast-test', () => undefined);
    await expect(load('no-such-strategy')).rejects.toThrow('strategy "no-such-strategy" is neither stored nor shipped with Overdue');
  });
});
