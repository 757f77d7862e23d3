import { backoffPauseMs, type BackoffSettings } from '../core/backoff.ts';

/**
 * How long an intake message waits before it is tried again after Unico could not give the
 * outcome: Unico's Retry-After when it said one, else an exponential back-off on the number of
 * receives so far (30 s, 60 s, 120 s, ... up to 15 minutes). Each receive counts towards the
 * intake queue's dead-letter limit; spacing them out lets a Unico outage of about an hour pass
 * before a message is given up on.
 */
export const RETRY_DELAY: BackoffSettings = { initialMs: 30_000, maxMs: 15 * 60_000 };

export function retryDelaySeconds(
  receiveCount: number,
  retryAfterMs: number | undefined,
  settings: BackoffSettings = RETRY_DELAY,
): number {
  const delayMs = retryAfterMs === undefined ? backoffPauseMs(settings, receiveCount) : Math.min(settings.maxMs, retryAfterMs);
  return Math.max(1, Math.ceil(delayMs / 1000));
}
