/**
 * The deployment's configuration, read from CDK context (`cdk.json` "context" or `-c key=value`)
 * and validated once, before any construct is built. Every bad value is reported at the same time,
 * one line per problem, naming the context key and what it accepts. The webhook's auth follows the
 * same rules as the construct's props and the Lambda's environment (lambdas/contracts/webhook-auth.ts).
 */
import * as v from 'valibot';
import { editDistance } from '../lambdas/contracts/edit-distance.ts';
import { PROCESSOR_FUNCTION } from '../lambdas/contracts/functions.ts';
import { booleanSetting, httpUrlSetting, integerSetting, listSetting } from '../lambdas/contracts/settings.ts';
import {
  DEFAULT_API_KEY_HEADER,
  describeProblems,
  HEADER_NAME,
  WEBHOOK_AUTH_MODES,
  webhookAuthProblems,
  type WebhookAuthFieldNames,
  type WebhookAuthSettings,
} from '../lambdas/contracts/webhook-auth.ts';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { UNICO_API_DEFAULTS, UNICO_CONTRACTS, type UnicoContractName } from '../lambdas/contracts/unico-api.ts';
import { DEFAULT_UNICO_CONCURRENCY, UNICO_MAX_CONCURRENCY } from '../lambdas/contracts/webhook-capacity.ts';
import { cognitoDomainPrefixProblem } from './constructs/cognito-token-issuer.ts';

export interface StackConfig {
  /** Names the deployment: the stack is `UnicoWebhook-<stage>`. */
  readonly stage: string;
  /** A development stage: allows `auth: none` and http OAuth2 URLs; stateful resources are destroyed with the stack. */
  readonly development: boolean;
  readonly auth: WebhookAuthSettings;
  /** The timeout set in Unico's webhook form, in seconds. */
  readonly responseDeadlineSeconds: number;
  /** How long a claim (the idempotency record) is kept, in days. */
  readonly claimRetentionDays: number;
  /** Outcome fetching from Unico; absent when no service account is configured. */
  readonly unico?: {
    readonly serviceAccount: string;
    readonly contract: UnicoContractName;
    readonly apiBaseUrl?: string;
    readonly identityUrl?: string;
    readonly maxRequestsPerSecond: number;
  };
  readonly processorMaxConcurrency: number;
  /** Hours the processor keeps retrying an outcome Unico cannot give now. */
  readonly outcomeRetryPeriodHours: number;
  /** The fallback's schedule, where the context sets it. */
  readonly fallback: {
    readonly firstCheckSeconds?: number;
    readonly backoffFactor?: number;
    readonly maxCheckIntervalSeconds?: number;
  };
  /** Defences (docs/security.md): capacity, front, encryption, secrets of your own. */
  readonly defences: {
    /** The in-flight maximum set in Unico's webhook form. */
    readonly unicoConcurrency: number;
    readonly front: 'http-api' | 'rest-api-waf';
    readonly wafRateLimitPerIp?: number;
    readonly allowedSourceCidrs?: readonly string[];
    /** Encrypt the results queues with a customer-managed key created by the stack. */
    readonly kmsKey: boolean;
    /** An existing secret with the webhook credentials (basic and apikey). */
    readonly authSecretArn?: string;
    /** An existing secret with Unico's service-account key. */
    readonly unicoCredentialsSecretArn?: string;
  };
  /**
   * OAuth2 tokens issued by a Cognito pool the stack creates (`oauth2Provider=cognito`); `auth`
   * then holds only the mode and the keys' staleness, the rest being the pool's.
   */
  readonly cognito?: { readonly domainPrefix?: string };
  /** A copy of each results event on an EventBridge bus: `true` creates one, or an existing bus's ARN. */
  readonly resultsEventBus?: true | string;
  /** Days the receiver's events are archived on that bus, for replay. */
  readonly resultsArchiveDays?: number;
  // Observability (docs/operations.md).
  /** Subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** X-Ray active tracing on the functions (and the REST stage). */
  readonly tracing: boolean;
}

/** An EventBridge event bus ARN. */
const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/;

/** A complete Secrets Manager secret ARN (with its 6-character suffix), as fromSecretCompleteArn takes. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

/** The heading of the error `loadStackConfig` throws. */
export const CONTEXT_ERROR_HEADING = 'Invalid CDK context (set in cdk.json "context" or with -c key=value)';

