/**
 * The props of `UnicoWebhookReceiver`, and their check: every problem reported at once at synth,
 * in the props' own names. The webhook's auth follows the same rules as the CDK context and the
 * Lambda's environment (lambdas/contracts/webhook-auth.ts).
 */
import { DEFAULT_FALLBACK_SCHEDULE, type FallbackSchedule } from '../lambdas/contracts/fallback-schedule.ts';
import { DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, OUTCOME_RETRY_PERIOD_BOUNDS } from '../lambdas/contracts/outcome-retries.ts';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  DEFAULT_API_KEY_HEADER,
  describeProblems,
  KEYS_MAX_STALE_SECONDS,
  webhookAuthProblems,
  type WebhookAuthFieldNames,
  type WebhookAuthSettings,
} from '../lambdas/contracts/webhook-auth.ts';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { PROCESSOR_FUNCTION } from '../lambdas/contracts/functions.ts';
import {
  UNICO_API_DEFAULTS,
  type UnicoApiSettings,
  type UnicoContractName,
} from '../lambdas/contracts/unico-api.ts';
import { isHttpUrl, isWholeNumberIn } from '../lambdas/contracts/settings.ts';
import { budgetCapacityProblem } from '../lambdas/contracts/request-budget-capacity.ts';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  capacityProblems,
  DEFAULT_UNICO_CONCURRENCY,
  throttleProblems,
  webhookCapacity,
  type WebhookCapacity,
} from '../lambdas/contracts/webhook-capacity.ts';
import { COGNITO_DEFAULTS, cognitoDomainPrefixProblem, type CognitoIssuerSettings } from './constructs/cognito-token-issuer.ts';

/** How Unico authenticates to the webhook (what is configured in Unico's webhook form). */
export type WebhookAuth =
  /** No authentication. Refused unless `development` is true. */
  | { readonly mode: 'none' }
  | {
      readonly mode: 'basic';
      /**
       * User name of the generated credential. Only for a generated secret: a secret you pass
       * carries its own user name.
       * @default 'unico'
       */
      readonly username?: string;
      /**
       * Secret holding `{"username","password","previous"?:[{"username","password"}]}`.
       * @default - a secret is generated (40 letters and digits)
       */
      readonly secret?: ISecret;
    }
  | {
      readonly mode: 'apikey';
      /**
       * Header Unico puts the key in. With `Authorization` Unico sends the key as the whole
       * header value, without a scheme.
       * @default 'Authorization'
       */
      readonly header?: string;
      /**
       * Secret holding `{"value","header"?,"previous"?:[{"value","header"?}]}`.
       * @default - a secret is generated (40 letters and digits)
       */
      readonly secret?: ISecret;
    }
  | {
      readonly mode: 'oauth2';
      /**
       * Your own OAuth2/OpenID provider (`'oidc'`), or a Cognito user pool created here (`'cognito'`,
       * the other variant).
       * @default 'oidc'
       */
      readonly provider?: 'oidc';
      /** Issuer (`iss`) of the tokens Unico fetches from your OAuth2 provider; an https URL. */
      readonly issuer: string;
      /**
       * Accepted `aud` values. At least one audience or client id is required.
       * @default - none
       */
      readonly audiences?: string[];
      /**
       * Accepted client ids (`client_id`/`azp`). At least one audience or client id is required.
       * @default - none
       */
      readonly clientIds?: string[];
      /**
       * Scopes every token must carry.
       * @default - no scope required
       */
      readonly requiredScopes?: string[];
      /**
       * JWKS URL of the provider.
       * @default - discovered from the issuer's OpenID configuration
       */
      readonly jwksUri?: string;
      /**
       * How long the keys of the last good read of the provider's key set keep verifying tokens
       * while the provider fails (its outages answer 503, never 401), 10 minutes to 7 days.
       * @default Duration.hours(24)
       */
      readonly keysMaxStale?: Duration;
    }
  | CognitoWebhookAuth;

/**
 * OAuth2 with a token issuer created here: a Cognito user pool with no users, its prefix domain,
 * a resource server with one scope and one client-credentials client for Unico (docs/cognito.md).
 * The intake accepts only that client's access tokens carrying that scope.
 */
