// What a channel adapter can say about a failed hand-off, in the three cases the exactly-once protocol
// (activities/channels.ts) treats differently:
// - transient: the provider certainly did not accept the message (connection refused, SMTP 4xx, HTTP 5xx);
//   safe to send again, so the activity retries.
// - permanent: the provider refused it for good (SMTP 5xx, HTTP 4xx, bad address, unknown template);
//   sending again fails the same way, so the attempt is recorded as failed.
// - unknown: the request may have been accepted (a timeout or reset after it left); sending again could
//   deliver twice, so the attempt is presumed sent: a missed reminder is better than a double one.
// Messages name codes and statuses only, never an address or a message body: they reach Temporal history.
export type ChannelErrorKind = 'transient' | 'permanent' | 'unknown';

export class ChannelError extends Error {
  constructor(
    readonly kind: ChannelErrorKind,
    /** Stable code, e.g. 'smtp.451', 'http.503', 'network.ECONNREFUSED', 'template.unknown'. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChannelError';
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** A template id no language file defines: a strategy or workflow bug, never fixed by retrying. */
export class UnknownTemplateError extends ChannelError {
  constructor(
    readonly templateId: string,
    known: readonly string[],
  ) {
    super(
      'permanent',
      'template.unknown',
      `unknown message template ${JSON.stringify(templateId)}; use one of ${known.join(', ')} or add it to every file in channels/templates/`,
    );
    this.name = 'UnknownTemplateError';
  }
}

/** Socket error codes raised before a connection exists: nothing can have been sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when a network error code means the connection was never established. */
export function isNotConnectedCode(code: unknown): boolean {
  return typeof code === 'string' && NOT_CONNECTED.has(code);
}
