import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { IntakeMessage } from '../../../lambdas/core/acceptance/ports.ts';
import {
  OutcomeNotYetAvailableError,
  type NotificationProcessor,
  type ProcessingAttempt,
  type ProcessingOutcome,
} from '../../../lambdas/core/processing/process-notification.ts';
import type { MessageDelayer } from '../../../lambdas/core/processing/ports.ts';
import type { RetryDelaySchedule } from '../../../lambdas/contracts/outcome-retries.ts';
import { processorTimeBudget, type ProcessorTimeBudget } from '../../../lambdas/contracts/time-budgets.ts';
import { createProcessorHandler, TimeRanShortError } from '../../../lambdas/processor/processor-handler.ts';
import { retryDelaySeconds } from '../../../lambdas/processor/retry-delay.ts';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
/** 30 s function: 3 s margin, a record started only with 5 s or more left. */
const TIME = processorTimeBudget(30);

/** A processor whose answer per processId the test decides; it records each call and may take time. */
class ScriptedProcessor {
  readonly calls: Array<{ message: IntakeMessage; attempt: ProcessingAttempt }> = [];
  readonly failures = new Map<string, unknown>();
  readonly outcomes = new Map<string, ProcessingOutcome>();
  /** How long each call of a process takes on the fake clock. */
  readonly durations = new Map<string, number>();
  /** Runs inside every call, after it is recorded. */
  during: (attempt: ProcessingAttempt) => Promise<void> = async () => undefined;
  async process(message: IntakeMessage, attempt: ProcessingAttempt): Promise<ProcessingOutcome> {
    this.calls.push({ message, attempt });
    await this.during(attempt);
    now += this.durations.get(message.processId) ?? 0;
    if (this.failures.has(message.processId)) throw this.failures.get(message.processId);
    return this.outcomes.get(message.processId) ?? 'published';
  }
  get processed(): string[] {
    return this.calls.map(({ message }) => `${message.processId}:${message.state}`);
  }
}

class RecordingDelayer implements MessageDelayer {
  readonly delays: Array<{ receiptHandle: string; seconds: number }> = [];
  failure: unknown;
  async delay(receiptHandle: string, seconds: number) {
    this.delays.push({ receiptHandle, seconds });
    if (this.failure !== undefined) throw this.failure;
  }
}

/** The lines the handler logs, each with its level, message and attributes. */
class RecordingLogger {
  readonly lines: Array<{ level: string; message: string; attributes: Record<string, unknown> }> = [];
  readonly contexts: Context[] = [];
  addContext(context: Context) {
    this.contexts.push(context);
  }
  info(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'INFO', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'WARN', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'ERROR', message, attributes });
  }
  at(level: string) {
    return this.lines.filter((line) => line.level === level);
  }
}

let now: number;
let remainingMs: number;
let counter = 0;
const context = {
  functionName: 'processor',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => remainingMs,
} as unknown as Context;

function record(
  processId: string,
  options: { state?: string; receiveCount?: number; body?: string; sentTimestamp?: number | undefined } = {},
): SQSRecord {
  counter += 1;
  const message: IntakeMessage = {
    processId,
    state: options.state ?? 'PROCESS_STATE_FINISHED',
    flow: 'id',
    detectedBy: 'webhook',
    receivedAt: '2026-11-26T10:00:00.000Z',
  };
  const sent = 'sentTimestamp' in options ? options.sentTimestamp : T0 - 60_000;
  return {
    messageId: `m-${counter}`,
    receiptHandle: `rh-${counter}`,
    body: options.body ?? JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      ...(sent === undefined ? {} : { SentTimestamp: String(sent) }),
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: processId,
    } as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:intake.fifo',
    awsRegion: 'us-east-1',
  };
}

let processor: ScriptedProcessor;
let delayer: RecordingDelayer;
let logger: RecordingLogger;
let handle: (event: SQSEvent) => Promise<SQSBatchResponse>;

function handlerWith(time: ProcessorTimeBudget, retryDelay?: RetryDelaySchedule) {
  const handler = createProcessorHandler({
    processor: processor as unknown as NotificationProcessor,
    delayer,
    logger: logger as unknown as Logger,
    time,
    clock: () => now,
    ...(retryDelay === undefined ? {} : { retryDelay }),
  });
  return (event: SQSEvent) => handler(event, context);
}

