/**
 * The exponential back-off, in one place: the domain's `Backoff` (lambdas/core/backoff.ts) and the
 * processor's retry schedule, which the CDK also sizes the intake dead-letter limit from
 * (lambdas/contracts/outcome-retries.ts), both pause by it.
 */

/** The first pause after a failure and the longest one, in milliseconds. */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The pause after `failures` failures in a row: initialMs × 2^(failures-1), capped at maxMs. */
export function backoffPauseMs(settings: BackoffSettings, failures: number): number {
  const exponent = Math.min(Math.max(1, Math.floor(failures)) - 1, 30);
  return Math.min(settings.maxMs, settings.initialMs * 2 ** exponent);
}
