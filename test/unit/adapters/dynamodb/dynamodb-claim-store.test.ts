import { beforeEach, describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ClaimRequest } from '../../../../lambdas/core/acceptance/ports.ts';
import { DynamoDbClaimStore } from '../../../../lambdas/adapters/dynamodb/dynamodb-claim-store.ts';

const TABLE = 'claims';
const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const STATE = 'PROCESS_STATE_FINISHED';
const RECEIVED_AT = '2025-06-15T12:00:00.500Z';
const RECEIVED_AT_SECONDS = Date.parse('2025-06-15T12:00:00Z') / 1000;
const TOKEN = '6f0c1f5e-claim-token';

const claimRequest = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  notification: {
    processId: PROCESS_ID,
    state: STATE,
    flow: 'idlive',
    lastEvent: 'EVENT_TYPE_FINISHED',
    lastEventDescription: 'done',
  },
  detectedBy: 'webhook',
  receivedAt: RECEIVED_AT,
  claimToken: TOKEN,
  ...overrides,
});

const key = { processId: { S: PROCESS_ID }, state: { S: STATE } };

function storedItem(status: string, claimToken = 'token-of-an-earlier-request'): Record<string, AttributeValue> {
  return {
    ...key,
    status: { S: status },
    flow: { S: 'idlive' },
    detectedBy: { S: 'fallback' },
    receivedAt: { S: '2025-06-15T11:00:00.000Z' },
    claimToken: { S: claimToken },
  };
}

const storedClaim = (status: 'claimed' | 'confirmed', claimToken = 'token-of-an-earlier-request') => ({
  processId: PROCESS_ID,
  state: STATE,
  status,
  detectedBy: 'fallback',
  receivedAt: '2025-06-15T11:00:00.000Z',
  claimToken,
});

const conditionFailed = (item?: Record<string, AttributeValue>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item } : {}) });

const signal = new AbortController().signal;
let dynamodb: AwsClientStub<DynamoDBClient>;
let store: DynamoDbClaimStore;

beforeEach(() => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  dynamodb = mockClient(client);
  store = new DynamoDbClaimStore({ client, tableName: TABLE, retentionDays: 90 });
});

describe('DynamoDbClaimStore.claim', () => {
  test('sends one conditional put of the whole claim, asking for the old item on conflict', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'created' });
    expect(dynamodb.calls()).toHaveLength(1);
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        processId: { S: PROCESS_ID },
        state: { S: STATE },
        flow: { S: 'idlive' },
        lastEvent: { S: 'EVENT_TYPE_FINISHED' },
        detectedBy: { S: 'webhook' },
        receivedAt: { S: RECEIVED_AT },
        status: { S: 'claimed' },
        claimToken: { S: TOKEN },
        expiresAt: { N: String(RECEIVED_AT_SECONDS + 90 * 24 * 60 * 60) },
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'processId' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('leaves absent optional fields out of the item', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    await store.claim(
      claimRequest({ notification: { processId: PROCESS_ID, state: STATE, flow: 'idlive' }, detectedBy: 'fallback' }),
      signal,
    );

    // Assess
    const item = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
    expect(Object.keys(item)).not.toContain('lastEvent');
    expect(Object.keys(item)).not.toContain('lastEventDescription');
    expect(item.detectedBy).toEqual({ S: 'fallback' });
  });

  test('the TTL follows the configured retention', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const stub = mockClient(client);
    stub.on(PutItemCommand).resolves({});
    const shortLived = new DynamoDbClaimStore({ client, tableName: TABLE, retentionDays: 1 });

    // Act
    await shortLived.claim(claimRequest(), signal);

    // Assess
    expect(stub).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ expiresAt: { N: String(RECEIVED_AT_SECONDS + 86_400) } }),
    });
  });

  test('a conflict that carries the old item answers "exists" without reading again', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed(storedItem('confirmed')));

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'exists', existing: storedClaim('confirmed') });
    expect(dynamodb.calls()).toHaveLength(1);
  });

  test('a conflict without the old item (emulators) reads it with a consistent GetItem', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem('claimed', TOKEN) });

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'exists', existing: storedClaim('claimed', TOKEN) });
    expect(dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: key,
      ConsistentRead: true,
    });
  });

  test('a claim that expired between the put and the read is claimed afresh', async () => {
    // Prepare: the first put conflicts, the claim then expires (TTL), the second put succeeds.
    dynamodb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamodb.on(GetItemCommand).resolves({});

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'created' });
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });

  test('a claim that keeps vanishing is an error, not a success', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    dynamodb.on(GetItemCommand).resolves({});

    // Act
    const result = store.claim(claimRequest(), signal);

    // Assess
    await expect(result).rejects.toThrow();
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });

  test.each([
    ['claimed', 'claimed'],
    ['confirmed', 'confirmed'],
    ['processed', 'confirmed'],
  ] as const)('a stored status %s reads as %s', async (stored, expected) => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed(storedItem(stored)));

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt.outcome === 'exists' && attempt.existing.status).toBe(expected);
  });

  test('other DynamoDB errors are passed on', async () => {
    // Prepare
    const throttled = new Error('ProvisionedThroughputExceededException');
    dynamodb.on(PutItemCommand).rejects(throttled);

    // Act
    const result = store.claim(claimRequest(), signal);

    // Assess
    await expect(result).rejects.toBe(throttled);
  });

  test('hands the abort signal to the SDK', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});
    const controller = new AbortController();

    // Act
    await store.claim(claimRequest(), controller.signal);

    // Assess
    expect((dynamodb.commandCalls(PutItemCommand)[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
  });
});

