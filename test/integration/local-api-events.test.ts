import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalApi, type RunningLocalApi } from '../../tools/local-stack/local-api.ts';

/** The local stack must hand handlers what API Gateway (HTTP API, payload 2.0) hands them in AWS. */
let api: RunningLocalApi;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalApi(
    [
      {
        method: 'POST',
        path: '/webhooks/unico',
        functionName: 'capture',
        timeoutMs: 1000,
        handler: async (event) => {
          seen.push(event);
          return { statusCode: 204 };
        },
      },
      {
        method: 'GET',
        path: '/processes/{processId}',
        functionName: 'capture',
        timeoutMs: 1000,
        handler: async (event) => {
          seen.push(event);
          return { statusCode: 200, body: '{}' };
        },
      },
      {
        method: 'POST',
        path: '/slow',
        functionName: 'slow',
        timeoutMs: 100,
        handler: () => new Promise(() => undefined),
      },
    ],
    0,
  );
});

afterAll(async () => {
  await api.stop();
});

async function capture(path: string, init: RequestInit): Promise<APIGatewayProxyEventV2> {
  const before = seen.length;
  await fetch(`${api.url}${path}`, init);
  const event = seen[before];
  if (event === undefined) throw new Error('the handler saw no event');
  return event;
}

describe('local API Gateway events', () => {
  test('a JSON delivery arrives as text and passes the HTTP API v2 event schema', async () => {
    const body = JSON.stringify({ processId: 'p' });

    const event = await capture('/webhooks/unico?x=1', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': 'k', cookie: 'a=1; b=2' },
      body,
    });

    expect(() => APIGatewayProxyEventV2Schema.parse(event)).not.toThrow();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/unico',
      rawPath: '/webhooks/unico',
      rawQueryString: 'x=1',
      queryStringParameters: { x: '1' },
      cookies: ['a=1', 'b=2'],
      body,
      isBase64Encoded: false,
    });
    expect(event.headers['x-api-key']).toBe('k');
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: '/webhooks/unico', sourceIp: '127.0.0.1' });
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
  });

  test('a body of a binary content type arrives base64-encoded', async () => {
    const bytes = Buffer.from('{"processId":"p"}');

    const event = await capture('/webhooks/unico', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    expect(() => APIGatewayProxyEventV2Schema.parse(event)).not.toThrow();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').equals(bytes)).toBe(true);
  });

  test('path parameters are extracted and a body-less request has no body', async () => {
    const event = await capture('/processes/abc-123', { method: 'GET' });

    expect(() => APIGatewayProxyEventV2Schema.parse(event)).not.toThrow();
    expect(event.routeKey).toBe('GET /processes/{processId}');
    expect(event.pathParameters).toEqual({ processId: 'abc-123' });
    expect(event.body).toBeUndefined();
  });

  test('unknown routes answer 404 and a function past its timeout 503, as API Gateway does', async () => {
    const unknown = await fetch(`${api.url}/elsewhere`, { method: 'POST' });
    const slow = await fetch(`${api.url}/slow`, { method: 'POST' });

    expect(unknown.status).toBe(404);
    expect(slow.status).toBe(503);
  });
});
