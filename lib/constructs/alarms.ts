import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The API's 5xx answers, in percent of its requests within 5 minutes, that raise the alarm. */
export const API_5XX_RATE_PERCENT = 5;
/** Fewer requests than this in 5 minutes: too few for a rate to mean anything. */
export const API_5XX_MIN_REQUESTS = 20;
/** The results queue's oldest message, in seconds, that says its consumer has stopped. */
export const RESULTS_OLDEST_MESSAGE_SECONDS = 3600;

/** Where every alarm goes: the topic given, or one made encrypted and TLS-only. */
export function alarmTopic(scope: Construct, given: ITopic | undefined, email: string | undefined): ITopic {
  const topic =
    given ??
    new Topic(scope, 'AlarmTopic', {
      displayName: `${Stack.of(scope).stackName} alarms`,
      // The AWS-managed SNS key: encrypted at rest with no key policy to keep (CloudWatch may
      // publish to a topic under it), and TLS enforced by the topic's policy.
      masterKey: Alias.fromAliasName(scope, 'AlarmTopicKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
  if (email !== undefined) topic.addSubscription(new EmailSubscription(email));
  return topic;
}

export interface ReceiverAlarmsProps {
  readonly api?: HttpApi;
  readonly restApi?: RestApi;
  readonly intakeQueue: Queue;
  readonly resultsQueue: Queue;
  readonly claimsTable: Table;
  /** The intake queue's oldest message, in seconds, that means the processor is not draining it. */
  readonly intakeOldestMessageSeconds: number;
}

/** The receiver-wide alarms on AWS's own metrics: the API's 5xx rate, queue ages, claims table throttling. */
export class ReceiverAlarms extends Construct {
  public readonly api5xxRateAlarm: Alarm;
  public readonly intakeQueueAgeAlarm: Alarm;
  public readonly resultsQueueAgeAlarm: Alarm;
  public readonly claimsThrottleAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ReceiverAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const errors: IMetric | undefined = props.api?.metricServerError({ period, statistic: 'Sum' }) ?? props.restApi?.metricServerError({ period, statistic: 'Sum' });
    const requests: IMetric | undefined = props.api?.metricCount({ period, statistic: 'Sum' }) ?? props.restApi?.metricCount({ period, statistic: 'Sum' });
    if (errors === undefined || requests === undefined) throw new Error('ReceiverAlarms: an HTTP API or a REST API is required');
    this.api5xxRateAlarm = new MathExpression({
      expression: `IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)`,
      usingMetrics: { errors, requests },
      period,
      label: 'Webhook 5xx (% of requests)',
    }).createAlarm(this, 'Api5xxRateAlarm', {
      alarmDescription: `${API_5XX_RATE_PERCENT}% or more of the webhook's answers were 5xx within 5 minutes (at least ${API_5XX_MIN_REQUESTS} requests): Unico retries, but deliveries are lost once its attempts run out. The intake's ERROR lines say why (a dependency refused, a deadline passed); see the PermanentDependencyFailures alarm and docs/operations.md.`,
      threshold: API_5XX_RATE_PERCENT,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const oldest = (queue: Queue) => queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' });
    this.intakeQueueAgeAlarm = oldest(props.intakeQueue).createAlarm(this, 'IntakeQueueAgeAlarm', {
      alarmDescription: `A message has waited in the intake queue over ${Math.round(props.intakeOldestMessageSeconds / 60)} minutes, longer than the outcome retry period allows: the processor is not draining it (errors, throttles, a permanent failure). See the processor's alarms and logs; nothing is lost until the message reaches the dead-letter queue.`,
      threshold: props.intakeOldestMessageSeconds,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.resultsQueueAgeAlarm = oldest(props.resultsQueue).createAlarm(this, 'ResultsQueueAgeAlarm', {
      alarmDescription: `A results event has waited over ${RESULTS_OLDEST_MESSAGE_SECONDS / 60} minutes for its consumer: the consumer has stopped or cannot keep up. Events expire after the queue's retention (14 days); restart or scale the consumer.`,
      threshold: RESULTS_OLDEST_MESSAGE_SECONDS,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const throttled = props.claimsTable.metricThrottledRequestsForOperations({
      operations: [Operation.PUT_ITEM, Operation.GET_ITEM, Operation.UPDATE_ITEM, Operation.QUERY],
      period,
    });
    this.claimsThrottleAlarm = new Alarm(this, 'ClaimsThrottleAlarm', {
        metric: throttled,
        alarmDescription:
          'DynamoDB throttled requests to the claims table (on demand: a sudden peak beyond twice the previous one, or one hot item such as the Unico budget). Claims are retried by the SDK and deliveries answered 503 if they still fail; if it lasts, check the table\'s metrics and switch to provisioned capacity with headroom or pre-warm it.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  get alarms(): Alarm[] {
    return [this.api5xxRateAlarm, this.intakeQueueAgeAlarm, this.resultsQueueAgeAlarm, this.claimsThrottleAlarm];
  }
}

/** The topic as alarm and OK action of every alarm given. */
export function notifyOn(topic: ITopic, alarms: readonly Alarm[]): void {
  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
