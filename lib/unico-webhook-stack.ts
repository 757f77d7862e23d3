/**
 * The deployable stack: one UnicoWebhookReceiver built from the validated CDK context, and the
 * outputs an operator needs to fill in Unico's webhook form.
 */
import { App, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type AppProps, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { loadStackConfig, readContext, type StackConfig } from './stack-config.ts';
import { UnicoWebhookReceiver, type WebhookAuth } from './unico-webhook-receiver.ts';

export interface UnicoWebhookStackProps extends StackProps {
  readonly config: StackConfig;
}

/** The stack name for a stage: `UnicoWebhook-<stage>`. */
export const stackNameFor = (stage: string): string => `UnicoWebhook-${stage}`;

export class UnicoWebhookStack extends Stack {
  public readonly receiver: UnicoWebhookReceiver;

  constructor(scope: Construct, id: string, props: UnicoWebhookStackProps) {
    super(scope, id, {
      description: `Unico IDCloud webhook receiver (${props.config.stage})`,
      ...props,
    });
    const { config } = props;

    // Defences: secrets of your own (imported by ARN, never read at synth), the front, the key.
    const { defences } = config;
    const importedSecret = (id: string, arn: string | undefined) =>
      arn === undefined ? undefined : Secret.fromSecretCompleteArn(this, id, arn);
    const authSecret = importedSecret('ImportedAuthSecret', defences.authSecretArn);
    const unicoCredentials = importedSecret('ImportedUnicoCredentials', defences.unicoCredentialsSecretArn);
    const auth: WebhookAuth =
      config.cognito !== undefined && config.auth.mode === 'oauth2'
        ? { mode: 'oauth2', provider: 'cognito', ...config.cognito, keysMaxStale: Duration.seconds(config.auth.keysMaxStaleSeconds) }
        : webhookAuthFrom(config.auth);

    this.receiver = new UnicoWebhookReceiver(this, 'Receiver', {
      auth: authSecret !== undefined && (auth.mode === 'basic' || auth.mode === 'apikey') ? { ...auth, secret: authSecret } : auth,
      unicoConcurrency: defences.unicoConcurrency,
      front: defences.front,
      ...(defences.front === 'rest-api-waf'
        ? {
            waf: {
              ...(defences.wafRateLimitPerIp !== undefined ? { rateLimitPerIp: defences.wafRateLimitPerIp } : {}),
              ...(defences.allowedSourceCidrs !== undefined ? { allowedSourceCidrs: [...defences.allowedSourceCidrs] } : {}),
            },
          }
        : {}),
      customerManagedKey: defences.kmsKey,
      development: config.development,
      responseDeadline: Duration.seconds(config.responseDeadlineSeconds),
      claimRetention: Duration.days(config.claimRetentionDays),
      processorMaxConcurrency: config.processorMaxConcurrency,
      outcomeRetryPeriod: Duration.hours(config.outcomeRetryPeriodHours),
      fallback: {
        ...(config.fallback.firstCheckSeconds !== undefined ? { firstCheck: Duration.seconds(config.fallback.firstCheckSeconds) } : {}),
        ...(config.fallback.backoffFactor !== undefined ? { backoffFactor: config.fallback.backoffFactor } : {}),
        ...(config.fallback.maxCheckIntervalSeconds !== undefined
          ? { maxCheckInterval: Duration.seconds(config.fallback.maxCheckIntervalSeconds) }
          : {}),
      },
      ...(config.unico ? { unico: { ...config.unico, ...(unicoCredentials ? { credentials: unicoCredentials } : {}) } } : {}),
      ...(config.resultsEventBus !== undefined
        ? {
            resultsEventBus:
              config.resultsEventBus === true ? true : EventBus.fromEventBusArn(this, 'ImportedResultsEventBus', config.resultsEventBus),
            ...(config.resultsArchiveDays !== undefined ? { resultsArchiveRetention: Duration.days(config.resultsArchiveDays) } : {}),
          }
        : {}),
      ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
      tracing: config.tracing,
      // A development stage is disposable; any other keeps its data when the stack goes.
      removalPolicy: config.development ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, 'WebhookUrl', {
      description: "The URL to enter in Unico's webhook form",
      value: this.receiver.webhookUrl,
    });
    new CfnOutput(this, 'UnicoAuthSetup', {
      description: "What to enter as authentication in Unico's webhook form",
      value: this.receiver.authSetup,
    });
    const cognito = this.receiver.cognito;
    if (cognito !== undefined) {
      // What Unico's OAuth2 form asks for; the client secret is only pointed to, never output.
      new CfnOutput(this, 'UnicoOAuth2TokenUrl', { description: "Unico's OAuth2 form: token URL", value: cognito.tokenUrl });
      new CfnOutput(this, 'UnicoOAuth2ClientId', { description: "Unico's OAuth2 form: client id", value: cognito.client.userPoolClientId });
      new CfnOutput(this, 'UnicoOAuth2Scope', { description: "Unico's OAuth2 form: scope", value: cognito.scope });
      new CfnOutput(this, 'UnicoOAuth2ClientSecretCommand', {
        description: "Unico's OAuth2 form: the client secret is what this AWS CLI command prints",
        value: cognito.clientSecretCommand,
      });
      new CfnOutput(this, 'OAuth2Issuer', { description: 'The issuer the intake accepts tokens from', value: cognito.issuer });
    }
    if (this.receiver.authSecret !== undefined) {
      new CfnOutput(this, 'AuthSecretArn', {
        description: 'The secret holding the credentials Unico presents',
        value: this.receiver.authSecret.secretArn,
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Every alarm notifies this SNS topic (in alarm and OK): subscribe your on-call to it',
      value: this.receiver.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', { description: 'The CloudWatch dashboard (docs/operations.md)', value: this.receiver.dashboard.dashboardName });
    new CfnOutput(this, 'IntakeQueueUrl', { value: this.receiver.intakeQueue.queueUrl });
    new CfnOutput(this, 'IntakeDeadLetterQueueUrl', { value: this.receiver.intakeDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'ClaimsTableName', { value: this.receiver.claimsTable.tableName });
    new CfnOutput(this, 'ResultsQueueUrl', {
      description: 'What consumers read: one CloudEvent per finished process (SQS FIFO)',
      value: this.receiver.resultsQueue.queueUrl,
    });
    new CfnOutput(this, 'ResultsQueueArn', { value: this.receiver.resultsQueue.queueArn });
    new CfnOutput(this, 'ResultsDeadLetterQueueUrl', { value: this.receiver.resultsDeadLetterQueue.queueUrl });
    if (this.receiver.resultsEventBus !== undefined) {
      new CfnOutput(this, 'ResultsEventBusArn', {
        description: 'The EventBridge bus with a copy of each results event (source unico.webhook-receiver; at-least-once: deduplicate on detail.id)',
        value: this.receiver.resultsEventBus.eventBusArn,
      });
    }
    if (this.receiver.resultsArchive !== undefined) {
      new CfnOutput(this, 'ResultsArchiveName', {
        description: 'The archive of the results events on that bus (start a replay from it)',
        value: this.receiver.resultsArchive.archiveName,
      });
    }
    if (this.receiver.encryptionKey !== undefined) {
      new CfnOutput(this, 'ResultsKeyArn', {
        description: 'The KMS key of the results queues: grant consumers kms:Decrypt on it',
        value: this.receiver.encryptionKey.keyArn,
      });
    }
    if (this.receiver.webAcl !== undefined) {
      new CfnOutput(this, 'WebAclArn', {
        description: 'The WAF web ACL in front of the REST API (its metrics and sampled requests are in the WAF console)',
        value: this.receiver.webAcl.attrArn,
      });
    }
    if (this.receiver.unicoCredentials !== undefined) {
      new CfnOutput(this, 'UnicoCredentialsSecretArn', {
        description: this.receiver.unicoCredentialsGenerated
          ? 'Put {"privateKey":"<PEM>","apiKey":"<APIKEY, api contract only>"} here: outcomes are fetched once it is filled in'
          : "The secret with Unico's service-account key",
        value: this.receiver.unicoCredentials.secretArn,
      });
    }
    new CfnOutput(this, 'ProcessorPermanentFailureAlarmName', {
      description: 'In alarm when the processor is refused for good by the claims table or a queue (access denied, missing resource)',
      value: this.receiver.processorPermanentFailureAlarm.alarmName,
    });
    if (this.receiver.trackingUrl !== undefined) {
      new CfnOutput(this, 'TrackingUrl', {
        description: "Your backend's tracking routes (IAM-authorised: grant execute-api:Invoke, sign with SigV4): PUT /processes/{id}, POST /processes/{id}/journey-finished, GET /processes/{id}",
        value: this.receiver.trackingUrl,
      });
    }
    if (this.receiver.fallbackRecoveriesAlarm !== undefined && this.receiver.trackingExpiredAlarm !== undefined) {
      new CfnOutput(this, 'FallbackRecoveriesAlarmName', {
        description: "In alarm when the fallback recovers many outcomes: Unico's webhooks are not arriving",
        value: this.receiver.fallbackRecoveriesAlarm.alarmName,
      });
      new CfnOutput(this, 'TrackingExpiredAlarmName', {
        description: 'In alarm when a tracked process expired with no result',
        value: this.receiver.trackingExpiredAlarm.alarmName,
      });
    }
    new CfnOutput(this, 'UnicoCredentialsAlarmName', {
      description: "In alarm when Unico refuses the service account's credentials, or they cannot be read: outcomes wait",
      value: this.receiver.unicoCredentialsAlarm.alarmName,
    });
    new CfnOutput(this, 'PermanentFailureAlarmName', {
      description: 'In alarm when a dependency refuses deliveries for good: attach your notification action',
      value: this.receiver.permanentFailureAlarm.alarmName,
    });
    new CfnOutput(this, 'IntakeDeadLetterAlarmName', {
      description: 'In alarm when a message waits in the intake dead-letter queue',
      value: this.receiver.intakeDeadLetterAlarm.alarmName,
    });
  }
}

function webhookAuthFrom(auth: StackConfig['auth']): WebhookAuth {
  switch (auth.mode) {
    case 'none':
    case 'basic':
      return { mode: auth.mode };
    case 'apikey':
      return { mode: 'apikey', header: auth.header };
    case 'oauth2':
      return {
        mode: 'oauth2',
        issuer: auth.issuer,
        audiences: [...auth.audiences],
        clientIds: [...auth.clientIds],
        requiredScopes: [...auth.requiredScopes],
        ...(auth.jwksUri !== undefined ? { jwksUri: auth.jwksUri } : {}),
        keysMaxStale: Duration.seconds(auth.keysMaxStaleSeconds),
      };
  }
}

/**
 * The whole app as `cdk synth` builds it: context validated (throws `ConfigurationError`), the
 * stack `UnicoWebhook-<stage>` (environment-agnostic: no credentials, no lookups), and cdk-nag's
 * AwsSolutions pack registered as a validation plugin, so any unacknowledged finding fails synth.
 * bin/app.ts and the infra tests both use it.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: UnicoWebhookStack; config: StackConfig } {
  const app = new App(props);
  const config = loadStackConfig(readContext(app.node));
  const stack = new UnicoWebhookStack(app, stackNameFor(config.stage), { config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
