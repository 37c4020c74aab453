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