/** Per key: the schema of one value, its default, and what it accepts (the error message). */
const KEYS = {
  stage: {
    schema: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,20}$/)),
    fallback: 'prod',
    allowed: '1 to 20 characters from a-z, 0-9 and "-"',
  },
  development: { schema: booleanSetting, fallback: false, allowed: 'true or false' },
  auth: {
    schema: v.picklist(WEBHOOK_AUTH_MODES),
    fallback: 'basic',
    allowed: `one of ${WEBHOOK_AUTH_MODES.join(', ')}`,
  },
  apiKeyHeader: {
    schema: v.pipe(v.string(), v.regex(HEADER_NAME)),
    fallback: DEFAULT_API_KEY_HEADER,
    allowed: "an HTTP header name (letters, digits and !#$%&'*+.^_`|~-), e.g. X-Api-Key",
  },
  oauth2Issuer: {
    schema: httpUrlSetting('https://id.example.com'),
    fallback: undefined,
    allowed: 'the https URL of the OAuth2 provider that issues the tokens Unico sends',
  },
  oauth2Audiences: {
    schema: listSetting,
    fallback: [],
    allowed: 'a comma-separated string or an array of audiences, without spaces',
  },
  oauth2ClientIds: {
    schema: listSetting,
    fallback: [],
    allowed: 'a comma-separated string or an array of client ids, without spaces',
  },
  oauth2Scopes: {
    schema: listSetting,
    fallback: [],
    allowed: 'a comma-separated string or an array of scopes, without spaces',
  },
  oauth2JwksUri: {
    schema: httpUrlSetting('https://id.example.com/jwks.json'),
    fallback: undefined,
    allowed: 'the https URL of the provider JWKS (default: the jwks_uri of <issuer>/.well-known/openid-configuration)',
  },
  // Cognito (docs/cognito.md).
  oauth2Provider: {
    schema: v.picklist(['oidc', 'cognito'] as const),
    fallback: 'oidc',
    allowed: 'oidc (your provider, with oauth2Issuer) or cognito (a user pool, its domain, scope and client created by the stack)',
  },
  oauth2DomainPrefix: {
    schema: v.pipe(
      v.string(),
      v.check((prefix) => cognitoDomainPrefixProblem(prefix) === undefined),
    ),
    fallback: undefined,
    allowed:
      'the prefix of <prefix>.auth.<region>.amazoncognito.com: 1 to 63 lower-case letters, digits and hyphens, no hyphen at either end, without "aws", "amazon" or "cognito" (default: derived from the stack name and account)',
  },
  oauth2KeysMaxStaleHours: {
    schema: integerSetting(1, 168),
    fallback: 24,
    allowed: 'an integer from 1 to 168 (hours the last keys read keep verifying while the provider fails)',
  },
  responseDeadlineSeconds: {
    schema: integerSetting(1, 30),
    fallback: 5,
    allowed: "an integer from 1 to 30 (the timeout set in Unico's webhook form, in seconds)",
  },
  claimRetentionDays: {
    schema: integerSetting(1, 3650),
    fallback: 90,
    allowed: 'an integer from 1 to 3650 (days a claim is kept)',
  },
  unicoServiceAccount: {
    schema: v.pipe(v.string(), v.regex(/^[^@\s]+@[^@\s]+$/)),
    fallback: undefined,
    allowed: "Unico's service account, <name>@<tenant>.iam.acesso.io (setting it turns outcome fetching on)",
  },
  unicoContract: {
    schema: v.picklist(UNICO_CONTRACTS),
    fallback: UNICO_API_DEFAULTS.contract,
    allowed: `one of ${UNICO_CONTRACTS.join(', ')} (the tenant's GetProcess contract)`,
  },
  unicoApiBaseUrl: {
    schema: httpUrlSetting(UNICO_API_DEFAULTS.apiBaseUrl['web-sdk']),
    fallback: undefined,
    allowed: `the https base URL of GetProcess (default ${UNICO_API_DEFAULTS.apiBaseUrl['web-sdk']} or ${UNICO_API_DEFAULTS.apiBaseUrl.api})`,
  },
  unicoIdentityUrl: {
    schema: httpUrlSetting(UNICO_API_DEFAULTS.identityUrl),
    fallback: undefined,
    allowed: `the https base URL of Unico's identity service (default ${UNICO_API_DEFAULTS.identityUrl})`,
  },
  unicoMaxRps: {
    schema: integerSetting(1, 1000),
    fallback: UNICO_API_DEFAULTS.maxRequestsPerSecond,
    allowed: 'an integer from 1 to 1000 (calls per second to Unico across all processors)',
  },
  fallbackFirstCheckSeconds: {
    schema: integerSetting(10, 86_400),
    fallback: undefined,
    allowed: 'an integer from 10 to 86400 (seconds from tracking a process to its first GetProcess check; default 900)',
  },
  fallbackBackoffFactor: {
    schema: integerSetting(1, 10),
    fallback: undefined,
    allowed: 'an integer from 1 to 10 (each later check of a tracked process waits this many times longer; default 2)',
  },
  fallbackMaxCheckIntervalSeconds: {
    schema: integerSetting(60, 604_800),
    fallback: undefined,
    allowed: 'an integer from 60 to 604800 (the longest wait between two checks of a tracked process; default 14400)',
  },
  outcomeRetryPeriodHours: {
    schema: integerSetting(1, 168),
    fallback: 3,
    allowed: 'an integer from 1 to 168 (hours the processor keeps retrying an outcome Unico cannot give now, before it publishes outcome_unavailable)',
  },
  processorMaxConcurrency: {
    schema: integerSetting(2, 1000),
    fallback: PROCESSOR_FUNCTION.defaultMaxConcurrency,
    allowed: 'an integer from 2 to 1000 (most processor invocations at once)',
  },
  // Defences (docs/security.md).
  unicoConcurrency: {
    schema: integerSetting(1, UNICO_MAX_CONCURRENCY),
    fallback: DEFAULT_UNICO_CONCURRENCY,
    allowed: `an integer from 1 to ${UNICO_MAX_CONCURRENCY} (the in-flight maximum set in Unico's webhook form; the stage throttle and the intake's reserved concurrency follow it)`,
  },
  front: {
    schema: v.picklist(['http-api', 'rest-api-waf'] as const),
    fallback: 'http-api',
    allowed: 'http-api or rest-api-waf (a REST API behind a regional AWS WAF web ACL)',
  },
  wafRateLimitPerIp: {
    schema: integerSetting(10, 2_000_000_000),
    fallback: undefined,
    allowed: 'an integer from 10 to 2000000000 (requests per source address per minute before WAF blocks it)',
  },
  allowedSourceCidrs: {
    schema: listSetting,
    fallback: undefined,
    allowed: 'a comma-separated string or an array of CIDRs (e.g. 203.0.113.0/24)',
  },
  // Results on EventBridge too (docs/eventbridge.md).
  resultsEventBus: {
    schema: v.union([booleanSetting, v.pipe(v.string(), v.regex(EVENT_BUS_ARN))]),
    fallback: undefined,
    allowed: 'true (a bus created by the stack), false, or an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)',
  },
  resultsArchiveDays: {
    schema: integerSetting(1, 3650),
    fallback: undefined,
    allowed: "an integer from 1 to 3650 (days the results bus's archive keeps the receiver's events, for replay)",
  },
  kmsKey: { schema: booleanSetting, fallback: false, allowed: 'true or false (a customer-managed KMS key for the results queues)' },
  // Observability (docs/operations.md).
  alarmEmail: {
    schema: v.pipe(v.string(), v.regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/)),
    fallback: undefined,
    allowed: 'an e-mail address (subscribed to the alarm topic; AWS asks it to confirm)',
  },
  tracing: { schema: booleanSetting, fallback: false, allowed: 'true or false (X-Ray active tracing on the functions and the REST stage)' },
  authSecretArn: {
    schema: v.pipe(v.string(), v.regex(SECRET_ARN)),
    fallback: undefined,
    allowed: 'the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  },
  unicoCredentialsSecretArn: {
    schema: v.pipe(v.string(), v.regex(SECRET_ARN)),
    fallback: undefined,
    allowed: 'the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  },
} as const;

export type ContextKey = keyof typeof KEYS;
/** The context keys this app reads; any other context (feature flags, ...) is left to the CDK. */
export const CONTEXT_KEYS = Object.keys(KEYS) as ContextKey[];

/** The context keys that carry each auth setting, so that a rule's problem names the key typed. */
const AUTH_CONTEXT_KEYS = {
  mode: 'auth',
  header: 'apiKeyHeader',
  issuer: 'oauth2Issuer',
  jwksUri: 'oauth2JwksUri',
  audiences: 'oauth2Audiences',
  clientIds: 'oauth2ClientIds',
  requiredScopes: 'oauth2Scopes',
  keysMaxStaleSeconds: 'oauth2KeysMaxStaleHours',
} as const satisfies WebhookAuthFieldNames;

const OAUTH2_ONLY_KEYS = [
  'oauth2Issuer',
  'oauth2Audiences',
  'oauth2ClientIds',
  'oauth2Scopes',
  'oauth2JwksUri',
  'oauth2KeysMaxStaleHours',
  'oauth2Provider',
  'oauth2DomainPrefix',
] as const satisfies readonly ContextKey[];

/** The keys a Cognito pool replaces: its issuer, key set, client and scope. */
const OIDC_ONLY_KEYS = ['oauth2Issuer', 'oauth2Audiences', 'oauth2ClientIds', 'oauth2Scopes', 'oauth2JwksUri'] as const satisfies readonly ContextKey[];

type Parsed = { -readonly [K in ContextKey]: v.InferOutput<(typeof KEYS)[K]['schema']> | undefined };

/** The whole context of a construct: this app's keys, the CDK's feature flags, anything else given. */
export function readContext(node: { getAllContext(): unknown }): Record<string, unknown> {
  const context = node.getAllContext();
  return typeof context === 'object' && context !== null ? { ...(context as Record<string, unknown>) } : {};
}

/**
 * Context keys that are not this app's but look like one of them: the same but for case, a letter
 * or two off, or one beginning with the other (`authMode` for `auth`). Each is a problem naming
 * the key meant, so that a misspelled `-c` never deploys the default without a word. Keys with a
 * ":" or "/" (the CDK's feature flags and its own settings, `@aws-cdk/...`, `aws:cdk:...`) and
 * keys like none of this app's are left alone.
 */
export function misspelledKeys(context: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const given of Object.keys(context)) {
    if ((CONTEXT_KEYS as readonly string[]).includes(given) || /[:/@]/.test(given)) continue;
    const meant = keyMeant(given);
    if (meant !== undefined) problems.push(`${given}: not a context key of this app; did you mean ${meant}?`);
  }
  return problems;
}

