import { describe, expect, test } from '@jest/globals';
import { FaultQueue, parseFaultSpec } from '../../../../../tools/unico-sim/serve/faults.ts';
import { SimulatorStats } from '../../../../../tools/unico-sim/serve/stats.ts';
import { DropPlan } from '../../../../../tools/unico-sim/serve/webhooks.ts';

const T0 = 1_800_000_000_000;

describe('SimulatorStats', () => {
  test('counts token and GetProcess requests, and the peak of both together in one wall-clock second', () => {
    let now = T0 + 100;
    const stats = new SimulatorStats(() => now);
    const arrive = (kind: 'token' | 'getProcess', at: number) => {
      now = at;
      return stats.arrived(kind);
    };

    arrive('token', T0 + 100);
    arrive('getProcess', T0 + 200);
    arrive('getProcess', T0 + 999);
    arrive('getProcess', T0 + 1000);
    arrive('getProcess', T0 + 1500);
    const last = arrive('getProcess', T0 + 1999);

    expect(last.inSameSecond).toBe(3);
    expect(stats.snapshot()).toMatchObject({ tokenRequests: 1, getProcessRequests: 5, peakRequestsPerSecond: 3 });
  });

  test('the peak within any sliding 1,000 ms sees a burst across a second\'s boundary that the wall-clock peak splits', () => {
    let now = T0;
    const stats = new SimulatorStats(() => now);
    const arriveAt = (...times: number[]) => {
      for (const at of times) {
        now = at;
        stats.arrived('getProcess');
      }
    };

    // 3 late in one second, 3 early in the next: 6 within 200 ms, never more than 3 in a wall-clock second.
    arriveAt(T0 + 900, T0 + 950, T0 + 999, T0 + 1000, T0 + 1050, T0 + 1099);
    expect(stats.snapshot()).toMatchObject({ peakRequestsPerSecond: 3, peakRequestsInAnySecond: 6 });

    // Exactly 1,000 ms apart are not in the same window: T0 + 2000 leaves T0 + 1000 out.
    arriveAt(T0 + 1999, T0 + 2000);
    expect(stats.snapshot().peakRequestsInAnySecond).toBe(6);
    arriveAt(T0 + 2001, T0 + 2002, T0 + 2003, T0 + 2004);
    // (T0 + 1004, T0 + 2004] holds 1050, 1099, 1999, 2000 and the four: 8.
    expect(stats.snapshot()).toMatchObject({ peakRequestsInAnySecond: 8, peakRequestsPerSecond: 5 });

    stats.reset();
    arriveAt(T0 + 2005);
    expect(stats.snapshot()).toMatchObject({ peakRequestsInAnySecond: 1, peakRequestsPerSecond: 1 });
  });

  test('answers by status, GetProcess and token apart; the request log keeps no more than kind, time, id and status', () => {
    const stats = new SimulatorStats(() => T0);
    const token = stats.arrived('token');
    stats.answered(token.entry, 200);
    for (const status of [200, 200, 404, 429]) stats.answered(stats.arrived('getProcess', 'abc').entry, status);

    expect(stats.snapshot()).toMatchObject({ byStatus: { 200: 2, 404: 1, 429: 1 }, tokenByStatus: { 200: 1 } });
    expect(stats.requests()[1]).toEqual({ at: T0, kind: 'getProcess', processId: 'abc', status: 200 });
  });

  test('webhook counts, and reset', () => {
    const stats = new SimulatorStats(() => T0);
    stats.webhook('sent');
    stats.webhook('delivered');
    stats.webhook('dropped');
    stats.arrived('token');
    expect(stats.snapshot().webhooks).toEqual({ sent: 1, delivered: 1, failed: 0, dropped: 1 });

    stats.reset();
    expect(stats.snapshot()).toEqual({
      tokenRequests: 0, getProcessRequests: 0, peakRequestsPerSecond: 0, peakRequestsInAnySecond: 0, byStatus: {}, tokenByStatus: {},
      webhooks: { sent: 0, delivered: 0, failed: 0, dropped: 0 },
    });
    expect(stats.requests()).toEqual([]);
  });
});

