// Email over SMTP with nodemailer. The adapter knows nothing of loans: it sends one message and says,
// when it fails, whether the server certainly did not take it (transient), refused it for good (permanent)
// or may have taken it (unknown): see channels/errors.ts.
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { withoutCredentials } from '../observability/logger';
import { ChannelError, isNotConnectedCode } from './errors';

export interface EmailMessage {
  /** The contact's idempotency key: also the source of a stable Message-ID, so receivers can dedupe. */
  idempotencyKey: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-click opt-out (RFC 2369 List-Unsubscribe). */
  unsubscribeUrl?: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<{ providerMessageId: string }>;
  close?(): void;
}

export const DEFAULT_SMTP_FROM = 'Overdue <collections@example.com>';

/** Message-ID derived from the idempotency key: the same contact always carries the same id. */
export function messageIdFor(idempotencyKey: string, domain = 'overdue.invalid'): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

/**
 * The SMTP URL with nodemailer's connection pool on unless the URL says `pool=false`: nodemailer's own
 * default opens a connection per message (connect, EHLO, TLS, AUTH, send, QUIT), where a worker sending
 * a reminder wave wants a few connections kept open and reused (#19). `maxConnections` (default 5) and
 * the other pool options still come from the URL.
 */
function pooledUnlessSaid(smtpUrl: string): string {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // Not Node's own error: it carries the whole URL, password included, into whatever logs it.
    throw new Error(`SMTP_URL is not a valid URL (got ${JSON.stringify(withoutCredentials(smtpUrl))})`);
  }
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}

/**
 * An SMTP sender for `smtpUrl` (e.g. smtp://user:pass@mail.example.com:587, smtps://...:465).
 * From address: `options.from`, else SMTP_FROM, else 'Overdue <collections@example.com>'.
 */
export function createSmtpMailer(smtpUrl: string, options: { from?: string } = {}): EmailSender {
  if (!/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error(`SMTP_URL must start with smtp:// or smtps:// (got ${JSON.stringify(withoutCredentials(smtpUrl))})`);
  }
  const from = options.from ?? process.env.SMTP_FROM ?? DEFAULT_SMTP_FROM;
  const transport = nodemailer.createTransport(pooledUnlessSaid(smtpUrl));
  return {
    async send(message) {
      const messageId = messageIdFor(message.idempotencyKey);
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId,
          headers: message.unsubscribeUrl ? { 'List-Unsubscribe': `<${message.unsubscribeUrl}>` } : {},
        });
        return { providerMessageId: info.messageId || messageId };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    close: () => transport.close(),
  };
}

/**
 * SMTP failures by what they prove. A reply code is definitive (RFC 5321): 4xx = not taken, try later;
 * 5xx = refused (bad recipient, policy). Without a reply, only a connection that never opened proves
 * nothing was sent; a socket that dies mid-conversation may have died after the server queued the message.
 */
export function classifySmtpError(err: unknown): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = err as { code?: string; originalCode?: string; responseCode?: number; command?: string; syscall?: string };
  const command = e.command ? ` at ${e.command}` : '';
  if (typeof e.responseCode === 'number') {
    const code = `smtp.${e.responseCode}`;
    if (e.responseCode >= 400 && e.responseCode < 500) {
      return new ChannelError('transient', code, `SMTP server deferred the message (${e.responseCode}${command}); will retry`, { cause: err });
    }
    if (e.responseCode >= 500) {
      return new ChannelError('permanent', code, `SMTP server rejected the message (${e.responseCode}${command}); not retried`, { cause: err });
    }
  }
  const sys = e.originalCode ?? (e.syscall === 'connect' || e.syscall === 'getaddrinfo' ? e.code : undefined);
  if (isNotConnectedCode(sys) || e.code === 'EDNS') {
    return new ChannelError('transient', `network.${sys ?? e.code}`, `SMTP server unreachable (${sys ?? e.code}); nothing was sent`, { cause: err });
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ECONFIG' || e.code === 'ETLS') {
    // Our configuration, not the message: keep retrying until an operator fixes it.
    return new ChannelError('transient', `smtp.${e.code}`, `SMTP configuration problem (${e.code}); will retry`, { cause: err });
  }
  if (e.code === 'EENVELOPE') {
    return new ChannelError('permanent', 'smtp.EENVELOPE', 'invalid email envelope (sender or recipient address); not retried', { cause: err });
  }
  return new ChannelError('unknown', `smtp.${e.code ?? 'error'}`, `SMTP connection failed mid-conversation (${e.code ?? 'error'}${command}); outcome unknown`, {
    cause: err,
  });
}
