// Stored strategy versions. A version in use is immutable (trigger strategies_in_use_immutable):
// cases pin (id, version) and the treatment a loan received must stay explainable.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { preparedFor } from '../prepared';
import { strategies, type StrategyRow } from '../schema';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { requireText } from './validate';

/**
 * Saves a strategy version. Saving identical content again is a no-op; changing a version that is in
 * use is a conflict (save it as a new version).
 */
export async function saveStrategy(
  db: Database,
  input: { id: string; version: number; document: object },
): Promise<StrategyRow> {
  requireText(input.id, 'id');
  if (!Number.isInteger(input.version) || input.version < 1) {
    throw new ValidationError(`version must be a positive integer (got ${input.version})`, 'version');
  }
  const document = input.document as Record<string, unknown>;
  // The loader pins the version written in the document: a row filed under another number could never be found.
  for (const field of ['id', 'version'] as const) {
    if (document[field] !== undefined && document[field] !== input[field]) {
      throw new ValidationError(`document.${field} is ${JSON.stringify(document[field])} but the strategy is saved as ${JSON.stringify(input[field])}`, `document.${field}`);
    }
  }
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(strategies)
      .values({ id: input.id, version: input.version, document })
      .onConflictDoNothing()
      .returning();
    if (created) return created;
    const [existing] = await tx
      .select({ row: strategies, same: sql<boolean>`${strategies.document} = ${JSON.stringify(document)}::jsonb` })
      .from(strategies)
      .where(and(eq(strategies.id, input.id), eq(strategies.version, input.version)))
      .for('update');
    if (!existing) throw new ConflictError(`strategy ${input.id}/v${input.version} changed concurrently; retry`, 'version');
    if (existing.same) return existing.row;
    if (existing.row.inUse) {
      throw new ConflictError(
        `strategy ${input.id}/v${input.version} is in use and immutable; save the change as a new version`,
        'version',
      );
    }
    const [updated] = await tx
      .update(strategies)
      .set({ document })
      .where(and(eq(strategies.id, input.id), eq(strategies.version, input.version)))
      .returning();
    return updated!;
  });
}

/** One version, or the latest version when `version` is omitted. */
export async function getStrategy(db: Database, id: string, version?: number): Promise<StrategyRow | null> {
  const [row] =
    version === undefined
      ? // The latest version: every case open reads it (prepared, #19).
        await preparedFor(db, 'strategy_latest', (handle) =>
          handle.select().from(strategies).where(eq(strategies.id, sql.placeholder('id'))).orderBy(desc(strategies.version)).limit(1).prepare('strategy_latest'),
        ).execute({ id })
      : await db.select().from(strategies).where(and(eq(strategies.id, id), eq(strategies.version, version)));
  return row ?? null;
}

export async function listStrategies(db: Database): Promise<StrategyRow[]> {
  return db.select().from(strategies).orderBy(strategies.id, desc(strategies.version));
}

export async function markStrategyInUse(db: Database, id: string, version: number): Promise<StrategyRow> {
  const [row] = await db
    .update(strategies)
    .set({ inUse: true })
    .where(and(eq(strategies.id, id), eq(strategies.version, version)))
    .returning();
  if (!row) throw new NotFoundError(`strategy ${id}/v${version} not found`, 'version');
  return row;
}
