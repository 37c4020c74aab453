// The borrower's self-service link (issue #16): `<base>/b/<token>`, where the token is
// `<link id>.<expiry, unix seconds>.<HMAC-SHA256 of both>`. No name, loan id or contact detail is in the
// URL; the link row (db/repository/links.ts) says which loan it opens and whether it was revoked or
// superseded. The HMAC lets a forged or edited token be refused before the database is asked.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../db/client';

export interface SelfServiceConfig {
  /** Where the pages are served, e.g. https://pay.lender.example (BORROWER_PORTAL_URL). */
  baseUrl: string;
  /** HMAC key (BORROWER_LINK_SECRET; dev default generated into <data dir>/borrower-link-secret). */
  secret: Buffer;
  /** How long a link works (BORROWER_LINK_DAYS, default 30 days). */
  ttlMs: number;
}

const DEFAULT_BASE_URL = 'http://localhost:3000';
const DAY_MS = 24 * 3600 * 1000;

/**
 * The dev secret: 32 random bytes written once (mode 0600) under the data directory, so the worker that
 * issues links and the API that checks them agree without configuration. Production sets the variable.
 */
function devSecret(env: NodeJS.ProcessEnv): Buffer {
  const dir = dataDir(env);
  const file = join(dir, 'borrower-link-secret');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  }
}

export function selfServiceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SelfServiceConfig {
  const secretText = env.BORROWER_LINK_SECRET;
  if (secretText !== undefined && secretText !== '' && secretText.length < 32) {
    throw new Error(`BORROWER_LINK_SECRET must be at least 32 characters (got ${secretText.length})`);
  }
  const days = env.BORROWER_LINK_DAYS ? Number(env.BORROWER_LINK_DAYS) : 30;
  if (!Number.isFinite(days) || days <= 0) throw new Error(`BORROWER_LINK_DAYS must be a positive number (got ${JSON.stringify(env.BORROWER_LINK_DAYS)})`);
  const baseUrl = (env.BORROWER_PORTAL_URL || DEFAULT_BASE_URL).replace(/\/+$/, '');
  new URL(baseUrl); // throws on a malformed value, naming it
  return { baseUrl, secret: secretText ? Buffer.from(secretText, 'utf8') : devSecret(env), ttlMs: days * DAY_MS };
}

const mac = (secret: Buffer, text: string) => createHmac('sha256', secret).update(text).digest('base64url');

export function signLink(secret: Buffer, linkId: string, expiresAt: Date): string {
  const payload = `${linkId}.${Math.floor(expiresAt.getTime() / 1000).toString(36)}`;
  return `${payload}.${mac(secret, `link:${payload}`)}`;
}

export function linkUrl(config: SelfServiceConfig, linkId: string, expiresAt: Date): string {
  return `${config.baseUrl}/b/${signLink(config.secret, linkId, expiresAt)}`;
}

export type TokenCheck = { ok: true; linkId: string; expiresAt: Date } | { ok: false; why: 'forged' | 'expired' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the token's form, signature and expiry; the caller then checks the row (revoked, superseded). */
export function verifyToken(secret: Buffer, token: string, now = new Date()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || !UUID.test(parts[0]!) || !/^[0-9a-z]{1,10}$/.test(parts[1]!)) return { ok: false, why: 'forged' };
  const expected = Buffer.from(mac(secret, `link:${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'forged' };
  const expiresAt = new Date(parseInt(parts[1]!, 36) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, why: 'expired' };
  return { ok: true, linkId: parts[0]!, expiresAt };
}

/** The per-link form token (CSRF): a POST must carry it, and only a page opened with the link shows it. */
export function formToken(secret: Buffer, linkId: string): string {
  return mac(secret, `form:${linkId}`);
}

export function checkFormToken(secret: Buffer, linkId: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(formToken(secret, linkId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
