/**
 * UnicoWebhookReceiver: the AWS side of the Unico IDCloud webhook.
 *
 *   Unico ──POST /webhooks/unico──▶ HTTP API ──▶ intake Lambda ──▶ claims table (conditional put)
 *                                                              └─▶ intake queue (SQS FIFO, DLQ)
 *
 * In the style of AWS Solutions Constructs: every prop is optional, defaults are secure
 * (encryption, TLS-only queues, a DLQ, credentials in Secrets Manager), resources are exposed as
 * `public readonly`, access is granted only with `grant*`, and invalid props fail at synth with
 * one message listing every problem. The pieces are built in lib/constructs/; this file puts
 * them together.
 */
import { intakeMaxReceiveCount } from '../lambdas/contracts/outcome-retries.ts';
import { Alarm as CloudWatchAlarm, type Alarm, type Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnStage } from 'aws-cdk-lib/aws-apigateway';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { alarmTopic, notifyOn, ReceiverAlarms } from './constructs/alarms.ts';
import { receiverDashboard } from './constructs/dashboard.ts';
import type { HttpApi, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Method, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable, Role } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Construct } from 'constructs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { INTAKE_QUEUE, RESULTS_QUEUE } from '../lambdas/contracts/queues.ts';
import { claimsTable } from './constructs/claims-table.ts';
import { fifoQueueWithDeadLetter } from './constructs/fifo-queue-with-dead-letter.ts';
import { IntakeFunction } from './constructs/intake-function.ts';
import { ProcessorFunction } from './constructs/processor-function.ts';
import { webhookApi } from './constructs/webhook-api.ts';
import { FallbackFunction } from './constructs/fallback-function.ts';
import { TrackingFunction } from './constructs/tracking-function.ts';
import { trackingTable } from './constructs/tracking-table.ts';
import { webhookAuthSecret } from './constructs/webhook-auth-secret.ts';
import { CognitoTokenIssuer } from './constructs/cognito-token-issuer.ts';
import { resultsEventBus } from './constructs/results-event-bus.ts';
import type { Archive, IEventBus } from 'aws-cdk-lib/aws-events';
import { acknowledgeNagFindings, type NagAcknowledgement } from './nag-acknowledgements.ts';
import { receiverSettings, type UnicoWebhookReceiverProps, type WebhookAuth } from './receiver-props.ts';
import { unicoFormSetup } from './unico-form-setup.ts';

export { WEBHOOK_PATH } from '../lambdas/contracts/routes.ts';
export { acknowledgeNagFindings, type NagAcknowledgement } from './nag-acknowledgements.ts';
export type { UnicoApiAccess, UnicoWebhookReceiverProps, WebhookAuth, WebhookThrottling } from './receiver-props.ts';
export type { CognitoWebhookAuth } from './receiver-props.ts';
export { CognitoTokenIssuer } from './constructs/cognito-token-issuer.ts';

