import { beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { composeTrackingHandler } from '../../../lambdas/tracking/compose.ts';
import { TRACKING_ROUTE_KEYS, type TrackingHandler } from '../../../lambdas/tracking/tracking-handler.ts';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../../lambdas/contracts/fallback-schedule.ts';
import { lambdaContext } from '../../support/unit/intake-events.ts';
import { captureOutput } from '../../support/unit/captured-output.ts';

const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const TABLE = 'tracking';

let dynamodb: AwsClientStub<DynamoDBClient>;
let client: DynamoDBClient;

beforeEach(() => {
  client = new DynamoDBClient({ region: 'us-east-1' });
  dynamodb = mockClient(client);
});

function handlerWith(logger = new Logger({ logLevel: 'SILENT' })): TrackingHandler {
  return composeTrackingHandler({ dynamodb: client, trackingTableName: TABLE, schedule: DEFAULT_FALLBACK_SCHEDULE, logger, clock: () => NOW });
}

/** An HTTP API (payload 2.0) event for one of the tracking routes, as API Gateway hands it over. */
function routeEvent(routeKey: string, processId: string | undefined, body?: string, isBase64Encoded = false): APIGatewayProxyEventV2 {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const rawPath = path.replace('{processId}', processId ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded,
    ...(body === undefined ? {} : { body }),
    ...(processId === undefined ? {} : { pathParameters: { processId } }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'api-id.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api-id',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'backend' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: new Date(NOW).toISOString(),
      timeEpoch: NOW,
    },
  };
}

async function call(event: APIGatewayProxyEventV2, handler = handlerWith()) {
  const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
}

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('PUT /processes/{processId}', () => {
  test('a new process: 201 after one conditional put', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const response = await call(routeEvent(TRACKING_ROUTE_KEYS.track, PROCESS_ID.toUpperCase(), JSON.stringify({ clientReference: 'order-42' })));
    expect(response).toMatchObject({ status: 201, json: { status: 'tracking', processId: PROCESS_ID } });
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const puts = dynamodb.commandCalls(PutItemCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Item: { processId: { S: PROCESS_ID }, clientReference: { S: 'order-42' }, nextCheckAt: { N: String(NOW + 900_000) } },
    });
  });

  test('a known process: 200, nothing changed', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    expect(await call(routeEvent(TRACKING_ROUTE_KEYS.track, PROCESS_ID))).toMatchObject({ status: 200, json: { status: 'tracking', processId: PROCESS_ID } });
  });

  test('a base64 body (non-text content type) is read too', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const encoded = Buffer.from(JSON.stringify({ clientReference: 'b64' })).toString('base64');
    expect((await call(routeEvent(TRACKING_ROUTE_KEYS.track, PROCESS_ID, encoded, true))).status).toBe(201);
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.clientReference).toEqual({ S: 'b64' });
  });

  test.each([
    ['not-a-uuid', '{}', 400, { error: 'invalid_process_id' }],
    [PROCESS_ID, '{"expiresAt":', 400, { error: 'invalid_json' }],
    [PROCESS_ID, '[1]', 400, { error: 'invalid_json' }],
    [PROCESS_ID, '{"expiresAt":"2020-01-01T00:00:00Z"}', 400, { error: 'invalid_payload', issues: [{ path: 'expiresAt', message: 'must be in the future' }] }],
    [PROCESS_ID, JSON.stringify({ clientReference: 'x'.repeat(5000) }), 413, { error: 'payload_too_large' }],
  ])('%s %s: %i', async (processId, body, status, json) => {
    const response = await call(routeEvent(TRACKING_ROUTE_KEYS.track, processId, body));
    expect(response).toEqual({ status, headers: expect.any(Object), json });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

describe('POST /processes/{processId}/journey-finished', () => {
  test('202: the check brought forward to a minute from now', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await call(routeEvent(TRACKING_ROUTE_KEYS.journeyFinished, PROCESS_ID))).toMatchObject({
      status: 202,
      json: { status: 'journey_finished', processId: PROCESS_ID },
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':checkBy']).toEqual({ N: String(NOW + 60_000) });
  });

  test('404 for a process never tracked', async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed());
    expect(await call(routeEvent(TRACKING_ROUTE_KEYS.journeyFinished, PROCESS_ID))).toMatchObject({ status: 404, json: { error: 'not_found' } });
  });
});

