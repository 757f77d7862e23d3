import * as v from 'valibot';
import { readSettings, type SettingValues } from '../core/environment.ts';
import { httpUrlSetting, integerSetting, requiredSetting } from '../contracts/settings.ts';
import { UNICO_API_DEFAULTS, UNICO_CONTRACTS, type UnicoApiSettings } from '../contracts/unico-api.ts';
import { DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, OUTCOME_RETRY_PERIOD_BOUNDS } from '../contracts/outcome-retries.ts';

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
  UNICO_SERVICE_ACCOUNT: v.optional(requiredSetting),
  UNICO_SECRET_ARN: v.optional(requiredSetting),
  UNICO_CONTRACT: v.optional(v.picklist(UNICO_CONTRACTS, `must be one of ${UNICO_CONTRACTS.join(', ')}`), UNICO_API_DEFAULTS.contract),
  UNICO_API_BASE_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.apiBaseUrl['web-sdk'])),
  UNICO_IDENTITY_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.identityUrl), UNICO_API_DEFAULTS.identityUrl),
  UNICO_MAX_RPS: v.optional(integerSetting(1, 1000), UNICO_API_DEFAULTS.maxRequestsPerSecond),
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
}

export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const values = readSettings(PROCESSOR_SETTINGS, env, (partial) =>
    partial.UNICO_SERVICE_ACCOUNT !== undefined && partial.UNICO_SECRET_ARN === undefined
      ? ['UNICO_SECRET_ARN: required with UNICO_SERVICE_ACCOUNT (the private key lives in that secret)']
      : [],
  );
  return {
    claimsTableName: values.CLAIMS_TABLE_NAME,
    claimRetentionDays: values.CLAIM_RETENTION_DAYS,
    intakeQueueUrl: values.INTAKE_QUEUE_URL,
    resultsQueueUrl: values.RESULTS_QUEUE_URL,
    eventSource: values.EVENT_SOURCE,
    outcomeRetryPeriodSeconds: values.OUTCOME_RETRY_PERIOD_SECONDS,
    ...(values.UNICO_SERVICE_ACCOUNT !== undefined ? { unico: unicoSettings(values, values.UNICO_SERVICE_ACCOUNT) } : {}),
  };
}

function unicoSettings(
  values: SettingValues<typeof PROCESSOR_SETTINGS>,
  serviceAccount: string,
): UnicoApiSettings & { readonly secretArn: string } {
  return {
    contract: values.UNICO_CONTRACT,
    apiBaseUrl: values.UNICO_API_BASE_URL ?? UNICO_API_DEFAULTS.apiBaseUrl[values.UNICO_CONTRACT],
    identityUrl: values.UNICO_IDENTITY_URL,
    serviceAccount,
    maxRequestsPerSecond: values.UNICO_MAX_RPS,
    secretArn: values.UNICO_SECRET_ARN ?? '',
  };
}
