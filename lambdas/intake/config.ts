import { z } from 'zod';
import type { OAuth2Settings } from '../core/auth/jwt-authenticator.ts';
import { DEFAULT_API_KEY_HEADER } from '../contracts/auth-notation.ts';
import { commaList, integerIn, readEnvironment } from '../core/environment.ts';

/** The intake Lambda's configuration in AWS, as the CDK stack sets it. */
const intakeEnvironment = z
  .object({
    CLAIMS_TABLE_NAME: z.string().min(1),
    INTAKE_QUEUE_URL: z.url(),
    RESPONSE_DEADLINE_MS: integerIn(1000, 60_000, 5000),
    CLAIM_RETENTION_DAYS: integerIn(1, 3650, 90),
    WEBHOOK_AUTH_MODE: z.enum(['none', 'basic', 'apikey', 'oauth2']),
    WEBHOOK_AUTH_SECRET_ARN: z.string().min(1).optional(),
    WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS: integerIn(0, 3600, 300),
    WEBHOOK_API_KEY_HEADER: z.string().min(1).default(DEFAULT_API_KEY_HEADER),
    OAUTH2_ISSUER: z.url().optional(),
    OAUTH2_JWKS_URI: z.url().optional(),
    OAUTH2_AUDIENCES: commaList,
    OAUTH2_CLIENT_IDS: commaList,
    OAUTH2_REQUIRED_SCOPES: commaList,
    OAUTH2_KEYS_MAX_STALE_SECONDS: integerIn(600, 7 * 24 * 3600, 24 * 3600),
  })
  // `when` makes the check run even after a field failed, so every problem is reported at once;
  // a field that failed may then hold its raw value, hence the defensive reads.
  .superRefine(
    (env, context) => {
      const mode = env.WEBHOOK_AUTH_MODE;
      const listed = (value: unknown) => Array.isArray(value) && value.length > 0;
      if ((mode === 'basic' || mode === 'apikey') && env.WEBHOOK_AUTH_SECRET_ARN === undefined) {
        context.addIssue({ code: 'custom', path: ['WEBHOOK_AUTH_SECRET_ARN'], message: `required for ${mode}` });
      }
      if (mode === 'oauth2' && env.OAUTH2_ISSUER === undefined) {
        context.addIssue({ code: 'custom', path: ['OAUTH2_ISSUER'], message: 'required for oauth2' });
      }
      if (mode === 'oauth2' && !listed(env.OAUTH2_AUDIENCES) && !listed(env.OAUTH2_CLIENT_IDS)) {
        context.addIssue({
          code: 'custom',
          path: ['OAUTH2_AUDIENCES'],
          message: 'oauth2 needs OAUTH2_AUDIENCES or OAUTH2_CLIENT_IDS',
        });
      }
    },
    { when: () => true },
  );

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
  const raw = readEnvironment(intakeEnvironment, env);
  return {
    claimsTableName: raw.CLAIMS_TABLE_NAME,
    intakeQueueUrl: raw.INTAKE_QUEUE_URL,
    responseDeadlineMs: raw.RESPONSE_DEADLINE_MS,
    claimRetentionDays: raw.CLAIM_RETENTION_DAYS,
    auth: authConfig(raw),
  };
}

/** The schema's cross-field check guarantees what each mode needs; this only narrows the types. */
function authConfig(raw: z.output<typeof intakeEnvironment>): IntakeAuthConfig {
  switch (raw.WEBHOOK_AUTH_MODE) {
    case 'none':
      return { mode: 'none' };
    case 'basic':
    case 'apikey':
      return {
        mode: raw.WEBHOOK_AUTH_MODE,
        secretArn: required(raw.WEBHOOK_AUTH_SECRET_ARN),
        secretMaxAgeSeconds: raw.WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS,
        apiKeyHeader: raw.WEBHOOK_API_KEY_HEADER,
      };
    case 'oauth2':
      return {
        mode: 'oauth2',
        oauth2: {
          issuer: required(raw.OAUTH2_ISSUER),
          ...(raw.OAUTH2_JWKS_URI ? { jwksUri: raw.OAUTH2_JWKS_URI } : {}),
          audiences: raw.OAUTH2_AUDIENCES,
          clientIds: raw.OAUTH2_CLIENT_IDS,
          requiredScopes: raw.OAUTH2_REQUIRED_SCOPES,
        },
        keysMaxStaleSeconds: raw.OAUTH2_KEYS_MAX_STALE_SECONDS,
      };
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('configuration check let a required value through');
  return value;
}