describe('faults', () => {
  test.each([
    [{ status: 429, retryAfter: 2, count: 5 }, { target: 'getProcess', status: 429, retryAfter: 2, count: 5 }],
    [{ status: 500, count: 3 }, { target: 'getProcess', status: 500, count: 3 }],
    [{ delayMs: 4000, count: 2 }, { target: 'getProcess', delayMs: 4000, count: 2 }],
    [{ delayMs: 100, status: 503 }, { target: 'getProcess', delayMs: 100, status: 503, count: 1 }],
    [{ target: 'token', status: 400, body: { error: 'invalid_grant' } }, { target: 'token', status: 400, body: { error: 'invalid_grant' }, count: 1 }],
    [{ target: 'getProcess', status: 409, body: null, count: 2 }, { target: 'getProcess', status: 409, body: null, count: 2 }],
    [{ target: 'token', delayMs: 10 }, { target: 'token', delayMs: 10, count: 1 }],
  ])('%j is read', (body, spec) => {
    expect(parseFaultSpec(body)).toEqual(spec);
  });

  test.each([
    [[], 'the body must be a JSON object'],
    [{ count: 2 }, 'give a status, a delayMs, or both'],
    [{ status: 200 }, 'status must be a whole number from 400 to 599'],
    [{ delayMs: 10, retryAfter: 1 }, 'retryAfter goes with a status'],
    [{ status: 429, retryAfter: -1 }, 'retryAfter must be whole seconds from 0 to 86400'],
    [{ delayMs: 1e9 }, 'delayMs must be a whole number from 0 to 120000'],
    [{ status: 500, count: 0 }, 'count must be a whole number from 1 to 1000000'],
    [{ status: 500, times: 2 }, 'unknown field times: use target, status, retryAfter, delayMs, body, count'],
    [{ target: 'identity', status: 500 }, 'target must be "getProcess" or "token"'],
    [{ target: null, status: 500 }, 'target must be "getProcess" or "token"'],
    [{ delayMs: 10, body: { error: 'x' } }, 'body goes with a status'],
  ])('%j is refused: %s', (body, problem) => {
    expect(parseFaultSpec(body)).toBe(problem);
  });

  test('each spec applies to the next count calls, in the order posted; then none', () => {
    const queue = new FaultQueue();
    queue.add({ status: 429, retryAfter: 2, count: 2 });
    queue.add({ status: 500, count: 1 });
    expect(queue.pending).toBe(3);

    expect([queue.take(), queue.take(), queue.take(), queue.take()]).toEqual([
      { status: 429, retryAfter: 2 }, { status: 429, retryAfter: 2 }, { status: 500 }, undefined,
    ]);
    expect(queue.pending).toBe(0);
  });

  test('clear drops what is pending', () => {
    const queue = new FaultQueue();
    queue.add({ delayMs: 5, count: 9 });
    queue.clear();
    expect(queue.take()).toBeUndefined();
  });
});

describe('DropPlan', () => {
  test.each([
    [0, 100, 0],
    [0.3, 100, 30],
    [0.3, 10, 3],
    [0.5, 7, 3],
    [1, 20, 20],
  ])('ratio %d drops exactly floor(n × ratio) of %i', (ratio, count, dropped) => {
    const plan = new DropPlan(ratio);
    const decisions = Array.from({ length: count }, () => plan.next());
    expect(decisions.filter(Boolean)).toHaveLength(dropped);
  });

  test('drops are spread, not bunched at the start', () => {
    const plan = new DropPlan(0.5);
    expect(Array.from({ length: 6 }, () => plan.next())).toEqual([false, true, false, true, false, true]);
  });

  test('a ratio outside 0..1 is refused', () => {
    expect(() => new DropPlan(1.5)).toThrow(RangeError);
  });
});
