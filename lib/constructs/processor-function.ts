import { Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { RESULTS_BUS_FEED_ENVIRONMENT } from '../../lambdas/contracts/results-event-bus.ts';
import { PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { unicoApiEnvironment, type UnicoApiSettings } from '../../lambdas/contracts/unico-api.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { ProjectFunctionConstruct } from './project-function-construct.ts';
import { METRIC_NAMES } from '../../lambdas/adapters/metrics/metric-names.ts';

export interface ProcessorFunctionProps {
  readonly settings: ReceiverSettings;
  readonly claimsTable: Table;
  readonly intakeQueue: Queue;
  readonly resultsQueue: Queue;
  /** Outcome fetching: absent, events carry `outcome: null`. */
  readonly unico?: { readonly api: UnicoApiSettings; readonly credentials: ISecret };
  /** The EventBridge bus's feed: a copy of each event goes there first (docs/eventbridge.md). */
  readonly resultsBusFeedQueue?: Queue;
}

/**
 * The processor: the intake queue's consumer. Each notification becomes one CloudEvent on the
 * results queue (with Unico's outcome for finished processes), then its claim is confirmed. Its
 * environment is what lambdas/processor/config.ts reads (an infrastructure test feeds one into
 * the other), and its role holds only the grants below.
 */
export class ProcessorFunction extends ProjectFunctionConstruct {
  /** In alarm when the claims table or a queue refuses the processor for good (access denied, missing resource). */
  public readonly permanentFailureAlarm: Alarm;
  /** In alarm when Unico refuses the service account's credentials, or they cannot be read or used. */
  public readonly unicoCredentialsAlarm: Alarm;
  /** In alarm when an invocation failed as a whole (a crash, a timeout). */
  public readonly errorsAlarm: Alarm;
  /** In alarm when Lambda throttled the processor. */
  public readonly throttlesAlarm: Alarm;
  /** In alarm when the p99 duration passes 80% of the timeout. */
  public readonly durationAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    const { settings } = props;
    super(scope, id, settings, {
      entry: 'lambdas/processor/index.ts',
      description: 'Unico webhook processor: fetch the outcome, publish one results event, confirm the claim',
      roleDescription: 'Unico webhook processor: read and confirm claims, consume the intake queue, publish results',
      serviceName: PROCESSOR_FUNCTION.serviceName,
      timeout: Duration.seconds(PROCESSOR_FUNCTION.timeoutSeconds),
      environment: {
        CLAIMS_TABLE_NAME: props.claimsTable.tableName,
        CLAIM_RETENTION_DAYS: String(settings.claimRetentionDays),
        INTAKE_QUEUE_URL: props.intakeQueue.queueUrl,
        RESULTS_QUEUE_URL: props.resultsQueue.queueUrl,
        EVENT_SOURCE: Stack.of(scope).stackName,
        OUTCOME_RETRY_PERIOD_SECONDS: String(settings.outcomeRetryPeriodSeconds),
        ...(props.unico
          ? { ...unicoApiEnvironment(props.unico.api), UNICO_SECRET_ARN: props.unico.credentials.secretArn }
          : {}),
        ...(props.resultsBusFeedQueue ? { [RESULTS_BUS_FEED_ENVIRONMENT]: props.resultsBusFeedQueue.queueUrl } : {}),
      },
    });

    // Read and confirm claims; the Unico request budget is one more item of the same table,
    // taken with a conditional update (and read when the emulator returns no old values).
    props.claimsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // Send only. With a customer-managed key, what SQS asks of a producer (GenerateDataKey, and
    // Decrypt to reuse a data key), not grantSendMessages' ReEncrypt*/GenerateDataKey* wildcards.
    for (const queue of [props.resultsQueue, ...(props.resultsBusFeedQueue ? [props.resultsBusFeedQueue] : [])]) {
      queue.grant(this.function, 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
      queue.encryptionMasterKey?.grant(this.function, 'kms:GenerateDataKey', 'kms:Decrypt');
    }
    props.unico?.credentials.grantRead(this.function);
    this.permanentFailureAlarm = this.alarmOnPermanentFailures(
      'The processor is refused for good by the claims table or a queue (access denied, a missing resource): messages wait in the intake queue until the deployment is fixed.',
    );
    const periodHours = Math.round((settings.outcomeRetryPeriodSeconds / 3600) * 10) / 10;
    this.unicoCredentialsAlarm = this.alarmOnMetric(
      this.metric(METRIC_NAMES.unicoCredentialsRefused),
      'UnicoCredentialsAlarm',
      `Finished processes wait for their outcome: Unico refuses the service account's credentials (the processor's log line names the status and Unico's error code: a key that is not the service account's, a revoked account, a wrong API key), or the UnicoCredentials secret is empty or unreadable. Fix the secret; outcomes not fetched within ${periodHours} hours of their webhook are published as outcome_unavailable.`,
    );

    // Lambda's own metrics: an invocation that failed as a whole (a crash, a timeout), one that
    // Lambda refused to start, and runs close to the timeout.
    this.errorsAlarm = this.alarmOnMetric(
      this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'ErrorsAlarm',
      'Processor invocations failed as a whole (a crash or a timeout, not a single message given back): their messages come back after the visibility timeout. Read the processor\'s ERROR lines and "Task timed out" lines in its log group; fix, and the messages are processed on their next receive.',
    );
    this.throttlesAlarm = this.alarmOnMetric(
      this.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      'ThrottlesAlarm',
      "Lambda throttled the processor: the account's concurrency is used up by other functions. Messages wait in the intake queue (see its oldest message's age); raise the account's concurrency limit or reserve concurrency for the processor.",
    );
    const nearTimeoutMs = Math.round(PROCESSOR_FUNCTION.timeoutSeconds * 1000 * 0.8);
    this.durationAlarm = this.alarmOnMetric(
      this.function.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
      'DurationAlarm',
      `The processor's p99 duration passed ${nearTimeoutMs} ms, 80% of its ${PROCESSOR_FUNCTION.timeoutSeconds}-second timeout: Unico or the request budget is slow (see OutcomeFetchLatency and BudgetWait on the dashboard). Messages it cannot start are given back; if this lasts, lower processorMaxConcurrency or raise unico.maxRequestsPerSecond within Unico's budget.`,
      { threshold: nearTimeoutMs },
    );

    // Batches with partial failures; a bounded number of concurrent processors keeps the calls
    // to Unico near the budget instead of queueing on it.
    this.function.addEventSource(
      new SqsEventSource(props.intakeQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: settings.processorMaxConcurrency,
      }),
    );
  }
}
