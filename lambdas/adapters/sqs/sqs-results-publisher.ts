import { SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { ResultsPublisher } from '../../core/processing/ports.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../contracts/results-event.ts';
import { RESULTS_MESSAGE_MAX_BYTES } from '../../contracts/queues.ts';
import { toSqsMessageBody } from './sqs-message-body.ts';
import { SqsQueue } from './sqs-queue.ts';

/**
 * The results queue (contract 2): SQS FIFO. MessageGroupId = processId keeps one process's events
 * in order; MessageDeduplicationId = the event id (processId:state) makes a repeated publish (a
 * crash between publishing and confirming) add nothing within SQS's deduplication window.
 */
export class SqsResultsPublisher extends SqsQueue implements ResultsPublisher {
  /**
   * Whether SQS takes the event: its size as SQS counts it (the body as sent, plus each attribute's
   * name, type and value) within the results queue's message size.
   */
  fits(event: ResultsEvent, attributes: ResultsEventAttributes): boolean {
    const attributeBytes = Object.entries(messageAttributes(attributes)).reduce(
      (sum, [name, value]) => sum + utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? ''),
      0,
    );
    return utf8Bytes(toSqsMessageBody(event)) + attributeBytes <= RESULTS_MESSAGE_MAX_BYTES;
  }

  async publish(event: ResultsEvent, attributes: ResultsEventAttributes, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: toSqsMessageBody(event),
        MessageGroupId: event.subject,
        MessageDeduplicationId: event.id,
        MessageAttributes: messageAttributes(attributes),
      }),
      { abortSignal: signal },
    );
  }
}

function messageAttributes(attributes: ResultsEventAttributes): Record<string, MessageAttributeValue> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]));
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