export interface CognitoWebhookAuth {
  readonly mode: 'oauth2';
  readonly provider: 'cognito';
  /**
   * The prefix of the token endpoint's domain, `<prefix>.auth.<region>.amazoncognito.com`: unique
   * in the region across all accounts; lower-case letters, digits and hyphens, without "aws",
   * "amazon" or "cognito".
   * @default - `<stack name>-<8 characters of this construct's id>-<account id>`
   */
  readonly domainPrefix?: string;
  /**
   * The one scope Unico's client may ask for and every token must carry, `<resource server>/<name>`.
   * @default 'unico-webhook/deliver'
   */
  readonly scope?: string;
  /**
   * How long an access token is valid (5 minutes to 1 day). Unico fetches a new one itself.
   * @default Duration.hours(1)
   */
  readonly accessTokenValidity?: Duration;
  /**
   * How long the last keys read keep verifying while Cognito's key set cannot be read (10 minutes to 7 days).
   * @default Duration.hours(24)
   */
  readonly keysMaxStale?: Duration;
}

export interface WebhookThrottling {
  /**
   * Steady-state requests per second for the webhook stage. Below the value derived from
   * `unicoConcurrency` it is refused unless `development` is true (a flush would get 429s).
   * @default - unicoConcurrency / 50 ms (lambdas/contracts/webhook-capacity.ts)
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests for the webhook stage; below the derived value, as `rateLimit`.
   * @default - 2 × unicoConcurrency
   */
  readonly burstLimit?: number;
}

/**
 * What receives Unico's requests: an HTTP API (cheaper, quicker, no WAF) or a REST API with a
 * regional AWS WAF web ACL in front (strangers refused before they reach the function or count
 * against the stage throttle). See docs/security.md.
 */
export type WebhookFront = 'http-api' | 'rest-api-waf';

/** The WAF web ACL of the `rest-api-waf` front. */
export interface WebhookWafProps {
  /**
   * Requests one source address may send in a 1-minute window before WAF blocks it (10 to
   * 2,000,000,000). Unico's deliveries come from few addresses, possibly one, so the default lets
   * a single address send a whole flush; lower it once the access logs show Unico's addresses.
   * @default - the derived stage rate × 60
   */
  readonly rateLimitPerIp?: number;
  /**
   * Only these source CIDRs (IPv4 or IPv6) reach the API. Unico publishes no fixed list of
   * addresses, so this is off unless you obtain one from Unico.
   * @default - no allow list
   */
  readonly allowedSourceCidrs?: string[];
}

/** How the processor reaches Unico's API to fetch each finished process's outcome. */
export interface UnicoApiAccess {
  /** The service account (`<name>@<tenant>.iam.acesso.io`): the token assertion's `iss`. */
  readonly serviceAccount: string;
  /**
   * The tenant's GetProcess contract.
   * @default 'web-sdk'
   */
  readonly contract?: UnicoContractName;
  /**
   * GetProcess's base URL.
   * @default 'https://api.idcloud.unico.app' (web-sdk) or 'https://api.id.unico.app' (api)
   */
  readonly apiBaseUrl?: string;
  /**
   * The identity service's base URL (the token URL is `<identityUrl>/oauth2/token`).
   * @default 'https://identity.acesso.io'
   */
  readonly identityUrl?: string;
  /**
   * Secret holding `{"privateKey": "<PEM>", "apiKey"?: "<APIKEY for the api contract>"}`.
   * @default - a secret is created for you to fill in (until then outcomes cannot be fetched)
   */
  readonly credentials?: ISecret;
  /**
   * Calls per second to Unico (token and GetProcess) across every processor and fallback: the
   * receiver's share of the tenant's budget (Unico's default is 10 per tenant).
   * @default 5
   */
  readonly maxRequestsPerSecond?: number;
}

/** When the fallback checks a tracked process; every value is optional. */
export interface FallbackProps {
  /** From tracking to the first check (10 s to 1 day). @default Duration.minutes(15) */
  readonly firstCheck?: Duration;
  /** Each later check waits this many times longer (1 to 10). @default 2 */
  readonly backoffFactor?: number;
  /** The longest wait between two checks (1 minute to 7 days, at least firstCheck). @default Duration.hours(4) */
  readonly maxCheckInterval?: Duration;
  /** After journey-finished, the next check comes within this (0 to 1 hour). @default Duration.minutes(1) */
  readonly journeyFinishedCheck?: Duration;
  /** Tracking ends this long after it began when Unico gave no expiresAt (1 hour to 30 days). @default Duration.days(7) */
  readonly defaultExpiry?: Duration;
  /** How often the fallback runs (1 to 60 minutes). @default Duration.minutes(1) */
  readonly interval?: Duration;
  /** Recoveries within an hour that raise the recoveries alarm. @default 10 */
  readonly recoveryAlarmThreshold?: number;
}

