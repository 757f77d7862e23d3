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
  /** An invocation still running after this long is abandoned, as Lambda kills it. */
  readonly functionTimeoutMs: number;
  /** @default 10 */
  readonly batchSize?: number;
  /**
   * The event source's `maxConcurrency`: invocations in flight at once, one poller each.
   * @default 2 (Lambda's least)
   */
  readonly maxConcurrency?: number;
  /**
   * Told about a batch that failed whole and goes back to the queue: the handler threw, or it ran
   * past the timeout (a `FunctionTimeoutError`), or the queue could not be read.
   */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface RunningSqsEventSource {
  /** Stops polling; resolves once the invocations in flight have returned or timed out. */
  stop(): Promise<void>;
}

/** An invocation that ran past the function's timeout; its message is the line Lambda logs. */
export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
  readonly functionName: string;
  readonly timeoutMs: number;
  /** The batch's messages, left on the queue to come back after their visibility timeout. */
  readonly messageIds: readonly string[];
  constructor(functionName: string, timeoutMs: number, messageIds: readonly string[]) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.functionName = functionName;
    this.timeoutMs = timeoutMs;
    this.messageIds = messageIds;
  }
}

type Invocation = { readonly returned: SQSBatchResponse | undefined } | { readonly threw: unknown } | { readonly timedOut: true };

/**
 * What Lambda's SQS event source mapping does, on this machine: `maxConcurrency` pollers
 * long-poll the queue, each hands its batch to the handler as the SQSEvent Lambda builds, deletes
 * the records the handler did not report in `batchItemFailures`, and leaves the others to come
 * back after their visibility timeout (or whatever visibility the handler set). A handler that
 * throws fails the whole batch; one still running at the function's timeout is abandoned as
 * Lambda kills it: nothing of its batch is deleted, even if it returns later. A FIFO queue keeps
 * a message group to one poller at a time itself. A test validates these events against
 * Powertools' SqsSchema.
 */
export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<RunningSqsEventSource> {
  const { sqs, queueUrl } = options;
  const maxConcurrency = options.maxConcurrency ?? 2;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new RangeError(`maxConcurrency: a whole number of at least 1; got ${maxConcurrency}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn ?? `arn:aws:sqs:${options.region}:000000000000:${queueUrl.split('/').pop()}`;
  const stopping = new AbortController();

  async function poll(): Promise<void> {
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
  }

  async function deliverBatch(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((message) => sqsRecord(message, queueArn, options.region)) };
    const outcome = await invoke(event);
    if ('timedOut' in outcome) {
      options.onHandlerError?.(new FunctionTimeoutError(options.functionName, options.functionTimeoutMs, event.Records.map((record) => record.messageId)));
      return;
    }
    if ('threw' in outcome) {
      options.onHandlerError?.(outcome.threw);
      return;
    }
    const failed = new Set((outcome.returned?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }

  /** The handler's outcome, or `timedOut` at the moment the context's remaining time reaches 0. */
  async function invoke(event: SQSEvent): Promise<Invocation> {
    const startedAt = Date.now();
    const context = lambdaContext(options.functionName, options.functionTimeoutMs, startedAt);
    // An abandoned handler runs on in the background (nothing in-process can kill it): its
    // outcome only settles a race that is already over, so a late return deletes nothing.
    const handled = Promise.resolve()
      .then(() => options.handler(event, context))
      .then(
        (returned): Invocation => ({ returned }),
        (threw: unknown): Invocation => ({ threw }),
      );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Invocation>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), context.getRemainingTimeInMillis());
    });
    try {
      return await Promise.race([handled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  const pollers = Array.from({ length: maxConcurrency }, () => poll());

  return {
    stop: async () => {
      stopping.abort();
      await Promise.all(pollers);
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
