import { describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DeliveryLog, describeDelivery } from '../../../../tools/inspector/deliveries.ts';
import { MASK } from '../../../../tools/inspector/masking.ts';

const BASIC = { mode: 'basic', username: 'u', password: 'p' } as const;
const PROCESS_ID = '0B5C8E2A-1C1D-4E3F-9A8B-7C6D5E4F3A2B';

function event(body: string, headers: Record<string, string> = {}, isBase64Encoded = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/unico',
    rawPath: '/webhooks/unico',
    rawQueryString: '',
    headers: { host: '127.0.0.1:3000', 'content-length': String(body.length), ...headers },
    body,
    isBase64Encoded,
    requestContext: { http: { method: 'POST' }, timeEpoch: 1_000 } as APIGatewayProxyEventV2['requestContext'],
  };
}

const answer = (statusCode: number, body: object): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const notification = JSON.stringify({ processId: PROCESS_ID, state: 'PROCESS_STATE_FINISHED', flow: 'id' });

describe('describeDelivery', () => {
  test('an accepted delivery: the notification fields (processId in lower case), status and latency', () => {
    const { detail } = describeDelivery(7, event(notification, { authorization: 'Basic dTpw' }), answer(202, { status: 'accepted' }), 1_042, BASIC);

    expect(detail).toMatchObject({
      id: 7,
      receivedAt: new Date(1_000).toISOString(),
      status: 202,
      outcome: 'accepted',
      processId: PROCESS_ID.toLowerCase(),
      state: 'PROCESS_STATE_FINISHED',
      flow: 'id',
      latencyMs: 42,
    });
    expect(detail.reason).toBeUndefined();
    expect(detail.request.headers.authorization).toBe(`Basic ${MASK}`);
  });

  test('a duplicate is a 2xx whose answer says duplicate', () => {
    expect(describeDelivery(1, event(notification), answer(200, { status: 'duplicate' }), 1_000, BASIC).detail.outcome).toBe('duplicate');
  });

  test('a 401 says whether credentials were presented at all', () => {
    const wrong = describeDelivery(1, event(notification, { authorization: 'Basic eDp5' }), answer(401, { error: 'unauthorized' }), 1_000, BASIC);
    const none = describeDelivery(2, event(notification), answer(401, { error: 'unauthorized' }), 1_000, BASIC);

    expect(wrong.detail).toMatchObject({ outcome: 'refused', reason: 'unauthorized: wrong credentials' });
    expect(none.detail).toMatchObject({ outcome: 'refused', reason: 'unauthorized: no credentials' });
  });

  test("a schema refusal lists the answer's issues", () => {
    const issues = [{ path: 'state', message: 'must match' }];

    const { detail } = describeDelivery(1, event('{"processId":1}'), answer(400, { error: 'invalid_payload', issues }), 1_000, BASIC);

    expect(detail).toMatchObject({ outcome: 'refused', reason: 'invalid_payload (state: must match)' });
    expect(detail.processId).toBeUndefined();
  });

  test('a 5xx failed; a base64 body is shown decoded', () => {
    const { detail } = describeDelivery(1, event(Buffer.from(notification).toString('base64'), {}, true), answer(503, { error: 'unavailable' }), 1_000, BASIC);

    expect(detail).toMatchObject({ outcome: 'failed', reason: 'unavailable', processId: PROCESS_ID.toLowerCase() });
    expect(detail.request.body).toBe(notification);
  });

  test('the raw request keeps the credential for a replay, without the connection headers', () => {
    const { raw } = describeDelivery(1, event(notification, { authorization: 'Basic dTpw' }), answer(202, { status: 'accepted' }), 1_000, BASIC);

    expect(raw).toEqual({ method: 'POST', headers: { authorization: 'Basic dTpw' }, body: notification });
  });
});

describe('DeliveryLog', () => {
  const add = (log: DeliveryLog) => {
    const { detail, raw } = describeDelivery(log.nextId(), event(notification), answer(202, { status: 'accepted' }), 1_000, BASIC);
    log.add(detail, raw);
  };

  test('lists newest first, keeps only the newest, and tells subscribers of each new one', () => {
    const log = new DeliveryLog(2);
    const heard: number[] = [];
    log.subscribe((delivery) => heard.push(delivery.id));

    add(log);
    add(log);
    add(log);

    expect(log.list().map((delivery) => delivery.id)).toEqual([3, 2]);
    expect(log.get(1)).toBeUndefined();
    expect(log.raw(3)?.body).toBe(notification);
    expect(heard).toEqual([1, 2, 3]);
    expect(log.list()[0]).not.toHaveProperty('request');
  });
});
