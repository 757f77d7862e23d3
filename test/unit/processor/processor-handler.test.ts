import { beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { IntakeMessage } from '../../../lambdas/core/acceptance/ports.ts';
import {
  NotificationProcessor,
  OutcomeNotYetAvailableError,
  type ProcessingOutcome,
} from '../../../lambdas/core/processing/process-notification.ts';
import type { MessageDelayer } from '../../../lambdas/core/processing/ports.ts';
import { UnicoTransientError } from '../../../lambdas/core/unico/process-fetcher.ts';
import { createProcessorHandler } from '../../../lambdas/processor/processor-handler.ts';

/** A processor whose answer per processId the test decides; it records the order of calls. */
class ScriptedProcessor {
  readonly processed: string[] = [];
  readonly failures = new Map<string, Error>();
  async process(message: IntakeMessage): Promise<ProcessingOutcome> {
    this.processed.push(`${message.processId}:${message.state}`);
    const failure = this.failures.get(message.processId);
    if (failure) throw failure;
    return 'published';
  }
}

class RecordingDelayer implements MessageDelayer {
  readonly delays: Array<{ receiptHandle: string; seconds: number }> = [];
  async delay(receiptHandle: string, seconds: number) {
    this.delays.push({ receiptHandle, seconds });
  }
}

const context = { functionName: 'processor', awsRequestId: 'r-1' } as unknown as Context;
let counter = 0;

function record(processId: string, state = 'PROCESS_STATE_FINISHED', receiveCount = 1, body?: string): SQSRecord {
  counter += 1;
  const message: IntakeMessage = { processId, state, flow: 'id', detectedBy: 'webhook', receivedAt: '2026-11-26T10:00:00.000Z' };
  return {
    messageId: `m-${counter}`,
    receiptHandle: `rh-${counter}`,
    body: body ?? JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: processId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:intake.fifo',
    awsRegion: 'us-east-1',
  };
}

let processor: ScriptedProcessor;
let delayer: RecordingDelayer;
let handle: (event: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

beforeEach(() => {
  processor = new ScriptedProcessor();
  delayer = new RecordingDelayer();
  const handler = createProcessorHandler({
    processor: processor as unknown as NotificationProcessor,
    delayer,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  handle = (event) => handler(event, context);
});

describe('processor handler', () => {
  test('a healthy batch is processed in order and reports no failure', async () => {
    // Prepare
    const records = [record('a'), record('b'), record('a', 'PROCESS_STATE_OTHER')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED', 'a:PROCESS_STATE_OTHER']);
  });

  test('a failure fails its record and the rest of its process, not the other processes', async () => {
    // Prepare
    processor.failures.set('a', new Error('DynamoDB 500'));
    const records = [record('a'), record('b'), record('a', 'PROCESS_STATE_OTHER'), record('c')];

    // Act
    const response = await handle({ Records: records });

    // Assess: the second message of process a is not even tried, so a's order holds.
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[0]?.messageId,
      records[2]?.messageId,
    ]);
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED', 'c:PROCESS_STATE_FINISHED']);
    expect(delayer.delays).toEqual([]);
  });

  test("Unico's Retry-After decides when a delayed message comes back", async () => {
    // Prepare
    processor.failures.set('a', new OutcomeNotYetAvailableError(new UnicoTransientError('429', { status: 429, retryAfterMs: 7000 })));
    const records = [record('a')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 7 }]);
  });

  test.each([
    [1, 30],
    [2, 60],
    [4, 240],
    [9, 900],
  ])('without Retry-After, the %ith receive is delayed %i s', async (receiveCount, seconds) => {
    // Prepare
    processor.failures.set('a', new OutcomeNotYetAvailableError(new UnicoTransientError('503', { status: 503 })));

    // Act
    await handle({ Records: [record('a', 'PROCESS_STATE_FINISHED', receiveCount)] });

    // Assess
    expect(delayer.delays.map((delay) => delay.seconds)).toEqual([seconds]);
  });

  test('a body that is not an intake message fails its record only', async () => {
    // Prepare
    const records = [record('x', 'PROCESS_STATE_FINISHED', 1, '{"not":"an intake message"}'), record('b')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(processor.processed).toEqual(['b:PROCESS_STATE_FINISHED']);
  });

  test('a batch where everything fails is reported, not thrown', async () => {
    // Prepare
    processor.failures.set('a', new Error('boom'));
    const records = [record('a'), record('a', 'PROCESS_STATE_OTHER')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response.batchItemFailures).toHaveLength(2);
  });
});
