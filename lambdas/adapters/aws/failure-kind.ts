import { DeadlineExceededError, DependencyUnavailableError } from '../../core/errors.ts';

/**
 * Whether a failed dependency call is worth retrying as it is (`transient`: throttling, timeouts,
 * resets, 5xx) or needs a person (`permanent`: validation, access denied, a missing table or
 * queue, refused contents). Both answer 503, since a sender's retry costs nothing and a fixed
 * deployment heals it; the kind decides how loudly it is logged.
 *
 * Read from the error's shape (the AWS SDK's `$fault`, `$retryable`, `$metadata`, `name`), so that
 * any SDK client's errors classify without importing their classes. An error may also say its
 * kind itself with a `failureKind` property.
 */
export type FailureKind = 'transient' | 'permanent';

/** Client-side (4xx) errors that still heal by themselves. */
const TRANSIENT_CLIENT_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'KmsThrottled',
  'KMS.ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ExpiredTokenException',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

export function failureKind(error: unknown): FailureKind {
  if (error instanceof DependencyUnavailableError) return failureKind(error.cause);
  if (error instanceof DeadlineExceededError) return 'transient';
  if (typeof error !== 'object' || error === null) return 'transient';
  const shape = error as {
    readonly name?: unknown;
    readonly failureKind?: unknown;
    readonly $fault?: unknown;
    readonly $retryable?: unknown;
    readonly $metadata?: { readonly httpStatusCode?: unknown };
  };
  if (shape.failureKind === 'permanent' || shape.failureKind === 'transient') return shape.failureKind;
  if (typeof shape.name === 'string' && TRANSIENT_CLIENT_ERRORS.has(shape.name)) return 'transient';
  if (shape.$retryable !== undefined && shape.$retryable !== null) return 'transient';
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return 'transient';
  if (shape.$fault === 'server') return 'transient';
  if (shape.$fault === 'client') return 'permanent';
  // No answer from the service at all: a reset, a refused connection, an abort, a DNS hiccup.
  return 'transient';
}
