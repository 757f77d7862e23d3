import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { basicAuthorization } from '../../lambdas/contracts/auth-notation.ts';
import { StaticCredentialAuthenticator } from '../../lambdas/core/auth/static-credentials.ts';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import { intakeTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { DynamoDbClaimLedger } from '../../lambdas/adapters/dynamodb/dynamodb-claim-ledger.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { FunctionInstances, startLocalApi, type RunningLocalApi } from '../../tools/local-stack/local-api.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable, ensureLocalResources, type LocalResources } from '../../tools/local-stack/resources.ts';
import { storedClaim } from '../support/claims.ts';
import { newNotification, post } from '../support/notifications.ts';
import { drainQueue, processIdsOf } from '../support/queues.ts';
import { startFaultProxy, type FaultProxy } from '../support/tcp-fault-proxy.ts';

/**
 * The real intake handler, wired as in AWS, against dynalite and fauxqs. The intake's DynamoDB
 * and SQS clients go through fault proxies, so that either service can be made unreachable or
 * slow, or lose an answer after applying the request, on purpose. The test's own clients talk to
 * the emulators directly.
 */
const RESPONSE_DEADLINE_MS = 1500;
/** Unico's default timeout, the form's `responseDeadlineSeconds` left as it is. */
const DEFAULT_DEADLINE_MS = 5000;
const AUTH = { authorization: basicAuthorization('unico', 'correct horse') };

let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let sqsProxy: FaultProxy;
let dynamodbProxy: FaultProxy;
let api: RunningLocalApi;
let dynamodb: DynamoDBClient;
let intakeDynamodb: DynamoDBClient;
let verifierSqs: SQSClient;
let intakeSqs: SQSClient;
let resources: LocalResources;
let webhookUrl: string;

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  [sqsProxy, dynamodbProxy] = await Promise.all([
    startFaultProxy(sqsEmulator.endpoint),
    startFaultProxy(dynamodbEmulator.endpoint),
  ]);
  const clientOptions = awsClientOptions(intakeTimeBudget(RESPONSE_DEADLINE_MS).awsCalls);
  dynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions });
  intakeDynamodb = new DynamoDBClient({ ...emulatorClientConfig({ endpoint: dynamodbProxy.endpoint }), ...clientOptions });
  verifierSqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  intakeSqs = new SQSClient({ ...emulatorClientConfig({ endpoint: sqsProxy.endpoint }), ...clientOptions });
  resources = await ensureLocalResources(dynamodb, verifierSqs);

  api = await startIntakeApi(RESPONSE_DEADLINE_MS, intakeDynamodb, intakeSqs);
  webhookUrl = `${api.url}/webhooks/unico`;
});

/** The intake behind a local API, with `responseDeadlineMs` and the clients given. */
function startIntakeApi(responseDeadlineMs: number, dynamodbClient: DynamoDBClient, sqsClient: SQSClient): Promise<RunningLocalApi> {
  const handler = composeIntakeHandler({
    dynamodb: dynamodbClient,
    sqs: sqsClient,
    claimsTableName: resources.claimsTableName,
    claimRetentionDays: 90,
    intakeQueueUrl: resources.intakeQueueUrl,
    authenticator: new StaticCredentialAuthenticator('basic', async () => [
      { kind: 'basic', username: 'unico', password: 'correct horse' },
    ]),
    responseDeadlineMs,
    logger: new Logger({ serviceName: 'intake-test', logLevel: 'SILENT' }),
  });
  const timeoutMs = intakeTimeBudget(responseDeadlineMs).functionTimeoutSeconds * 1000;
  return startLocalApi([{ method: 'POST', path: '/webhooks/unico', target: new FunctionInstances('intake', timeoutMs, () => handler) }], 0);
}

