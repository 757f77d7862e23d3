import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { DeadlineExceededError, DependencyUnavailableError } from '../../core/errors.ts';

/**
 * Whether a failed dependency call is worth retrying as it is (`transient`: throttling, timeouts,
 * resets, 5xx) or needs a person (`permanent`: validation, access denied, a missing table or
 * queue, refused contents). Both answer 503, since a sender's retry costs nothing and a fixed
 * deployment heals it; the kind decides how loudly it is logged.
 *
 * Throttling, timeouts, resets and 5xx are told by the AWS SDK's own retry classification, so
 * the list of names stays the SDK's. An error may also say its kind itself with a `failureKind`
 * property.
 */
export type FailureKind = 'transient' | 'permanent';

/**
 * 4xx names that heal by themselves but that the SDK's classification does not retry: SQS passes
 * on KMS's throttling, session credentials expire, DynamoDB transactions collide.
 */
const ALSO_TRANSIENT = new Set(['KmsThrottled', 'KMS.ThrottlingException', 'ExpiredTokenException', 'TransactionConflictException']);

export function failureKind(error: unknown): FailureKind {
  if (error instanceof DependencyUnavailableError) return failureKind(error.cause);
  if (error instanceof DeadlineExceededError) return 'transient';
  if (typeof error !== 'object' || error === null) return 'transient';
  const shape = error as Parameters<typeof isTransientError>[0] & { readonly failureKind?: unknown; readonly $fault?: unknown };
  if (shape.failureKind === 'permanent' || shape.failureKind === 'transient') return shape.failureKind;
  // isClockSkewError is left out: it counts AccessDeniedException, and the SDK already corrects skew.
  if (isThrottlingError(shape) || isTransientError(shape) || isServerError(shape) || ALSO_TRANSIENT.has(shape.name)) {
    return 'transient';
  }
  if (shape.$fault === 'client') return 'permanent';
  // No answer from the service at all: a reset, a refused connection, an abort, a DNS hiccup.
  return 'transient';
}
