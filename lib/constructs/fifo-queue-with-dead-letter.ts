import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { ComparisonOperator, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { FifoQueueSettings } from '../../lambdas/contracts/queues.ts';

export interface FifoQueueWithDeadLetter {
  readonly queue: Queue;
  /** Where a message goes after `maxReceiveCount` failed receives. */
  readonly deadLetterQueue: Queue;
  /** In alarm while a message waits in the dead-letter queue. */
  readonly deadLetterAlarm: Alarm;
}

export interface FifoQueueOptions {
  readonly removalPolicy: RemovalPolicy;
  /** @default the settings' visibility timeout */
  readonly visibilityTimeout?: Duration;
  /** What the dead-letter alarm tells whoever reads it. */
  readonly deadLetterAlarmDescription: string;
  /**
   * A customer-managed key for the queue and its dead-letter queue (what carries personal data).
   * @default - SQS-managed encryption
   */
  readonly encryptionKey?: IKey;
}

/**
 * An SQS FIFO queue the way this project makes one: high-throughput mode, SQS-managed
 * encryption, TLS only, a FIFO dead-letter queue, and an alarm on that dead-letter queue. Creates
 * `<id>Queue`, `<id>DeadLetterQueue` and `<id>DeadLetterAlarm` in `scope`; the settings (shared
 * with the local stack) give the visibility, receive count and retention.
 */
export function fifoQueueWithDeadLetter(
  scope: Construct,
  id: string,
  settings: FifoQueueSettings,
  options: FifoQueueOptions,
): FifoQueueWithDeadLetter {
  // SQS-managed SSE: encrypted at rest with no KMS calls on the hot path (high-throughput FIFO)
  // and no key grants a consumer would have to be given.
  const common: QueueProps = {
    fifo: true,
    contentBasedDeduplication: false,
    deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
    fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    ...(options.encryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: options.encryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    retentionPeriod: Duration.days(settings.retentionDays),
    removalPolicy: options.removalPolicy,
  };
  const deadLetterQueue = new Queue(scope, `${id}DeadLetterQueue`, common);
  const queue = new Queue(scope, `${id}Queue`, {
    ...common,
    visibilityTimeout: options.visibilityTimeout ?? Duration.seconds(settings.visibilityTimeoutSeconds),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
  });
  const deadLetterAlarm = deadLetterQueue
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
    .createAlarm(scope, `${id}DeadLetterAlarm`, {
      alarmDescription: options.deadLetterAlarmDescription,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  return { queue, deadLetterQueue, deadLetterAlarm };
}
