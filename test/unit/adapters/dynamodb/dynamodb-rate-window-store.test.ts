import { beforeEach, describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbRateWindowStore } from '../../../../lambdas/adapters/dynamodb/dynamodb-rate-window-store.ts';

const TABLE = 'claims';
const KEY = { processId: { S: 'budget#unico' }, state: { S: 'rate' } };
const SECOND = 1_800_000_000;
const NOW = SECOND * 1000 + 250;

let dynamodb: AwsClientStub<DynamoDBClient>;
let store: DynamoDbRateWindowStore;

beforeEach(() => {
  dynamodb = mockClient(DynamoDBClient);
  store = new DynamoDbRateWindowStore({ client: new DynamoDBClient({}), tableName: TABLE });
});

const refused = (item?: Record<string, { N: string }>) =>
  Object.assign(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }), item === undefined ? {} : { Item: { ...KEY, ...item } });

describe('DynamoDbRateWindowStore', () => {
  test('take: one conditional increment in the current window, below max, outside a pause', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    expect(await store.take(SECOND, 10, NOW)).toEqual({ granted: true });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #grants = #grants + :one',
      ConditionExpression: '#window = :window AND #grants < :max AND (attribute_not_exists(#paused) OR #paused <= :now)',
      ExpressionAttributeNames: { '#window': 'windowSecond', '#grants': 'grants', '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':window': { N: String(SECOND) }, ':max': { N: '10' }, ':now': { N: String(NOW) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('open: a new window with one grant, only over an older one and outside a pause', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    expect(await store.open(SECOND, NOW)).toEqual({ granted: true });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #window = :window, #grants = :one',
      ConditionExpression: '(attribute_not_exists(#window) OR #window < :window) AND (attribute_not_exists(#paused) OR #paused <= :now)',
    });
  });

  test('a refusal carries the record when DynamoDB returns it, and nothing when it does not', async () => {
    dynamodb.on(UpdateItemCommand)
      .rejectsOnce(refused({ windowSecond: { N: String(SECOND) }, grants: { N: '10' }, pausedUntil: { N: '42' } }))
      .rejectsOnce(refused());

    expect(await store.take(SECOND, 10, NOW)).toEqual({ granted: false, state: { windowSecond: SECOND, grants: 10, pausedUntil: 42 } });
    expect(await store.take(SECOND, 10, NOW)).toEqual({ granted: false, state: undefined });
  });

  test('other failures are thrown, not taken for a refusal', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(store.take(SECOND, 10, NOW)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  test('read: consistent; a record without a pause reads pausedUntil 0; none is undefined', async () => {
    dynamodb.on(GetItemCommand)
      .resolvesOnce({ Item: { ...KEY, windowSecond: { N: String(SECOND) }, grants: { N: '3' } } })
      .resolvesOnce({});

    expect(await store.read()).toEqual({ windowSecond: SECOND, grants: 3, pausedUntil: 0 });
    expect(await store.read()).toBeUndefined();
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: KEY, ConsistentRead: true });
  });

  test('extendPause only moves the pause forward, and a refusal (a longer pause stored) is no error', async () => {
    dynamodb.on(UpdateItemCommand).rejects(refused());

    await expect(store.extendPause(NOW + 2000)).resolves.toBeUndefined();
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #paused = :until',
      ConditionExpression: 'attribute_not_exists(#paused) OR #paused < :until',
      ExpressionAttributeNames: { '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':until': { N: String(NOW + 2000) } },
    });
  });

  test('the key is configurable, one record per tenant', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    const other = new DynamoDbRateWindowStore({ client: new DynamoDBClient({}), tableName: TABLE, key: 'budget#unico#tenant-b' });

    await other.open(SECOND, NOW);

    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, { Key: { processId: { S: 'budget#unico#tenant-b' }, state: { S: 'rate' } } });
  });
});
