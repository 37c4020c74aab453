// Which strategy version a new case pins: the latest stored version of the requested (or default)
// strategy. A shipped default that was never stored is saved as its own version first, so every
// case points at a row in `strategies` that can no longer change once in use.
import type { Database } from '../db/client';
import { NotFoundError } from '../db/repository/errors';
import { getStrategy, markStrategyInUse, saveStrategy } from '../db/repository/strategies';
import { quote } from '../db/repository/validate';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import type { Strategy } from '../domain/strategy/types';
import { parseStrategy } from '../domain/strategy/validate';

export function createStrategyLoader(db: Database, defaultStrategyId: string) {
  return async function loadStrategy(strategyId: string | undefined): Promise<Strategy> {
    const id = strategyId ?? defaultStrategyId;
    let row = await getStrategy(db, id);
    if (!row) {
      const shipped = findDefaultStrategy(id);
      if (!shipped) throw new NotFoundError(`strategy ${quote(id)} is neither stored nor shipped with Overdue`, 'strategyId');
      row = await saveStrategy(db, { id: shipped.id, version: shipped.version, document: shipped });
    }
    const strategy = parseStrategy(row.document);
    if (!row.inUse) await markStrategyInUse(db, strategy.id, strategy.version);
    return strategy;
  };
}

/** Whether a case could pin this strategy: the loader above finds it stored, or shipped (and saves it). */
export async function strategyExists(db: Database, id: string): Promise<boolean> {
  return findDefaultStrategy(id) !== undefined || (await getStrategy(db, id)) !== null;
}