export class UnicoWebhookReceiver extends Construct {
  /** The HTTP API Unico calls (`front: 'http-api'`). */
  public readonly api?: HttpApi;
  /** The API's `$default` stage (access logs, throttling; `front: 'http-api'`). */
  public readonly stage?: HttpStage;
  /** The REST API Unico calls (`front: 'rest-api-waf'`). */
  public readonly restApi?: RestApi;
  /** The regional WAF web ACL in front of the REST API (`front: 'rest-api-waf'`). */
  public readonly webAcl?: CfnWebACL;
  /** The key of the results queues, when customer-managed (`customerManagedKey` or `encryptionKey`). */
  public readonly encryptionKey?: IKey;
  /** The `POST /webhooks/unico` route (HTTP API) or method (REST API). */
  public readonly webhookRoute: HttpRoute | Method;
  /** Access logs of the stage (JSON, no headers or bodies). */
  public readonly accessLogGroup: LogGroup;
  /** The intake Lambda: authenticates, claims, enqueues. */
  public readonly intakeFunction: LambdaFunction;
  /** The intake function's role (its policies come only from `grant*`). */
  public readonly intakeRole: Role;
  /** The intake function's logs. */
  public readonly intakeLogGroup: LogGroup;
  /** One claim per processId + state (the idempotency record). */
  public readonly claimsTable: Table;
  /** Accepted notifications (FIFO; group = processId, deduplication id = processId:state). */
  public readonly intakeQueue: Queue;
  /** Where intake messages go after 10 failed receives. */
  public readonly intakeDeadLetterQueue: Queue;
  /**
   * In alarm when a delivery was refused for good by a dependency (access denied, a missing table
   * or queue, refused contents): deliveries get 503 until a person fixes the deployment. No action
   * is attached: add yours (`addAlarmAction`).
   */
  public readonly permanentFailureAlarm: Alarm;
  /** In alarm when a message sits in the intake dead-letter queue: a notification nobody took. */
  public readonly intakeDeadLetterAlarm: Alarm;
  /** What consumers read: one CloudEvent per (processId, state) (FIFO; group = processId). */
  public readonly resultsQueue: Queue;
  /** Where results messages go after 5 failed receives by a consumer. */
  public readonly resultsDeadLetterQueue: Queue;
  /** In alarm when a message sits in the results dead-letter queue. */
  public readonly resultsDeadLetterAlarm: Alarm;
  /** The processor Lambda: the intake queue's consumer. */
  public readonly processorFunction: LambdaFunction;
  /** The processor's role (its policies come only from `grant*`). */
  public readonly processorRole: Role;
  /** In alarm when the processor cannot fetch outcomes without a person (unusable Unico credentials). */
  public readonly processorPermanentFailureAlarm: Alarm;
  /** In alarm when Unico refuses the service account's credentials (or they cannot be read): outcomes wait. */
  public readonly unicoCredentialsAlarm: Alarm;
  /** The secret with Unico's service-account key, when outcome fetching is on. */
  public readonly unicoCredentials?: ISecret;
  /** True when this construct created `unicoCredentials` (for you to fill in). */
  public readonly unicoCredentialsGenerated: boolean;
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
  /** The processes the fallback watches (with `unico` only). */
  public readonly trackingTable?: Table;
  /** The Cognito pool, domain, scope and client issuing Unico's tokens (`provider: 'cognito'`). */
  public readonly cognito?: CognitoTokenIssuer;
  /** The bus that gets a copy of each results event (`resultsEventBus`). */
  public readonly resultsEventBus?: IEventBus;
  /** The queue the processor sends each event to for the bus, before the results queue (`resultsEventBus`). */
  public readonly resultsBusFeedQueue?: Queue;
  /** Where the pipe's failed events wait (`resultsEventBus`); alarmed like every dead-letter queue. */
  public readonly resultsBusFeedDeadLetterQueue?: Queue;
  /** The EventBridge pipe from the feed to the bus (`resultsEventBus`). */
  public readonly resultsPipe?: CfnPipe;
  /** The archive of the receiver's events on that bus (`resultsArchiveRetention`). */
  public readonly resultsArchive?: Archive;
  /** Serves the tracking routes (with `unico` only). */
  public readonly trackingFunction?: LambdaFunction;
  /** The IAM-authorised tracking routes (with `unico` only): grant callers with `grantTracking`. */
  public readonly trackingRoutes: readonly (HttpRoute | Method)[];
  /** `<api>/processes`, for the integrator's backend (with `unico` only). */
  public readonly trackingUrl?: string;
  /** The scheduled GetProcess fallback (with `unico` only). */
  public readonly fallbackFunction?: LambdaFunction;
  /** In alarm when the fallback recovers many outcomes: Unico's webhooks are failing (with `unico` only). */
  public readonly fallbackRecoveriesAlarm?: Alarm;
  /** In alarm when a tracked process expired without a result (with `unico` only). */
  public readonly trackingExpiredAlarm?: Alarm;

