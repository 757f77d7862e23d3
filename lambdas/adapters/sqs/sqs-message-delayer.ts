import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { MessageDelayer } from '../../core/processing/ports.ts';
import { SqsQueue } from './sqs-queue.ts';

/** Delays a received message by setting its visibility timeout (SQS allows up to 12 hours). */
export class SqsMessageDelayer extends SqsQueue implements MessageDelayer {
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }
}
