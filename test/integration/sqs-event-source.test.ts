import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig, LOCAL_REGION } from '../../tools/local-stack/local-clients.ts';
import {
  FunctionTimeoutError,
  startSqsEventSource,
  type RunningSqsEventSource,
  type SqsBatchHandler,
  type SqsEventSourceOptions,
} from '../../tools/local-stack/sqs-event-source.ts';

/**
 * The local stand-in for Lambda's SQS event source mapping against fauxqs: the function timeout
 * abandons an invocation as Lambda kills it, and `maxConcurrency` bounds the invocations in flight.
 * Queues have a one-second visibility timeout and functions sub-second timeouts, to stay fast.
 */
let sqsEmulator: RunningEmulator;
let sqs: SQSClient;
let queueNumber = 0;
const sources: RunningSqsEventSource[] = [];

beforeAll(async () => {
  sqsEmulator = await startSqsEmulator();
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(async () => {
  sqs?.destroy();
  await sqsEmulator?.stop();
});

async function newQueue(kind: 'standard' | 'fifo' = 'standard'): Promise<string> {
  queueNumber += 1;
  const fifo = kind === 'fifo';
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `event-source-${queueNumber}${fifo ? '.fifo' : ''}`,
      Attributes: { VisibilityTimeout: '1', ...(fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {}) },
    }),
  );
  if (!QueueUrl) throw new Error('fauxqs returned no queue URL');
  return QueueUrl;
}

async function send(queueUrl: string, bodies: readonly string[], groupId?: string): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          ...(groupId ? { MessageGroupId: groupId } : {}),
        })),
      }),
    );
  }
}

