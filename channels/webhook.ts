// Signed JSON webhooks (SMS provider, legal team). The receiver verifies
//   Overdue-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the shared secret>
// and rejects stale timestamps, so a captured request cannot be replayed later (the Stripe scheme).
// Idempotency-Key carries the contact's key: a receiver that dedupes on it makes retries harmless.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChannelError, isNotConnectedCode } from './errors';

export const SIGNATURE_HEADER = 'overdue-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The signature header value for a raw body at a unix-seconds timestamp. */
export function signWebhook(rawBody: string, secret: string, timestampSec: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.${rawBody}`).digest('hex');
  return `t=${timestampSec},v1=${mac}`;
}

/** Checks a signature header against the raw body; false when malformed, wrong or older than `toleranceSec`. */
export function verifyWebhookSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  { toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000) }: { toleranceSec?: number; nowSec?: number } = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(rawBody, secret, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface PostOptions {
  url: string;
  secret: string;
  idempotencyKey: string;
  /** Whole request budget; a timeout after the request left is an unknown outcome. Default 10 s. */
  timeoutMs?: number;
  /** Label for error messages, e.g. 'SMS webhook'. */
  what: string;
  now?: () => Date;
}

/**
 * POSTs `body` as signed JSON and returns the parsed JSON answer (or null). Failures become ChannelErrors:
 * 5xx, 408 and 429 → transient; other 4xx → permanent; connection never made → transient;
 * reset or timeout after sending → unknown (the receiver may have acted on it).
 */
export async function postSignedJson(body: unknown, options: PostOptions): Promise<unknown> {
  const raw = JSON.stringify(body);
  const timestampSec = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(raw, options.secret, timestampSec),
        [IDEMPOTENCY_HEADER]: options.idempotencyKey,
      },
      body: raw,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    const code = networkCode(err);
    if (isNotConnectedCode(code)) {
      throw new ChannelError('transient', `network.${code}`, `${options.what} unreachable (${code}); nothing was sent`, { cause: err });
    }
    throw new ChannelError('unknown', `network.${code ?? 'error'}`, `${options.what} request failed after it was sent (${code ?? 'error'}); outcome unknown`, {
      cause: err,
    });
  }
  const text = await response.text().catch(() => '');
  if (response.ok) {
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }
  const status = response.status;
  const kind = status >= 500 || status === 408 || status === 429 ? 'transient' : 'permanent';
  throw new ChannelError(kind, `http.${status}`, `${options.what} answered HTTP ${status}${kind === 'transient' ? '; will retry' : '; not retried'}`);
}

function networkCode(err: unknown): string | undefined {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  return e?.cause?.code ?? e?.code ?? e?.cause?.name;
}
