import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './api-gateway-event.ts';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly region: string;
  readonly handler: SqsBatchHandler;
  readonly functionName: string;
  readonly functionTimeoutMs: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** Told about a batch the handler threw on (the whole batch then goes back to the queue). */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface RunningSqsEventSource {
  stop(): Promise<void>;
}

/**
 * What Lambda's SQS event source mapping does, on this machine: long-polls the queue, hands each
 * batch to the handler as the SQSEvent Lambda builds, deletes the records the handler did not
 * report in `batchItemFailures`, and leaves the others to come back after their visibility
 * timeout (or whatever visibility the handler set). A handler that throws fails the whole batch.
 * A test validates these events against Powertools' SqsSchema.
 */
export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<RunningSqsEventSource> {
  const { sqs, queueUrl } = options;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn ?? `arn:aws:sqs:${options.region}:000000000000:${queueUrl.split('/').pop()}`;
  const stopping = new AbortController();

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: options.batchSize ?? 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        if (Messages.length === 0) continue;
        await deliverBatch(Messages);
      } catch (error) {
        if (stopping.signal.aborted) return;
        options.onHandlerError?.(error);
        await sleep(500, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();

  async function deliverBatch(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((message) => sqsRecord(message, queueArn, options.region)) };
    let failed: Set<string>;
    try {
      const response = await options.handler(event, lambdaContext(options.functionName, options.functionTimeoutMs));
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      options.onHandlerError?.(error);
      return;
    }
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }

  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}

/** One record as Lambda's event source mapping builds it from a received message. */
export function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const body = message.Body ?? '';
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? 'AIDALOCALSTACK',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(system.SequenceNumber ? { SequenceNumber: system.SequenceNumber } : {}),
      ...(system.MessageGroupId ? { MessageGroupId: system.MessageGroupId } : {}),
      ...(system.MessageDeduplicationId ? { MessageDeduplicationId: system.MessageDeduplicationId } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