/** Messages still on the queue, visible or in flight. */
async function messagesLeft(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Polls `check` until it holds or `withinMs` passes; returns whether it held. */
async function eventually(check: () => boolean | Promise<boolean>, withinMs = 5000): Promise<boolean> {
  const giveUpAt = Date.now() + withinMs;
  while (Date.now() < giveUpAt) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

async function start(
  queueUrl: string,
  handler: SqsBatchHandler,
  options: Partial<Pick<SqsEventSourceOptions, 'functionTimeoutMs' | 'maxConcurrency' | 'batchSize' | 'onHandlerError'>> = {},
): Promise<RunningSqsEventSource> {
  const source = await startSqsEventSource({
    sqs,
    queueUrl,
    region: LOCAL_REGION,
    functionName: 'processor',
    functionTimeoutMs: 5000,
    handler,
    ...options,
  });
  sources.push(source);
  return source;
}

/** A promise and the function that settles it, to hold a handler where a test wants it. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

interface Delivery {
  readonly at: number;
  readonly bodies: string[];
  readonly receiveCounts: number[];
}

function deliveryOf(event: SQSEvent): Delivery {
  return {
    at: Date.now(),
    bodies: event.Records.map((record) => record.body),
    receiveCounts: event.Records.map((record) => Number(record.attributes.ApproximateReceiveCount)),
  };
}

describe('the function timeout', () => {
  test('an invocation that runs past it is abandoned: nothing is deleted, even by its late return, and the batch comes back', async () => {
    // Prepare
    const queueUrl = await newQueue();
    await send(queueUrl, ['first', 'second']);
    const deliveries: Delivery[] = [];
    const errors: unknown[] = [];
    const lateReturn = gate<SQSBatchResponse>();
    const lateReturnDone = gate();
    const handler: SqsBatchHandler = async (event) => {
      deliveries.push(deliveryOf(event));
      if (deliveries.length > 1) return { batchItemFailures: [] };
      // The first invocation hangs past the timeout, then returns "all done" before the
      // messages' visibility ends: that answer must delete nothing.
      const response = await lateReturn.promise;
      setImmediate(() => lateReturnDone.open());
      return response;
    };

    // Act
    await start(queueUrl, handler, { functionTimeoutMs: 300, maxConcurrency: 1, onHandlerError: (error) => errors.push(error) });
    expect(await eventually(() => errors.length > 0)).toBe(true);
    lateReturn.open({ batchItemFailures: [] });
    await lateReturnDone.promise;

    // Assess
    const [timeout] = errors;
    expect(timeout).toBeInstanceOf(FunctionTimeoutError);
    expect((timeout as FunctionTimeoutError).message).toBe('Task timed out after 0.30 seconds');
    expect([...(timeout as FunctionTimeoutError).messageIds]).toHaveLength(2);
    expect(await eventually(() => deliveries.length >= 2)).toBe(true);
    const [first, again] = deliveries as [Delivery, Delivery];
    expect(first.receiveCounts).toEqual([1, 1]);
    expect(again.bodies.toSorted()).toEqual(['first', 'second']);
    expect(again.receiveCounts).toEqual([2, 2]);
    // Back only once the queue's one-second visibility timeout ended, not at the function's timeout.
    expect(again.at - first.at).toBeGreaterThanOrEqual(900);
    expect(await eventually(async () => (await messagesLeft(queueUrl)) === 0)).toBe(true);
    expect(errors).toHaveLength(1);
  });

  test("the context's remaining time counts down to 0 at the moment the invocation is abandoned", async () => {
    // Prepare
    const queueUrl = await newQueue();
    await send(queueUrl, ['slow']);
    const contexts: Context[] = [];
    const remainingAtStart: number[] = [];
    const remainingAtTimeout: number[] = [];
    let startedAt = 0;
    let abandonedAt = 0;
    const hang = gate<SQSBatchResponse>();

    // Act
    await start(
      queueUrl,
      async (_event, context) => {
        contexts.push(context);
        startedAt = Date.now();
        remainingAtStart.push(context.getRemainingTimeInMillis());
        return hang.promise;
      },
      {
        functionTimeoutMs: 400,
        maxConcurrency: 1,
        onHandlerError: () => {
          abandonedAt = Date.now();
          remainingAtTimeout.push(contexts.at(-1)?.getRemainingTimeInMillis() ?? -1);
        },
      },
    );
    expect(await eventually(() => remainingAtTimeout.length > 0)).toBe(true);
    hang.open({ batchItemFailures: [] });

    // Assess
    expect(remainingAtStart[0]).toBeGreaterThan(300);
    expect(remainingAtStart[0]).toBeLessThanOrEqual(400);
    expect(remainingAtTimeout[0]).toBe(0);
    // Abandoned when the time ran out, not later (timers on a busy machine may fire a little late).
    expect(abandonedAt - startedAt).toBeGreaterThanOrEqual(390);
    expect(abandonedAt - startedAt).toBeLessThan(600);
  });

  test('a handler that returns within it has its batch deleted and no timeout reported', async () => {
    // Prepare
    const queueUrl = await newQueue();
    await send(queueUrl, ['quick']);
    const errors: unknown[] = [];
    let invocations = 0;

    // Act
    await start(
      queueUrl,
      async () => {
        invocations += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { batchItemFailures: [] };
      },
      { functionTimeoutMs: 300, onHandlerError: (error) => errors.push(error) },
    );

    // Assess
    expect(await eventually(async () => invocations === 1 && (await messagesLeft(queueUrl)) === 0)).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('maxConcurrency', () => {
  test('with 3 and a slow handler, three invocations run at once and never four', async () => {
    // Prepare
    const queueUrl = await newQueue();
    const bodies = Array.from({ length: 12 }, (_, index) => `message-${index}`);
    await send(queueUrl, bodies);
    let inFlight = 0;
    let mostInFlight = 0;
    const handled: string[] = [];

    // Act
    await start(
      queueUrl,
      async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 150));
        handled.push(...event.Records.map((record) => record.body));
        inFlight -= 1;
        return { batchItemFailures: [] };
      },
      { maxConcurrency: 3, batchSize: 1 },
    );

    // Assess
    expect(await eventually(async () => handled.length === 12 && (await messagesLeft(queueUrl)) === 0)).toBe(true);
    expect(handled.toSorted()).toEqual(bodies.toSorted());
    expect(mostInFlight).toBe(3);
  });

  test('a FIFO message group is never handed to two invocations at once, and keeps its order', async () => {
    // Prepare
    const queueUrl = await newQueue('fifo');
    const bodies = ['one', 'two', 'three', 'four'];
    await send(queueUrl, bodies, 'the-only-group');
    let inFlight = 0;
    let mostInFlight = 0;
    const handled: string[] = [];

    // Act
    await start(
      queueUrl,
      async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        handled.push(...event.Records.map((record) => record.body));
        inFlight -= 1;
        return { batchItemFailures: [] };
      },
      { maxConcurrency: 3, batchSize: 1 },
    );

    // Assess
    expect(await eventually(() => handled.length === 4)).toBe(true);
    expect(handled).toEqual(bodies);
    expect(mostInFlight).toBe(1);
  });

  test('is a whole number of at least 1', async () => {
    await expect(start(await newQueue(), async () => ({ batchItemFailures: [] }), { maxConcurrency: 0 })).rejects.toThrow(RangeError);
  });
});
