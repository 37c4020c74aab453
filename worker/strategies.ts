// Which strategy version a new case pins: the latest stored version of the requested (or default)
// strategy. A shipped default newer than every stored version of its id (never stored, or shipped with a
// higher version by an upgrade) is saved as its own version first, so every case points at a row in
// `strategies` that can no longer change once in use, and an upgrade's new version reaches new cases.
import type { Database } from '../db/client';
import { NotFoundError } from '../db/repository/errors';
import { getStrategy, markStrategyInUse, saveStrategy } from '../db/repository/strategies';
import { quote } from '../db/repository/validate';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import type { Strategy } from '../domain/strategy/types';
import { parseStrategy } from '../domain/strategy/validate';

/** `findShipped`: the strategies shipped with Overdue (tests hand in their own documents). */
export function createStrategyLoader(db: Database, defaultStrategyId: string, findShipped: (id: string) => Strategy | undefined = findDefaultStrategy) {
  return async function loadStrategy(strategyId: string | undefined): Promise<Strategy> {
    const id = strategyId ?? defaultStrategyId;
    const shipped = findShipped(id);
    let row = await getStrategy(db, id);
    if (shipped && (!row || row.version < shipped.version)) {
      row = await saveStrategy(db, { id: shipped.id, version: shipped.version, document: shipped });
    }
    if (!row) throw new NotFoundError(`strategy ${quote(id)} is neither stored nor shipped with Overdue`, 'strategyId');
    const strategy = parseStrategy(row.document);
    if (!row.inUse) await markStrategyInUse(db, strategy.id, strategy.version);
    return strategy;
  };
}

/** Whether a case could pin this strategy: the loader above finds it stored, or shipped (and saves it). */
export async function strategyExists(db: Database, id: string): Promise<boolean> {
  return findDefaultStrategy(id) !== undefined || (await getStrategy(db, id)) !== null;
}
