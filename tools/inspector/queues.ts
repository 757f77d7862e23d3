/**
 * The local stack's four queues as the inspector shows them: how many messages each holds, and a
 * redrive that moves a dead-letter queue's messages back to the queue they came from.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export const QUEUE_NAMES = ['intake', 'intakeDlq', 'results', 'resultsDlq'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
export type DeadLetterQueueName = 'intakeDlq' | 'resultsDlq';

export type QueueUrls = Readonly<Record<QueueName, string>>;

export interface QueueDepth {
  /** Messages waiting to be received. */
  readonly visible: number;
  /** Messages received and not yet deleted (being processed). */
  readonly inFlight: number;
}

export type QueueDepths = Readonly<Record<QueueName, QueueDepth | null>>;

/** Where each dead-letter queue's messages go back to. */
const SOURCE_OF: Readonly<Record<DeadLetterQueueName, QueueName>> = { intakeDlq: 'intake', resultsDlq: 'results' };

export function isDeadLetterQueue(name: string): name is DeadLetterQueueName {
  return name in SOURCE_OF;
}

/** Each queue's depth; null for a queue that did not answer. */
export async function queueDepths(sqs: SQSClient, urls: QueueUrls): Promise<QueueDepths> {
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (name) => {
      try {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: urls[name],
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const depth: QueueDepth = {
          visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        };
        return [name, depth] as const;
      } catch {
        return [name, null] as const;
      }
    }),
  );
  return Object.fromEntries(entries) as unknown as QueueDepths;
}

/**
 * Moves every message the dead-letter queue gives out back to its source queue: each is sent
 * (same body, attributes and message group) before it is deleted, so a failure in between leaves
 * a copy, never a loss. The deduplication id gets a suffix: the original id may still be inside
 * SQS's five-minute window, which would drop the message silently; the processor and the results
 * consumers deduplicate on processId and state anyway.
 */
export async function redrive(sqs: SQSClient, urls: QueueUrls, deadLetterQueue: DeadLetterQueueName, now: () => number = Date.now): Promise<number> {
  const from = urls[deadLetterQueue];
  const to = urls[SOURCE_OF[deadLetterQueue]];
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    if (Messages.length === 0) return moved;
    for (const message of Messages) {
      const groupId = message.Attributes?.MessageGroupId ?? 'redrive';
      const deduplicationId = `${message.Attributes?.MessageDeduplicationId ?? message.MessageId ?? ''}`.slice(0, 100);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: to,
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes === undefined || Object.keys(message.MessageAttributes).length === 0
            ? {}
            : { MessageAttributes: message.MessageAttributes }),
          ...(to.endsWith('.fifo') ? { MessageGroupId: groupId, MessageDeduplicationId: `${deduplicationId}:redrive:${now()}:${moved}` } : {}),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: message.ReceiptHandle }));
      moved += 1;
    }
  }
}