beforeEach(() => {
  now = T0;
  remainingMs = 30_000;
  processor = new ScriptedProcessor();
  delayer = new RecordingDelayer();
  logger = new RecordingLogger();
  handle = handlerWith(TIME);
});

const failed = (response: SQSBatchResponse) => response.batchItemFailures.map((failure) => failure.itemIdentifier);

describe('processor handler: a batch', () => {
  test('a healthy batch is processed in order and reports no failure', async () => {
    // Prepare
    const records = [record('a'), record('b'), record('a', { state: 'PROCESS_STATE_OTHER' })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED', 'a:PROCESS_STATE_OTHER']);
    expect(delayer.delays).toEqual([]);
    expect(logger.contexts).toEqual([context]);
  });

  test("each record is processed with its first send, its receive count, a signal and the invocation's end", async () => {
    // Prepare
    remainingMs = 20_000;
    const records = [record('a', { receiveCount: 4, sentTimestamp: T0 - 3_600_000 }), record('b', { receiveCount: 1 })];

    // Act
    await handle({ Records: records });

    // Assess
    expect(processor.calls.map(({ attempt }) => attempt)).toEqual([
      { firstSentAt: T0 - 3_600_000, receiveCount: 4, signal: expect.any(AbortSignal), notAfterMs: T0 + 20_000 - TIME.marginMs },
      { firstSentAt: T0 - 60_000, receiveCount: 1, signal: expect.any(AbortSignal), notAfterMs: T0 + 20_000 - TIME.marginMs },
    ]);
    expect(processor.calls[0]?.attempt.signal).toBe(processor.calls[1]?.attempt.signal);
    expect(processor.calls[0]?.attempt.signal?.aborted).toBe(false);
  });

  test('a record without SentTimestamp counts from now, and without ApproximateReceiveCount as a first receive', async () => {
    // Prepare
    const bare = record('a', { sentTimestamp: undefined });
    const { ApproximateReceiveCount: _count, ...attributes } = bare.attributes;
    now = T0 + 5000;

    // Act
    await handle({ Records: [{ ...bare, attributes: attributes as SQSRecord['attributes'] }] });

    // Assess
    expect(processor.calls[0]?.attempt).toEqual(
      expect.objectContaining({ firstSentAt: T0 + 5000, receiveCount: 1 }),
    );
  });

  test('published and dropped records are logged at INFO with what happened', async () => {
    // Prepare
    processor.outcomes.set('b', 'already-confirmed');
    const records = [record('a'), record('b')];

    // Act
    await handle({ Records: records });

    // Assess
    expect(logger.lines).toEqual([
      {
        level: 'INFO',
        message: 'results event published',
        attributes: { messageId: records[0]?.messageId, processId: 'a', state: 'PROCESS_STATE_FINISHED', outcome: 'published', detectedBy: 'webhook' },
      },
      {
        level: 'INFO',
        message: 'copy of a confirmed notification dropped',
        attributes: {
          messageId: records[1]?.messageId,
          processId: 'b',
          state: 'PROCESS_STATE_FINISHED',
          outcome: 'already-confirmed',
          detectedBy: 'webhook',
        },
      },
    ]);
  });

  test("the signal aborts at the invocation's end less the margin", async () => {
    // Prepare: a budget that starts any record, so the signal's own timer is what is seen.
    handle = handlerWith({ ...TIME, marginMs: 100, minRecordMs: 0 });
    remainingMs = 100;
    processor.during = (attempt) =>
      new Promise((resolve) => {
        if (attempt.signal?.aborted) resolve();
        attempt.signal?.addEventListener('abort', () => resolve(), { once: true });
      });

    // Act
    const response = await handle({ Records: [record('a')] });

    // Assess
    expect(processor.calls[0]?.attempt.signal?.aborted).toBe(true);
    expect(processor.calls[0]?.attempt.notAfterMs).toBe(T0);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  test('an invocation already past its end gets an aborted signal, not a negative timer', async () => {
    // Prepare
    handle = handlerWith({ ...TIME, marginMs: 100, minRecordMs: -10_000 });
    remainingMs = 50;
    processor.during = (attempt) =>
      new Promise((resolve) => {
        if (attempt.signal?.aborted) resolve();
        attempt.signal?.addEventListener('abort', () => resolve(), { once: true });
      });

    // Act
    await handle({ Records: [record('a')] });

    // Assess
    expect(processor.calls[0]?.attempt.signal?.aborted).toBe(true);
    expect(processor.calls[0]?.attempt.notAfterMs).toBe(T0 - 50);
  });
});

describe('processor handler: too little time left', () => {
  test('records are started while at least minRecordMs is left; the rest are given back with their back-off', async () => {
    // Prepare: the first record takes until exactly minRecordMs is left, the second 1 ms more.
    remainingMs = 30_000;
    const endsAt = T0 + 30_000 - TIME.marginMs;
    processor.durations.set('a', endsAt - TIME.minRecordMs - T0);
    processor.durations.set('b', 1);
    const records = [
      record('a'),
      record('b'),
      record('c', { receiveCount: 3 }),
      record('d', { receiveCount: 1 }),
    ];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED']);
    expect(failed(response)).toEqual([records[2]?.messageId, records[3]?.messageId]);
    expect(delayer.delays).toEqual([
      { receiptHandle: records[2]?.receiptHandle, seconds: retryDelaySeconds(3, undefined) },
      { receiptHandle: records[3]?.receiptHandle, seconds: retryDelaySeconds(1, undefined) },
    ]);
    expect(delayer.delays.map((delay) => delay.seconds)).toEqual([120, 30]);
    expect(logger.at('INFO').slice(2)).toEqual([
      {
        level: 'INFO',
        message: 'message not started: too little time left in this invocation; given back',
        attributes: { messageId: records[2]?.messageId, retryInSeconds: 120, receiveCount: 3 },
      },
      {
        level: 'INFO',
        message: 'message not started: too little time left in this invocation; given back',
        attributes: { messageId: records[3]?.messageId, retryInSeconds: 30, receiveCount: 1 },
      },
    ]);
    expect(logger.at('WARN')).toEqual([]);
  });

  test('an invocation that starts with too little time processes nothing', async () => {
    // Prepare
    remainingMs = TIME.marginMs + TIME.minRecordMs - 1;
    const records = [record('a'), record('b', { receiveCount: 2 })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(processor.calls).toEqual([]);
    expect(failed(response)).toEqual([records[0]?.messageId, records[1]?.messageId]);
    expect(delayer.delays.map((delay) => delay.seconds)).toEqual([30, 60]);
  });

  test('with exactly minRecordMs left after the margin, the record is processed', async () => {
    // Prepare
    remainingMs = TIME.marginMs + TIME.minRecordMs;

    // Act
    const response = await handle({ Records: [record('a')] });

    // Assess
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED']);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  test('a record not started fails with TimeRanShortError even when its body is malformed', async () => {
    // Prepare
    remainingMs = 0;
    const records = [record('x', { body: 'not json' })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId]);
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 30 }]);
    expect(logger.at('ERROR')).toEqual([]);
    expect(new TimeRanShortError().message).toBe('not started: the invocation had too little time left');
    expect(new TimeRanShortError().name).toBe('TimeRanShortError');
  });
});

