import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable, ensureLocalResources } from '../../tools/local-stack/resources.ts';
import { drainQueue } from '../support/queues.ts';

/**
 * The local stack's table and queues in services it did not start (DYNAMODB_ENDPOINT,
 * SQS_ENDPOINT): created when missing, reused with their contents when present.
 */
let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
});

afterAll(async () => {
  dynamodb?.destroy();
  sqs?.destroy();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

describe('local resources in external services', () => {
  test('a second start reuses the table and queues, with what they hold', async () => {
    // Prepare
    const first = await ensureLocalResources(dynamodb, sqs);
    const key = { processId: { S: 'a0000000-0000-4000-8000-000000000001' }, state: { S: 'PROCESS_STATE_FINISHED' } };
    await dynamodb.send(new PutItemCommand({ TableName: first.claimsTableName, Item: { ...key, status: { S: 'claimed' } } }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: first.intakeQueueUrl,
        MessageBody: '{"kept":true}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      }),
    );

    // Act
    const second = await ensureLocalResources(dynamodb, sqs);

    // Assess
    expect(second).toEqual(first);
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: second.claimsTableName, Key: key }));
    expect(Item?.status).toEqual({ S: 'claimed' });
    expect((await drainQueue(sqs, second.intakeQueueUrl)).map((message) => message.Body)).toEqual(['{"kept":true}']);
  });

  test('a table of that name with other keys is refused with a message that says what to do', async () => {
    // Prepare
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'not-claims',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    // Act
    const result = ensureClaimsTable(dynamodb, 'not-claims');

    // Assess
    await expect(result).rejects.toThrow(/needs processId:HASH, state:RANGE.*DYNAMODB_ENDPOINT/);
  });
});
