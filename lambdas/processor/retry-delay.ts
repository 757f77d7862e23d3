/**
 * How long an intake message waits before it is tried again after Unico could not give the
 * outcome: Unico's Retry-After when it said one, else an exponential back-off on the number of
 * receives so far (30 s, 60 s, 120 s, ... up to 15 minutes). Each receive counts towards the
 * intake queue's dead-letter limit; spacing them out lets a Unico outage of about an hour pass
 * before a message is given up on.
 */
export interface RetryDelaySettings {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

export const RETRY_DELAY: RetryDelaySettings = { baseSeconds: 30, maxSeconds: 15 * 60 };

export function retryDelaySeconds(
  receiveCount: number,
  retryAfterMs: number | undefined,
  settings: RetryDelaySettings = RETRY_DELAY,
): number {
  if (retryAfterMs !== undefined) return Math.min(settings.maxSeconds, Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const attempt = Math.max(1, Math.floor(receiveCount));
  return Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** Math.min(attempt - 1, 20));
}
