import { beforeEach, describe, expect, test } from '@jest/globals';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { DynamoDbNotificationLedger } from '../../../../lambdas/adapters/dynamodb/dynamodb-notification-ledger.ts';

const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
let dynamodb: AwsClientStub<DynamoDBClient>;
let ledger: DynamoDbNotificationLedger;

beforeEach(() => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  dynamodb = mockClient(client);
  ledger = new DynamoDbNotificationLedger({ client, tableName: 'claims' });
});

describe('anyClaim', () => {
  test('one consistent Query of the process\'s partition, one item', async () => {
    const signal = new AbortController().signal;
    dynamodb.on(QueryCommand).resolves({
      Items: [
        {
          state: { S: 'PROCESS_STATE_FINISHED' },
          flow: { S: 'idlive' },
          lastEvent: { S: 'EVENT_TYPE_SESSION_ENDED' },
          detectedBy: { S: 'fallback' },
          receivedAt: { S: '2025-06-15T12:00:00.000Z' },
          status: { S: 'claimed' },
        },
      ],
    });

    const claim = await ledger.anyClaim(PROCESS_ID, signal);

    expect(claim).toEqual({
      state: 'PROCESS_STATE_FINISHED',
      flow: 'idlive',
      lastEvent: 'EVENT_TYPE_SESSION_ENDED',
      detectedBy: 'fallback',
      receivedAt: '2025-06-15T12:00:00.000Z',
      confirmed: false,
    });
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'claims',
        KeyConditionExpression: '#key = :processId',
        ExpressionAttributeNames: { '#key': 'processId', '#sort': 'state', '#status': 'status' },
        ExpressionAttributeValues: { ':processId': { S: PROCESS_ID } },
        ProjectionExpression: '#sort, flow, lastEvent, detectedBy, receivedAt, #status',
        Limit: 1,
        ConsistentRead: true,
      },
    ]);
    expect((calls[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: signal });
  });

  test('a confirmed claim by webhook; absent optional fields stay absent', async () => {
    dynamodb.on(QueryCommand).resolves({
      Items: [{ state: { S: 'PROCESS_STATE_FINISHED' }, detectedBy: { S: 'webhook' }, receivedAt: { S: '2025-06-15T12:00:01.000Z' }, status: { S: 'confirmed' } }],
    });
    await expect(ledger.anyClaim(PROCESS_ID)).resolves.toStrictEqual({
      state: 'PROCESS_STATE_FINISHED',
      detectedBy: 'webhook',
      receivedAt: '2025-06-15T12:00:01.000Z',
      confirmed: true,
    });
  });

  test('no claim: undefined', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    await expect(ledger.anyClaim(PROCESS_ID)).resolves.toBeUndefined();
  });

  test('a failure is thrown', async () => {
    dynamodb.on(QueryCommand).rejects(new Error('down'));
    await expect(ledger.anyClaim(PROCESS_ID)).rejects.toThrow('down');
  });
});
