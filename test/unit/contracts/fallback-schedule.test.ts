import { describe, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../../lambdas/core/errors.ts';
import { readSettings } from '../../../lambdas/core/environment.ts';
import {
  DEFAULT_FALLBACK_SCHEDULE,
  FALLBACK_SCHEDULE_SETTINGS,
  fallbackScheduleEnvironment,
  fallbackScheduleProblems,
  nextCheckDelaySeconds,
  readFallbackSchedule,
} from '../../../lambdas/contracts/fallback-schedule.ts';

/** The schedule as a function reads it from its environment. */
const read = (env: Record<string, string>) => readFallbackSchedule(readSettings(FALLBACK_SCHEDULE_SETTINGS, env, fallbackScheduleProblems));

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    read(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('the settings were accepted');
}

describe('the fallback schedule\'s settings', () => {
  test('absent: the defaults', () => {
    expect(read({})).toEqual(DEFAULT_FALLBACK_SCHEDULE);
  });

  test('given: read back as numbers', () => {
    expect(
      read({
        FALLBACK_FIRST_CHECK_SECONDS: '30',
        FALLBACK_BACKOFF_FACTOR: '3',
        FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '600',
        FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: '0',
        FALLBACK_DEFAULT_EXPIRY_SECONDS: '3600',
      }),
    ).toEqual({ firstCheckSeconds: 30, backoffFactor: 3, maxCheckIntervalSeconds: 600, journeyFinishedCheckSeconds: 0, defaultExpirySeconds: 3600 });
  });

  test('the environment the CDK writes reads back as the same schedule', () => {
    const schedule = { firstCheckSeconds: 120, backoffFactor: 4, maxCheckIntervalSeconds: 7200, journeyFinishedCheckSeconds: 30, defaultExpirySeconds: 86_400 };
    expect(read(fallbackScheduleEnvironment(schedule))).toEqual(schedule);
  });

  test.each([
    ['FALLBACK_FIRST_CHECK_SECONDS', '9', 'must be an integer from 10 to 86400'],
    ['FALLBACK_FIRST_CHECK_SECONDS', '86401', 'must be an integer from 10 to 86400'],
    ['FALLBACK_BACKOFF_FACTOR', '0', 'must be an integer from 1 to 10'],
    ['FALLBACK_BACKOFF_FACTOR', '11', 'must be an integer from 1 to 10'],
    ['FALLBACK_BACKOFF_FACTOR', '1.5', 'must be an integer from 1 to 10'],
    ['FALLBACK_MAX_CHECK_INTERVAL_SECONDS', '59', 'must be an integer from 60 to 604800'],
    ['FALLBACK_MAX_CHECK_INTERVAL_SECONDS', '604801', 'must be an integer from 60 to 604800'],
    ['FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS', '-1', 'must be an integer from 0 to 3600'],
    ['FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS', '3601', 'must be an integer from 0 to 3600'],
    ['FALLBACK_DEFAULT_EXPIRY_SECONDS', '3599', 'must be an integer from 3600 to 2592000'],
    ['FALLBACK_DEFAULT_EXPIRY_SECONDS', '2592001', 'must be an integer from 3600 to 2592000'],
    ['FALLBACK_DEFAULT_EXPIRY_SECONDS', 'a week', 'must be an integer from 3600 to 2592000'],
  ])('%s=%s: "%s"', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}: ${message}`]);
  });

  test('the bounds themselves are allowed', () => {
    expect(() =>
      read({
        FALLBACK_FIRST_CHECK_SECONDS: '10',
        FALLBACK_BACKOFF_FACTOR: '1',
        FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '604800',
        FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: '3600',
        FALLBACK_DEFAULT_EXPIRY_SECONDS: '2592000',
      }),
    ).not.toThrow();
  });

  test('a cap below the first wait is refused; equal to it is allowed', () => {
    expect(problemsOf({ FALLBACK_FIRST_CHECK_SECONDS: '600', FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '599' })).toEqual([
      'FALLBACK_MAX_CHECK_INTERVAL_SECONDS: must be at least FALLBACK_FIRST_CHECK_SECONDS (600)',
    ]);
    expect(read({ FALLBACK_FIRST_CHECK_SECONDS: '600', FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '600' }).maxCheckIntervalSeconds).toBe(600);
    // Against the default first wait (900 s) too.
    expect(problemsOf({ FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '300' })).toEqual([
      'FALLBACK_MAX_CHECK_INTERVAL_SECONDS: must be at least FALLBACK_FIRST_CHECK_SECONDS (900)',
    ]);
  });

  test('the cross check says nothing when one side is already wrong on its own', () => {
    expect(problemsOf({ FALLBACK_FIRST_CHECK_SECONDS: 'soon', FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '60' })).toEqual([
      'FALLBACK_FIRST_CHECK_SECONDS: must be an integer from 10 to 86400',
    ]);
  });
});

describe('the wait before each check', () => {
  const schedule = { ...DEFAULT_FALLBACK_SCHEDULE, firstCheckSeconds: 60, backoffFactor: 2, maxCheckIntervalSeconds: 300 };

  test('first wait, then growing by the factor, up to the cap', () => {
    expect([0, 1, 2, 3, 4, 50].map((checks) => nextCheckDelaySeconds(schedule, checks))).toEqual([60, 120, 240, 300, 300, 300]);
  });
});
