import { readSettings } from '../core/environment.ts';
import { requiredSetting } from '../contracts/settings.ts';
import {
  FALLBACK_SCHEDULE_SETTINGS,
  fallbackScheduleProblems,
  readFallbackSchedule,
  type FallbackSchedule,
} from '../contracts/fallback-schedule.ts';

/** The tracking function's configuration in AWS, as the CDK stack sets it. */
const TRACKING_SETTINGS = {
  TRACKING_TABLE_NAME: requiredSetting,
  // The first check and the journey-finished wait are set when tracking starts or is signalled.
  ...FALLBACK_SCHEDULE_SETTINGS,
} as const;

/** Every environment variable the tracking function reads: what the CDK may write for it, and nothing else. */
export const TRACKING_SETTING_NAMES: readonly string[] = Object.keys(TRACKING_SETTINGS);

export interface TrackingConfig {
  readonly trackingTableName: string;
  readonly schedule: FallbackSchedule;
}

export function loadTrackingConfig(env: NodeJS.ProcessEnv = process.env): TrackingConfig {
  const values = readSettings(TRACKING_SETTINGS, env, fallbackScheduleProblems);
  return { trackingTableName: values.TRACKING_TABLE_NAME, schedule: readFallbackSchedule(values) };
}