export interface UnicoWebhookReceiverProps {
  /**
   * Fetch each finished process's outcome from Unico (GetProcess) for the results events.
   * @default - off: events carry `outcome: null`
   */
  readonly unico?: UnicoApiAccess;
  /**
   * Most processor invocations at once (the SQS event source's maximum concurrency, 2 to 1000).
   * @default 5
   */
  readonly processorMaxConcurrency?: number;
  /**
   * How long the processor keeps retrying an outcome Unico cannot give now (429, 5xx, timeouts,
   * refused credentials, a process not final yet), from when the notification was queued; then
   * the results event carries `outcome_unavailable` (or `process_not_final`). The intake queue's
   * dead-letter limit is sized from it. 1 hour to 7 days, in whole seconds.
   * @default Duration.hours(3)
   */
  readonly outcomeRetryPeriod?: Duration;
  /**
   * The GetProcess fallback for tracked processes (with `unico` only): when it checks and how
   * often it runs.
   * @default the schedule of lambdas/contracts/fallback-schedule.ts, every minute
   */
  readonly fallback?: FallbackProps;
  /**
   * How Unico authenticates to the webhook.
   * @default { mode: 'basic' } with a generated secret
   */
  readonly auth?: WebhookAuth;
  /**
   * A development deployment: allows `auth: { mode: 'none' }` and http OAuth2 URLs.
   * @default false
   */
  readonly development?: boolean;
  /**
   * The timeout set in Unico's webhook form: the intake answers within it (1 to 30 seconds).
   * The function's timeout is this plus one second.
   * @default Duration.seconds(5)
   */
  readonly responseDeadline?: Duration;
  /**
   * How long a claim (the idempotency record of processId + state) is kept, in whole days
   * (1 to 3650). Redeliveries after that are treated as new.
   * @default Duration.days(90)
   */
  readonly claimRetention?: Duration;
  /**
   * Throttling of the webhook stage: an override of what `unicoConcurrency` gives.
   * @default - derived from unicoConcurrency (10,000 requests/s, burst 1000 for 500)
   */
  readonly throttling?: WebhookThrottling;
  /**
   * Removal policy of the claims table, the queues, the generated secret and the log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the intake function's logs and the API access logs.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Visibility timeout of the intake queue, 180 to 270 seconds: at least six times the
   * processor's 30-second timeout (AWS's guidance), and at most the results queue's 5-minute
   * deduplication window less one processor run (a processor that crashed after publishing must
   * publish again within it; docs/architecture.md).
   * @default Duration.seconds(180) (6 × a 30-second processor)
   */
  readonly intakeVisibilityTimeout?: Duration;
  /**
   * Acknowledge the cdk-nag (AwsSolutions) findings this construct accepts by design, each with
   * its reason (see `acknowledgeNagFindings`). Set false to review every finding.
   * @default true
   */
  readonly acknowledgeNagFindings?: boolean;

  // Defences: capacity, front, encryption (docs/security.md).
  /**
   * The maximum of simultaneous in-flight deliveries set in Unico's webhook form (1 to 500). The
   * stage throttle and the intake's reserved concurrency are derived from it.
   * @default 500 (Unico's maximum: whatever the form says is absorbed)
   */
  readonly unicoConcurrency?: number;
  /**
   * What receives Unico's requests.
   * @default 'http-api'
   */
  readonly front?: WebhookFront;
  /**
   * The WAF web ACL (with `front: 'rest-api-waf'` only).
   * @default - per-IP rate rule at the derived rate, AWS common rule set, no allow list
   */
  readonly waf?: WebhookWafProps;
  /**
   * Encrypt what carries personal data (the results queue and its dead-letter queue) with a
   * customer-managed KMS key created here (rotation on). Consumers then need `kms:Decrypt` on it.
   * @default false (SQS-managed encryption)
   */
  readonly customerManagedKey?: boolean;
  /**
   * Your own KMS key for the same queues, instead of one created here.
   * @default - none
   */
  readonly encryptionKey?: IKey;

  // Results on EventBridge too (docs/eventbridge.md).
  /**
   * Put a copy of each results event on an EventBridge bus too (before the results queue; the bus
   * is at-least-once: a copy keeps its CloudEvent `id`): `true` creates a bus, or pass yours.
   * @default - none: the results queue only
   */
  readonly resultsEventBus?: IEventBus | boolean;
  /**
   * Archive the receiver's events on that bus for this long (whole days, 1 to 3650), for replay.
   * @default - no archive
   */
  readonly resultsArchiveRetention?: Duration;