describe('GET /processes/{processId}', () => {
  test('200 with the status view: no client reference', async () => {
    dynamodb.on(GetItemCommand).resolves({
      Item: {
        processId: { S: PROCESS_ID },
        status: { S: 'notified' },
        trackedAt: { S: '2025-06-15T11:00:00.000Z' },
        expiresAt: { S: '2025-06-22T11:00:00.000Z' },
        clientReference: { S: 'customer-12345678900' },
        checks: { N: '0' },
        notifiedAt: { S: '2025-06-15T11:10:00.000Z' },
        detectedBy: { S: 'webhook' },
      },
    });
    const response = await call(routeEvent(TRACKING_ROUTE_KEYS.status, PROCESS_ID));
    expect(response).toMatchObject({
      status: 200,
      json: {
        processId: PROCESS_ID,
        status: 'notified',
        trackedAt: '2025-06-15T11:00:00.000Z',
        expiresAt: '2025-06-22T11:00:00.000Z',
        checks: 0,
        notifiedAt: '2025-06-15T11:10:00.000Z',
        detectedBy: 'webhook',
      },
    });
    expect(JSON.stringify(response.json)).not.toContain('customer');
  });

  test('404 unknown; 400 without a processId', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    expect(await call(routeEvent(TRACKING_ROUTE_KEYS.status, PROCESS_ID))).toMatchObject({ status: 404, json: { error: 'not_found' } });
    expect(await call(routeEvent(TRACKING_ROUTE_KEYS.status, undefined))).toMatchObject({ status: 400, json: { error: 'invalid_process_id' } });
  });

  test('a store failure: 503 unavailable with Retry-After, no detail', async () => {
    dynamodb.on(GetItemCommand).rejects(new Error('socket hang up at 10.0.0.1'));
    const response = await call(routeEvent(TRACKING_ROUTE_KEYS.status, PROCESS_ID));
    expect(response).toEqual({ status: 503, headers: expect.objectContaining({ 'retry-after': '1' }), json: { error: 'unavailable' } });
  });
});

test('a route the function does not serve: 404', async () => {
  expect(await call(routeEvent('DELETE /processes/{processId}', PROCESS_ID))).toMatchObject({ status: 404, json: { error: 'not_found' } });
});

describe('tracking handler logs', () => {
  const output = captureOutput();

  test('tracking started is logged with the processId, never the client reference', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await call(routeEvent(TRACKING_ROUTE_KEYS.track, PROCESS_ID, JSON.stringify({ clientReference: 'customer-12345678900' })), handlerWith(new Logger({ logLevel: 'DEBUG' })));
    expect(output.logLines()).toEqual([expect.objectContaining({ message: 'tracking started', processId: PROCESS_ID, outcome: 'created', correlation_id: 'request-1' })]);
    expect(output.text()).not.toContain('customer-12345678900');
  });

  test('a refused request at WARN with its status; a missing table at ERROR as a permanent dependency failure', async () => {
    const logger = new Logger({ logLevel: 'DEBUG' });
    const handler = handlerWith(logger);
    await call(routeEvent(TRACKING_ROUTE_KEYS.track, PROCESS_ID, JSON.stringify({ clientReference: 'has space customer-1' })), handler);
    dynamodb.on(GetItemCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }));
    await call(routeEvent(TRACKING_ROUTE_KEYS.status, PROCESS_ID), handler);
    expect(output.logLines().map((line) => [line.level, line.message, line.status, line.dependencyFailure])).toEqual([
      ['WARN', 'tracking request refused', 400, undefined],
      ['ERROR', 'tracking request not served: a dependency refused it', 503, 'permanent'],
    ]);
    expect(output.text()).not.toContain('customer-1');
  });
});
