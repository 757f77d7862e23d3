import { beforeEach, describe, expect, test } from '@jest/globals';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { plain } from '../../../../tools/inspector/claims.ts';
import { queueDepths, redrive } from '../../../../tools/inspector/queues.ts';
import { rateSeries } from '../../../../tools/inspector/rate.ts';

const URLS = {
  intake: 'http://sqs/unico-intake.fifo',
  intakeDlq: 'http://sqs/unico-intake-dlq.fifo',
  results: 'http://sqs/unico-results.fifo',
  resultsDlq: 'http://sqs/unico-results-dlq.fifo',
};

describe('queues', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => {
    sqs.reset();
  });

  test('depths: visible and in flight per queue; null for a queue that did not answer', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1' } });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: URLS.resultsDlq }).rejects(new Error('down'));

    const depths = await queueDepths(new SQSClient({}), URLS);

    expect(depths).toEqual({ intake: { visible: 3, inFlight: 1 }, intakeDlq: { visible: 3, inFlight: 1 }, results: { visible: 3, inFlight: 1 }, resultsDlq: null });
  });

  test('redrive sends each message to the source queue (same body, attributes and group, a fresh deduplication id) before deleting it', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm1',
            ReceiptHandle: 'r1',
            Body: '{"processId":"p"}',
            Attributes: { MessageGroupId: 'p', MessageDeduplicationId: 'p:PROCESS_STATE_FINISHED' },
            MessageAttributes: { type: { DataType: 'String', StringValue: 'finished' } },
          },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});

    const moved = await redrive(new SQSClient({}), URLS, 'resultsDlq', () => 5);

    expect(moved).toBe(1);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { QueueUrl: URLS.resultsDlq });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: URLS.results,
      MessageBody: '{"processId":"p"}',
      MessageGroupId: 'p',
      MessageDeduplicationId: 'p:PROCESS_STATE_FINISHED:redrive:5:0',
      MessageAttributes: { type: { DataType: 'String', StringValue: 'finished' } },
    });
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: URLS.resultsDlq, ReceiptHandle: 'r1' });
  });

  test('redrive deletes nothing when the send fails', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'x' }] });
    sqs.on(SendMessageCommand).rejects(new Error('down'));

    await expect(redrive(new SQSClient({}), URLS, 'intakeDlq')).rejects.toThrow('down');

    expect(sqs).not.toHaveReceivedCommand(DeleteMessageCommand);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: URLS.intake });
  });
});

describe('rateSeries', () => {
  test('counts GetProcess and token requests per second over the window, oldest first', () => {
    const now = 100_500;
    const requests = [
      { at: 41_000, kind: 'getProcess' as const }, // before the window
      { at: 41_999 + 1, kind: 'getProcess' as const }, // second 42: the first of the window
      { at: 99_100, kind: 'token' as const },
      { at: 99_900, kind: 'getProcess' as const },
      { at: 100_001, kind: 'getProcess' as const },
      { at: 100_499, kind: 'getProcess' as const },
    ];

    const series = rateSeries(requests, now, 59);

    expect(series.from).toBe(42);
    expect(series.getProcess).toHaveLength(59);
    expect(series.getProcess[0]).toBe(1);
    expect(series.getProcess.slice(-2)).toEqual([1, 2]);
    expect(series.token.slice(-2)).toEqual([1, 0]);
    expect(series.getProcess.reduce((sum, count) => sum + count, 0)).toBe(4);
  });
});

describe('claims as plain JSON', () => {
  test('reads every attribute type', () => {
    expect(plain({ M: { s: { S: 'a' }, n: { N: '1.5' }, big: { N: '123456789012345678901' }, b: { BOOL: true }, z: { NULL: true }, l: { L: [{ N: '2' }] }, ss: { SS: ['x'] } } })).toEqual({
      s: 'a',
      n: 1.5,
      big: '123456789012345678901',
      b: true,
      z: null,
      l: [2],
      ss: ['x'],
    });
  });
});
