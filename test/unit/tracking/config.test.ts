import { describe, expect, test } from '@jest/globals';
import { loadTrackingConfig, TRACKING_SETTING_NAMES } from '../../../lambdas/tracking/config.ts';
import { ConfigurationError } from '../../../lambdas/core/errors.ts';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../../lambdas/contracts/fallback-schedule.ts';

describe('the tracking function\'s configuration', () => {
  test('the table, and the schedule\'s defaults', () => {
    expect(loadTrackingConfig({ TRACKING_TABLE_NAME: 'tracking' })).toEqual({ trackingTableName: 'tracking', schedule: DEFAULT_FALLBACK_SCHEDULE });
  });

  test('the schedule as given', () => {
    const config = loadTrackingConfig({ TRACKING_TABLE_NAME: 'tracking', FALLBACK_FIRST_CHECK_SECONDS: '60', FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: '5' });
    expect(config.schedule).toEqual({ ...DEFAULT_FALLBACK_SCHEDULE, firstCheckSeconds: 60, journeyFinishedCheckSeconds: 5 });
  });

  test('every problem at once, the cross check included', () => {
    let error: unknown;
    try {
      loadTrackingConfig({ FALLBACK_FIRST_CHECK_SECONDS: '3600', FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '600', FALLBACK_BACKOFF_FACTOR: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect([...(error as ConfigurationError).problems].sort()).toEqual(
      [
        'TRACKING_TABLE_NAME: required',
        'FALLBACK_BACKOFF_FACTOR: must be an integer from 1 to 10',
        'FALLBACK_MAX_CHECK_INTERVAL_SECONDS: must be at least FALLBACK_FIRST_CHECK_SECONDS (3600)',
      ].sort(),
    );
  });

  test('the names it reads: what the CDK may write for it', () => {
    expect([...TRACKING_SETTING_NAMES].sort()).toEqual(
      [
        'TRACKING_TABLE_NAME',
        'FALLBACK_FIRST_CHECK_SECONDS',
        'FALLBACK_BACKOFF_FACTOR',
        'FALLBACK_MAX_CHECK_INTERVAL_SECONDS',
        'FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS',
        'FALLBACK_DEFAULT_EXPIRY_SECONDS',
      ].sort(),
    );
  });
});
