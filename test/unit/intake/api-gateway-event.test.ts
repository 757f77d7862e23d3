/**
 * The REST API front (API Gateway v1 proxy events) and the HTTP API front (payload 2.0) reach the
 * same handlers: the event is brought to one shape at the handler's edge (api-gateway-event.ts).
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { httpApiEvent } from '../../../lambdas/intake/api-gateway-event.ts';
import { composeTrackingHandler } from '../../../lambdas/tracking/compose.ts';
import { StaticCredentialAuthenticator } from '../../../lambdas/core/auth/static-credentials.ts';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../../lambdas/contracts/fallback-schedule.ts';
import { lambdaContext, notificationBody, PROCESS_ID, webhookEvent } from '../../support/unit/intake-events.ts';
import { mockedIntake, mockedIntakeAws, type MockedIntakeAws } from '../../support/unit/mocked-intake.ts';

const RECEIVED_AT = Date.parse('2025-06-15T12:00:00.000Z');
const BASIC = `Basic ${Buffer.from('unico:right-password').toString('base64')}`;

/** A REST API (v1 proxy) event as API Gateway hands it over; header names as the client typed them. */
function restEvent(options: {
  readonly method?: string;
  readonly resource?: string;
  readonly path?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly multiValueHeaders?: Record<string, string[]>;
  readonly pathParameters?: Record<string, string> | null;
}): APIGatewayProxyEvent {
  const multiValueHeaders = options.multiValueHeaders ?? { 'Content-Type': ['application/json'] };
  const method = options.method ?? 'POST';
  const resource = options.resource ?? '/webhooks/unico';
  const path = options.path ?? resource;
  return {
    resource,
    path,
    httpMethod: method,
    // API Gateway keeps the last value of each header here.
    headers: Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values.at(-1) ?? ''])),
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body === undefined ? null : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'rest-id',
      authorizer: null,
      domainName: 'rest-id.execute-api.sa-east-1.amazonaws.com',
      domainPrefix: 'rest-id',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.9',
        user: null,
        userAgent: 'unico-webhooks',
        userArn: null,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'rest-request-1',
      requestTimeEpoch: RECEIVED_AT,
      resourceId: 'abc123',
      resourcePath: resource,
      stage: 'prod',
    },
  };
}

describe('httpApiEvent', () => {
  test('an HTTP API event passes unchanged', () => {
    const event = webhookEvent({ body: '{}' });

    expect(httpApiEvent(event)).toBe(event);
  });

  test('a REST event: lower-case headers, repeated ones joined, route key, request id and receive time', () => {
    // Prepare
    const event = restEvent({
      body: '{"a":1}',
      multiValueHeaders: { 'Content-Type': ['application/json'], 'X-Forwarded-For': ['198.51.100.1', '10.0.0.1'], 'x-forwarded-for': ['10.0.0.2'] },
    });

    // Act
    const normalised = httpApiEvent(event);

    // Assess
    expect(normalised.headers).toEqual({ 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1,10.0.0.1,10.0.0.2' });
    expect(normalised.routeKey).toBe('POST /webhooks/unico');
    expect(normalised.body).toBe('{"a":1}');
    expect(normalised.isBase64Encoded).toBe(false);
    expect(normalised.requestContext).toMatchObject({
      requestId: 'rest-request-1',
      timeEpoch: RECEIVED_AT,
      http: { method: 'POST', sourceIp: '203.0.113.9', path: '/webhooks/unico' },
    });
  });

  test('a REST event without multiValueHeaders or a body: its headers, no body', () => {
    const event = { ...restEvent({}), multiValueHeaders: undefined as unknown as Record<string, string[]>, headers: { Authorization: BASIC } };

    const normalised = httpApiEvent(event);

    expect(normalised.headers).toEqual({ authorization: BASIC });
    expect(normalised).not.toHaveProperty('body');
  });
});

describe('the intake behind the REST API', () => {
  let aws: MockedIntakeAws;
  let handler: ReturnType<typeof mockedIntake>;

  beforeEach(() => {
    aws = mockedIntakeAws('sa-east-1');
    handler = mockedIntake(
      aws,
      new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: 'unico', password: 'right-password' }]),
      () => RECEIVED_AT + 100,
    );
  });

  const deliver = async (event: APIGatewayProxyEventV1) =>
    (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;

  test('a base64 body with credentials in a header spelled Authorization is accepted, received when API Gateway says', async () => {
    // Act
    const response = await deliver(
      restEvent({
        body: Buffer.from(JSON.stringify(notificationBody())).toString('base64'),
        isBase64Encoded: true,
        multiValueHeaders: { Authorization: [BASIC], 'Content-Type': ['application/octet-stream'] },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toEqual({ status: 'accepted', processId: PROCESS_ID });
    const sent = JSON.parse(aws.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}') as Record<string, unknown>;
    expect(sent.receivedAt).toBe(new Date(RECEIVED_AT).toISOString());
  });

  test('the credentials sent twice are one joined header value: refused, nothing reaches AWS', async () => {
    const response = await deliver(
      restEvent({ body: JSON.stringify(notificationBody()), multiValueHeaders: { Authorization: [BASIC, BASIC] } }),
    );

    expect(response.statusCode).toBe(401);
    expect(aws.dynamodb.calls()).toHaveLength(0);
  });
});

type APIGatewayProxyEventV1 = APIGatewayProxyEvent;

describe('the tracking routes behind the REST API', () => {
  test('GET /processes/{processId} is routed by method and resource, the id from the path parameters', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'sa-east-1' });
    const dynamodb = mockClient(client);
    dynamodb.on(GetItemCommand).resolves({});
    const handler = composeTrackingHandler({
      dynamodb: client,
      trackingTableName: 'tracking',
      schedule: DEFAULT_FALLBACK_SCHEDULE,
      logger: new Logger({ logLevel: 'SILENT' }),
      clock: () => RECEIVED_AT,
    });

    // Act
    const response = (await handler(
      restEvent({
        method: 'GET',
        resource: '/processes/{processId}',
        path: `/processes/${PROCESS_ID}`,
        pathParameters: { processId: PROCESS_ID },
      }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;

    // Assess: an unknown process is looked up (not a 404 for an unknown route) and not found.
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'not_found' });
  });
});
