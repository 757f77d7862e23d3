import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { IntakeMessage, IntakeQueue } from '../../core/acceptance/ports.ts';
import { idempotencyKey } from '../../core/notification.ts';
import { toSqsMessageBody } from './sqs-message-body.ts';
import { SqsQueue } from './sqs-queue.ts';

/**
 * The intake queue: SQS FIFO. MessageGroupId = processId keeps one process's states in order;
 * MessageDeduplicationId = processId:state makes a repeated send (see accept-notification.ts) add
 * nothing within SQS's deduplication window. The body is JSON that SQS accepts for any text.
 */
export class SqsIntakeQueue extends SqsQueue implements IntakeQueue {
  async enqueue(message: IntakeMessage, signal: AbortSignal): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: toSqsMessageBody(message),
        MessageGroupId: message.processId,
        MessageDeduplicationId: idempotencyKey(message),
        MessageAttributes: {
          state: { DataType: 'String', StringValue: message.state },
          flow: { DataType: 'String', StringValue: message.flow },
          detectedBy: { DataType: 'String', StringValue: message.detectedBy },
        },
      }),
      { abortSignal: signal },
    );
  }
}
