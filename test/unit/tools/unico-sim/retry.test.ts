import { describe, expect, it } from '@jest/globals';
import { StaticCredentials, type Credentials } from '../../../../tools/unico-sim/credentials.ts';
import { backoffDelayMs, backoffSchedule, deliverWithRetry, type RetryPolicy } from '../../../../tools/unico-sim/retry.ts';
import type { HttpOutcome } from '../../../../tools/unico-sim/http-sender.ts';
import { answer, recordingSleep, refused, scriptedSender, timeout } from './fakes.ts';

const policy: RetryPolicy = { maxAttempts: 4, intervalMs: 1000, maxIntervalMs: 60_000, jitter: false, timeoutMs: 5000 };
const none = new StaticCredentials({ mode: 'none' });

async function run(outcomes: HttpOutcome[], overrides: Partial<RetryPolicy> = {}, credentials: Credentials = none) {
  const sender = scriptedSender(outcomes);
  const sleeper = recordingSleep();
  const result = await deliverWithRetry('http://endpoint/webhooks/unico', '{"x":1}', { ...policy, ...overrides }, {
    send: sender.send, credentials, sleep: sleeper.sleep, random: () => 0.5, slots: undefined,
  });
  return { result, waits: sleeper.waits, requests: sender.requests };
}

describe('backoff schedule', () => {
  it('waits interval × 2^(n-1) after the n-th failed attempt', () => {
    expect(backoffSchedule(policy)).toEqual([1000, 2000, 4000]);
    expect(backoffSchedule({ ...policy, maxAttempts: 3 })).toEqual([1000, 2000]);
    expect(backoffSchedule({ ...policy, maxAttempts: 1 })).toEqual([]);
    expect(backoffSchedule({ ...policy, intervalMs: 250, maxAttempts: 6 })).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('caps each wait at the maximum interval', () => {
    expect(backoffSchedule({ ...policy, intervalMs: 10_000, maxIntervalMs: 25_000, maxAttempts: 5 }))
      .toEqual([10_000, 20_000, 25_000, 25_000]);
  });

  it('with jitter draws between half and all of the nominal wait', () => {
    const jittered = { ...policy, jitter: true };
    expect(backoffDelayMs(3, jittered, () => 0)).toBe(2000);
    expect(backoffDelayMs(3, jittered, () => 0.5)).toBe(3000);
    expect(backoffDelayMs(3, jittered, () => 0.999_999)).toBeCloseTo(4000, 0);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(4000);
  });
});

describe('deliverWithRetry', () => {
  it('does not retry a 2xx', async () => {
    const { result, waits, requests } = await run([answer(202)]);
    expect(result.delivered).toBe(true);
    expect(result.attempts).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('retries 5xx, 429, a timeout and a network error with the exact schedule, then succeeds', async () => {
    const { result, waits, requests } = await run([answer(503), answer(429), timeout(), refused(), answer(200)], { maxAttempts: 5 });
    expect(result.delivered).toBe(true);
    expect(result.attempts.map((a) => a.bucket)).toEqual(['503', '429', 'timeout', 'network_error', '200']);
    expect(result.attempts.map((a) => a.waitedMs)).toEqual([0, 1000, 2000, 4000, 8000]);
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(requests).toHaveLength(5);
  });

  it('retries a 4xx too: Unico retries anything that is not 2xx', async () => {
    const { result } = await run([answer(400), answer(202)]);
    expect(result.attempts.map((a) => a.bucket)).toEqual(['400', '202']);
  });

  it('stops after max attempts: a permanent failure', async () => {
    const { result, waits, requests } = await run([answer(500), answer(500), answer(500), answer(500)], { maxAttempts: 3 });
    expect(result.delivered).toBe(false);
    expect(result.attempts).toHaveLength(3);
    expect(requests).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('sends the same body with the timeout on every attempt', async () => {
    const { requests } = await run([answer(500), answer(201)]);
    expect(requests.map((r) => [r.method, r.body, r.timeoutMs])).toEqual([['POST', '{"x":1}', 5000], ['POST', '{"x":1}', 5000]]);
    expect(requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('re-sends at once after a 401 when the credentials can be renewed (once per delivery)', async () => {
    let rejections = 0;
    const renewable: Credentials = {
      headers: async () => ({ Authorization: `Bearer t${rejections}` }),
      rejected: () => { rejections += 1; return true; },
      tokenRequests: 0,
    };
    const { result, waits, requests } = await run([answer(401), answer(401), answer(401), answer(401)], {}, renewable);
    expect(result.delivered).toBe(false);
    expect(requests.map((r) => r.headers.Authorization)).toEqual(['Bearer t0', 'Bearer t1', 'Bearer t1', 'Bearer t1']);
    // The re-send with a fresh token waits nothing; later retries follow the schedule from there.
    expect(result.attempts.map((a) => a.waitedMs)).toEqual([0, 0, 2000, 4000]);
    expect(waits).toEqual([2000, 4000]);
    expect(rejections).toBe(1);
  });

  it('keeps the schedule for a 401 with static credentials', async () => {
    const { waits } = await run([answer(401), answer(401), answer(401)], { maxAttempts: 3 });
    expect(waits).toEqual([1000, 2000]);
  });
});
