import * as v from 'valibot';
import { readSettings } from '../core/environment.ts';
import { httpUrlSetting, integerSetting, requiredSetting } from '../contracts/settings.ts';
import { FALLBACK_SCHEDULE_SETTINGS, fallbackScheduleProblems, readFallbackSchedule, type FallbackSchedule } from '../contracts/fallback-schedule.ts';
import { UNICO_API_SETTINGS, unicoApiSettingsOf, type UnicoApiSettings } from '../contracts/unico-api.ts';

/** The fallback Lambda's configuration in AWS, as the CDK stack sets it. */
const FALLBACK_SETTINGS = {
  TRACKING_TABLE_NAME: requiredSetting,
  ...FALLBACK_SCHEDULE_SETTINGS,
  CLAIMS_TABLE_NAME: requiredSetting,
  CLAIM_RETENTION_DAYS: v.optional(integerSetting(1, 3650), 90),
  INTAKE_QUEUE_URL: httpUrlSetting('https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo'),
  ...UNICO_API_SETTINGS,
  // Read as the processor reads them, but not optional: the fallback exists to call GetProcess.
  UNICO_SERVICE_ACCOUNT: requiredSetting,
  UNICO_SECRET_ARN: requiredSetting,
} as const;

/** Every environment variable the fallback reads: what the CDK may write for it, and nothing else. */
export const FALLBACK_SETTING_NAMES: readonly string[] = Object.keys(FALLBACK_SETTINGS);

export interface FallbackConfig {
  readonly trackingTableName: string;
  readonly schedule: FallbackSchedule;
  readonly claimsTableName: string;
  readonly claimRetentionDays: number;
  readonly intakeQueueUrl: string;
  readonly unico: UnicoApiSettings & { readonly secretArn: string };
}

export function loadFallbackConfig(env: NodeJS.ProcessEnv = process.env): FallbackConfig {
  const values = readSettings(FALLBACK_SETTINGS, env, fallbackScheduleProblems);
  return {
    trackingTableName: values.TRACKING_TABLE_NAME,
    schedule: readFallbackSchedule(values),
    claimsTableName: values.CLAIMS_TABLE_NAME,
    claimRetentionDays: values.CLAIM_RETENTION_DAYS,
    intakeQueueUrl: values.INTAKE_QUEUE_URL,
    unico: unicoApiSettingsOf(values) ?? missing('UNICO_SERVICE_ACCOUNT'),
  };
}

function missing(name: string): never {
  throw new Error(`configuration check let a missing ${name} through`);
}
