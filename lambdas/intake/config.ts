import * as v from 'valibot';
import type { OAuth2Settings } from '../core/auth/jwt-authenticator.ts';
import { readSettings, type SettingValues } from '../core/environment.ts';
import { httpUrlSetting, integerSetting, listSetting, requiredSetting } from '../contracts/settings.ts';
import {
  DEFAULT_API_KEY_HEADER,
  describeProblems,
  KEYS_MAX_STALE_SECONDS,
  WEBHOOK_AUTH_ENVIRONMENT,
  WEBHOOK_AUTH_MODES,
  webhookAuthProblems,
  type WebhookAuthSettings,
} from '../contracts/webhook-auth.ts';

/** The intake Lambda's configuration in AWS, as the CDK stack sets it. */
const INTAKE_SETTINGS = {
  CLAIMS_TABLE_NAME: requiredSetting,
  INTAKE_QUEUE_URL: httpUrlSetting('https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo'),
  RESPONSE_DEADLINE_MS: v.optional(integerSetting(1000, 60_000), 5000),
  CLAIM_RETENTION_DAYS: v.optional(integerSetting(1, 3650), 90),
  WEBHOOK_AUTH_SECRET_ARN: v.optional(requiredSetting),
  WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS: v.optional(integerSetting(0, 3600), 300),
  [WEBHOOK_AUTH_ENVIRONMENT.mode]: v.picklist(WEBHOOK_AUTH_MODES, `must be one of ${WEBHOOK_AUTH_MODES.join(', ')}`),
  [WEBHOOK_AUTH_ENVIRONMENT.header]: v.optional(v.string(), DEFAULT_API_KEY_HEADER),
  [WEBHOOK_AUTH_ENVIRONMENT.issuer]: v.optional(v.string()),
  [WEBHOOK_AUTH_ENVIRONMENT.jwksUri]: v.optional(v.string()),
  [WEBHOOK_AUTH_ENVIRONMENT.audiences]: listSetting,
  [WEBHOOK_AUTH_ENVIRONMENT.clientIds]: listSetting,
  [WEBHOOK_AUTH_ENVIRONMENT.requiredScopes]: listSetting,
  [WEBHOOK_AUTH_ENVIRONMENT.keysMaxStaleSeconds]: v.optional(
    integerSetting(KEYS_MAX_STALE_SECONDS.min, KEYS_MAX_STALE_SECONDS.max),
    KEYS_MAX_STALE_SECONDS.fallback,
  ),
} as const;

type IntakeValues = Partial<SettingValues<typeof INTAKE_SETTINGS>>;

/** Every environment variable the intake reads: what the CDK may write for it, and nothing else. */
export const INTAKE_SETTING_NAMES: readonly string[] = Object.keys(INTAKE_SETTINGS);

/** The auth part of the configuration, one shape per mode: nothing optional that a mode needs. */
export type IntakeAuthConfig =
  | { readonly mode: 'none' }
  | {
      readonly mode: 'basic' | 'apikey';
      readonly secretArn: string;
      readonly secretMaxAgeSeconds: number;
      readonly apiKeyHeader: string;
    }
  | {
      readonly mode: 'oauth2';
      readonly oauth2: OAuth2Settings;
      /** How long the last keys read keep verifying while the provider's key set cannot be read. */
      readonly keysMaxStaleSeconds: number;
    };

export interface IntakeConfig {
  readonly claimsTableName: string;
  readonly intakeQueueUrl: string;
  readonly responseDeadlineMs: number;
  readonly claimRetentionDays: number;
  readonly auth: IntakeAuthConfig;
}

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  const values = readSettings(INTAKE_SETTINGS, env, authRules);
  const auth = authSettings(values);
  return {
    claimsTableName: values.CLAIMS_TABLE_NAME,
    intakeQueueUrl: values.INTAKE_QUEUE_URL,
    responseDeadlineMs: values.RESPONSE_DEADLINE_MS,
    claimRetentionDays: values.CLAIM_RETENTION_DAYS,
    auth: intakeAuth(auth, values),
  };
}

/**
 * The rules every deployment of the webhook's auth follows (the same ones the CDK checks at
 * synth), plus what the function itself needs: the secret for basic and apikey, the issuer for
 * oauth2. The CDK refuses `none` and http URLs outside development stages; the function trusts
 * that decision, so it checks the settings as a development stage would.
 */
function authRules(values: IntakeValues): string[] {
  const mode = values[WEBHOOK_AUTH_ENVIRONMENT.mode];
  const problems: string[] = [];
  if ((mode === 'basic' || mode === 'apikey') && values.WEBHOOK_AUTH_SECRET_ARN === undefined) {
    problems.push(`WEBHOOK_AUTH_SECRET_ARN: required for ${mode}`);
  }
  if (mode === 'oauth2' && values[WEBHOOK_AUTH_ENVIRONMENT.issuer] === undefined) {
    problems.push(`${WEBHOOK_AUTH_ENVIRONMENT.issuer}: required for oauth2`);
  }
  const auth = mode === undefined ? undefined : authSettings(values);
  if (auth !== undefined) {
    // A setting that failed its own check is reported once, by that check.
    const failed = (name: string) => !(name in values);
    const ruled = webhookAuthProblems(auth, true, WEBHOOK_AUTH_ENVIRONMENT).filter((problem) => !failed(WEBHOOK_AUTH_ENVIRONMENT[problem.field]));
    problems.push(...describeProblems(ruled, WEBHOOK_AUTH_ENVIRONMENT));
  }
  return problems;
}

function authSettings(values: IntakeValues): WebhookAuthSettings {
  const names = WEBHOOK_AUTH_ENVIRONMENT;
  switch (values[names.mode]) {
    case 'none':
    case undefined:
      return { mode: 'none' };
    case 'basic':
      return { mode: 'basic' };
    case 'apikey':
      return { mode: 'apikey', header: values[names.header] ?? DEFAULT_API_KEY_HEADER };
    case 'oauth2': {
      const jwksUri = values[names.jwksUri];
      return {
        mode: 'oauth2',
        issuer: values[names.issuer] ?? '',
        ...(jwksUri ? { jwksUri } : {}),
        audiences: values[names.audiences] ?? [],
        clientIds: values[names.clientIds] ?? [],
        requiredScopes: values[names.requiredScopes] ?? [],
        keysMaxStaleSeconds: values[names.keysMaxStaleSeconds] ?? KEYS_MAX_STALE_SECONDS.fallback,
      };
    }
  }
}

function intakeAuth(auth: WebhookAuthSettings, values: SettingValues<typeof INTAKE_SETTINGS>): IntakeAuthConfig {
  switch (auth.mode) {
    case 'none':
      return { mode: 'none' };
    case 'basic':
    case 'apikey':
      return {
        mode: auth.mode,
        secretArn: values.WEBHOOK_AUTH_SECRET_ARN ?? missing('WEBHOOK_AUTH_SECRET_ARN'),
        secretMaxAgeSeconds: values.WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS,
        apiKeyHeader: auth.mode === 'apikey' ? auth.header : values[WEBHOOK_AUTH_ENVIRONMENT.header],
      };
    case 'oauth2':
      return {
        mode: 'oauth2',
        oauth2: {
          issuer: auth.issuer,
          ...(auth.jwksUri !== undefined ? { jwksUri: auth.jwksUri } : {}),
          audiences: auth.audiences,
          clientIds: auth.clientIds,
          requiredScopes: auth.requiredScopes,
        },
        keysMaxStaleSeconds: auth.keysMaxStaleSeconds,
      };
  }
}

function missing(name: string): never {
  throw new Error(`configuration check let a missing ${name} through`);
}
