// SMS behind a small provider interface: a generic signed-JSON webhook (any gateway that accepts a POST,
// or a small bridge in front of one) and a console provider for local runs.
import { ChannelError } from './errors';
import { postSignedJson } from './webhook';
import { logger } from '../observability/logger';

export interface SmsMessage {
  /** The contact's idempotency key; sent as Idempotency-Key so the gateway can dedupe retries. */
  idempotencyKey: string;
  /** E.164 number. */
  to: string;
  text: string;
}

export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<{ providerMessageId: string }>;
}

export interface WebhookSmsOptions {
  url: string;
  /** Shared secret for the HMAC-SHA256 signature (channels/webhook.ts). */
  secret: string;
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * POSTs {"id": idempotencyKey, "to", "text"} signed with the shared secret. The gateway answers 2xx with
 * {"id"|"messageId": "..."} (optional). 5xx/408/429 and unreachable → retryable; other 4xx → permanent;
 * a timeout or reset after the request left → unknown outcome (presumed sent by the activity).
 */
export function createWebhookSmsProvider(options: WebhookSmsOptions): SmsProvider {
  if (!/^https?:\/\//.test(options.url)) throw new Error(`SMS_WEBHOOK_URL must be an http(s) URL (got ${JSON.stringify(options.url)})`);
  if (!options.secret) throw new Error('SMS_WEBHOOK_SECRET must be set with SMS_WEBHOOK_URL: requests are signed with it');
  return {
    name: 'webhook',
    async send(message) {
      const answer = (await postSignedJson(
        { id: message.idempotencyKey, to: message.to, text: message.text },
        { url: options.url, secret: options.secret, idempotencyKey: message.idempotencyKey, timeoutMs: options.timeoutMs, now: options.now, what: 'SMS webhook' },
      )) as { id?: unknown; messageId?: unknown } | null;
      const id = answer?.messageId ?? answer?.id;
      return { providerMessageId: typeof id === 'string' || typeof id === 'number' ? String(id) : message.idempotencyKey };
    },
  };
}

/** Masks a number for logs: +86138****0000. */
export function maskPhone(phone: string): string {
  return phone.length <= 8 ? '****' : `${phone.slice(0, 6)}****${phone.slice(-4)}`;
}

/**
 * Local runs: logs that an SMS would have gone out instead of sending it: the number masked and the
 * length of the text, never the text itself (it may greet the borrower by name).
 */
export function createConsoleSmsProvider(log: (line: string) => void = (line) => logger.info({ component: 'sms' }, line)): SmsProvider {
  return {
    name: 'console',
    async send(message) {
      if (!message.to) throw new ChannelError('permanent', 'sms.no-number', 'no phone number to send the SMS to');
      log(`[sms ${maskPhone(message.to)}] not sent (no SMS_WEBHOOK_URL): ${message.text.length} characters, key ${message.idempotencyKey}`);
      return { providerMessageId: `console-${message.idempotencyKey}` };
    },
  };
}

/** SMS_WEBHOOK_URL + SMS_WEBHOOK_SECRET → webhook provider; neither → console provider. */
export function createSmsProviderFromEnv(env: NodeJS.ProcessEnv = process.env): SmsProvider {
  if (env.SMS_WEBHOOK_URL) {
    return createWebhookSmsProvider({ url: env.SMS_WEBHOOK_URL, secret: env.SMS_WEBHOOK_SECRET ?? '' });
  }
  return createConsoleSmsProvider();
}