  // Observability (docs/operations.md).
  /**
   * The SNS topic every alarm notifies, in alarm and back to OK.
   * @default - a topic is created (encrypted with the AWS-managed SNS key, TLS only)
   */
  readonly alarmTopic?: ITopic;
  /**
   * An e-mail address subscribed to the alarm topic (AWS sends a confirmation e-mail first).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * X-Ray active tracing on the functions, and on the stage with the REST API front (an HTTP API
   * has no X-Ray). No X-Ray SDK is bundled: Lambda's own segments only.
   * @default false
   */
  readonly tracing?: boolean;
}

/** The props with every default applied, checked. */
export interface ReceiverSettings {
  readonly auth: WebhookAuth;
  /** The auth settings as every place of the receiver reads them (secrets aside). */
  readonly authSettings: WebhookAuthSettings;
  readonly development: boolean;
  readonly responseDeadlineMs: number;
  readonly claimRetentionDays: number;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly intakeVisibilityTimeout: Duration | undefined;
  readonly processorMaxConcurrency: number;
  readonly outcomeRetryPeriodSeconds: number;
  readonly fallbackSchedule: FallbackSchedule;
  readonly fallbackInterval: Duration;
  readonly fallbackRecoveryAlarmThreshold: number;
  /** Outcome fetching, when on. */
  readonly unico?: { readonly api: UnicoApiSettings; readonly credentials?: ISecret };
  // Defences (docs/security.md).
  /** What the stage throttle and the intake's reserved concurrency are derived from. */
  readonly capacity: WebhookCapacity;
  readonly front: WebhookFront;
  /** Requests per source address per minute before WAF blocks it (`rest-api-waf` only). */
  readonly wafRateLimitPerIp: number;
  readonly allowedSourceCidrs: readonly string[];
  /** The key for the results queues: `true` to create one, a key of yours, or none. */
  readonly encryptionKey: IKey | true | undefined;
  // Cognito (docs/cognito.md).
  /**
   * The Cognito token issuer to create (`provider: 'cognito'`). Its `authSettings` are known only
   * once the pool exists: the construct replaces this object's `authSettings` before any use.
   */
  readonly cognito?: CognitoIssuerSettings;
  // Results on EventBridge too (docs/eventbridge.md).
  /** The bus that gets a copy of each event: `true` to create one, yours, or none. */
  readonly resultsEventBus?: IEventBus | true;
  readonly resultsArchiveRetentionDays?: number;
  // Observability (docs/operations.md).
  /** X-Ray active tracing on the functions (and the REST API's stage). */
  readonly tracing: boolean;
}

/** The heading of the error the construct throws for invalid props. */
export const PROPS_ERROR_HEADING = 'Invalid UnicoWebhookReceiver props';

const MAX_RESPONSE_DEADLINE_SECONDS = 30;

/** What the props call the auth settings. */
const AUTH_PROP_NAMES = {
  mode: 'auth.mode',
  header: 'auth.header',
  issuer: 'auth.issuer',
  jwksUri: 'auth.jwksUri',
  audiences: 'auth.audiences',
  clientIds: 'auth.clientIds',
  requiredScopes: 'auth.requiredScopes',
  keysMaxStaleSeconds: 'auth.keysMaxStale',
} as const satisfies WebhookAuthFieldNames;

