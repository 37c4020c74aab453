// API keys: the plaintext is returned once at creation; only its sha256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { API_ROLES, apiKeys, type ApiKey, type ApiRole } from '../schema';
import { appendAudit } from './audit';
import { NotFoundError, ValidationError } from './errors';
import { requireOneOf } from './validate';

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export interface CreatedApiKey {
  id: string;
  /** Plaintext key: shown once, never stored. */
  key: string;
  role: ApiRole;
  collectorId: string | null;
}

export async function createApiKey(
  db: Database,
  input: { role: ApiRole; collectorId?: string | null; label?: string | null },
): Promise<CreatedApiKey> {
  requireOneOf(input.role, API_ROLES, 'role');
  if (input.role === 'collector' && !input.collectorId) {
    throw new ValidationError('collectorId is required for a collector key', 'collectorId');
  }
  const id = `key_${randomBytes(8).toString('hex')}`;
  const key = `ovd_${input.role}_${randomBytes(24).toString('base64url')}`;
  await db.insert(apiKeys).values({
    id,
    hashedKey: hashApiKey(key),
    role: input.role,
    collectorId: input.collectorId ?? null,
    label: input.label ?? null,
  });
  return { id, key, role: input.role, collectorId: input.collectorId ?? null };
}

/** The key's identity, or null when it is unknown or revoked. */
export async function verifyApiKey(
  db: Database,
  key: string,
): Promise<{ id: string; role: ApiRole; collectorId: string | null } | null> {
  if (typeof key !== 'string' || key.length < 16) return null;
  const [row] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, collectorId: apiKeys.collectorId })
    .from(apiKeys)
    .where(and(eq(apiKeys.hashedKey, hashApiKey(key)), isNull(apiKeys.revokedAt)));
  return row ?? null;
}

/** A key as an operator may see it: everything but the hash. */
export type ApiKeyListing = Omit<ApiKey, 'hashedKey'>;

/** Every key, oldest first; revoked keys too (with revokedAt) unless `activeOnly`. */
export async function listApiKeys(db: Database, options: { activeOnly?: boolean } = {}): Promise<ApiKeyListing[]> {
  return db
    .select({ id: apiKeys.id, role: apiKeys.role, collectorId: apiKeys.collectorId, label: apiKeys.label, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(options.activeOnly ? isNull(apiKeys.revokedAt) : undefined)
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/**
 * Revokes a key: it stops authenticating at once. Idempotent: revoking a revoked key returns it as it is
 * and writes nothing. The revocation and its audit event (`api_key.revoked`, by `actor`) commit together.
 */
export async function revokeApiKey(db: Database, id: string, actor = 'system'): Promise<ApiKey> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning();
    if (row) {
      await appendAudit(tx, { actor, action: 'api_key.revoked', after: { id: row.id, role: row.role, collectorId: row.collectorId, label: row.label } });
      return row;
    }
    const [existing] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id));
    if (!existing) throw new NotFoundError(`api key ${id} not found`, 'id');
    return existing;
  });
}
