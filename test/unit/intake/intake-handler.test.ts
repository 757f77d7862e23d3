import { beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { QueueDoesNotExist, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { composeIntakeHandler } from '../../../lambdas/intake/compose.ts';
import type { IntakeHandler } from '../../../lambdas/intake/intake-handler.ts';
import { OpenAuthenticator, type Authenticator } from '../../../lambdas/core/auth/authenticator.ts';
import { basicAuthorization } from '../../../lambdas/contracts/auth-notation.ts';
import { secretCredentialSource } from '../../../lambdas/adapters/secrets-manager/secret-credentials.ts';
import { SecretsManagerJsonSecrets } from '../../../lambdas/adapters/secrets-manager/json-secrets.ts';
import { StaticCredentialAuthenticator } from '../../../lambdas/core/auth/static-credentials.ts';
import { lambdaContext, notificationBody, PROCESS_ID, webhookEvent } from '../../support/unit/intake-events.ts';
import { captureOutput } from '../../support/unit/captured-output.ts';

const PASSWORD = 'Sup3r-Secret:Passw0rd';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo';
const RESPONSE_DEADLINE_MS = 5000;

let dynamodb: AwsClientStub<DynamoDBClient>;
let sqs: AwsClientStub<SQSClient>;
let dynamodbClient: DynamoDBClient;
let sqsClient: SQSClient;

beforeEach(() => {
  dynamodbClient = new DynamoDBClient({ region: 'us-east-1' });
  sqsClient = new SQSClient({ region: 'us-east-1' });
  dynamodb = mockClient(dynamodbClient);
  sqs = mockClient(sqsClient);
  dynamodb.on(PutItemCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

function handlerWith(authenticator: Authenticator = new OpenAuthenticator(), logger = new Logger({ logLevel: 'SILENT' })): IntakeHandler {
  return composeIntakeHandler({
    dynamodb: dynamodbClient,
    sqs: sqsClient,
    claimsTableName: 'claims',
    claimRetentionDays: 90,
    intakeQueueUrl: QUEUE_URL,
    authenticator,
    responseDeadlineMs: RESPONSE_DEADLINE_MS,
    logger,
  });
}

const basicAuthenticator = () =>
  new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: 'unico', password: PASSWORD }]);

const jsonEvent = (body: unknown, headers: Record<string, string> = {}) =>
  webhookEvent({ body: typeof body === 'string' ? body : JSON.stringify(body), headers });

async function deliver(event: APIGatewayProxyEventV2, handler = handlerWith()) {
  const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  return { ...response, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
}

const awsRequests = () => dynamodb.calls().length + sqs.calls().length;

/** The claim's failed condition when an earlier request's claim was there, with that claim (as DynamoDB answers). */
const existingClaim = (status: string) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    Item: {
      processId: { S: PROCESS_ID },
      state: { S: 'PROCESS_STATE_FINISHED' },
      status: { S: status },
      detectedBy: { S: 'webhook' },
      receivedAt: { S: '2025-06-15T11:00:00.000Z' },
      claimToken: { S: 'token-of-an-earlier-request' },
    },
  });

describe('intake handler', () => {
  test('a new notification is answered 202 after exactly one claim and one enqueue', async () => {
    // Act
    const response = await deliver(jsonEvent(notificationBody({ processId: PROCESS_ID.toUpperCase() })));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.json).toEqual({ status: 'accepted', processId: PROCESS_ID });
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(awsRequests()).toBe(2);
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  test('the time spent before the handler ran counts: receivedAt is when API Gateway received it', async () => {
    // Prepare
    const timeEpoch = Date.now() - 1500;

    // Act
    await deliver(webhookEvent({ body: JSON.stringify(notificationBody()), timeEpoch }));

    // Assess
    const input = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.Item?.receivedAt).toEqual({ S: new Date(timeEpoch).toISOString() });
    const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(message).toEqual(
      expect.objectContaining({ detectedBy: 'webhook', receivedAt: new Date(timeEpoch).toISOString(), processId: PROCESS_ID }),
    );
  });

  test('a notification already confirmed is answered 200 duplicate after one request', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(existingClaim('confirmed'));

    // Act
    const response = await deliver(jsonEvent(notificationBody()));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ status: 'duplicate', processId: PROCESS_ID });
    expect(awsRequests()).toBe(1);
  });

  test('a claim not confirmed yet is sent again, as first received, and answered 200 duplicate after two requests', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(existingClaim('claimed'));

    // Act
    const response = await deliver(jsonEvent(notificationBody()));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ status: 'duplicate', processId: PROCESS_ID });
    expect(awsRequests()).toBe(2);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(message).toEqual(expect.objectContaining({ receivedAt: '2025-06-15T11:00:00.000Z' }));
  });

  test('a claim not confirmed yet is never answered 2xx when its send fails', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(existingClaim('claimed'));
    sqs.on(SendMessageCommand).rejects(new Error('ServiceUnavailable'));

    // Act
    const response = await deliver(jsonEvent(notificationBody()));

    // Assess
    expect(response.statusCode).toBe(503);
  });

  test('wrong credentials are answered 401 with a challenge, and nothing reaches AWS', async () => {
    // Act
    const response = await deliver(
      jsonEvent(notificationBody(), { authorization: basicAuthorization('unico', 'wrong') }),
      handlerWith(basicAuthenticator()),
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.json).toEqual({ error: 'unauthorized' });
    expect(response.headers?.['www-authenticate']).toMatch(/^Basic realm=/);
    expect(awsRequests()).toBe(0);
  });

  test('missing credentials are answered 401 too', async () => {
    // Act
    const response = await deliver(jsonEvent(notificationBody()), handlerWith(basicAuthenticator()));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(awsRequests()).toBe(0);
  });

  test('right credentials are let through', async () => {
    // Act
    const response = await deliver(
      jsonEvent(notificationBody(), { authorization: basicAuthorization('unico', PASSWORD) }),
      handlerWith(basicAuthenticator()),
    );

    // Assess
    expect(response.statusCode).toBe(202);
  });

  test.each([['{"processId":'], ['[]'], ['null'], ['"text"'], ['']])('body %j is answered 400 invalid_json', async (body) => {
    // Act
    const response = await deliver(webhookEvent({ body }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ error: 'invalid_json' });
    expect(awsRequests()).toBe(0);
  });

  test('a request without a body is answered 400 invalid_json', async () => {
    // Act
    const response = await deliver(webhookEvent());

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ error: 'invalid_json' });
  });

  test('a body breaking the schema is answered 400 with its issues', async () => {
    // Act
    const response = await deliver(jsonEvent(notificationBody({ processId: 'nope', flow: 'has space' })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.json.error).toBe('invalid_payload');
    expect(response.json.issues).toEqual(
      expect.arrayContaining([
        { path: 'processId', message: expect.any(String) },
        { path: 'flow', message: expect.any(String) },
      ]),
    );
    expect(awsRequests()).toBe(0);
  });

  test('a body over 16 KiB is answered 413', async () => {
    // Prepare
    const body = JSON.stringify({ ...notificationBody(), padding: 'x'.repeat(16_384) });

    // Act
    const response = await deliver(webhookEvent({ body }));

    // Assess
    expect(response.statusCode).toBe(413);
    expect(response.json).toEqual({ error: 'payload_too_large' });
    expect(awsRequests()).toBe(0);
  });

  test('a base64-encoded body is decoded', async () => {
    // Prepare
    const body = Buffer.from(JSON.stringify(notificationBody()), 'utf8').toString('base64');

    // Act
    const response = await deliver(
      webhookEvent({ body, isBase64Encoded: true, headers: { 'content-type': 'application/octet-stream' } }),
    );

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.json).toEqual({ status: 'accepted', processId: PROCESS_ID });
  });

  test('a claim store failure is answered 503 and nothing is enqueued', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(new Error('InternalServerError'));

    // Act
    const response = await deliver(jsonEvent(notificationBody()));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.json).toEqual({ error: 'unavailable' });
    expect(sqs.calls()).toHaveLength(0);
  });

  test('a queue failure is answered 503 and the claim stays for the retry to send again', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('ServiceUnavailable'));

    // Act
    const response = await deliver(jsonEvent(notificationBody()));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.json).toEqual({ error: 'unavailable' });
    expect(response.headers?.['retry-after']).toBe('1');
    expect(dynamodb.calls().map((call) => call.args[0].constructor.name)).toEqual(['PutItemCommand']);
  });

  test('after a 503, the retry of the same delivery is accepted', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejectsOnce(new Error('ServiceUnavailable')).resolves({ MessageId: 'm-2' });
    const handler = handlerWith();
    const first = await deliver(jsonEvent(notificationBody()), handler);

    // Act
    const retry = await deliver(jsonEvent(notificationBody()), handler);

    // Assess
    expect(first.statusCode).toBe(503);
    expect(retry.statusCode).toBe(202);
  });

  test('an unreadable credential store is answered 503, not 401', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('basic', async () => {
      throw new Error('AccessDeniedException');
    });

    // Act
    const response = await deliver(
      jsonEvent(notificationBody(), { authorization: basicAuthorization('unico', PASSWORD) }),
      handlerWith(authenticator),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(awsRequests()).toBe(0);
  });

  test('an unexpected failure is answered 500 without its details', async () => {
    // Prepare
    const broken: Authenticator = {
      authenticate: async () => {
        throw new TypeError(`cannot read ${PASSWORD}`);
      },
    };

    // Act
    const response = await deliver(jsonEvent(notificationBody()), handlerWith(broken));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.json).toEqual({ error: 'internal_error' });
  });

  test('no answer ever carries the password, request content or a stack trace', async () => {
    // Prepare
    const secretBody = notificationBody({ lastEventDescription: PASSWORD, processId: 'x', note: PASSWORD });
    const withPassword = { authorization: basicAuthorization('unico', PASSWORD) };
    const wrongPassword = { authorization: basicAuthorization(PASSWORD, PASSWORD.slice(1)) };
    const leaky = new Error(`boom ${PASSWORD}`);
    const scenarios: Array<() => Promise<APIGatewayProxyStructuredResultV2>> = [
      () => deliver(jsonEvent(notificationBody(), wrongPassword), handlerWith(basicAuthenticator())),
      () => deliver(jsonEvent(secretBody, withPassword), handlerWith(basicAuthenticator())),
      () => deliver(jsonEvent(`{"p":"${PASSWORD}"`, withPassword), handlerWith(basicAuthenticator())),
      () => {
        dynamodb.on(PutItemCommand).rejects(leaky);
        return deliver(jsonEvent(notificationBody(), withPassword), handlerWith(basicAuthenticator()));
      },
      () => {
        dynamodb.on(PutItemCommand).resolves({});
        sqs.on(SendMessageCommand).rejects(leaky);
        return deliver(jsonEvent(notificationBody(), withPassword), handlerWith(basicAuthenticator()));
      },
      () =>
        deliver(
          jsonEvent(notificationBody(), withPassword),
          handlerWith({
            authenticate: async () => {
              throw leaky;
            },
          }),
        ),
    ];

    // Act
    const responses: APIGatewayProxyStructuredResultV2[] = [];
    for (const scenario of scenarios) responses.push(await scenario());

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([401, 400, 400, 503, 503, 500]);
    for (const response of responses) {
      const text = JSON.stringify({ body: response.body, headers: response.headers });
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('boom');
      expect(text).not.toMatch(/\bat .*\(.*:\d+:\d+\)|\.ts:\d+/);
    }
  });
});