describe('processor handler: failures', () => {
  test('a failure fails its record and the rest of its process, not the other processes', async () => {
    // Prepare
    processor.failures.set('a', new Error('DynamoDB 500'));
    const records = [record('a'), record('b'), record('a', { state: 'PROCESS_STATE_OTHER' }), record('c')];

    // Act
    const response = await handle({ Records: records });

    // Assess: the second message of process a is not even tried, so a's order holds.
    expect(failed(response)).toEqual([records[0]?.messageId, records[2]?.messageId]);
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED', 'c:PROCESS_STATE_FINISHED']);
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 30 }]);
  });

  test('any other error is given back with the back-off on its receive count and logged at WARN', async () => {
    // Prepare
    processor.failures.set('a', new TypeError('DynamoDB 500'));
    const records = [record('a', { receiveCount: 2 })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.messageId }] });
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 60 }]);
    expect(logger.lines).toEqual([
      {
        level: 'WARN',
        message: 'intake message not processed; it will be retried',
        attributes: {
          messageId: records[0]?.messageId,
          processId: 'a',
          state: 'PROCESS_STATE_FINISHED',
          error: 'TypeError',
          dependencyFailure: 'transient',
          retryInSeconds: 60,
          receiveCount: 2,
        },
      },
    ]);
  });

  test('a dependency that refuses for good (access denied) is logged at ERROR, and still given back', async () => {
    // Prepare
    processor.failures.set(
      'a',
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    const records = [record('a')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId]);
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 30 }]);
    expect(logger.lines).toEqual([
      {
        level: 'ERROR',
        message: 'intake message not processed; it will be retried',
        attributes: {
          messageId: records[0]?.messageId,
          processId: 'a',
          state: 'PROCESS_STATE_FINISHED',
          error: 'AccessDeniedException',
          dependencyFailure: 'permanent',
          retryInSeconds: 30,
          receiveCount: 1,
        },
      },
    ]);
  });

  test('a thrown value that is not an Error is logged as text', async () => {
    // Prepare
    processor.failures.set('a', 'plain text failure');

    // Act
    await handle({ Records: [record('a')] });

    // Assess
    expect(logger.at('WARN')[0]?.attributes.error).toBe('plain text failure');
  });

  test.each([
    { receiveCount: 1, retryAfterMs: 7_000, seconds: 30 },
    { receiveCount: 1, retryAfterMs: 90_000, seconds: 90 },
    { receiveCount: 2, retryAfterMs: 61_500, seconds: 62 },
    { receiveCount: 4, retryAfterMs: undefined, seconds: 240 },
    { receiveCount: 9, retryAfterMs: undefined, seconds: 900 },
  ])(
    'an outcome not available yet (receive $receiveCount, Retry-After $retryAfterMs ms) comes back in $seconds s',
    async ({ receiveCount, retryAfterMs, seconds }) => {
      // Prepare
      processor.failures.set(
        'a',
        new OutcomeNotYetAvailableError('Unico could not give the outcome now (rate_limited)', {
          code: 'rate_limited',
          status: 429,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        }),
      );
      const records = [record('a', { receiveCount })];

      // Act
      const response = await handle({ Records: records });

      // Assess
      expect(failed(response)).toEqual([records[0]?.messageId]);
      expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds }]);
      expect(seconds).toBe(retryDelaySeconds(receiveCount, retryAfterMs));
    },
  );

  test('an outcome not available yet is logged at WARN with code, status, unicoErrorCode, delay and receive count', async () => {
    // Prepare
    processor.failures.set(
      'a',
      new OutcomeNotYetAvailableError('Unico could not give the outcome now (server_error)', {
        code: 'server_error',
        status: 503,
        unicoErrorCode: 'UPSTREAM_DOWN',
      }),
    );
    const records = [record('a', { receiveCount: 3 })];

    // Act
    await handle({ Records: records });

    // Assess
    expect(logger.lines).toEqual([
      {
        level: 'WARN',
        message: 'outcome not available yet; message given back',
        attributes: {
          messageId: records[0]?.messageId,
          processId: 'a',
          state: 'PROCESS_STATE_FINISHED',
          code: 'server_error',
          status: 503,
          unicoErrorCode: 'UPSTREAM_DOWN',
          retryInSeconds: 120,
          receiveCount: 3,
        },
      },
    ]);
  });

  test('a WARN line leaves out the status and Unico code that the failure did not have', async () => {
    // Prepare
    processor.failures.set('a', new OutcomeNotYetAvailableError('timeout', { code: 'timeout' }));
    const records = [record('a')];

    // Act
    await handle({ Records: records });

    // Assess: strict, so that an absent field is left out rather than set to undefined.
    expect(logger.lines).toStrictEqual([
      {
        level: 'WARN',
        message: 'outcome not available yet; message given back',
        attributes: {
          messageId: records[0]?.messageId,
          processId: 'a',
          state: 'PROCESS_STATE_FINISHED',
          code: 'timeout',
          retryInSeconds: 30,
          receiveCount: 1,
        },
      },
    ]);
  });

  test("refused credentials are logged at ERROR with unicoCredentials 'refused', and the message still waits", async () => {
    // Prepare
    processor.failures.set(
      'a',
      new OutcomeNotYetAvailableError('Unico could not give the outcome now (credentials_refused)', {
        code: 'credentials_refused',
        status: 401,
        unicoErrorCode: 'invalid_client',
        credentialsRefused: true,
      }),
    );
    const records = [record('a', { receiveCount: 2 })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId]);
    expect(delayer.delays).toEqual([{ receiptHandle: records[0]?.receiptHandle, seconds: 60 }]);
    expect(logger.lines).toEqual([
      {
        level: 'ERROR',
        message: "Unico refuses the service account's credentials; outcomes wait until they are fixed",
        attributes: {
          messageId: records[0]?.messageId,
          processId: 'a',
          state: 'PROCESS_STATE_FINISHED',
          code: 'credentials_refused',
          status: 401,
          unicoErrorCode: 'invalid_client',
          retryInSeconds: 60,
          receiveCount: 2,
          unicoCredentials: 'refused',
        },
      },
    ]);
  });

  test('a body that is not an intake message fails its record only, at ERROR, without a delay', async () => {
    // Prepare
    const records = [record('x', { body: '{"not":"an intake message"}' }), record('b')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId]);
    expect(processor.processed).toEqual(['b:PROCESS_STATE_FINISHED']);
    expect(delayer.delays).toEqual([]);
    expect(logger.at('ERROR')).toEqual([
      {
        level: 'ERROR',
        message: 'intake message cannot be processed',
        attributes: {
          messageId: records[0]?.messageId,
          error: 'the body is not an intake message (processId, state, flow, detectedBy, receivedAt)',
        },
      },
    ]);
  });

  test('a delay that fails is logged, and the record is still reported failed', async () => {
    // Prepare
    processor.failures.set('a', new OutcomeNotYetAvailableError('not final', { code: 'process_not_final', status: 200 }));
    delayer.failure = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    const records = [record('a'), record('b')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.messageId }] });
    expect(processor.processed).toEqual(['a:PROCESS_STATE_FINISHED', 'b:PROCESS_STATE_FINISHED']);
    expect(logger.at('WARN')).toEqual([
      {
        level: 'WARN',
        message: 'could not delay the message; it comes back after the visibility timeout',
        attributes: { messageId: records[0]?.messageId, processId: 'a', state: 'PROCESS_STATE_FINISHED', error: 'ThrottlingException' },
      },
      expect.objectContaining({ message: 'outcome not available yet; message given back' }),
    ]);
  });

  test('a delay that fails with something other than an Error is logged as text', async () => {
    // Prepare
    remainingMs = 0;
    delayer.failure = 'socket hang up';
    const records = [record('a')];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId]);
    expect(logger.at('WARN')).toEqual([
      {
        level: 'WARN',
        message: 'could not delay the message; it comes back after the visibility timeout',
        attributes: { messageId: records[0]?.messageId, error: 'socket hang up' },
      },
    ]);
  });

  test('a retry schedule of its own sets the delays, for failures and for records not started alike', async () => {
    // Prepare
    handle = handlerWith(TIME, { initialMs: 2000, maxMs: 5000 });
    processor.failures.set('a', new OutcomeNotYetAvailableError('not final', { code: 'process_not_final', status: 200 }));
    processor.failures.set('b', new Error('DynamoDB 500'));
    processor.durations.set('b', 30_000);
    const records = [record('a', { receiveCount: 2 }), record('b', { receiveCount: 3 }), record('c', { receiveCount: 1 })];

    // Act
    await handle({ Records: records });

    // Assess
    expect(delayer.delays.map((delay) => delay.seconds)).toEqual([4, 5, 2]);
  });

  test('a batch where everything fails is reported, not thrown', async () => {
    // Prepare
    processor.failures.set('a', new Error('boom'));
    const records = [record('a'), record('a', { state: 'PROCESS_STATE_OTHER' })];

    // Act
    const response = await handle({ Records: records });

    // Assess
    expect(failed(response)).toEqual([records[0]?.messageId, records[1]?.messageId]);
  });
});
