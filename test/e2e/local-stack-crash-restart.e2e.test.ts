import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';
import { newNotification, post } from '../support/notifications.ts';
import { drainQueue, processIdsOf } from '../support/queues.ts';
import { startFaultProxy, type FaultProxy } from '../support/tcp-fault-proxy.ts';

/**
 * `npm start` on external DynamoDB and SQS (DYNAMODB_ENDPOINT, SQS_ENDPOINT), killed while its
 * sends hang with the claims already written, then started again on the same services: Unico's
 * redeliveries must put every notification on the intake queue, each once.
 */
const PROCESSES = 60;

let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let sqsProxy: FaultProxy;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let stack: LocalStackProcess | undefined;

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  sqsProxy = await startFaultProxy(sqsEmulator.endpoint);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
});

afterAll(async () => {
  await stack?.kill();
  dynamodb?.destroy();
  sqs?.destroy();
  await sqsProxy?.stop();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

const startStack = () =>
  startLocalStackProcess({
    DYNAMODB_ENDPOINT: dynamodbEmulator.endpoint,
    SQS_ENDPOINT: sqsProxy.endpoint,
    RESPONSE_DEADLINE_SECONDS: '10',
    // The intake queue is what is checked: no processor takes messages off it.
    RUN_PROCESSOR: 'false',
  });

async function claimCount(tableName: string): Promise<number> {
  const { Count = 0 } = await dynamodb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true }));
  return Count;
}

describe('local stack killed between claim and send, restarted on the same services', () => {
  test('every redelivered notification reaches the intake queue exactly once', async () => {
    // Prepare: the stack up on the external services, then its sends stalled.
    stack = await startStack();
    const { webhookUrl, dynamodb: tables, sqs: queues } = stack.endpoints;
    expect(tables.endpoint).toBe(dynamodbEmulator.endpoint);
    expect(queues.endpoint).toBe(sqsProxy.endpoint);
    sqsProxy.setMode('stall');
    const notifications = Array.from({ length: PROCESSES }, () => newNotification());
    const inFlight = notifications.map((notification) => post(webhookUrl, notification).catch(() => undefined));
    const giveUpAt = Date.now() + 20_000;
    while ((await claimCount(tables.tables.claims)) < PROCESSES && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await claimCount(tables.tables.claims)).toBe(PROCESSES);

    // Act: the machine dies with every send hanging; it comes back; Unico redelivers.
    await stack.kill();
    stack = undefined;
    const firstAnswers = await Promise.all(inFlight);
    sqsProxy.setMode('pass');
    stack = await startStack();
    const restartedUrl = stack.endpoints.webhookUrl;
    const redeliveries = await Promise.all(notifications.map((notification) => post(restartedUrl, notification)));

    // Assess
    expect(firstAnswers.filter((answer) => answer !== undefined && answer.status < 300)).toEqual([]);
    expect(redeliveries.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    const onQueue = processIdsOf(await drainQueue(sqs, queues.intakeQueueUrl));
    expect(onQueue).toHaveLength(PROCESSES);
    expect(new Set(onQueue)).toEqual(new Set(notifications.map((notification) => notification.processId)));
  }, 120_000);
});
