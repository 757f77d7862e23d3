import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ResultsPublisher } from '../../core/processing/ports.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../contracts/results-event.ts';
import { toSqsMessageBody } from './sqs-message-body.ts';
import { SqsQueue } from './sqs-queue.ts';

/**
 * The results queue (contract 2): SQS FIFO. MessageGroupId = processId keeps one process's events
 * in order; MessageDeduplicationId = the event id (processId:state) makes a repeated publish (a
 * crash between publishing and confirming) add nothing within SQS's deduplication window.
 */
export class SqsResultsPublisher extends SqsQueue implements ResultsPublisher {
  async publish(event: ResultsEvent, attributes: ResultsEventAttributes, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: toSqsMessageBody(event),
        MessageGroupId: event.subject,
        MessageDeduplicationId: event.id,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
      { abortSignal: signal },
    );
  }
}