describe('intake handler logs', () => {
  const output = captureOutput();

  // Regression: the 5xx log line carries the whole cause chain; a secret stored as plain text
  // instead of JSON makes JSON.parse fail with a message quoting the secret.
  test('a secret stored as plain text is never written to the logs', async () => {
    // Prepare
    const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
    mockClient(secretsClient).on(GetSecretValueCommand).resolves({ SecretString: PASSWORD, Name: 'webhook' });
    const credentials = secretCredentialSource({
      secrets: new SecretsManagerJsonSecrets(secretsClient),
      secretId: 'webhook',
      mode: 'basic',
      defaultApiKeyHeader: 'Authorization',
      maxAgeSeconds: 300,
      onStaleUse: () => undefined,
    });
    const logger = new Logger({ serviceName: 'intake-test', logLevel: 'DEBUG' });
    const handler = handlerWith(new StaticCredentialAuthenticator('basic', credentials), logger);

    // Act
    const response = await deliver(jsonEvent(notificationBody(), { authorization: basicAuthorization('unico', 'x') }), handler);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(output.text()).toContain('delivery not taken');
    expect(output.text()).not.toContain(PASSWORD.slice(0, 10));
  });

  test('a dependency that refuses for good is logged at ERROR with dependencyFailure "permanent"', async () => {
    // Prepare
    sqs
      .on(SendMessageCommand)
      .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } }));
    const logger = new Logger({ serviceName: 'intake-test', logLevel: 'DEBUG' });

    // Act
    const response = await deliver(jsonEvent(notificationBody()), handlerWith(new OpenAuthenticator(), logger));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(output.logLines()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', dependency: 'intake queue', dependencyFailure: 'permanent', status: 503 }),
    );
  });

  test('a dependency that fails for now is logged at WARN with dependencyFailure "transient"', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    );
    const logger = new Logger({ serviceName: 'intake-test', logLevel: 'DEBUG' });

    // Act
    const response = await deliver(jsonEvent(notificationBody()), handlerWith(new OpenAuthenticator(), logger));

    // Assess
    expect(response.statusCode).toBe(503);
    const failure = output.logLines().find((line) => line.dependencyFailure !== undefined);
    expect(failure).toEqual(expect.objectContaining({ level: 'WARN', dependency: 'claim store', dependencyFailure: 'transient' }));
  });

  test('a refused delivery is logged without the presented credentials', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'intake-test', logLevel: 'DEBUG' });
    const handler = handlerWith(basicAuthenticator(), logger);
    const presented = basicAuthorization('unico', `${PASSWORD}-guess`);

    // Act
    const response = await deliver(jsonEvent(notificationBody(), { authorization: presented }), handler);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(output.text()).toContain('delivery refused');
    expect(output.text()).not.toContain(presented.slice(6));
    expect(output.text()).not.toContain(PASSWORD);
  });
});