afterAll(async () => {
  await api?.stop();
  for (const client of [dynamodb, intakeDynamodb, verifierSqs, intakeSqs]) client?.destroy();
  await Promise.all([sqsProxy?.stop(), dynamodbProxy?.stop()]);
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

beforeEach(async () => {
  for (const proxy of [sqsProxy, dynamodbProxy]) {
    proxy.setMode('pass');
    proxy.loseAnswers(0);
  }
  await drainQueue(verifierSqs, resources.intakeQueueUrl);
});

function claimOf(processId: string) {
  return storedClaim(dynamodb, resources.claimsTableName, processId);
}

describe('intake against DynamoDB and SQS emulators', () => {
  test('a first delivery is claimed and enqueued once; the same again is a duplicate', async () => {
    const notification = newNotification({ lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: 'expired' });

    const first = await post(webhookUrl, notification, AUTH);
    const again = await post(webhookUrl, notification, AUTH);

    expect(first).toMatchObject({ status: 202, body: { status: 'accepted', processId: notification.processId } });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', processId: notification.processId } });
    const messages = await drainQueue(verifierSqs, resources.intakeQueueUrl);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]?.Body ?? '{}')).toMatchObject({ ...notification, detectedBy: 'webhook' });
    expect(messages[0]?.MessageAttributes?.state?.StringValue).toBe('PROCESS_STATE_FINISHED');
    expect((await claimOf(notification.processId))?.status?.S).toBe('claimed');
  });

  test('50 concurrent copies of one new delivery: one 202, 49 duplicates, one message', async () => {
    // What is checked is the claim under contention, not the deadline: an intake with Unico's
    // default 5 s, straight to the emulators, so a machine busy with other work cannot turn a
    // copy into a 503 and hide what the claim decided.
    const clientOptions = awsClientOptions(intakeTimeBudget(DEFAULT_DEADLINE_MS).awsCalls);
    const contendedDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions });
    const contendedSqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...clientOptions });
    const contended = await startIntakeApi(DEFAULT_DEADLINE_MS, contendedDynamodb, contendedSqs);
    const notification = newNotification();

    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => post(`${contended.url}/webhooks/unico`, notification, AUTH)),
      );

      expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 202)).toEqual([]);
      expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
      expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
    } finally {
      await contended.stop();
      contendedDynamodb.destroy();
      contendedSqs.destroy();
    }
  });

  test('the claim on dynalite: one put creates it, a copy gets it back and changes none of its values', async () => {
    const notification = newNotification({ lastEvent: 'EVENT_TYPE_FINISHED' });
    const claims = new DynamoDbClaimLedger({ client: dynamodb, tableName: resources.claimsTableName, retentionDays: 90 });
    const claim = (claimToken: string, receivedAt: string, detectedBy: 'webhook' | 'fallback' = 'webhook') =>
      claims.claim({ notification, detectedBy, receivedAt, claimToken }, AbortSignal.timeout(1000));

    const first = await claim('first', '2026-01-01T00:00:00.000Z');
    const stored = await claimOf(notification.processId);
    const copy = await claim('copy', '2026-01-02T00:00:00.000Z', 'fallback');

    expect(first).toEqual({ outcome: 'created' });
    expect(copy).toEqual({
      outcome: 'exists',
      existing: expect.objectContaining({ status: 'claimed', claimToken: 'first', detectedBy: 'webhook', receivedAt: '2026-01-01T00:00:00.000Z' }),
    });
    expect(await claimOf(notification.processId)).toEqual(stored);

    await claims.confirm(notification, { confirmedAt: '2026-01-01T00:00:05.000Z' });
    const confirmed = await claimOf(notification.processId);
    const later = await claim('later', '2026-01-03T00:00:00.000Z');

    expect(later).toEqual({ outcome: 'exists', existing: expect.objectContaining({ status: 'confirmed', claimToken: 'first' }) });
    expect(await claimOf(notification.processId)).toEqual(confirmed);
  });

  test('a crash right after the claim: the redelivery, however soon, puts the notification on the queue', async () => {
    // Prepare: what a request that died right after its claim leaves behind. Its sender got no
    // answer (API Gateway answers 502 at once) and may deliver again at any moment.
    const notification = newNotification();
    const claims = new DynamoDbClaimLedger({ client: dynamodb, tableName: resources.claimsTableName, retentionDays: 90 });
    await claims.claim(
      { notification, detectedBy: 'webhook', receivedAt: new Date().toISOString(), claimToken: 'crashed-request' },
      AbortSignal.timeout(1000),
    );
    expect(await drainQueue(verifierSqs, resources.intakeQueueUrl)).toHaveLength(0);

    // Act: Unico redelivers at once, and once more.
    const redelivery = await post(webhookUrl, notification, AUTH);
    const copyAfterwards = await post(webhookUrl, notification, AUTH);

    // Assess: the redelivery sent it, the copy's send was deduplicated: one message.
    expect(redelivery).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(copyAfterwards.status).toBe(200);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('the claim is written but its answer is lost: the SDK\'s retry finds its own claim, sends, answers 202', async () => {
    const notification = newNotification();
    dynamodbProxy.loseAnswers(1);

    const answer = await post(webhookUrl, notification, AUTH);

    expect(dynamodbProxy.lostAnswers).toBeGreaterThanOrEqual(1);
    expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('every answer of the claim store is lost: 503, and the redelivery puts it on the queue once', async () => {
    const notification = newNotification();
    dynamodbProxy.loseAnswers(100);

    const first = await post(webhookUrl, notification, AUTH);
    dynamodbProxy.loseAnswers(0);
    const redelivery = await post(webhookUrl, notification, AUTH);

    expect(first).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect((await claimOf(notification.processId))?.status?.S).toBe('claimed');
    expect(redelivery).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('the send is applied but its answer is lost: the SDK\'s retry is deduplicated, one message, 202', async () => {
    const notification = newNotification();
    sqsProxy.loseAnswers(1);

    const answer = await post(webhookUrl, notification, AUTH);

    expect(sqsProxy.lostAnswers).toBeGreaterThanOrEqual(1);
    expect(answer.status).toBe(202);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('every answer of the queue is lost: 503, and the redelivery\'s send is deduplicated: one message', async () => {
    const notification = newNotification();
    sqsProxy.loseAnswers(100);

    const first = await post(webhookUrl, notification, AUTH);
    sqsProxy.loseAnswers(0);
    const redelivery = await post(webhookUrl, notification, AUTH);

    expect(first.status).toBe(503);
    expect(redelivery.status).toBe(200);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('a confirmed claim is answered 200 and sends nothing', async () => {
    const notification = newNotification();
    await post(webhookUrl, notification, AUTH);
    await drainQueue(verifierSqs, resources.intakeQueueUrl);
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: resources.claimsTableName,
        Key: { processId: { S: notification.processId }, state: { S: notification.state } },
        UpdateExpression: 'SET #status = :confirmed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':confirmed': { S: 'confirmed' } },
      }),
    );
    sqsProxy.setMode('refuse');

    const copy = await post(webhookUrl, notification, AUTH);

    expect(copy).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    sqsProxy.setMode('pass');
    expect(await drainQueue(verifierSqs, resources.intakeQueueUrl)).toHaveLength(0);
  });

  test('text SQS refuses (U+FFFE, U+FFFF, a lone surrogate) is accepted, and the consumer reads the original', async () => {
    const description = 'before \uFFFF middle \uFFFE \uD800 after \u0000 \u{1F600}';
    const notification = newNotification({ lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: description });

    const answer = await post(webhookUrl, notification, AUTH);

    expect(answer.status).toBe(202);
    const [message, ...others] = await drainQueue(verifierSqs, resources.intakeQueueUrl);
    expect(others).toEqual([]);
    expect((JSON.parse(message?.Body ?? '{}') as { lastEventDescription: string }).lastEventDescription).toBe(description);
  });

  test('queue unreachable: 503 with the claim kept unconfirmed; the retry once it is back sends it once', async () => {
    const notification = newNotification();
    sqsProxy.setMode('refuse');

    const duringOutage = await post(webhookUrl, notification, AUTH);

    expect(duringOutage).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect((await claimOf(notification.processId))?.status?.S).toBe('claimed');

    sqsProxy.setMode('pass');
    const retry = await post(webhookUrl, notification, AUTH);
    const laterCopy = await post(webhookUrl, notification, AUTH);

    expect(retry).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(laterCopy.status).toBe(200);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('queue slower than the deadline: 503 before the deadline; the retry sends it once', async () => {
    const notification = newNotification();
    sqsProxy.setMode('stall');

    const startedAt = performance.now();
    const slow = await post(webhookUrl, notification, AUTH);
    const elapsedMs = performance.now() - startedAt;

    expect(slow).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    // The contract: the answer leaves before the deadline Unico waits for.
    expect(elapsedMs).toBeLessThan(RESPONSE_DEADLINE_MS);

    sqsProxy.setMode('pass');
    const retry = await post(webhookUrl, notification, AUTH);

    expect(retry.status).toBe(200);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('claim store unreachable: 503, and a retry once it is back is accepted', async () => {
    const notification = newNotification();
    const port = Number(new URL(dynamodbEmulator.endpoint).port);
    await dynamodbEmulator.stop();
    try {
      const duringOutage = await post(webhookUrl, notification, AUTH);
      expect(duringOutage).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    } finally {
      // dynalite keeps its tables in memory: a restarted one is empty, so recreate them.
      dynamodbEmulator = await startDynamoDbEmulator(port);
      await ensureClaimsTable(dynamodb, resources.claimsTableName);
    }

    const retry = await post(webhookUrl, notification, AUTH);

    expect(retry.status).toBe(202);
    expect(processIdsOf(await drainQueue(verifierSqs, resources.intakeQueueUrl))).toEqual([notification.processId]);
  });

  test('wrong credentials: 401 and nothing stored or enqueued', async () => {
    const notification = newNotification();

    const wrong = await post(webhookUrl, notification, { authorization: basicAuthorization('unico', 'wrong') });
    const missing = await post(webhookUrl, notification);

    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(await claimOf(notification.processId)).toBeUndefined();
    expect(await drainQueue(verifierSqs, resources.intakeQueueUrl)).toHaveLength(0);
  });
});

