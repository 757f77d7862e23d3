import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Takes every message off a queue and returns them. FIFO queues hand out one message group at a
 * time per receive, so it keeps receiving until a receive comes back empty.
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const drained: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return drained;
    drained.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** The processIds carried by intake messages, in the order received. */
export function processIdsOf(messages: readonly Message[]): string[] {
  return messages.map((message) => (JSON.parse(message.Body ?? '{}') as { processId: string }).processId);
}

/** An empty queue's counts, as GetQueueAttributes gives them: none visible, in flight or delayed. */
export const EMPTY_QUEUE = {
  ApproximateNumberOfMessages: '0',
  ApproximateNumberOfMessagesNotVisible: '0',
  ApproximateNumberOfMessagesDelayed: '0',
} as const;

/** A queue's visible, in-flight and delayed message counts. */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<Record<string, string> | undefined> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: Object.keys(EMPTY_QUEUE) as QueueAttributeName[] }),
  );
  return Attributes;
}

export async function isQueueEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const counts = await queueCounts(sqs, queueUrl);
  return Object.entries(EMPTY_QUEUE).every(([name, value]) => counts?.[name] === value);
}
