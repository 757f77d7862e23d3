import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable, ensureTrackingTable } from '../../tools/local-stack/resources.ts';
import { DynamoDbTrackingStore } from '../../lambdas/adapters/dynamodb/dynamodb-tracking-store.ts';
import { DynamoDbNotificationLedger } from '../../lambdas/adapters/dynamodb/dynamodb-notification-ledger.ts';
import { dueShardOf, TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';

/**
 * The tracking store and the notification ledger against dynalite, on the table the local stack
 * creates: the conditions, the sparse due index and the claims' partition behave as the
 * adapter's requests expect.
 */
let emulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let store: DynamoDbTrackingStore;
let ledger: DynamoDbNotificationLedger;
let trackingTableName: string;
let claimsTableName: string;

const T0 = Date.parse('2025-06-15T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const EXPIRES_AT = iso(T0 + 7 * 86_400_000);
let counter = 0;
/** A fresh process id in the given shard, so that tests do not see each other's items. */
function processIn(shard: string): string {
  for (;;) {
    counter += 1;
    const id = `b0000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
    if (dueShardOf(id) === shard) return id;
  }
}

const track = (processId: string, firstCheckAt: number, clientReference?: string) =>
  store.track({ processId, expiresAt: EXPIRES_AT, trackedAt: iso(T0), firstCheckAt, ...(clientReference === undefined ? {} : { clientReference }) });

beforeAll(async () => {
  emulator = await startDynamoDbEmulator();
  dynamodb = new DynamoDBClient(emulatorClientConfig(emulator));
  [trackingTableName, claimsTableName] = await Promise.all([ensureTrackingTable(dynamodb), ensureClaimsTable(dynamodb)]);
  store = new DynamoDbTrackingStore({ client: dynamodb, tableName: trackingTableName });
  ledger = new DynamoDbNotificationLedger({ client: dynamodb, tableName: claimsTableName });
});

afterAll(async () => {
  dynamodb?.destroy();
  await emulator?.stop();
});

describe('the tracking table the local stack creates', () => {
  test('keyed by processId, with the due index on dueShard + nextCheckAt; created again it is reused', async () => {
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: trackingTableName }));
    expect(table?.KeySchema).toEqual([{ AttributeName: 'processId', KeyType: 'HASH' }]);
    expect(table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema])).toEqual([
      [TRACKING_TABLE.dueIndex.name, [{ AttributeName: 'dueShard', KeyType: 'HASH' }, { AttributeName: 'nextCheckAt', KeyType: 'RANGE' }]],
    ]);
    await expect(ensureTrackingTable(dynamodb)).resolves.toBe(trackingTableName);
  });
});

describe('DynamoDbTrackingStore against dynalite', () => {
  test('track once; a second track of the same process changes nothing', async () => {
    const processId = processIn('0');
    await expect(track(processId, T0 + 60_000, 'order-1')).resolves.toBe('created');
    await expect(track(processId, T0 + 1, 'order-2')).resolves.toBe('exists');
    expect(await store.get(processId)).toEqual({
      processId,
      status: 'tracking',
      trackedAt: iso(T0),
      expiresAt: EXPIRES_AT,
      clientReference: 'order-1',
      checks: 0,
      nextCheckAt: T0 + 60_000,
    });
    await expect(store.get(processIn('0'))).resolves.toBeUndefined();
  });

  test('due: only the shard\'s items whose check has come, soonest first, up to the limit; finished ones leave the index', async () => {
    const shard = '2';
    const [late, soon, soonest, finished, notYet] = [processIn(shard), processIn(shard), processIn(shard), processIn(shard), processIn(shard)];
    const other = processIn('3');
    const base = T0 + 3_600_000;
    await Promise.all([track(late, base + 3), track(soon, base + 2), track(soonest, base + 1), track(finished, base), track(notYet, base + 10_000), track(other, base)]);
    await store.finish(finished, { status: 'notified', at: iso(base), detectedBy: 'webhook' });

    const due = await store.due(shard, base + 5, 10);
    expect(due.map((item) => item.processId)).toEqual([soonest, soon, late]);
    expect((await store.due(shard, base + 5, 2)).map((item) => item.processId)).toEqual([soonest, soon]);
    expect(await store.get(finished)).toMatchObject({ status: 'notified', notifiedAt: iso(base), detectedBy: 'webhook' });
    expect(await store.get(finished)).not.toHaveProperty('nextCheckAt');
  });

  test('journey-finished brings the check forward, never later; unknown without an item', async () => {
    const processId = processIn('1');
    await track(processId, T0 + 900_000);
    await expect(store.journeyFinished(processId, iso(T0 + 1000), T0 + 60_000)).resolves.toBe('recorded');
    expect(await store.get(processId)).toMatchObject({ nextCheckAt: T0 + 60_000, journeyFinishedAt: iso(T0 + 1000) });
    // A later signal with a later check-by: recorded, the sooner check and the first time stay.
    await expect(store.journeyFinished(processId, iso(T0 + 2000), T0 + 120_000)).resolves.toBe('recorded');
    expect(await store.get(processId)).toMatchObject({ nextCheckAt: T0 + 60_000, journeyFinishedAt: iso(T0 + 1000) });
    await expect(store.journeyFinished(processIn('1'), iso(T0), T0)).resolves.toBe('unknown');
  });

  test('journey-finished on a process no longer tracked records the time and does not put it back in the index', async () => {
    const processId = processIn('3');
    await track(processId, T0 + 900_000);
    await store.finish(processId, { status: 'recovered', at: iso(T0 + 5000), detectedBy: 'fallback', resultCode: 'PROCESS_RESULT_OK' });
    await expect(store.journeyFinished(processId, iso(T0 + 6000), T0)).resolves.toBe('recorded');
    expect(await store.get(processId)).toEqual({
      processId,
      status: 'recovered',
      trackedAt: iso(T0),
      expiresAt: EXPIRES_AT,
      checks: 0,
      journeyFinishedAt: iso(T0 + 6000),
      notifiedAt: iso(T0 + 5000),
      lastCheckedAt: iso(T0 + 5000),
      detectedBy: 'fallback',
      resultCode: 'PROCESS_RESULT_OK',
    });
    expect((await store.due('3', T0 + 10 * 86_400_000, 100)).map((item) => item.processId)).not.toContain(processId);
  });

  test('reschedule and finish apply only while tracked', async () => {
    const processId = processIn('1');
    await track(processId, T0);
    await store.reschedule(processId, T0 + 1_800_000, 1, iso(T0 + 10));
    expect(await store.get(processId)).toMatchObject({ status: 'tracking', nextCheckAt: T0 + 1_800_000, checks: 1, lastCheckedAt: iso(T0 + 10) });
    await store.finish(processId, { status: 'not_found', at: iso(T0 + 20) });
    // A run working from a stale index: no effect on the ended process.
    await store.reschedule(processId, T0 + 3_600_000, 2, iso(T0 + 30));
    await store.finish(processId, { status: 'expired', at: iso(T0 + 40) });
    const ended = await store.get(processId);
    expect(ended).toMatchObject({ status: 'not_found', checks: 1, lastCheckedAt: iso(T0 + 20) });
    expect(ended).not.toHaveProperty('nextCheckAt');
    // Of missing processes too: no item is created.
    const missing = processIn('1');
    await store.reschedule(missing, T0, 1, iso(T0));
    await store.finish(missing, { status: 'expired', at: iso(T0) });
    await expect(store.get(missing)).resolves.toBeUndefined();
  });
});

describe('DynamoDbNotificationLedger against dynalite', () => {
  test('any claim of the process, whatever its state', async () => {
    const notified = processIn('0');
    const silent = processIn('0');
    await dynamodb.send(
      new PutItemCommand({
        TableName: claimsTableName,
        Item: {
          processId: { S: notified },
          state: { S: 'PROCESS_STATE_FAILED' },
          status: { S: 'confirmed' },
          detectedBy: { S: 'webhook' },
          receivedAt: { S: iso(T0) },
        },
      }),
    );
    await expect(ledger.anyClaim(notified)).resolves.toEqual({
      state: 'PROCESS_STATE_FAILED',
      detectedBy: 'webhook',
      receivedAt: iso(T0),
      confirmed: true,
    });
    await expect(ledger.anyClaim(silent)).resolves.toBeUndefined();
  });
});
