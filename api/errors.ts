// Every failure leaves the API as JSON `{ error: { type, message, field? } }` (Stripe style): a type a
// program can branch on, a message a person can act on, and the offending field when there is one.
// That includes what the framework and Node's HTTP parser refuse, and no message echoes a long input.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RepositoryError } from '../db/repository/errors';

export type ApiErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'conflict'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'headers_too_large'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ApiErrorType, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  validation_error: 422,
  headers_too_large: 431,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ApiErrorType,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[type];
  }
}

export interface ErrorBody {
  error: { type: ApiErrorType; message: string; field?: string };
}

/** Longest message sent: a safety net under quote(), for messages built from anything a caller sent. */
const MESSAGE_MAX = 500;

export function errorBody(error: ApiError): ErrorBody {
  const message = error.message.length > MESSAGE_MAX ? `${error.message.slice(0, MESSAGE_MAX - 1)}…` : error.message;
  return { error: { type: error.type, message, ...(error.field ? { field: error.field } : {}) } };
}

export const ERROR_TYPES = Object.keys(STATUS) as ApiErrorType[];

/** Longest path segment the router takes (Fastify's maxParamLength): longer than any id, so the route schema names the field. */
export const MAX_PARAM_LENGTH = 256;

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: Array<{ instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }>;
  validationContext?: string;
}

/** The field an ajv error is about: `amountMinor`, `installments[0].dueAt`, or the missing/extra property. */
function fieldOf(v: NonNullable<FastifyLikeError['validation']>[number]): string | undefined {
  const path = (v.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  const extra = (v.params?.missingProperty ?? v.params?.additionalProperty) as string | undefined;
  if (extra) return path ? `${path}.${extra}` : extra;
  return path || undefined;
}

/**
 * Maps anything thrown while handling a request to an ApiError: our own, the repository's typed errors,
 * Temporal's (an update rejected by its validator is a 422 naming the field), and Fastify's (bad JSON,
 * schema violations, oversized bodies).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RepositoryError) {
    const type = error.type === 'validation' ? 'validation_error' : error.type === 'not_found' ? 'not_found' : 'conflict';
    return new ApiError(type, error.message, error.field);
  }
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === 'ValidationError') {
      const detail = cause.details?.[0] as { field?: string } | undefined;
      return new ApiError('validation_error', cause.message, detail?.field);
    }
    return new ApiError('conflict', `the collection workflow rejected the update: ${cause?.message ?? error.message}`);
  }
  if (error instanceof WorkflowNotFoundError) {
    return new ApiError('not_found', `no running collection: ${error.message}`, 'loanId');
  }
  const e = error as FastifyLikeError;
  if (e && Array.isArray(e.validation)) {
    const first = e.validation[0];
    const field = first ? fieldOf(first) : undefined;
    const where = e.validationContext ?? 'request';
    const detail = first?.params?.missingProperty
      ? `is required`
      : first?.params?.additionalProperty
        ? `is not a known field`
        : (first?.message ?? 'is invalid');
    return new ApiError('invalid_request', `${where}${field ? ` ${field}` : ''} ${detail}`, field);
  }
  switch (e?.code) {
    // Fastify's own messages for these quote the whole URL.
    case 'FST_ERR_BAD_URL':
      return new ApiError('invalid_request', 'the URL is not valid (a path segment is not correctly percent-encoded)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters; ids have at most 128`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', `request body is not valid JSON: ${e.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'request body is larger than the limit; send less data per request');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as application/json');
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    // SyntaxError from the JSON parser and other client errors Fastify already classified.
    const type = ERROR_TYPES.find((t) => STATUS[t] === e.statusCode) ?? 'invalid_request';
    return new ApiError(type, e.message);
  }
  if (isUnavailable(error)) return new ApiError('unavailable', 'Temporal is not reachable; try again shortly');
  return new ApiError('internal', 'internal error; the request may be retried with the same idempotency key');
}

function isUnavailable(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  return name === 'ServiceError' && /UNAVAILABLE|DEADLINE/i.test((error as Error).message);
}