  // Observability (docs/operations.md).
  /** Every alarm's action (in alarm and OK): the topic you passed, or one created here. */
  public readonly alarmTopic: ITopic;
  /** Every alarm of this construct, each notifying `alarmTopic`. */
  public readonly alarms: readonly Alarm[];
  /** One CloudWatch dashboard, named after the stack. */
  public readonly dashboard: Dashboard;
  /** In alarm when 5% or more of the webhook's answers are 5xx. */
  public readonly api5xxRateAlarm: Alarm;
  /** In alarm on a spike of 401 answers (probing, or an old credential in Unico's form). */
  public readonly unauthorizedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: UnicoWebhookReceiverProps = {}) {
    super(scope, id);
    let settings = receiverSettings(props);
    const { removalPolicy } = settings;
    this.authMode = settings.auth.mode;
    // Cognito: the pool first, so that every piece below verifies tokens against it.
    if (settings.cognito) {
      this.cognito = new CognitoTokenIssuer(this, 'Cognito', { settings: settings.cognito, removalPolicy });
      settings = { ...settings, authSettings: this.cognito.authSettings };
    }

    this.claimsTable = claimsTable(this, removalPolicy);
    // The dead-letter limit follows the retry period: no run of transient failures reaches it first.
    const intakeQueueSettings = { ...INTAKE_QUEUE, maxReceiveCount: intakeMaxReceiveCount(settings.outcomeRetryPeriodSeconds) };
    const intake = fifoQueueWithDeadLetter(this, 'Intake', intakeQueueSettings, {
      removalPolicy,
      ...(settings.intakeVisibilityTimeout ? { visibilityTimeout: settings.intakeVisibilityTimeout } : {}),
      deadLetterAlarmDescription: `Intake messages failed ${intakeQueueSettings.maxReceiveCount} receives and sit in the intake dead-letter queue: Unico's failures end in outcome_unavailable before that, so the cause is the processor itself or an unreadable message (its logs name it). Fix it, then redrive them (they expire after 14 days).`,
    });
    this.intakeQueue = intake.queue;
    this.intakeDeadLetterQueue = intake.deadLetterQueue;
    this.intakeDeadLetterAlarm = intake.deadLetterAlarm;

    const secret = webhookAuthSecret(this, settings.auth, removalPolicy);
    if (secret.secret) this.authSecret = secret.secret;
    this.authSecretGenerated = secret.generated;

    const intakeFunction = new IntakeFunction(this, 'Intake', {
      settings,
      claimsTable: this.claimsTable,
      intakeQueue: this.intakeQueue,
      ...(this.authSecret ? { authSecret: this.authSecret } : {}),
    });
    this.intakeFunction = intakeFunction.function;
    this.intakeRole = intakeFunction.role;
    this.intakeLogGroup = intakeFunction.logGroup;
    this.permanentFailureAlarm = intakeFunction.permanentFailureAlarm;

    // Results events carry Unico's outcome (personal data); the intake queue carries only a
    // processId and a state, so SQS-managed encryption stays there (no KMS call on the hot path).
    const key = settings.encryptionKey;
    if (key !== undefined) {
      this.encryptionKey =
        key === true
          ? new Key(this, 'ResultsKey', {
              description: 'Unico webhook receiver: the results queue and its dead-letter queue (outcomes carry personal data)',
              enableKeyRotation: true,
              removalPolicy,
            })
          : key;
    }
    const results = fifoQueueWithDeadLetter(this, 'Results', RESULTS_QUEUE, {
      removalPolicy,
      ...(this.encryptionKey ? { encryptionKey: this.encryptionKey } : {}),
      deadLetterAlarmDescription:
        'Results events failed 5 receives by a consumer and sit in the results dead-letter queue: fix the consumer, then redrive them (they expire after 14 days).',
    });
    this.resultsQueue = results.queue;
    this.resultsDeadLetterQueue = results.deadLetterQueue;
    this.resultsDeadLetterAlarm = results.deadLetterAlarm;

    const unico = settings.unico;
    this.unicoCredentialsGenerated = unico !== undefined && unico.credentials === undefined;
    if (unico) {
      this.unicoCredentials =
        unico.credentials ??
        new Secret(this, 'UnicoCredentials', {
          description:
            'Unico service account credentials for GetProcess. Replace with JSON {"privateKey":"<PEM>","apiKey":"<APIKEY, api contract only>"}.',
          generateSecretString: {
            secretStringTemplate: JSON.stringify({ privateKey: '' }),
            generateStringKey: 'placeholder',
          },
          removalPolicy,
        });
    }
    if (settings.resultsEventBus !== undefined) {
      const bus = resultsEventBus(this, {
        bus: settings.resultsEventBus,
        removalPolicy,
        ...(settings.resultsArchiveRetentionDays !== undefined ? { archiveRetentionDays: settings.resultsArchiveRetentionDays } : {}),
        ...(this.encryptionKey ? { encryptionKey: this.encryptionKey } : {}),
      });
      this.resultsEventBus = bus.eventBus;
      this.resultsBusFeedQueue = bus.feedQueue;
      this.resultsBusFeedDeadLetterQueue = bus.feedDeadLetterQueue;
      this.resultsPipe = bus.pipe;
      if (bus.archive) this.resultsArchive = bus.archive;
    }
    const processor = new ProcessorFunction(this, 'Processor', {
      settings,
      claimsTable: this.claimsTable,
      intakeQueue: this.intakeQueue,
      resultsQueue: this.resultsQueue,
      ...(unico && this.unicoCredentials ? { unico: { api: unico.api, credentials: this.unicoCredentials } } : {}),
      ...(this.resultsBusFeedQueue ? { resultsBusFeedQueue: this.resultsBusFeedQueue } : {}),
    });
    this.processorFunction = processor.function;
    this.processorRole = processor.role;
    this.processorPermanentFailureAlarm = processor.permanentFailureAlarm;
    this.unicoCredentialsAlarm = processor.unicoCredentialsAlarm;

    // Tracking and the fallback need GetProcess, so they come with outcome fetching.
    let tracking: TrackingFunction | undefined;
    let fallbackConstruct: FallbackFunction | undefined;
    if (unico && this.unicoCredentials) {
      this.trackingTable = trackingTable(this, removalPolicy);
      tracking = new TrackingFunction(this, 'Tracking', { settings, trackingTable: this.trackingTable });
      this.trackingFunction = tracking.function;
      const fallback = new FallbackFunction(this, 'Fallback', {
        settings,
        trackingTable: this.trackingTable,
        claimsTable: this.claimsTable,
        intakeQueue: this.intakeQueue,
        unico: { api: unico.api, credentials: this.unicoCredentials },
      });
      this.fallbackFunction = fallback.function;
      this.fallbackRecoveriesAlarm = fallback.recoveriesAlarm;
      this.trackingExpiredAlarm = fallback.expiredAlarm;
      fallbackConstruct = fallback;
    }

    const api = webhookApi(this, this.intakeFunction, settings, tracking?.function);
    this.trackingRoutes = api.trackingRoutes;
    if (api.trackingUrl !== undefined) this.trackingUrl = api.trackingUrl;
    if (api.api) this.api = api.api;
    if (api.stage) this.stage = api.stage;
    if (api.restApi) this.restApi = api.restApi;
    if (api.webAcl) this.webAcl = api.webAcl;
    this.webhookRoute = api.webhookRoute;
    this.accessLogGroup = api.accessLogGroup;
    this.webhookUrl = api.webhookUrl;
    this.authSetup = unicoFormSetup(settings.authSettings, this.authSecret, this.cognito);

    // Observability (docs/operations.md): receiver-wide alarms, one topic as the action of every
    // alarm in this construct (whoever made it), the dashboard, and X-Ray on the REST stage.
    const receiverAlarms = new ReceiverAlarms(this, 'Alarms', {
      ...(this.api ? { api: this.api } : {}),
      ...(this.restApi ? { restApi: this.restApi } : {}),
      intakeQueue: this.intakeQueue,
      resultsQueue: this.resultsQueue,
      claimsTable: this.claimsTable,
      // Past the retry period a message is published as outcome_unavailable: older means stuck.
      intakeOldestMessageSeconds: settings.outcomeRetryPeriodSeconds + 3600,
    });
    this.api5xxRateAlarm = receiverAlarms.api5xxRateAlarm;
    this.unauthorizedAlarm = intakeFunction.unauthorizedAlarm;
    this.alarmTopic = alarmTopic(this, props.alarmTopic, props.alarmEmail);
    this.alarms = this.node.findAll().filter((child): child is Alarm => child instanceof CloudWatchAlarm);
    notifyOn(this.alarmTopic, this.alarms);
    this.dashboard = receiverDashboard(this, {
      ...(this.api ? { api: this.api } : {}),
      ...(this.restApi ? { restApi: this.restApi } : {}),
      intake: intakeFunction,
      processor,
      ...(fallbackConstruct ? { fallback: fallbackConstruct } : {}),
      queues: {
        intake: this.intakeQueue,
        'intake DLQ': this.intakeDeadLetterQueue,
        results: this.resultsQueue,
        'results DLQ': this.resultsDeadLetterQueue,
      },
      alarms: this.alarms,
    });
    if (settings.tracing && this.restApi) {
      (this.restApi.deploymentStage.node.defaultChild as CfnStage).tracingEnabled = true;
    }

    this.nagAcknowledgements = (props.acknowledgeNagFindings ?? true) ? acknowledgeNagFindings(this) : [];
  }

  /** Lets `grantee` (the integrator's backend role) call the tracking routes. */
  public grantTracking(grantee: IGrantable): void {
    for (const route of this.trackingRoutes) {
      if (route instanceof Method) route.grantExecute(grantee);
      else route.grantInvoke(grantee);
    }
  }
}