/** Applies the defaults and checks the props; throws a `ConfigurationError` listing every problem. */
export function receiverSettings(props: UnicoWebhookReceiverProps): ReceiverSettings {
  const auth: WebhookAuth = props.auth ?? { mode: 'basic' };
  const development = props.development ?? false;
  const responseDeadline = props.responseDeadline ?? Duration.seconds(5);
  const claimRetention = props.claimRetention ?? Duration.days(90);
  const problems: string[] = [];
  const defences = defenceSettings(props, development, problems);
  const { rateLimit, burstLimit } = defences;

  const responseDeadlineMs = responseDeadline.toMilliseconds();
  if (!isWholeNumberIn(responseDeadlineMs, 1000, MAX_RESPONSE_DEADLINE_SECONDS * 1000)) {
    problems.push(
      `responseDeadline: must be from 1 to ${MAX_RESPONSE_DEADLINE_SECONDS} seconds (the timeout in Unico's webhook form); got ${responseDeadline.toHumanString()}`,
    );
  }
  const claimRetentionDays = claimRetention.toDays({ integral: false });
  if (!isWholeNumberIn(claimRetentionDays, 1, 3650)) {
    problems.push(`claimRetention: must be a whole number of days from 1 to 3650; got ${claimRetention.toHumanString()}`);
  }
  if (!Number.isFinite(rateLimit) || rateLimit <= 0) {
    problems.push(`throttling.rateLimit: must be above 0; got ${rateLimit}`);
  }
  if (!isWholeNumberIn(burstLimit, 1)) {
    problems.push(`throttling.burstLimit: must be a whole number of at least 1; got ${burstLimit}`);
  }
  if (auth.mode === 'basic') {
    if (auth.secret !== undefined && auth.username !== undefined) {
      problems.push('auth.username: applies only to a generated secret; the secret you pass holds its own username');
    }
    if (auth.username !== undefined && known(auth.username) && !/^[^:\s]{1,128}$/.test(auth.username)) {
      problems.push('auth.username: must be 1 to 128 characters without colons or spaces (RFC 7617)');
    }
  }
  const cognito = auth.mode === 'oauth2' && auth.provider === 'cognito' ? cognitoSettings(auth, problems) : undefined;
  const authSettings = settingsOf(auth);
  // A value only known at deploy time (a token) is checked there, not here.
  const ruled = webhookAuthProblems(authSettings, development, AUTH_PROP_NAMES).filter((problem) =>
    knownField(auth, problem.field),
  );
  problems.push(...describeProblems(ruled, AUTH_PROP_NAMES));

  const processorMaxConcurrency = props.processorMaxConcurrency ?? PROCESSOR_FUNCTION.defaultMaxConcurrency;
  if (!isWholeNumberIn(processorMaxConcurrency, 2, 1000)) {
    problems.push(`processorMaxConcurrency: must be a whole number from 2 to 1000; got ${processorMaxConcurrency}`);
  }
  const outcomeRetryPeriod = props.outcomeRetryPeriod ?? Duration.seconds(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS);
  const outcomeRetryPeriodSeconds = outcomeRetryPeriod.toSeconds({ integral: false });
  const { minSeconds, maxSeconds } = OUTCOME_RETRY_PERIOD_BOUNDS;
  if (!isWholeNumberIn(outcomeRetryPeriodSeconds, minSeconds, maxSeconds)) {
    problems.push(`outcomeRetryPeriod: must be whole seconds from 1 hour to 7 days; got ${outcomeRetryPeriod.toHumanString()}`);
  }
  const unico = props.unico === undefined ? undefined : unicoSettings(props.unico, problems);
  const fallback = fallbackSettings(props.fallback ?? {}, problems);
  const budgetProblem = unico && budgetCapacityProblem(processorMaxConcurrency, unico.api.maxRequestsPerSecond);
  if (budgetProblem) problems.push(budgetProblem);

  const eventBus = resultsEventBusSettings(props, problems);
  if (props.alarmEmail !== undefined && known(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    problems.push('alarmEmail: must be an e-mail address');
  }
  if (problems.length > 0) throw new ConfigurationError(PROPS_ERROR_HEADING, problems);
  return {
    auth,
    authSettings,
    development,
    responseDeadlineMs,
    claimRetentionDays,
    rateLimit,
    burstLimit,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    intakeVisibilityTimeout: props.intakeVisibilityTimeout,
    capacity: defences.capacity,
    front: defences.front,
    wafRateLimitPerIp: defences.wafRateLimitPerIp,
    allowedSourceCidrs: defences.allowedSourceCidrs,
    encryptionKey: defences.encryptionKey,
    ...(cognito ? { cognito } : {}),
    ...eventBus,
    processorMaxConcurrency,
    outcomeRetryPeriodSeconds,
    ...fallback,
    ...(unico ? { unico } : {}),
    tracing: props.tracing ?? false,
  };
}

function unicoSettings(
  access: UnicoApiAccess,
  problems: string[],
): { readonly api: UnicoApiSettings; readonly credentials?: ISecret } {
  const contract = access.contract ?? UNICO_API_DEFAULTS.contract;
  const api: UnicoApiSettings = {
    contract,
    apiBaseUrl: access.apiBaseUrl ?? UNICO_API_DEFAULTS.apiBaseUrl[contract],
    identityUrl: access.identityUrl ?? UNICO_API_DEFAULTS.identityUrl,
    serviceAccount: access.serviceAccount,
    maxRequestsPerSecond: access.maxRequestsPerSecond ?? UNICO_API_DEFAULTS.maxRequestsPerSecond,
  };
  if (known(api.serviceAccount) && !/^[^@\s]+@[^@\s]+$/.test(api.serviceAccount)) {
    problems.push('unico.serviceAccount: must look like <name>@<tenant>.iam.acesso.io');
  }
  for (const [name, url] of [['unico.apiBaseUrl', api.apiBaseUrl], ['unico.identityUrl', api.identityUrl]] as const) {
    if (known(url) && (!isHttpUrl(url) || !url.startsWith('https:'))) problems.push(`${name}: must be an https URL`);
  }
  const rps = api.maxRequestsPerSecond;
  if (!isWholeNumberIn(rps, 1, 1000)) {
    problems.push(`unico.maxRequestsPerSecond: must be a whole number from 1 to 1000; got ${rps}`);
  }
  return { api, ...(access.credentials ? { credentials: access.credentials } : {}) };
}

function settingsOf(auth: WebhookAuth): WebhookAuthSettings {
  switch (auth.mode) {
    case 'none':
    case 'basic':
      return { mode: auth.mode };
    case 'apikey':
      return { mode: 'apikey', header: auth.header ?? DEFAULT_API_KEY_HEADER };
    case 'oauth2':
      // Cognito's issuer, client and scope exist only once the pool does (see ReceiverSettings.cognito).
      if (auth.provider === 'cognito') {
        return { mode: 'oauth2', issuer: '', audiences: [], clientIds: [], requiredScopes: [], keysMaxStaleSeconds: keysMaxStaleSeconds(auth.keysMaxStale) };
      }
      return {
        mode: 'oauth2',
        issuer: auth.issuer,
        ...(auth.jwksUri !== undefined ? { jwksUri: auth.jwksUri } : {}),
        audiences: auth.audiences ?? [],
        clientIds: auth.clientIds ?? [],
        requiredScopes: auth.requiredScopes ?? [],
        keysMaxStaleSeconds: keysMaxStaleSeconds(auth.keysMaxStale),
      };
  }
}

const keysMaxStaleSeconds = (stale: Duration | undefined): number =>
  stale === undefined || stale.isUnresolved() ? KEYS_MAX_STALE_SECONDS.fallback : stale.toSeconds({ integral: false });

/** The Cognito issuer's props with defaults applied, checked against Cognito's own limits. */
function cognitoSettings(auth: CognitoWebhookAuth, problems: string[]): CognitoIssuerSettings {
  const prefix = auth.domainPrefix;
  const prefixProblem = prefix !== undefined && known(prefix) ? cognitoDomainPrefixProblem(prefix) : undefined;
  if (prefixProblem) problems.push(`auth.domainPrefix: ${prefixProblem}; got ${prefix}`);
  const scope = auth.scope ?? `${COGNITO_DEFAULTS.resourceServer}/${COGNITO_DEFAULTS.scopeName}`;
  const [resourceServer = '', scopeName = ''] = scope.split('/');
  if (!/^[A-Za-z0-9._~-]{1,100}\/[A-Za-z0-9._~-]{1,100}$/.test(scope)) {
    problems.push(`auth.scope: must be <resource server>/<scope name>, each 1 to 100 letters, digits and ._~-; got ${scope}`);
  }
  const validity = auth.accessTokenValidity ?? Duration.minutes(COGNITO_DEFAULTS.accessTokenValidityMinutes);
  const minutes = validity.isUnresolved() ? 60 : validity.toMinutes({ integral: false });
  if (!isWholeNumberIn(minutes, 5, 1440)) {
    problems.push(`auth.accessTokenValidity: must be whole minutes from 5 minutes to 1 day (Cognito's limits); got ${validity.toHumanString()}`);
  }
  return {
    ...(prefix !== undefined ? { domainPrefix: prefix } : {}),
    resourceServer,
    scopeName,
    accessTokenValidity: validity,
    keysMaxStaleSeconds: keysMaxStaleSeconds(auth.keysMaxStale),
  };
}

const known = (value: string): boolean => !Token.isUnresolved(value);

function knownField(auth: WebhookAuth, field: keyof WebhookAuthFieldNames): boolean {
  switch (auth.mode) {
    case 'apikey':
      return field !== 'header' || auth.header === undefined || known(auth.header);
    case 'oauth2': {
      // Cognito's values are the pool's, unknown until deployment.
      if (auth.provider === 'cognito') return field === 'keysMaxStaleSeconds';
      const values: Partial<Record<keyof WebhookAuthFieldNames, string | readonly string[] | undefined>> = {
        issuer: auth.issuer,
        jwksUri: auth.jwksUri,
        audiences: auth.audiences,
        clientIds: auth.clientIds,
        requiredScopes: auth.requiredScopes,
      };
      const value = values[field];
      if (value === undefined) return true;
      return typeof value === 'string' ? known(value) : value.every(known);
    }
    default:
      return true;
  }
}

/** The fallback's props with defaults applied, each checked against its bounds. */
function fallbackSettings(
  props: FallbackProps,
  problems: string[],
): Pick<ReceiverSettings, 'fallbackSchedule' | 'fallbackInterval' | 'fallbackRecoveryAlarmThreshold'> {
  const defaults = DEFAULT_FALLBACK_SCHEDULE;
  const seconds = (name: string, value: Duration | undefined, fallback: number, min: number, max: number, range: string): number => {
    const chosen = value === undefined ? fallback : value.toSeconds({ integral: false });
    if (!isWholeNumberIn(chosen, min, max)) {
      problems.push(`fallback.${name}: must be whole seconds from ${range}; got ${value?.toHumanString() ?? chosen}`);
    }
    return chosen;
  };
  const firstCheckSeconds = seconds('firstCheck', props.firstCheck, defaults.firstCheckSeconds, 10, 86_400, '10 seconds to 1 day');
  const maxCheckIntervalSeconds = seconds(
    'maxCheckInterval',
    props.maxCheckInterval,
    defaults.maxCheckIntervalSeconds,
    60,
    7 * 86_400,
    '1 minute to 7 days',
  );
  if (maxCheckIntervalSeconds < firstCheckSeconds) problems.push('fallback.maxCheckInterval: must be at least fallback.firstCheck');
  const journeyFinishedCheckSeconds = seconds(
    'journeyFinishedCheck',
    props.journeyFinishedCheck,
    defaults.journeyFinishedCheckSeconds,
    0,
    3600,
    '0 to 1 hour',
  );
  const defaultExpirySeconds = seconds('defaultExpiry', props.defaultExpiry, defaults.defaultExpirySeconds, 3600, 30 * 86_400, '1 hour to 30 days');
  const backoffFactor = props.backoffFactor ?? defaults.backoffFactor;
  if (!Number.isFinite(backoffFactor) || backoffFactor < 1 || backoffFactor > 10) {
    problems.push(`fallback.backoffFactor: must be from 1 to 10; got ${backoffFactor}`);
  }
  const interval = props.interval ?? Duration.minutes(1);
  const intervalMinutes = interval.toMinutes({ integral: false });
  if (!isWholeNumberIn(intervalMinutes, 1, 60)) {
    problems.push(`fallback.interval: must be whole minutes from 1 to 60; got ${interval.toHumanString()}`);
  }
  const threshold = props.recoveryAlarmThreshold ?? 10;
  if (!isWholeNumberIn(threshold, 1)) {
    problems.push(`fallback.recoveryAlarmThreshold: must be a whole number of at least 1; got ${threshold}`);
  }
  return {
    fallbackSchedule: { firstCheckSeconds, backoffFactor, maxCheckIntervalSeconds, journeyFinishedCheckSeconds, defaultExpirySeconds },
    fallbackInterval: interval,
    fallbackRecoveryAlarmThreshold: threshold,
  };
}

/** The results bus and its archive's retention, checked. */
function resultsEventBusSettings(
  props: UnicoWebhookReceiverProps,
  problems: string[],
): Pick<ReceiverSettings, 'resultsEventBus' | 'resultsArchiveRetentionDays'> {
  const bus = props.resultsEventBus === true ? true : props.resultsEventBus === false ? undefined : props.resultsEventBus;
  const retention = props.resultsArchiveRetention;
  if (retention === undefined) return bus === undefined ? {} : { resultsEventBus: bus };
  if (bus === undefined) {
    problems.push('resultsArchiveRetention: applies only with resultsEventBus; set it or remove resultsArchiveRetention');
    return {};
  }
  const days = retention.isUnresolved() ? 1 : retention.toDays({ integral: false });
  if (!isWholeNumberIn(days, 1, 3650)) {
    problems.push(`resultsArchiveRetention: must be whole days from 1 to 3650; got ${retention.toHumanString()}`);
  }
  return { resultsEventBus: bus, resultsArchiveRetentionDays: days };
}

/** SQS FIFO's deduplication window: a send with a deduplication id seen within it is dropped. */
const FIFO_DEDUPLICATION_WINDOW_SECONDS = 300;

/**
 * The capacity, front, WAF and encryption props with defaults applied, and the intake queue's
 * visibility timeout checked; problems are pushed in the props' own names.
 */
function defenceSettings(
  props: UnicoWebhookReceiverProps,
  development: boolean,
  problems: string[],
): Pick<ReceiverSettings, 'capacity' | 'rateLimit' | 'burstLimit' | 'front' | 'wafRateLimitPerIp' | 'allowedSourceCidrs' | 'encryptionKey'> {
  const unicoConcurrency = props.unicoConcurrency ?? DEFAULT_UNICO_CONCURRENCY;
  const concurrencyProblems = capacityProblems(unicoConcurrency);
  problems.push(...concurrencyProblems);
  const capacity = webhookCapacity(concurrencyProblems.length === 0 ? unicoConcurrency : DEFAULT_UNICO_CONCURRENCY);

  // An explicit throttle overrides the derived one; below it a flush gets 429s, so only a
  // development stage (where cost matters more than a flush) may go lower.
  const rateLimit = props.throttling?.rateLimit ?? capacity.rateLimit;
  const burstLimit = props.throttling?.burstLimit ?? capacity.burstLimit;
  if (props.throttling !== undefined && concurrencyProblems.length === 0) {
    for (const [name, given, derived] of [
      ['rateLimit', rateLimit, capacity.rateLimit],
      ['burstLimit', burstLimit, capacity.burstLimit],
    ] as const) {
      if (!development && given > 0 && given < derived) {
        problems.push(
          `throttling.${name}: ${given} is below the ${derived} derived from unicoConcurrency ${unicoConcurrency}, so a backlog flush would get 429s; lower unicoConcurrency (and Unico's form) instead, or set development=true`,
        );
      }
    }
    problems.push(...throttleProblems({ rateLimit, burstLimit }, 'throttling'));
  }

  const front = props.front ?? 'http-api';
  if (front !== 'http-api' && front !== 'rest-api-waf') problems.push(`front: must be http-api or rest-api-waf; got ${String(front)}`);
  if (props.waf !== undefined && front !== 'rest-api-waf') problems.push("waf: applies only with front: 'rest-api-waf'");
  const wafRateLimitPerIp = props.waf?.rateLimitPerIp ?? Math.min(capacity.requestsPerMinute, 2_000_000_000);
  if (!isWholeNumberIn(wafRateLimitPerIp, 10, 2_000_000_000)) {
    problems.push(`waf.rateLimitPerIp: must be a whole number from 10 to 2000000000 (requests per address per minute); got ${wafRateLimitPerIp}`);
  }
  const allowedSourceCidrs = props.waf?.allowedSourceCidrs ?? [];
  for (const cidr of allowedSourceCidrs.filter((cidr) => known(cidr) && !isCidr(cidr))) {
    problems.push(`waf.allowedSourceCidrs: ${cidr} is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24)`);
  }
  if (props.waf?.allowedSourceCidrs !== undefined && allowedSourceCidrs.length === 0) {
    problems.push('waf.allowedSourceCidrs: an empty list would refuse every request; leave it out to allow all addresses');
  }

  if (props.customerManagedKey === true && props.encryptionKey !== undefined) {
    problems.push('customerManagedKey: applies only when no encryptionKey is given; the key you pass is used');
  }
  const encryptionKey = props.encryptionKey ?? (props.customerManagedKey === true ? true : undefined);

  problems.push(...intakeVisibilityProblems(props.intakeVisibilityTimeout));
  return { capacity, rateLimit, burstLimit, front, wafRateLimitPerIp, allowedSourceCidrs, encryptionKey };
}

/**
 * The intake queue's visibility timeout: at least six processor timeouts (AWS's guidance for an
 * SQS event source), and short enough that a processor that crashed after publishing publishes
 * again within the results queue's deduplication window, so that SQS drops the copy
 * (docs/architecture.md, "a crash between publishing and confirming"): the copy comes at most one
 * visibility timeout plus one processor run after the first.
 */
function intakeVisibilityProblems(timeout: Duration | undefined): string[] {
  if (timeout === undefined || timeout.isUnresolved()) return [];
  const seconds = timeout.toSeconds({ integral: false });
  const min = 6 * PROCESSOR_FUNCTION.timeoutSeconds;
  const max = FIFO_DEDUPLICATION_WINDOW_SECONDS - PROCESSOR_FUNCTION.timeoutSeconds;
  if (isWholeNumberIn(seconds, min, max)) return [];
  return [
    `intakeVisibilityTimeout: must be whole seconds from ${min} (6 × the processor's ${PROCESSOR_FUNCTION.timeoutSeconds}-second timeout, AWS's guidance for an SQS event source) ` +
      `to ${max} (a processor that crashed after publishing must publish again within the ${FIFO_DEDUPLICATION_WINDOW_SECONDS}-second FIFO deduplication window, ` +
      `one visibility timeout plus one ${PROCESSOR_FUNCTION.timeoutSeconds}-second run after the first, or consumers get the event twice; docs/architecture.md); got ${timeout.toHumanString()}`,
  ];
}

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (address === undefined || prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return bits <= 32 && address.split('.').every((part) => Number(part) <= 255);
  return address.includes(':') && /^[0-9a-fA-F:]+$/.test(address) && bits <= 128;
}
