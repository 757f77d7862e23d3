import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseAuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { TrackingApiError, TrackingClient } from '../../lambdas/contracts/tracking-client.ts';
import { startLocalStack, type RunningLocalStack } from '../../tools/local-stack/local-stack.ts';

/**
 * The tracking routes through the local API (the real tracking handler over the emulators),
 * spoken to with the client the integrator's backend uses, unsigned as on loopback.
 */
let stack: RunningLocalStack;
let client: TrackingClient;
let trackingUrl: string;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, auth: parseAuthSpec('none'), responseDeadlineMs: 5000, endpointsFile: null, runProcessor: false, logFormat: 'text', writeLine: () => undefined });
  trackingUrl = stack.endpoints.trackingUrl ?? '';
  client = new TrackingClient({ url: trackingUrl });
});

afterAll(async () => {
  await stack?.stop();
});

const put = (processId: string, body: string) =>
  fetch(`${trackingUrl}/${processId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body }).then(async (response) => ({
    status: response.status,
    json: (await response.json()) as unknown,
  }));

describe('tracking through the local API', () => {
  test('the endpoints name the tracking URL on the same API as the webhook, and the tracking table', () => {
    expect(trackingUrl).toBe(stack.endpoints.webhookUrl.replace('/webhooks/unico', '/processes'));
    expect(stack.endpoints.dynamodb.tables.tracking).toBe('unico-tracking');
  });

  test('track, track again, read the status, signal the journey\'s end', async () => {
    const processId = randomUUID();
    const startedAt = Date.now();

    const first = await client.track(processId.toUpperCase(), { clientReference: 'order-42', expiresAt: new Date(startedAt + 86_400_000) });
    const again = await client.track(processId);
    expect(first).toEqual({ status: 'tracking', processId, created: true });
    expect(again).toEqual({ status: 'tracking', processId, created: false });

    const tracked = await client.status(processId);
    expect(tracked).toMatchObject({ processId, status: 'tracking', checks: 0, expiresAt: new Date(startedAt + 86_400_000).toISOString() });
    // The first check waits the schedule's first delay (15 minutes by default).
    expect(Date.parse(tracked?.nextCheckAt ?? '') - startedAt).toBeGreaterThan(14 * 60_000);
    expect(JSON.stringify(tracked)).not.toContain('order-42');

    await expect(client.journeyFinished(processId)).resolves.toEqual({ status: 'journey_finished', processId });
    const signalled = await client.status(processId);
    expect(signalled?.journeyFinishedAt).toBeDefined();
    // Locally a journey-finished process is due at once (the next fallback run may already have looked at it).
    if (signalled?.status === 'tracking') expect(Date.parse(signalled.nextCheckAt ?? '')).toBeLessThanOrEqual(Date.now());
  });

  test('a process never tracked: no status, and journey-finished answers 404', async () => {
    const processId = randomUUID();
    await expect(client.status(processId)).resolves.toBeUndefined();
    const error = await client.journeyFinished(processId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrackingApiError);
    expect(error).toMatchObject({ status: 404, error: 'not_found' });
  });

  test('bad input gets the webhook\'s kind of 400, too large a body 413', async () => {
    expect(await put('not-a-uuid', '{}')).toEqual({ status: 400, json: { error: 'invalid_process_id' } });
    expect(await put(randomUUID(), '{"clientReference":')).toEqual({ status: 400, json: { error: 'invalid_json' } });
    expect(await put(randomUUID(), JSON.stringify({ expiresAt: '2020-01-01T00:00:00Z', clientReference: 'has spaces' }))).toEqual({
      status: 400,
      json: {
        error: 'invalid_payload',
        issues: [
          { path: 'expiresAt', message: 'must be in the future' },
          { path: 'clientReference', message: 'must be 1 to 128 of A-Z a-z 0-9 _ . : / -' },
        ],
      },
    });
    expect(await put(randomUUID(), JSON.stringify({ padding: 'x'.repeat(5000) }))).toEqual({ status: 413, json: { error: 'payload_too_large' } });
  });
});
