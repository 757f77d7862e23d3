import { beforeEach, describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { DynamoDbTrackingStore } from '../../../../lambdas/adapters/dynamodb/dynamodb-tracking-store.ts';
import { dueShardOf } from '../../../../lambdas/contracts/tracking-table.ts';

const TABLE = 'tracking';
const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const SHARD = dueShardOf(PROCESS_ID);
const TRACKED_AT = '2025-06-15T12:00:00.000Z';
const EXPIRES_AT = '2025-06-22T12:00:00.000Z';
const EXPIRES_AT_SECONDS = Date.parse(EXPIRES_AT) / 1000;
const FIRST_CHECK_AT = Date.parse('2025-06-15T12:15:00.000Z');
const key = { processId: { S: PROCESS_ID } };

const signal = new AbortController().signal;
let dynamodb: AwsClientStub<DynamoDBClient>;
let store: DynamoDbTrackingStore;

beforeEach(() => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  dynamodb = mockClient(client);
  store = new DynamoDbTrackingStore({ client, tableName: TABLE });
});

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function inputs<T extends typeof PutItemCommand | typeof UpdateItemCommand | typeof QueryCommand | typeof GetItemCommand>(command: T) {
  return dynamodb.commandCalls(command as never).map((call) => (call.args[0] as { input: unknown }).input);
}

describe('track', () => {
  test('one PutItem of the tracked item, in its due shard, conditional on no item for the process', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    const outcome = await store.track(
      { processId: PROCESS_ID, expiresAt: EXPIRES_AT, clientReference: 'order-42', trackedAt: TRACKED_AT, firstCheckAt: FIRST_CHECK_AT },
      signal,
    );

    expect(outcome).toBe('created');
    expect(dynamodb.calls()).toHaveLength(1);
    expect(inputs(PutItemCommand)).toEqual([
      {
        TableName: TABLE,
        Item: {
          ...key,
          status: { S: 'tracking' },
          trackedAt: { S: TRACKED_AT },
          expiresAt: { S: EXPIRES_AT },
          clientReference: { S: 'order-42' },
          checks: { N: '0' },
          dueShard: { S: SHARD },
          nextCheckAt: { N: String(FIRST_CHECK_AT) },
          removeAt: { N: String(EXPIRES_AT_SECONDS + 30 * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': 'processId' },
      },
    ]);
    expect((dynamodb.calls()[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: signal });
  });

  test('no clientReference attribute when none was given', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await store.track({ processId: PROCESS_ID, expiresAt: EXPIRES_AT, trackedAt: TRACKED_AT, firstCheckAt: FIRST_CHECK_AT });
    const [input] = inputs(PutItemCommand) as Array<{ Item: Record<string, unknown> }>;
    expect(input?.Item).not.toHaveProperty('clientReference');
  });

  test('a known process: exists, nothing else sent', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    await expect(store.track({ processId: PROCESS_ID, expiresAt: EXPIRES_AT, trackedAt: TRACKED_AT, firstCheckAt: FIRST_CHECK_AT })).resolves.toBe('exists');
    expect(dynamodb.calls()).toHaveLength(1);
  });

  test('any other failure is thrown', async () => {
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store.track({ processId: PROCESS_ID, expiresAt: EXPIRES_AT, trackedAt: TRACKED_AT, firstCheckAt: FIRST_CHECK_AT })).rejects.toThrow('throttled');
  });
});

