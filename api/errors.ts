// Every failure leaves the API as JSON `{ error: { type, message, field? } }` (Stripe style): a type a
// program can branch on, a message a person can act on, and the offending field when there is one.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RepositoryError } from '../db/repository/errors';

export type ApiErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ApiErrorType, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_error: 422,
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

export function errorBody(error: ApiError): ErrorBody {
  return { error: { type: error.type, message: error.message, ...(error.field ? { field: error.field } : {}) } };
}

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
    const type: ApiErrorType = e.statusCode === 413 ? 'payload_too_large' : e.statusCode === 415 ? 'unsupported_media_type' : 'invalid_request';
    return new ApiError(type, e.message);
  }
  if (isUnavailable(error)) return new ApiError('unavailable', 'Temporal is not reachable; try again shortly');
  return new ApiError('internal', 'internal error; the request may be retried with the same idempotency key');
}

function isUnavailable(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  return name === 'ServiceError' && /UNAVAILABLE|DEADLINE/i.test((error as Error).message);
}
