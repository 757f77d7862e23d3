import {
  OUTCOME_RETRY_DELAY,
  outcomeRetryPauseMs,
  SQS_MAX_VISIBILITY_SECONDS,
  type RetryDelaySchedule,
} from '../contracts/outcome-retries.ts';

/**
 * How long an intake message waits before it is tried again after a failed receive: the larger
 * of what the failure asked for (Unico's Retry-After, the budget's next slot) and the back-off on
 * the number of receives so far (30 s, 60 s, 120 s, ... up to 15 minutes), at most SQS's 12 hours.
 *
 * Never less than the back-off, whatever Unico says: each receive counts towards the intake
 * queue's dead-letter limit, and that limit is sized from this very schedule
 * (lambdas/contracts/outcome-retries.ts), so no run of failures reaches it before the retry period
 * has ended and the processor has published the outcome's error instead.
 */
export function retryDelaySeconds(
  receiveCount: number,
  retryAfterMs: number | undefined,
  schedule: RetryDelaySchedule = OUTCOME_RETRY_DELAY,
): number {
  const delayMs = Math.max(retryAfterMs ?? 0, outcomeRetryPauseMs(receiveCount, schedule));
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(delayMs / 1000)));
}
