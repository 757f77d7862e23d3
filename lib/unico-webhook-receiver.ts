/**
 * UnicoWebhookReceiver: the AWS side of the Unico IDCloud webhook.
 *
 *   Unico ──POST /webhooks/unico──▶ HTTP API ──▶ intake Lambda ──▶ claims table (conditional put)
 *                                                              └─▶ intake queue (SQS FIFO, DLQ)
 *
 * In the style of AWS Solutions Constructs: every prop is optional, defaults are secure
 * (encryption, TLS-only queues, a DLQ, credentials in Secrets Manager), resources are exposed as
 * `public readonly`, access is granted only with `grant*`, and invalid props fail at synth with
 * one message listing every problem.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type HttpRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  Queue,
  QueueEncryption,
  type QueueProps,
} from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_API_KEY_HEADER } from '../lambdas/contracts/auth-notation.ts';
import { CLAIMS_TABLE } from '../lambdas/contracts/claims-table.ts';
import { intakeFunctionTimeoutSeconds } from '../lambdas/contracts/time-budgets.ts';

/** The project root: where package.json, package-lock.json and lambdas/ are. */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The route Unico calls. */
export const WEBHOOK_PATH = '/webhooks/unico';

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
    };

export interface WebhookThrottling {
  /**
   * Steady-state requests per second for the webhook stage.
   * @default 500 (Unico sends at most 500 concurrent deliveries)
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests for the webhook stage.
   * @default 1000
   */
  readonly burstLimit?: number;
}

export interface UnicoWebhookReceiverProps {
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
   * Throttling of the webhook stage.
   * @default { rateLimit: 500, burstLimit: 1000 }
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
   * Visibility timeout of the intake queue: at least six times the timeout of the Lambda that
   * will consume it.
   * @default Duration.seconds(180) (6 × a 30-second processor)
   */
  readonly intakeVisibilityTimeout?: Duration;
  /**
   * Acknowledge the cdk-nag (AwsSolutions) findings this construct accepts by design, each with
   * its reason (see `acknowledgeNagFindings`). Set false to review every finding.
   * @default true
   */
  readonly acknowledgeNagFindings?: boolean;
}

/** Thrown at synth when the props are invalid; the message lists every problem. */
export class UnicoWebhookReceiverPropsError extends Error {
  override readonly name = 'UnicoWebhookReceiverPropsError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid UnicoWebhookReceiver props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Where the receiver's own metrics (from its log lines) are published. */
const ALARM_NAMESPACE = 'UnicoWebhookReceiver';

/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Items are joined with commas into one environment variable: no commas or spaces in them. */
const LIST_ITEM = /^[^,\s]+$/;
const MAX_RESPONSE_DEADLINE_SECONDS = 30;

export class UnicoWebhookReceiver extends Construct {
  /** The HTTP API Unico calls. */
  public readonly api: HttpApi;
  /** The API's `$default` stage (access logs, throttling). */
  public readonly stage: HttpStage;
  /** The `POST /webhooks/unico` route. */
  public readonly webhookRoute: HttpRoute;
  /** Access logs of the stage (JSON, no headers or bodies). */
  public readonly accessLogGroup: LogGroup;
  /** The intake Lambda: authenticates, claims, enqueues. */
  public readonly intakeFunction: NodejsFunction;
  /** The intake function's role (its policies come only from `grant*`). */
  public readonly intakeRole: Role;
  /** The intake function's logs. */
  public readonly intakeLogGroup: LogGroup;
  /** One claim per processId + state (the idempotency record). */
  public readonly claimsTable: Table;
  /** Accepted notifications (FIFO; group = processId, deduplication id = processId:state). */
  public readonly intakeQueue: Queue;
  /** Where intake messages go after 5 failed receives. */
  public readonly intakeDeadLetterQueue: Queue;
  /**
   * In alarm when a delivery was refused for good by a dependency (access denied, a missing table
   * or queue, refused contents): deliveries get 503 until a person fixes the deployment. Matches
   * the intake's log lines with `dependencyFailure` = `permanent`. No action is attached: add
   * yours (`addAlarmAction`).
   */
  public readonly permanentFailureAlarm: Alarm;
  /** In alarm when a message sits in the intake dead-letter queue: a notification nobody took. */
  public readonly intakeDeadLetterAlarm: Alarm;
  /** The secret with the credentials Unico presents (basic and apikey only). */
  public readonly authSecret?: ISecret;
  /** The full webhook URL to enter in Unico's webhook form. */
  public readonly webhookUrl: string;
  /** What to enter in Unico's webhook form for the chosen auth mode (never a secret value). */
  public readonly authSetup: string;
  /** The auth mode in effect. */
  public readonly authMode: WebhookAuth['mode'];
  /** True when this construct created `authSecret` (and so owns its cdk-nag findings). */
  public readonly authSecretGenerated: boolean;
  /** The cdk-nag acknowledgements applied (empty when `acknowledgeNagFindings` is false). */
  public readonly nagAcknowledgements: readonly NagAcknowledgement[];

