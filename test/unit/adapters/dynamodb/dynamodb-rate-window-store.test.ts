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
import {
  createDynamoDbRequestBudget,
  DynamoDbRateLimitStore,
} from '../../../../lambdas/adapters/dynamodb/dynamodb-rate-window-store.ts';
import { FakeTimeline } from '../../../support/unit/fake-timeline.ts';

const TABLE = 'claims';
const KEY = { processId: { S: 'budget#unico' }, state: { S: 'rate' } };
const NOW = 1_800_000_000_250;

let dynamodb: AwsClientStub<DynamoDBClient>;
let store: DynamoDbRateLimitStore;

beforeEach(() => {
  dynamodb = mockClient(DynamoDBClient);
  store = new DynamoDbRateLimitStore({ client: new DynamoDBClient({}), tableName: TABLE });
});

const item = (tat: number | undefined, pausedUntil?: number) => ({
  ...KEY,
  ...(tat === undefined ? {} : { tat: { N: String(tat) } }),
  ...(pausedUntil === undefined ? {} : { pausedUntil: { N: String(pausedUntil) } }),
});

const refused = (old?: Record<string, { N: string } | { S: string }>) =>
  Object.assign(
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    old === undefined ? {} : { Item: old },
  );

describe('DynamoDbRateLimitStore', () => {
  test('advance: tat + T, if tat is from now to the limit and no pause runs past it; the slot is the old tat', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 300, NOW - 5) });

    expect(await store.advance(105, NOW, NOW + 1000)).toEqual({
      reserved: true,
      slotMs: NOW + 195,
      state: { tat: NOW + 300, pausedUntil: NOW - 5 },
    });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #tat = #tat + :interval',
      ConditionExpression: '#tat >= :from AND #tat <= :notAfter AND (attribute_not_exists(#paused) OR #paused <= #tat)',
      ExpressionAttributeNames: { '#tat': 'tat', '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':interval': { N: '105' }, ':from': { N: String(NOW) }, ':notAfter': { N: String(NOW + 1000) } },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('advance without a limit: only the lower bound', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 105) });

    expect(await store.advance(105, NOW, undefined)).toEqual({ reserved: true, slotMs: NOW, state: { tat: NOW + 105, pausedUntil: 0 } });
    // DynamoDB refuses a value the expressions do not use: no :notAfter here.
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toStrictEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #tat = #tat + :interval',
      ConditionExpression: '#tat >= :from AND (attribute_not_exists(#paused) OR #paused <= #tat)',
      ExpressionAttributeNames: { '#tat': 'tat', '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':interval': { N: '105' }, ':from': { N: String(NOW) } },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('restart: tat = slot + T, if tat and the pause are at or before the slot (or absent)', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 105) });

    expect(await store.restart(NOW, 105)).toEqual({ reserved: true, slotMs: NOW, state: { tat: NOW + 105, pausedUntil: 0 } });
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #tat = :next',
      ConditionExpression: '(attribute_not_exists(#tat) OR #tat <= :slot) AND (attribute_not_exists(#paused) OR #paused <= :slot)',
      ExpressionAttributeNames: { '#tat': 'tat', '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':next': { N: String(NOW + 105) }, ':slot': { N: String(NOW) } },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('a refusal carries the record when DynamoDB returns it, and nothing when it does not (dynalite)', async () => {
    dynamodb.on(UpdateItemCommand)
      .rejectsOnce(refused(item(NOW + 900, 42)))
      .rejectsOnce(refused())
      .rejectsOnce(refused(item(NOW + 900)));

    expect(await store.restart(NOW, 105)).toEqual({ reserved: false, state: { tat: NOW + 900, pausedUntil: 42 } });
    expect(await store.advance(105, NOW, undefined)).toEqual({ reserved: false, state: undefined });
    expect(await store.advance(105, NOW, NOW + 10)).toEqual({ reserved: false, state: { tat: NOW + 900, pausedUntil: 0 } });
  });

  test('other failures are thrown, not taken for a refusal', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(store.advance(105, NOW, undefined)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    await expect(store.restart(NOW, 105)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    await expect(store.extendPause(NOW)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  test('read: consistent; absent attributes and numbers that are not read as 0; no item is undefined', async () => {
    dynamodb.on(GetItemCommand)
      .resolvesOnce({ Item: item(NOW + 3) })
      .resolvesOnce({ Item: { ...KEY, tat: { N: 'not a number' }, pausedUntil: { S: String(NOW) } } })
      .resolvesOnce({});

    expect(await store.read()).toEqual({ tat: NOW + 3, pausedUntil: 0 });
    expect(await store.read()).toEqual({ tat: 0, pausedUntil: 0 });
    expect(await store.read()).toBeUndefined();
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: KEY, ConsistentRead: true });
  });

  test('extendPause only moves the pause forward, and a refusal (a longer pause stored) is no error', async () => {
    dynamodb.on(UpdateItemCommand).rejects(refused());

    await expect(store.extendPause(NOW + 2000)).resolves.toBeUndefined();
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #paused = :until',
      ConditionExpression: 'attribute_not_exists(#paused) OR #paused < :until',
      ExpressionAttributeNames: { '#paused': 'pausedUntil' },
      ExpressionAttributeValues: { ':until': { N: String(NOW + 2000) } },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('the caller\'s signal goes with every command', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 105) });
    dynamodb.on(GetItemCommand).resolves({});
    const signal = new AbortController().signal;

    await store.advance(105, NOW, undefined, signal);
    await store.restart(NOW, 105, signal);
    await store.read(signal);
    await store.extendPause(NOW, signal);

    const options = [...dynamodb.commandCalls(UpdateItemCommand), ...dynamodb.commandCalls(GetItemCommand)].map((call) => (call.args as unknown[])[1]);
    expect(options).toEqual([{ abortSignal: signal }, { abortSignal: signal }, { abortSignal: signal }, { abortSignal: signal }]);
  });

  test('without a signal no options are passed', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 105) });
    dynamodb.on(GetItemCommand).resolves({});

    await store.restart(NOW, 105);
    await store.read();

    const options = [...dynamodb.commandCalls(UpdateItemCommand), ...dynamodb.commandCalls(GetItemCommand)].map((call) => (call.args as unknown[])[1]);
    expect(options).toStrictEqual([{}, {}]);
  });

  test('the key is configurable, one record per tenant', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 105) });
    const other = new DynamoDbRateLimitStore({ client: new DynamoDBClient({}), tableName: TABLE, key: 'budget#unico#tenant-b' });

    await other.restart(NOW, 105);

    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, { Key: { processId: { S: 'budget#unico#tenant-b' }, state: { S: 'rate' } } });
  });
});

