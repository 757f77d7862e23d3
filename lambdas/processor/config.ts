import * as v from 'valibot';
import { readSettings } from '../core/environment.ts';
import { httpUrlSetting, integerSetting, requiredSetting } from '../contracts/settings.ts';
import { UNICO_API_SETTINGS, unicoApiSettingProblems, unicoApiSettingsOf, type UnicoApiSettings } from '../contracts/unico-api.ts';
import { DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, OUTCOME_RETRY_PERIOD_BOUNDS } from '../contracts/outcome-retries.ts';
import { RESULTS_BUS_FEED_ENVIRONMENT } from '../contracts/results-event-bus.ts';

/** The processor Lambda's configuration in AWS, as the CDK stack sets it. */
const PROCESSOR_SETTINGS = {
  CLAIMS_TABLE_NAME: requiredSetting,
  CLAIM_RETENTION_DAYS: v.optional(integerSetting(1, 3650), 90),
  INTAKE_QUEUE_URL: httpUrlSetting('https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo'),
  RESULTS_QUEUE_URL: httpUrlSetting('https://sqs.us-east-1.amazonaws.com/123456789012/results.fifo'),
  EVENT_SOURCE: requiredSetting,
  OUTCOME_RETRY_PERIOD_SECONDS: v.optional(
    integerSetting(OUTCOME_RETRY_PERIOD_BOUNDS.minSeconds, OUTCOME_RETRY_PERIOD_BOUNDS.maxSeconds),
    DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS,
  ),
  // Outcome fetching is on when a service account is set; without one events carry outcome null.
  ...UNICO_API_SETTINGS,
  // A copy of each event for the EventBridge bus, through this queue and its pipe; absent: the results queue only.
  [RESULTS_BUS_FEED_ENVIRONMENT]: v.optional(httpUrlSetting('https://sqs.us-east-1.amazonaws.com/123456789012/results-bus-feed.fifo')),
} as const;

/** Every environment variable the processor reads: what the CDK may write for it, and nothing else. */
export const PROCESSOR_SETTING_NAMES: readonly string[] = Object.keys(PROCESSOR_SETTINGS);

export interface ProcessorConfig {
  readonly claimsTableName: string;
  readonly claimRetentionDays: number;
  readonly intakeQueueUrl: string;
  readonly resultsQueueUrl: string;
  readonly eventSource: string;
  /** Transient failures and non-final answers are retried until a message is this old. */
  readonly outcomeRetryPeriodSeconds: number;
  /** Absent: outcome fetching is off. */
  readonly unico?: UnicoApiSettings & { readonly secretArn: string };
  /** The bus feed queue, whose pipe puts a copy of each event on the EventBridge bus; absent: none. */
  readonly resultsBusFeedQueueUrl?: string;
}

export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const values = readSettings(PROCESSOR_SETTINGS, env, unicoApiSettingProblems);
  const unico = unicoApiSettingsOf(values);
  return {
    claimsTableName: values.CLAIMS_TABLE_NAME,
    claimRetentionDays: values.CLAIM_RETENTION_DAYS,
    intakeQueueUrl: values.INTAKE_QUEUE_URL,
    resultsQueueUrl: values.RESULTS_QUEUE_URL,
    eventSource: values.EVENT_SOURCE,
    outcomeRetryPeriodSeconds: values.OUTCOME_RETRY_PERIOD_SECONDS,
    ...(unico !== undefined ? { unico } : {}),
    ...(values[RESULTS_BUS_FEED_ENVIRONMENT] !== undefined ? { resultsBusFeedQueueUrl: values[RESULTS_BUS_FEED_ENVIRONMENT] } : {}),
  };
}