describe('journeyFinished', () => {
  const AT = '2025-06-15T12:05:00.000Z';
  const CHECK_BY = Date.parse('2025-06-15T12:06:00.000Z');
  const bringForward = {
    TableName: TABLE,
    Key: key,
    UpdateExpression: 'SET journeyFinishedAt = if_not_exists(journeyFinishedAt, :at), #next = :checkBy',
    ConditionExpression: '#status = :tracking AND #next > :checkBy',
    ExpressionAttributeNames: { '#status': 'status', '#next': 'nextCheckAt' },
    ExpressionAttributeValues: { ':at': { S: AT }, ':checkBy': { N: String(CHECK_BY) }, ':tracking': { S: 'tracking' } },
  };
  const recordOnly = {
    TableName: TABLE,
    Key: key,
    UpdateExpression: 'SET journeyFinishedAt = if_not_exists(journeyFinishedAt, :at)',
    ConditionExpression: 'attribute_exists(#key)',
    ExpressionAttributeNames: { '#key': 'processId' },
    ExpressionAttributeValues: { ':at': { S: AT } },
  };

  test('tracked with a later check: the check comes forward in one request', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    await expect(store.journeyFinished(PROCESS_ID, AT, CHECK_BY, signal)).resolves.toBe('recorded');
    expect(inputs(UpdateItemCommand)).toEqual([bringForward]);
  });

  test('check already sooner, or no longer tracked: only the time is recorded', async () => {
    dynamodb.on(UpdateItemCommand).rejectsOnce(conditionFailed()).resolves({});
    await expect(store.journeyFinished(PROCESS_ID, AT, CHECK_BY, signal)).resolves.toBe('recorded');
    expect(inputs(UpdateItemCommand)).toEqual([bringForward, recordOnly]);
  });

  test('no item: unknown', async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.journeyFinished(PROCESS_ID, AT, CHECK_BY)).resolves.toBe('unknown');
    expect(dynamodb.calls()).toHaveLength(2);
  });

  test('other failures are thrown, from either request', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new Error('down'));
    await expect(store.journeyFinished(PROCESS_ID, AT, CHECK_BY)).rejects.toThrow('down');
    dynamodb.reset();
    dynamodb.on(UpdateItemCommand).rejectsOnce(conditionFailed()).rejects(new Error('down again'));
    await expect(store.journeyFinished(PROCESS_ID, AT, CHECK_BY)).rejects.toThrow('down again');
  });
});

describe('get', () => {
  test('a consistent read, read back in full', async () => {
    dynamodb.on(GetItemCommand).resolves({
      Item: {
        ...key,
        status: { S: 'recovered' },
        trackedAt: { S: TRACKED_AT },
        expiresAt: { S: EXPIRES_AT },
        clientReference: { S: 'order-42' },
        checks: { N: '2' },
        journeyFinishedAt: { S: '2025-06-15T12:05:00.000Z' },
        notifiedAt: { S: '2025-06-15T12:16:00.000Z' },
        lastCheckedAt: { S: '2025-06-15T12:16:00.000Z' },
        detectedBy: { S: 'fallback' },
        resultCode: { S: 'PROCESS_RESULT_OK' },
        removeAt: { N: '1' },
      },
    });

    const tracked = await store.get(PROCESS_ID, signal);

    expect(inputs(GetItemCommand)).toEqual([{ TableName: TABLE, Key: key, ConsistentRead: true }]);
    expect(tracked).toEqual({
      processId: PROCESS_ID,
      status: 'recovered',
      trackedAt: TRACKED_AT,
      expiresAt: EXPIRES_AT,
      clientReference: 'order-42',
      checks: 2,
      journeyFinishedAt: '2025-06-15T12:05:00.000Z',
      notifiedAt: '2025-06-15T12:16:00.000Z',
      lastCheckedAt: '2025-06-15T12:16:00.000Z',
      detectedBy: 'fallback',
      resultCode: 'PROCESS_RESULT_OK',
    });
  });

  test('a tracked item carries its next check; nothing optional that is not stored', async () => {
    dynamodb.on(GetItemCommand).resolves({
      Item: { ...key, status: { S: 'tracking' }, trackedAt: { S: TRACKED_AT }, expiresAt: { S: EXPIRES_AT }, checks: { N: '0' }, dueShard: { S: SHARD }, nextCheckAt: { N: String(FIRST_CHECK_AT) } },
    });
    expect(await store.get(PROCESS_ID)).toEqual({
      processId: PROCESS_ID,
      status: 'tracking',
      trackedAt: TRACKED_AT,
      expiresAt: EXPIRES_AT,
      checks: 0,
      nextCheckAt: FIRST_CHECK_AT,
    });
  });

  test('no item: undefined', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    await expect(store.get(PROCESS_ID)).resolves.toBeUndefined();
  });
});

