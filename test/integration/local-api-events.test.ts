import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FunctionInstances, startLocalApi, type RunningLocalApi } from '../../tools/local-stack/local-api.ts';

/** The local stack must hand handlers what API Gateway (HTTP API, payload 2.0) hands them in AWS. */
let api: RunningLocalApi;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalApi(
    [
      {
        method: 'POST',
        path: '/webhooks/unico',
        target: new FunctionInstances('capture', 1000, () => async (event) => {
          seen.push(event);
          return { statusCode: 204 };
        }),
      },
      {
        method: 'GET',
        path: '/processes/{processId}',
        target: new FunctionInstances('capture', 1000, () => async (event) => {
          seen.push(event);
          return { statusCode: 200, body: '{}' };
        }),
      },
      {
        method: 'POST',
        path: '/slow',
        target: new FunctionInstances('slow', 100, () => () => new Promise(() => undefined)),
      },
    ],
    0,
  );
});

afterAll(async () => {
  await api.stop();
});

/**
 * Sends a POST with headers exactly as given: a header whose value is an array goes out as that
 * many header lines (fetch would join them into one line before sending).
 */
function postRaw(path: string, headers: Record<string, string | string[]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${api.url}${path}`, { method: 'POST', headers: headers as OutgoingHttpHeaders }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end('{}');
  });
}

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

  test('repeated headers arrive joined with commas, Authorization included, as API Gateway v2 joins them', async () => {
    const before = seen.length;

    await postRaw('/webhooks/unico', { authorization: ['right', 'wrong'], 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] });

    const event = seen[before];
    // Node's request.headers keeps only the first Authorization line; API Gateway passes both.
    expect(event?.headers.authorization).toBe('right,wrong');
    expect(event?.headers['x-forwarded-for']).toBe('1.1.1.1,2.2.2.2');
  });

  test('repeated query parameters arrive joined with commas', async () => {
    const event = await capture('/webhooks/unico?a=1&a=2&b=3', { method: 'POST' });

    expect(event.queryStringParameters).toEqual({ a: '1,2', b: '3' });
    expect(event.rawQueryString).toBe('a=1&a=2&b=3');
  });
});

describe('function instances', () => {
  /** A handler that waits until released, so that invocations overlap. */
  function gatedInstances() {
    const releases: Array<() => void> = [];
    const created: number[] = [];
    const instances = new FunctionInstances('gated', 1000, () => {
      const instance = created.length;
      created.push(instance);
      return async (): Promise<APIGatewayProxyStructuredResultV2> => {
        await new Promise<void>((resolve) => releases.push(resolve));
        return { statusCode: 200, body: String(instance) };
      };
    });
    return { instances, releases, created };
  }
  const event = { requestContext: {} } as APIGatewayProxyEventV2;
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test('concurrent invocations each get an instance of their own; a finished instance is used again', async () => {
    const { instances, releases } = gatedInstances();

    const concurrent = [instances.invoke(event), instances.invoke(event), instances.invoke(event)];
    await settle();
    for (const release of releases.splice(0)) release();
    const bodies = (await Promise.all(concurrent)).map((result) => result?.body);
    const next = instances.invoke(event);
    await settle();
    for (const release of releases.splice(0)) release();

    expect(new Set(bodies)).toEqual(new Set(['0', '1', '2']));
    expect(['0', '1', '2']).toContain((await next)?.body);
    expect(instances.started).toBe(3);
  });

  test('an instance that ran past the timeout answers undefined and is not used again', async () => {
    const instances = new FunctionInstances('slow', 20, () => () => new Promise(() => undefined));

    const first = await instances.invoke(event);
    const second = await instances.invoke(event);

    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
    expect(instances.started).toBe(2);
  });
});
