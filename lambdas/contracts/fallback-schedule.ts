import * as v from 'valibot';
import { integerSetting } from './settings.ts';

/**
 * When the fallback checks a tracked process, in one place: the CDK stack writes these into the
 * fallback's environment (validated at synth), the local stack uses them, and the fallback reads
 * them. Unico names frequent GetProcess polling as the fastest way to exhaust a tenant's budget:
 * the first check waits, later ones back off, a journey-finished signal brings the next check
 * forward, and tracking stops at the process's expiry.
 */
export interface FallbackSchedule {
  /** From tracking to the first check. */
  readonly firstCheckSeconds: number;
  /** Each check after an unfinished answer waits this many times longer than the one before. */
  readonly backoffFactor: number;
  /** The longest wait between two checks. */
  readonly maxCheckIntervalSeconds: number;
  /** After journey-finished: the next check comes no later than this. */
  readonly journeyFinishedCheckSeconds: number;
  /** Tracking ends this long after it began when Unico gave no `expiresAt`. */
  readonly defaultExpirySeconds: number;
}

export const DEFAULT_FALLBACK_SCHEDULE: FallbackSchedule = {
  firstCheckSeconds: 15 * 60,
  backoffFactor: 2,
  maxCheckIntervalSeconds: 4 * 60 * 60,
  journeyFinishedCheckSeconds: 60,
  defaultExpirySeconds: 7 * 24 * 60 * 60,
};

/** How often the fallback runs in AWS (EventBridge), and in the local stack (FALLBACK_INTERVAL_SECONDS). */
export const FALLBACK_INTERVAL = { awsSeconds: 60, localSeconds: 10 } as const;

/** The wait before check number `checksDone + 1`, after `checksDone` checks that found the process unfinished. */
export function nextCheckDelaySeconds(schedule: FallbackSchedule, checksDone: number): number {
  if (checksDone <= 0) return schedule.firstCheckSeconds;
  const grown = schedule.firstCheckSeconds * schedule.backoffFactor ** Math.min(checksDone, 40);
  return Math.min(schedule.maxCheckIntervalSeconds, grown);
}

/** The schedule as the functions' environment (what their configuration reads back). */
export function fallbackScheduleEnvironment(schedule: FallbackSchedule): Record<string, string> {
  return {
    FALLBACK_FIRST_CHECK_SECONDS: String(schedule.firstCheckSeconds),
    FALLBACK_BACKOFF_FACTOR: String(schedule.backoffFactor),
    FALLBACK_MAX_CHECK_INTERVAL_SECONDS: String(schedule.maxCheckIntervalSeconds),
    FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: String(schedule.journeyFinishedCheckSeconds),
    FALLBACK_DEFAULT_EXPIRY_SECONDS: String(schedule.defaultExpirySeconds),
  };
}

/**
 * The schedule's environment variables as both functions read them (optional: the defaults
 * above), with the bounds the CDK checks at synth.
 */
export const FALLBACK_SCHEDULE_SETTINGS = {
  FALLBACK_FIRST_CHECK_SECONDS: v.optional(integerSetting(10, 86_400), DEFAULT_FALLBACK_SCHEDULE.firstCheckSeconds),
  FALLBACK_BACKOFF_FACTOR: v.optional(integerSetting(1, 10), DEFAULT_FALLBACK_SCHEDULE.backoffFactor),
  FALLBACK_MAX_CHECK_INTERVAL_SECONDS: v.optional(integerSetting(60, 7 * 86_400), DEFAULT_FALLBACK_SCHEDULE.maxCheckIntervalSeconds),
  FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: v.optional(integerSetting(0, 3600), DEFAULT_FALLBACK_SCHEDULE.journeyFinishedCheckSeconds),
  FALLBACK_DEFAULT_EXPIRY_SECONDS: v.optional(integerSetting(3600, 30 * 86_400), DEFAULT_FALLBACK_SCHEDULE.defaultExpirySeconds),
} as const;

type FallbackScheduleValues = { readonly [K in keyof typeof FALLBACK_SCHEDULE_SETTINGS]: v.InferOutput<(typeof FALLBACK_SCHEDULE_SETTINGS)[K]> };

/** The schedule from values read with FALLBACK_SCHEDULE_SETTINGS. */
export function readFallbackSchedule(values: FallbackScheduleValues): FallbackSchedule {
  return {
    firstCheckSeconds: values.FALLBACK_FIRST_CHECK_SECONDS,
    backoffFactor: values.FALLBACK_BACKOFF_FACTOR,
    maxCheckIntervalSeconds: values.FALLBACK_MAX_CHECK_INTERVAL_SECONDS,
    journeyFinishedCheckSeconds: values.FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS,
    defaultExpirySeconds: values.FALLBACK_DEFAULT_EXPIRY_SECONDS,
  };
}

/**
 * The check across the schedule's settings, for `readSettings`' rules and the CDK's synth: a cap
 * below the first wait would make the backoff shrink.
 */
export function fallbackScheduleProblems(values: Partial<FallbackScheduleValues>): string[] {
  const first = values.FALLBACK_FIRST_CHECK_SECONDS;
  const cap = values.FALLBACK_MAX_CHECK_INTERVAL_SECONDS;
  return first !== undefined && cap !== undefined && cap < first
    ? [`FALLBACK_MAX_CHECK_INTERVAL_SECONDS: must be at least FALLBACK_FIRST_CHECK_SECONDS (${first})`]
    : [];
}
