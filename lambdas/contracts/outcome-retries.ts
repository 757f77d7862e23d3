/**
 * How long the processor keeps trying to get a finished process's outcome, in one place: the
 * processor gives up by the intake message's age, and the CDK stack and the local stack size the
 * intake queue's dead-letter limit from the same numbers, so that no run of transient failures
 * dead-letters a message before the period ends. See docs/architecture.md, "Retries that outlast
 * Unico's bad hours".
 */

import { backoffPauseMs, type BackoffSettings } from './backoff-schedule.ts';

/** The first pause after a failed receive and the longest one, in milliseconds. */
export type RetryDelaySchedule = BackoffSettings;

/** Every failed attempt gives its message back for at least this back-off (on its receive count). */
export const OUTCOME_RETRY_DELAY: RetryDelaySchedule = { initialMs: 30_000, maxMs: 15 * 60_000 };

/** Transient failures (429, 5xx, timeouts) and non-final answers are retried this long by default. */
export const DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS = 3 * 60 * 60;

/** Bounds of the setting: at least an hour; at most what a message's retention leaves room for. */
export const OUTCOME_RETRY_PERIOD_BOUNDS = { minSeconds: 60 * 60, maxSeconds: 7 * 24 * 60 * 60 } as const;

/** A 409 (the process in a state GetProcess cannot serve yet) is tried this many receives. */
export const CONFLICT_MAX_RECEIVES = 5;

/** The longest visibility SQS lets a message be given (12 hours). */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * Receives kept in hand above the schedule's, for returns that set no back-off: a crashed or
 * timed-out invocation, or messages of a failed message group skipped in the same batch.
 */
export const SPARE_RECEIVES = 5;

/** The n-th failed receive's least pause: initialMs × 2^(n-1), capped at maxMs. */
export function outcomeRetryPauseMs(receiveCount: number, schedule: RetryDelaySchedule = OUTCOME_RETRY_DELAY): number {
  return backoffPauseMs(schedule, receiveCount);
}

/**
 * How many receives a message can have within `periodSeconds` when every failed one waits at
 * least the back-off: the receive that comes after the period (and gives up) included.
 */
export function receivesWithin(periodSeconds: number, schedule: RetryDelaySchedule = OUTCOME_RETRY_DELAY): number {
  let receives = 1;
  let elapsedMs = 0;
  while (elapsedMs < periodSeconds * 1000) {
    elapsedMs += outcomeRetryPauseMs(receives, schedule);
    receives += 1;
  }
  return receives;
}

/** The intake queue's dead-letter limit for a retry period: the schedule's receives plus spares. */
export function intakeMaxReceiveCount(periodSeconds: number, schedule: RetryDelaySchedule = OUTCOME_RETRY_DELAY): number {
  return receivesWithin(periodSeconds, schedule) + SPARE_RECEIVES;
}
