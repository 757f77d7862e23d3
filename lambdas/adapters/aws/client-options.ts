/**
 * Options for the AWS SDK clients the intake uses, derived from the response deadline: a slow
 * dependency must turn into a 503 before Unico gives up, never into a hang.
 *
 * Each call is also bounded by Deadline.run (abort + give up waiting); these settings make the
 * SDK itself fail fast enough that a retry still fits inside the deadline.
 */
export interface DeadlineAwareClientOptions {
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
}

export function clientOptionsForDeadline(deadlineMs: number): DeadlineAwareClientOptions {
  return {
    // One retry of a transient failure fits comfortably in the usual 5 s; more would only be cut.
    maxAttempts: 2,
    requestHandler: {
      // A TCP connect to an AWS endpoint takes milliseconds; a second is already a fault.
      connectionTimeout: Math.min(1000, Math.max(100, Math.floor(deadlineMs / 5))),
      // Socket idle time allowed while waiting for an answer: a third of the deadline, so a stuck
      // attempt is dropped while there is still time for the retry.
      requestTimeout: Math.max(200, Math.floor(deadlineMs / 3)),
      // Without it the SDK only warns when the request timeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
