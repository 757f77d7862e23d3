import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { itemKey } from '../../lambdas/adapters/dynamodb/dynamodb-claim-store.ts';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';
import { startDynamoDbEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-clients.ts';
import { ensureClaimsTable } from '../../tools/local-stack/resources.ts';

/**
 * The DynamoDB emulator answers a failed condition as DynamoDB does: with the item the condition
 * saw when the write asked for `ReturnValuesOnConditionCheckFailure: ALL_OLD`, and without it
 * otherwise (the intake's claim of a copy is then one request, as in AWS).
 */
let emulator: RunningEmulator;
let client: DynamoDBClient;
let tableName: string;
let processes = 0;

beforeAll(async () => {
  emulator = await startDynamoDbEmulator();
  client = new DynamoDBClient(emulatorClientConfig(emulator));
  tableName = await ensureClaimsTable(client);
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

function newKey(): Record<string, AttributeValue> {
  processes += 1;
  return itemKey({ processId: `emulator-test-${processes}`, state: 'PROCESS_STATE_FINISHED' });
}

/** A claim stored under a new key, and its key. */
async function stored(): Promise<{ key: Record<string, AttributeValue>; item: Record<string, AttributeValue> }> {
  const key = newKey();
  const item = { ...key, status: { S: 'confirmed' }, count: { N: '3' } };
  await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  return { key, item };
}

/** The error a write throws, or a failure when it succeeds. */
async function refusal(write: Promise<unknown>): Promise<ConditionalCheckFailedException> {
  const outcome = await write.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ConditionalCheckFailedException);
  return outcome as ConditionalCheckFailedException;
}

/** The claim's own condition: no item for the key yet. */
const noItemYet = { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': CLAIMS_TABLE.partitionKey } };

describe('a write whose condition fails', () => {
  test.each(['ALL_OLD', 'NONE', undefined] as const)('a put asked for %s', async (returnValues) => {
    const { item } = await stored();
    const error = await refusal(
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...item, status: { S: 'claimed' } },
          ...noItemYet,
          ...(returnValues ? { ReturnValuesOnConditionCheckFailure: returnValues } : {}),
        }),
      ),
    );
    expect(error.Item).toEqual(returnValues === 'ALL_OLD' ? item : undefined);
  });

  test('an update and a delete asked for ALL_OLD get the item too', async () => {
    const { key, item } = await stored();
    const onFailure = { ConditionExpression: '#status = :claimed', ExpressionAttributeNames: { '#status': 'status' } } as const;
    const update = await refusal(
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET #status = :claimed',
          ...onFailure,
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    const deletion = await refusal(
      client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: key,
          ...onFailure,
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(update.Item).toEqual(item);
    expect(deletion.Item).toEqual(item);
  });

  test('no item for the key: no item in the error', async () => {
    const error = await refusal(
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: newKey(),
          ConditionExpression: 'attribute_exists(#key)',
          ExpressionAttributeNames: { '#key': CLAIMS_TABLE.partitionKey },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(error.Item).toBeUndefined();
  });

  test('a value DynamoDB does not know is refused', async () => {
    const write = client.send(
      new PutItemCommand({ TableName: tableName, Item: newKey(), ReturnValuesOnConditionCheckFailure: 'ALL_NEW' as 'ALL_OLD' }),
    );
    await expect(write).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