describe('due', () => {
  test('one Query of the due index: the shard, next check at or before now, soonest first, limited', async () => {
    const now = Date.parse('2025-06-15T12:20:00.000Z');
    dynamodb.on(QueryCommand).resolves({
      Items: [
        { ...key, status: { S: 'tracking' }, trackedAt: { S: TRACKED_AT }, expiresAt: { S: EXPIRES_AT }, checks: { N: '1' }, dueShard: { S: SHARD }, nextCheckAt: { N: String(FIRST_CHECK_AT) } },
      ],
    });

    const due = await store.due(SHARD, now, 25, signal);

    expect(inputs(QueryCommand)).toEqual([
      {
        TableName: TABLE,
        IndexName: 'due',
        KeyConditionExpression: '#shard = :shard AND #next <= :now',
        ExpressionAttributeNames: { '#shard': 'dueShard', '#next': 'nextCheckAt' },
        ExpressionAttributeValues: { ':shard': { S: SHARD }, ':now': { N: String(now) } },
        Limit: 25,
        ScanIndexForward: true,
      },
    ]);
    expect(due).toEqual([
      { processId: PROCESS_ID, status: 'tracking', trackedAt: TRACKED_AT, expiresAt: EXPIRES_AT, checks: 1, nextCheckAt: FIRST_CHECK_AT },
    ]);
  });

  test('nothing due: empty', async () => {
    dynamodb.on(QueryCommand).resolves({});
    await expect(store.due('0', 0, 10)).resolves.toEqual([]);
  });
});

describe('reschedule and finish: only while tracked', () => {
  const AT = '2025-06-15T12:16:00.000Z';

  test('reschedule sets the next check, the count and the time', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    await store.reschedule(PROCESS_ID, 1_750_000_000_000, 2, AT, signal);
    expect(inputs(UpdateItemCommand)).toEqual([
      {
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET #next = :next, checks = :checks, lastCheckedAt = :at',
        ConditionExpression: '#status = :tracking',
        ExpressionAttributeNames: { '#status': 'status', '#next': 'nextCheckAt' },
        ExpressionAttributeValues: { ':next': { N: '1750000000000' }, ':checks': { N: '2' }, ':at': { S: AT }, ':tracking': { S: 'tracking' } },
      },
    ]);
  });

  test('finish as recovered: status, times, detection and result; the item leaves the due index', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    await store.finish(PROCESS_ID, { status: 'recovered', at: AT, detectedBy: 'fallback', resultCode: 'PROCESS_RESULT_OK' }, signal);
    expect(inputs(UpdateItemCommand)).toEqual([
      {
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET #status = :end, lastCheckedAt = :at, notifiedAt = :at, detectedBy = :detectedBy, resultCode = :resultCode REMOVE #shard, #next',
        ConditionExpression: '#status = :tracking',
        ExpressionAttributeNames: { '#status': 'status', '#next': 'nextCheckAt', '#shard': 'dueShard' },
        ExpressionAttributeValues: {
          ':end': { S: 'recovered' },
          ':at': { S: AT },
          ':detectedBy': { S: 'fallback' },
          ':resultCode': { S: 'PROCESS_RESULT_OK' },
          ':tracking': { S: 'tracking' },
        },
      },
    ]);
  });

  test('finish as expired: no notification time, no detection, no result', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    await store.finish(PROCESS_ID, { status: 'expired', at: AT });
    const [input] = inputs(UpdateItemCommand) as Array<{ UpdateExpression: string; ExpressionAttributeValues: object }>;
    expect(input?.UpdateExpression).toBe('SET #status = :end, lastCheckedAt = :at REMOVE #shard, #next');
    expect(input?.ExpressionAttributeValues).toEqual({ ':end': { S: 'expired' }, ':at': { S: AT }, ':tracking': { S: 'tracking' } });
  });

  test('a process no longer tracked: not an error', async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.reschedule(PROCESS_ID, 1, 1, AT)).resolves.toBeUndefined();
    await expect(store.finish(PROCESS_ID, { status: 'notified', at: AT, detectedBy: 'webhook' })).resolves.toBeUndefined();
  });

  test('other failures are thrown', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new Error('down'));
    await expect(store.reschedule(PROCESS_ID, 1, 1, AT)).rejects.toThrow('down');
    await expect(store.finish(PROCESS_ID, { status: 'expired', at: AT })).rejects.toThrow('down');
  });
});