describe('createDynamoDbRequestBudget', () => {
  test('by default all of Unico\'s 10 per second with a 100 ms guard, on the default key', async () => {
    const timeline = new FakeTimeline(NOW);
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 110) });
    const budget = createDynamoDbRequestBudget({ client: new DynamoDBClient({}), tableName: TABLE, time: timeline });

    await timeline.run(budget.acquire());

    expect(budget.intervalMs).toBe(110);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: KEY,
      UpdateExpression: 'SET #tat = :next',
      ExpressionAttributeValues: { ':next': { N: String(NOW + 110) }, ':slot': { N: String(NOW) } },
    });
  });

  test('the share, guard and key given are used', async () => {
    const timeline = new FakeTimeline(NOW);
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: item(NOW + 250) });
    const budget = createDynamoDbRequestBudget({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      key: 'budget#other',
      maxPerSecond: 4,
      guardMs: 0,
      time: timeline,
    });

    await timeline.run(budget.acquire());

    expect(budget.intervalMs).toBe(250);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { processId: { S: 'budget#other' }, state: { S: 'rate' } },
      ExpressionAttributeValues: { ':next': { N: String(NOW + 250) }, ':slot': { N: String(NOW) } },
    });
  });

  test('without a clock given, the real one is used', async () => {
    dynamodb.on(UpdateItemCommand).callsFake((input: { ExpressionAttributeValues: Record<string, { N: string }> }) => ({
      Attributes: item(Number(input.ExpressionAttributeValues[':next']?.N)),
    }));
    const before = Date.now();
    const budget = createDynamoDbRequestBudget({ client: new DynamoDBClient({}), tableName: TABLE });

    await budget.acquire();

    const slot = Number(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':slot']?.N);
    expect(slot).toBeGreaterThanOrEqual(before);
    expect(slot).toBeLessThanOrEqual(Date.now());
  });
});
