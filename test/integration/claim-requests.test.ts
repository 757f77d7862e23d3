import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { OpenAuthenticator } from '../../lambdas/core/auth/authenticator.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureLocalResources, type LocalResources } from '../../tools/local-stack/resources.ts';
import { newNotification } from '../support/notifications.ts';
import { startNoOldItemFront, type DynamoDbNoOldItemFront } from '../support/dynamodb-no-old-item-front.ts';
import { lambdaContext, webhookEvent } from '../support/unit/intake-events.ts';

/**
 * What a delivery costs in requests to the claims table, counted on the wire: a middleware in the
 * deserialize step sees every attempt the SDK sends. Against a store that returns the old item on
 * a failed condition (DynamoDB, and its emulator here) a first delivery and a copy each cost one;
 * against one that leaves it out (the emulator behind a front that drops it) a copy costs the put
 * and one read.
 */
let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let front: DynamoDbNoOldItemFront;
let resources: LocalResources;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  front = await startNoOldItemFront(dynamodbEmulator.endpoint);
  const dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  const sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  clients.push(dynamodb, sqs);
  resources = await ensureLocalResources(dynamodb, sqs);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await front?.stop();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

/** An intake whose claims-table client counts the requests it sends, by operation. */
function countingIntake(dynamodbEndpoint: string) {
  const dynamodb = new DynamoDBClient(emulatorClientConfig({ endpoint: dynamodbEndpoint }));
  const sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  clients.push(dynamodb, sqs);
  const sent: string[] = [];
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'deserialize', name: 'countClaimsTableRequests' },
  );
  const handler = composeIntakeHandler({
    dynamodb,
    sqs,
    claimsTableName: resources.claimsTableName,
    claimRetentionDays: 90,
    intakeQueueUrl: resources.intakeQueueUrl,
    authenticator: new OpenAuthenticator(),
    responseDeadlineMs: 3000,
    logger: new Logger({ serviceName: 'claim-requests-test', logLevel: 'SILENT' }),
  });
  const deliver = async (notification: Record<string, unknown>) => {
    sent.length = 0;
    const answer = (await handler(webhookEvent({ body: JSON.stringify(notification) }), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    return { status: answer.statusCode, requests: [...sent] };
  };
  return { deliver };
}

describe('claims-table requests per delivery, counted on the wire', () => {
  test('a store that returns the old item on a failed condition: 1 for a first delivery, 1 for a copy', async () => {
    const intake = countingIntake(dynamodbEmulator.endpoint);
    const notification = newNotification();

    const first = await intake.deliver(notification);
    const copy = await intake.deliver(notification);

    expect(first).toEqual({ status: 202, requests: ['PutItem'] });
    expect(copy).toEqual({ status: 200, requests: ['PutItem'] });
  });

  test('a store that leaves the old item out: 1 for a first delivery, 2 for a copy (the put and a read)', async () => {
    const intake = countingIntake(front.endpoint);
    const notification = newNotification();

    const first = await intake.deliver(notification);
    const copy = await intake.deliver(notification);

    expect(first).toEqual({ status: 202, requests: ['PutItem'] });
    expect(copy.status).toBe(200);
    expect(copy.requests).toEqual(['PutItem', 'GetItem']);
  });
});