  constructor(scope: Construct, id: string, props: UnicoWebhookReceiverProps = {}) {
    super(scope, id);

    const auth: WebhookAuth = props.auth ?? { mode: 'basic' };
    const development = props.development ?? false;
    const responseDeadline = props.responseDeadline ?? Duration.seconds(5);
    const claimRetention = props.claimRetention ?? Duration.days(90);
    const rateLimit = props.throttling?.rateLimit ?? 500;
    const burstLimit = props.throttling?.burstLimit ?? 1000;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const visibilityTimeout = props.intakeVisibilityTimeout ?? Duration.seconds(180);

    const problems = validateProps({ auth, development, responseDeadline, claimRetention, rateLimit, burstLimit });
    if (problems.length > 0) throw new UnicoWebhookReceiverPropsError(problems);

    const deadlineMs = responseDeadline.toMilliseconds();
    this.authMode = auth.mode;

    // Claims: the conditional write that makes each processId + state reach the queue once.
    this.claimsTable = new Table(this, 'ClaimsTable', {
      partitionKey: { name: CLAIMS_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CLAIMS_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: CLAIMS_TABLE.ttlAttribute,
      // KMS with the AWS-managed key (aws/dynamodb): encrypted and audited in CloudTrail, no key
      // policy to run and no cross-account reader that would need a customer-managed key.
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });

    // Intake queue. SQS-managed SSE: encrypted at rest with no KMS calls on the hot path (high-
    // throughput FIFO) and no key grants a future consumer would have to be given.
    const fifoQueue: QueueProps = {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    };
    this.intakeDeadLetterQueue = new Queue(this, 'IntakeDeadLetterQueue', fifoQueue);
    this.intakeQueue = new Queue(this, 'IntakeQueue', {
      ...fifoQueue,
      visibilityTimeout,
      deadLetterQueue: { queue: this.intakeDeadLetterQueue, maxReceiveCount: 5 },
    });

    // Credentials for basic/apikey live only in Secrets Manager; the function gets the ARN.
    let apiKeyHeader: string | undefined;
    if (auth.mode === 'basic') {
      this.authSecretGenerated = auth.secret === undefined;
      this.authSecret = auth.secret ?? new Secret(this, 'AuthSecret', {
        description: 'Basic credentials Unico presents to the webhook. JSON {"username","password","previous"?:[...]}.',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: auth.username ?? 'unico' }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 40,
        },
        removalPolicy,
      });
    } else if (auth.mode === 'apikey') {
      apiKeyHeader = auth.header ?? DEFAULT_API_KEY_HEADER;
      this.authSecretGenerated = auth.secret === undefined;
      this.authSecret = auth.secret ?? new Secret(this, 'AuthSecret', {
        description: 'API key Unico presents to the webhook. JSON {"value","header"?,"previous"?:[...]}.',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ header: apiKeyHeader }),
          generateStringKey: 'value',
          excludePunctuation: true,
          passwordLength: 40,
        },
        removalPolicy,
      });
    } else {
      this.authSecretGenerated = false;
    }

    // The intake function, with its own log group and a role that holds only what grant* adds.
    this.intakeLogGroup = new LogGroup(this, 'IntakeLogGroup', { retention: logRetention, removalPolicy });
    this.intakeRole = new Role(this, 'IntakeRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Unico webhook intake: write its logs, claim in the claims table, send to the intake queue',
    });
    this.intakeLogGroup.grantWrite(this.intakeRole);

    this.intakeFunction = new NodejsFunction(this, 'IntakeFunction', {
      description: 'Unico webhook intake: authenticate, claim (processId + state), enqueue',
      entry: path.join(PROJECT_ROOT, 'lambdas', 'intake', 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(intakeFunctionTimeoutSeconds(deadlineMs)),
      role: this.intakeRole,
      logGroup: this.intakeLogGroup,
      environment: {
        CLAIMS_TABLE_NAME: this.claimsTable.tableName,
        INTAKE_QUEUE_URL: this.intakeQueue.queueUrl,
        RESPONSE_DEADLINE_MS: String(deadlineMs),
        CLAIM_RETENTION_DAYS: String(claimRetention.toDays()),
        ...authEnvironment(auth, this.authSecret, apiKeyHeader),
        POWERTOOLS_SERVICE_NAME: 'unico-webhook-intake',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Ship the SDK version the tests ran against (deadline-aware request handler options and
        // ReturnValuesOnConditionCheckFailure), not whichever one the runtime carries.
        bundleAwsSDK: true,
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });

    // Exactly the item operations the claim uses: put (the claim, which returns the existing one)
    // and get (read back when the old item is not returned). The intake never changes or deletes
    // a claim. No scans, no queries.
    this.claimsTable.grant(this.intakeFunction, 'dynamodb:PutItem', 'dynamodb:GetItem');
    this.intakeQueue.grantSendMessages(this.intakeFunction);
    this.authSecret?.grantRead(this.intakeFunction);

    // What needs a person: a dependency that refuses for good, a message nobody could take.
    const permanentFailures = new Metric({
      namespace: ALARM_NAMESPACE,
      metricName: 'PermanentDependencyFailures',
      dimensionsMap: { FunctionName: this.intakeFunction.functionName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.intakeLogGroup.addMetricFilter('PermanentDependencyFailures', {
      filterPattern: FilterPattern.stringValue('$.dependencyFailure', '=', 'permanent'),
      metricNamespace: ALARM_NAMESPACE,
      metricName: 'PermanentDependencyFailures',
      metricValue: '1',
      // Powertools writes the function's name on every line of an invocation.
      dimensions: { FunctionName: '$.function_name' },
    });
    this.permanentFailureAlarm = permanentFailures.createAlarm(this, 'PermanentFailureAlarm', {
      alarmDescription:
        'Unico deliveries are answered 503 because a dependency refuses them for good (access denied, missing table or queue, refused contents). Unico retries; fix the deployment before its attempts run out.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.intakeDeadLetterAlarm = this.intakeDeadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, 'IntakeDeadLetterAlarm', {
        alarmDescription:
          'Intake messages failed 5 receives and sit in the intake dead-letter queue: redrive them once the consumer is fixed (they expire after 14 days).',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    // HTTP API with an explicit $default stage, so that it gets access logs and throttling.
    this.api = new HttpApi(this, 'Api', {
      description: 'Receives Unico IDCloud webhooks',
      createDefaultStage: false,
    });
    this.accessLogGroup = new LogGroup(this, 'AccessLogGroup', { retention: logRetention, removalPolicy });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: ACCESS_LOG_FORMAT,
      },
    });
    const [route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IntakeIntegration', this.intakeFunction, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    if (route === undefined) throw new Error('HttpApi.addRoutes returned no route');
    this.webhookRoute = route;

    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
    this.authSetup = authSetupText(auth, this.authSecret, apiKeyHeader);

    this.nagAcknowledgements = (props.acknowledgeNagFindings ?? true) ? acknowledgeNagFindings(this) : [];
  }
}

/**
 * JSON access log: who called what, how it went and how long it took. No headers (they carry the
 * credentials), no bodies, no query strings.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    protocol: '$context.protocol',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

function authEnvironment(
  auth: WebhookAuth,
  secret: ISecret | undefined,
  apiKeyHeader: string | undefined,
): Record<string, string> {
  const list = (items: readonly string[] | undefined, name: string): Record<string, string> =>
    items !== undefined && items.length > 0 ? { [name]: items.join(',') } : {};
  switch (auth.mode) {
    case 'none':
      return { WEBHOOK_AUTH_MODE: 'none' };
    case 'basic':
      return { WEBHOOK_AUTH_MODE: 'basic', ...(secret ? { WEBHOOK_AUTH_SECRET_ARN: secret.secretArn } : {}) };
    case 'apikey':
      return {
        WEBHOOK_AUTH_MODE: 'apikey',
        ...(secret ? { WEBHOOK_AUTH_SECRET_ARN: secret.secretArn } : {}),
        ...(apiKeyHeader ? { WEBHOOK_API_KEY_HEADER: apiKeyHeader } : {}),
      };
    case 'oauth2':
      return {
        WEBHOOK_AUTH_MODE: 'oauth2',
        OAUTH2_ISSUER: auth.issuer,
        ...(auth.jwksUri !== undefined ? { OAUTH2_JWKS_URI: auth.jwksUri } : {}),
        ...list(auth.audiences, 'OAUTH2_AUDIENCES'),
        ...list(auth.clientIds, 'OAUTH2_CLIENT_IDS'),
        ...list(auth.requiredScopes, 'OAUTH2_REQUIRED_SCOPES'),
        ...(auth.keysMaxStale !== undefined ? { OAUTH2_KEYS_MAX_STALE_SECONDS: String(auth.keysMaxStale.toSeconds()) } : {}),
      };
  }
}

function authSetupText(auth: WebhookAuth, secret: ISecret | undefined, apiKeyHeader: string | undefined): string {
  const read = secret
    ? `secret ${secret.secretName} (aws secretsmanager get-secret-value --secret-id ${secret.secretArn} --query SecretString --output text)`
    : '';
  switch (auth.mode) {
    case 'none':
      return 'Authentication: none (development only). Leave authentication empty in Unico\'s webhook form.';
    case 'basic':
      return `Authentication type Basic: user:pass = the "username" and "password" fields of ${read}.`;
    case 'apikey':
      return apiKeyHeader === DEFAULT_API_KEY_HEADER
        ? `Authentication type API Key: enter the "value" field of ${read} (no header name: Unico sends it as the Authorization header).`
        : `Authentication type API Key: enter ${apiKeyHeader}:<the "value" field of ${read}>.`;
    case 'oauth2': {
      const accepted = [
        auth.audiences?.length ? `audience ${auth.audiences.join(' or ')}` : undefined,
        auth.clientIds?.length ? `client id ${auth.clientIds.join(' or ')}` : undefined,
      ].filter((part) => part !== undefined).join(', or ');
      const scopes = auth.requiredScopes?.length ? ` with scopes ${auth.requiredScopes.join(' ')}` : '';
      return `Authentication type OAuth2: the token URL of ${auth.issuer} and the client id and secret of a client-credentials client there whose tokens carry ${accepted}${scopes}.`;
    }
  }
}

interface ValidationInput {
  readonly auth: WebhookAuth;
  readonly development: boolean;
  readonly responseDeadline: Duration;
  readonly claimRetention: Duration;
  readonly rateLimit: number;
  readonly burstLimit: number;
}

function validateProps(input: ValidationInput): string[] {
  const { auth, development } = input;
  const problems: string[] = [];
  const known = (value: string): boolean => !Token.isUnresolved(value);

  const deadlineMs = input.responseDeadline.toMilliseconds();
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1000 || deadlineMs > MAX_RESPONSE_DEADLINE_SECONDS * 1000) {
    problems.push(
      `responseDeadline must be from 1 to ${MAX_RESPONSE_DEADLINE_SECONDS} seconds (the timeout in Unico's webhook form); got ${input.responseDeadline.toHumanString()}`,
    );
  }
  const retentionDays = input.claimRetention.toDays({ integral: false });
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
    problems.push(`claimRetention must be a whole number of days from 1 to 3650; got ${input.claimRetention.toHumanString()}`);
  }
  if (!Number.isFinite(input.rateLimit) || input.rateLimit <= 0) {
    problems.push(`throttling.rateLimit must be above 0; got ${input.rateLimit}`);
  }
  if (!Number.isInteger(input.burstLimit) || input.burstLimit < 1) {
    problems.push(`throttling.burstLimit must be a whole number of at least 1; got ${input.burstLimit}`);
  }

  switch (auth.mode) {
    case 'none':
      if (!development) {
        problems.push('auth none is for development stages only; set development=true or choose basic, apikey or oauth2');
      }
      break;
    case 'basic':
      if (auth.secret !== undefined && auth.username !== undefined) {
        problems.push('auth.username applies only to a generated secret; the secret you pass holds its own username');
      }
      if (auth.username !== undefined && known(auth.username) && !/^[^:\s]{1,128}$/.test(auth.username)) {
        problems.push('auth.username must be 1 to 128 characters without colons or spaces (RFC 7617)');
      }
      break;
    case 'apikey':
      if (auth.header !== undefined && known(auth.header) && !HEADER_NAME.test(auth.header)) {
        problems.push("auth.header must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)");
      }
      break;
    case 'oauth2': {
      for (const [name, url] of [['auth.issuer', auth.issuer], ['auth.jwksUri', auth.jwksUri]] as const) {
        if (url === undefined || !known(url)) continue;
        const protocol = urlProtocol(url);
        if (protocol === undefined || (protocol !== 'https:' && protocol !== 'http:')) {
          problems.push(`${name} must be an https URL; got ${JSON.stringify(url)}`);
        } else if (protocol === 'http:' && !development) {
          problems.push(`${name} must use https; http is allowed only when development is true`);
        }
      }
      if ((auth.audiences ?? []).length === 0 && (auth.clientIds ?? []).length === 0) {
        problems.push('oauth2 needs at least one of auth.audiences or auth.clientIds');
      }
      const maxStale = auth.keysMaxStale;
      if (maxStale !== undefined && !maxStale.isUnresolved()) {
        const seconds = maxStale.toSeconds({ integral: false });
        if (!Number.isInteger(seconds) || seconds < 600 || seconds > 7 * 24 * 3600) {
          problems.push(`auth.keysMaxStale must be whole seconds from 10 minutes to 7 days; got ${maxStale.toHumanString()}`);
        }
      }
      for (const [name, items] of [
        ['auth.audiences', auth.audiences],
        ['auth.clientIds', auth.clientIds],
        ['auth.requiredScopes', auth.requiredScopes],
      ] as const) {
        if ((items ?? []).some((item) => known(item) && !LIST_ITEM.test(item))) {
          problems.push(`${name} items must be non-empty and hold no commas or spaces`);
        }
      }
      break;
    }
  }
  return problems;
}

function urlProtocol(text: string): string | undefined {
  try {
    return new URL(text).protocol;
  } catch {
    return undefined;
  }
}

/** One cdk-nag acknowledgement applied by `acknowledgeNagFindings`. */
export interface NagAcknowledgement {
  /** Construct path it was applied to. */
  readonly path: string;
  /** Rule id, e.g. `AwsSolutions-APIG4`. */
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges, on the narrowest construct and with its reason, each cdk-nag AwsSolutions finding
 * the receiver accepts by design: the route without an API Gateway authorizer (APIG4) and the
 * generated secret without automatic rotation (SMG4). Everything else is fixed, not acknowledged. Called by the constructor unless `acknowledgeNagFindings` is
 * false; returns what it applied (tests compare it with the findings of an unacknowledged copy).
 */
export function acknowledgeNagFindings(receiver: UnicoWebhookReceiver): NagAcknowledgement[] {
  const applied: NagAcknowledgement[] = [];
  // On the CloudFormation resource itself (the L2's default child), so nothing else is covered.
  const acknowledge = (construct: IConstruct, id: string, reason: string): void => {
    const resource = construct.node.defaultChild ?? construct;
    Validations.of(resource).acknowledge({ id, reason });
    applied.push({ path: resource.node.path, id, reason });
  };

  const routeReason =
    'Unico cannot sign requests with IAM (SigV4) or obtain Cognito tokens; it presents the Basic, API-key ' +
    'or OAuth2 credentials configured in its webhook form, and the intake Lambda verifies them (constant-time ' +
    'comparison against Secrets Manager, or JWT signature, issuer, audience/client id, expiry and scope) before ' +
    'anything is stored.';
  acknowledge(receiver.webhookRoute, 'AwsSolutions-APIG4', routeReason);

  if (receiver.authSecret !== undefined && receiver.authSecretGenerated) {
    acknowledge(
      receiver.authSecret,
      'AwsSolutions-SMG4',
      'The credential is typed by hand into Unico\'s webhook form, so an automatic rotation would break ' +
        'deliveries. Rotation is manual and without downtime: put the new credential at the top of the secret, ' +
        'move the old one to "previous" (both are accepted), update Unico, then drop "previous".',
    );
  }

  return applied;
}
