/**
 * Time limits of the intake derived from the response deadline, in one place so that the CDK
 * stack, the AWS wiring and the local stack cannot drift apart.
 */

/**
 * The intake function's timeout, in Lambda's whole seconds: the deadline plus one. The handler
 * answers before the deadline on its own; the spare second is for logging after a slow call.
 */
export function intakeFunctionTimeoutSeconds(responseDeadlineMs: number): number {
  return Math.ceil(responseDeadlineMs / 1000) + 1;
}

/** How long a fetch of the OAuth2 provider's key set may take: a third of the deadline. */
export function keyFetchTimeoutMs(responseDeadlineMs: number): number {
  return Math.floor(responseDeadlineMs / 3);
}

/**
 * How long a request that holds the last good credentials waits for a Secrets Manager refresh
 * before it answers with them: a fifth of the deadline, leaving the rest for the claim and enqueue.
 */
export function credentialRefreshWaitMs(responseDeadlineMs: number): number {
  return Math.floor(responseDeadlineMs / 5);
}
