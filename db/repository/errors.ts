// Errors the repository raises on purpose: a type, a message a person can act on, and the offending
// field (Stripe style). The API maps `type` to an HTTP status; activities treat them as non-retryable.
export type RepositoryErrorType = 'validation' | 'not_found' | 'conflict';

export class RepositoryError extends Error {
  constructor(
    readonly type: RepositoryErrorType,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is wrong; retrying the same input fails the same way. */
export class ValidationError extends RepositoryError {
  constructor(message: string, field?: string) {
    super('validation', message, field);
  }
}

export class NotFoundError extends RepositoryError {
  constructor(message: string, field?: string) {
    super('not_found', message, field);
  }
}

/** The request contradicts what is already recorded (e.g. an idempotency key reused with other data). */
export class ConflictError extends RepositoryError {
  constructor(message: string, field?: string) {
    super('conflict', message, field);
  }
}

/**
 * The unique constraint a write broke (PostgreSQL 23505), or undefined for any other error. Reads both
 * drivers' errors (postgres.js `constraint_name`, PGlite `constraint`) through drizzle's wrapping `cause`.
 */
export function brokenUniqueConstraint(error: unknown): string | undefined {
  let e = error;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth += 1) {
    const { code, constraint_name, constraint } = e as Record<string, unknown>;
    if (code === '23505') return String(constraint_name ?? constraint ?? '');
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