function keyMeant(given: string): ContextKey | undefined {
  const lower = given.toLowerCase();
  let best: { key: ContextKey; distance: number } | undefined;
  for (const key of CONTEXT_KEYS) {
    const known = key.toLowerCase();
    if (known === lower) return key;
    const distance = editDistance(lower, known);
    const close = distance <= (known.length <= 5 ? 1 : 2);
    // `authMode` for `auth`, `responseDeadline` for `responseDeadlineSeconds`.
    const extends_ = Math.min(lower.length, known.length) >= 4 && (lower.startsWith(known) || known.startsWith(lower));
    if ((close || extends_) && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/**
 * Validates the context and returns the typed configuration. Throws a `ConfigurationError`
 * listing every problem. Other keys are ignored (the context also holds the CDK's feature flags),
 * unless they look like a misspelling of this app's keys (see misspelledKeys).
 */
export function loadStackConfig(context: Record<string, unknown>): StackConfig {
  const problems: string[] = [...misspelledKeys(context)];
  const parsed = {} as Parsed;
  const given = (key: ContextKey): boolean => context[key] !== undefined && context[key] !== null;

  for (const key of CONTEXT_KEYS) {
    const spec = KEYS[key];
    if (!given(key)) {
      (parsed as Record<ContextKey, unknown>)[key] = spec.fallback;
      continue;
    }
    const result = v.safeParse(spec.schema, context[key]);
    if (result.success) (parsed as Record<ContextKey, unknown>)[key] = result.output;
    else problems.push(`${key}: must be ${spec.allowed} (got ${show(context[key])})`);
  }

  const failed = (key: ContextKey): boolean => given(key) && parsed[key] === undefined;
  const development = parsed.development ?? false;
  const mode = parsed.auth;

  if (mode !== undefined && mode !== 'apikey' && given('apiKeyHeader') && !failed('apiKeyHeader')) {
    problems.push(`apiKeyHeader: applies only when auth is apikey (auth is ${mode}); remove it`);
  }
  if (mode !== undefined && mode !== 'oauth2') {
    for (const key of OAUTH2_ONLY_KEYS.filter((key) => given(key) && !failed(key))) {
      problems.push(`${key}: applies only when auth is oauth2 (auth is ${mode}); remove it`);
    }
  }
  const cognito = mode === 'oauth2' && parsed.oauth2Provider === 'cognito';
  if (cognito) {
    for (const key of OIDC_ONLY_KEYS.filter((key) => given(key) && !failed(key))) {
      problems.push(`${key}: not with oauth2Provider=cognito (the pool the stack creates sets it); remove it`);
    }
  } else if (mode === 'oauth2' && given('oauth2DomainPrefix') && !failed('oauth2DomainPrefix')) {
    problems.push('oauth2DomainPrefix: applies only with oauth2Provider=cognito; set it or remove oauth2DomainPrefix');
  }
  if (mode === 'oauth2' && !cognito && !given('oauth2Issuer')) {
    problems.push(`oauth2Issuer: required when auth is oauth2; must be ${KEYS.oauth2Issuer.allowed}`);
  }
  const auth = mode === undefined ? undefined : authSettings(mode, parsed);
  if (auth !== undefined) {
    // A key already reported as malformed is not reported again; with Cognito only the keys'
    // staleness is the context's own.
    const ruled = webhookAuthProblems(auth, development, AUTH_CONTEXT_KEYS).filter(
      (problem) =>
        !failed(AUTH_CONTEXT_KEYS[problem.field]) &&
        !(problem.field === 'issuer' && !given('oauth2Issuer')) &&
        (!cognito || problem.field === 'keysMaxStaleSeconds'),
    );
    problems.push(...describeProblems(ruled, AUTH_CONTEXT_KEYS));
  }

  const unicoKeys = [
    'unicoContract',
    'unicoApiBaseUrl',
    'unicoIdentityUrl',
    'unicoMaxRps',
    'fallbackFirstCheckSeconds',
    'fallbackBackoffFactor',
    'fallbackMaxCheckIntervalSeconds',
  ] as const;
  if (!given('unicoServiceAccount')) {
    for (const key of unicoKeys.filter((key) => given(key) && !failed(key))) {
      problems.push(`${key}: applies only with unicoServiceAccount (outcome fetching); set it or remove ${key}`);
    }
  }
  for (const key of ['unicoApiBaseUrl', 'unicoIdentityUrl'] as const) {
    const url = parsed[key];
    if (url !== undefined && !url.startsWith('https:')) problems.push(`${key}: must use https`);
  }

  // Defences: keys that apply only with another one.
  const front = parsed.front ?? 'http-api';
  for (const key of (['wafRateLimitPerIp', 'allowedSourceCidrs'] as const).filter((key) => given(key) && !failed(key))) {
    if (front !== 'rest-api-waf') problems.push(`${key}: applies only when front is rest-api-waf (front is ${front}); set it or remove ${key}`);
  }
  if (given('authSecretArn') && !failed('authSecretArn') && mode !== undefined && mode !== 'basic' && mode !== 'apikey') {
    problems.push(`authSecretArn: applies only when auth is basic or apikey (auth is ${mode}); remove it`);
  }
  if (given('unicoCredentialsSecretArn') && !failed('unicoCredentialsSecretArn') && !given('unicoServiceAccount')) {
    problems.push('unicoCredentialsSecretArn: applies only with unicoServiceAccount (outcome fetching); set it or remove unicoCredentialsSecretArn');
  }

  const bus = parsed.resultsEventBus === false ? undefined : parsed.resultsEventBus;
  if (given('resultsArchiveDays') && !failed('resultsArchiveDays') && bus === undefined) {
    problems.push('resultsArchiveDays: applies only with resultsEventBus; set it or remove resultsArchiveDays');
  }

  if (problems.length > 0 || auth === undefined) throw new ConfigurationError(CONTEXT_ERROR_HEADING, problems);
  const serviceAccount = parsed.unicoServiceAccount;
  return {
    stage: parsed.stage ?? KEYS.stage.fallback,
    development,
    auth,
    responseDeadlineSeconds: parsed.responseDeadlineSeconds ?? KEYS.responseDeadlineSeconds.fallback,
    claimRetentionDays: parsed.claimRetentionDays ?? KEYS.claimRetentionDays.fallback,
    processorMaxConcurrency: parsed.processorMaxConcurrency ?? KEYS.processorMaxConcurrency.fallback,
    outcomeRetryPeriodHours: parsed.outcomeRetryPeriodHours ?? KEYS.outcomeRetryPeriodHours.fallback,
    defences: {
      unicoConcurrency: parsed.unicoConcurrency ?? KEYS.unicoConcurrency.fallback,
      front,
      kmsKey: parsed.kmsKey ?? false,
      ...(parsed.wafRateLimitPerIp !== undefined ? { wafRateLimitPerIp: parsed.wafRateLimitPerIp } : {}),
      ...(parsed.allowedSourceCidrs !== undefined ? { allowedSourceCidrs: parsed.allowedSourceCidrs } : {}),
      ...(parsed.authSecretArn !== undefined ? { authSecretArn: parsed.authSecretArn } : {}),
      ...(parsed.unicoCredentialsSecretArn !== undefined ? { unicoCredentialsSecretArn: parsed.unicoCredentialsSecretArn } : {}),
    },
    fallback: {
      ...(parsed.fallbackFirstCheckSeconds !== undefined ? { firstCheckSeconds: parsed.fallbackFirstCheckSeconds } : {}),
      ...(parsed.fallbackBackoffFactor !== undefined ? { backoffFactor: parsed.fallbackBackoffFactor } : {}),
      ...(parsed.fallbackMaxCheckIntervalSeconds !== undefined ? { maxCheckIntervalSeconds: parsed.fallbackMaxCheckIntervalSeconds } : {}),
    },
    ...(bus !== undefined ? { resultsEventBus: bus } : {}),
    ...(parsed.alarmEmail !== undefined ? { alarmEmail: parsed.alarmEmail } : {}),
    tracing: parsed.tracing ?? false,
    ...(bus !== undefined && parsed.resultsArchiveDays !== undefined ? { resultsArchiveDays: parsed.resultsArchiveDays } : {}),
    ...(cognito ? { cognito: parsed.oauth2DomainPrefix !== undefined ? { domainPrefix: parsed.oauth2DomainPrefix } : {} } : {}),
    ...(serviceAccount !== undefined
      ? {
          unico: {
            serviceAccount,
            contract: parsed.unicoContract ?? KEYS.unicoContract.fallback,
            ...(parsed.unicoApiBaseUrl !== undefined ? { apiBaseUrl: parsed.unicoApiBaseUrl } : {}),
            ...(parsed.unicoIdentityUrl !== undefined ? { identityUrl: parsed.unicoIdentityUrl } : {}),
            maxRequestsPerSecond: parsed.unicoMaxRps ?? KEYS.unicoMaxRps.fallback,
          },
        }
      : {}),
  };
}

function authSettings(mode: WebhookAuthSettings['mode'], parsed: Parsed): WebhookAuthSettings {
  switch (mode) {
    case 'none':
    case 'basic':
      return { mode };
    case 'apikey':
      return { mode, header: parsed.apiKeyHeader ?? DEFAULT_API_KEY_HEADER };
    case 'oauth2':
      return {
        mode,
        issuer: parsed.oauth2Issuer ?? '',
        ...(parsed.oauth2JwksUri !== undefined ? { jwksUri: parsed.oauth2JwksUri } : {}),
        audiences: parsed.oauth2Audiences ?? [],
        clientIds: parsed.oauth2ClientIds ?? [],
        requiredScopes: parsed.oauth2Scopes ?? [],
        keysMaxStaleSeconds: (parsed.oauth2KeysMaxStaleHours ?? KEYS.oauth2KeysMaxStaleHours.fallback) * 3600,
      };
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
