import { describe, expect, test } from '@jest/globals';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { IntakeMessage } from '../../../../lambdas/core/acceptance/ports.ts';
import { SqsIntakeQueue } from '../../../../lambdas/adapters/sqs/sqs-intake-queue.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo';

const message: IntakeMessage = {
  processId: '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idlive',
  lastEvent: 'EVENT_TYPE_FINISHED',
  detectedBy: 'fallback',
  receivedAt: '2025-06-15T12:00:00.000Z',
};

describe('SqsIntakeQueue', () => {
  test('sends one FIFO message grouped by process and deduplicated by processId:state', async () => {
    // Prepare
    const client = new SQSClient({ region: 'us-east-1' });
    const sqs = mockClient(client);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const queue = new SqsIntakeQueue({ client, queueUrl: QUEUE_URL });
    const controller = new AbortController();

    // Act
    await queue.enqueue(message, controller.signal);

    // Assess
    expect(sqs.calls()).toHaveLength(1);
    const call = sqs.commandCalls(SendMessageCommand)[0];
    const command = call?.args[0];
    const options = (call?.args as unknown[] | undefined)?.[1];
    expect(command?.input).toEqual({
      QueueUrl: QUEUE_URL,
      MessageGroupId: message.processId,
      MessageDeduplicationId: `${message.processId}:PROCESS_STATE_FINISHED`,
      MessageAttributes: {
        state: { DataType: 'String', StringValue: 'PROCESS_STATE_FINISHED' },
        flow: { DataType: 'String', StringValue: 'idlive' },
        detectedBy: { DataType: 'String', StringValue: 'fallback' },
      },
      MessageBody: expect.any(String),
    });
    expect(JSON.parse(command?.input.MessageBody ?? '')).toEqual(message);
    expect(options).toEqual({ abortSignal: controller.signal });
  });

  test('passes on a send failure', async () => {
    // Prepare
    const client = new SQSClient({ region: 'us-east-1' });
    const failure = new Error('KmsThrottled');
    mockClient(client).on(SendMessageCommand).rejects(failure);
    const queue = new SqsIntakeQueue({ client, queueUrl: QUEUE_URL });

    // Act
    const result = queue.enqueue(message, new AbortController().signal);

    // Assess
    await expect(result).rejects.toBe(failure);
  });
});
