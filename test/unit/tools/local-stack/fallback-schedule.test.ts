import { describe, expect, test } from '@jest/globals';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFallbackSchedule } from '../../../../tools/local-stack/fallback-schedule.ts';

describe('the local fallback schedule', () => {
  test('runs every interval with a scheduled event and the function\'s remaining time', async () => {
    const runs: Array<{ event: ScheduledEvent; remaining: number; at: number }> = [];
    const schedule = startFallbackSchedule({
      handler: async (event, context: Context) => {
        runs.push({ event, remaining: context.getRemainingTimeInMillis(), at: Date.now() });
      },
      functionName: 'unico-webhook-fallback',
      intervalMs: 40,
      functionTimeoutMs: 60_000,
      onError: () => undefined,
    });
    await sleep(150);
    await schedule.stop();

    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(4);
    expect(runs[0]?.event['detail-type']).toBe('Scheduled Event');
    expect(runs[0]?.remaining).toBeGreaterThan(59_000);
    expect(runs[0]?.remaining).toBeLessThanOrEqual(60_000);
  });

  test('one run at a time: a run longer than the period delays the next, and stop waits for it', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let ended = 0;
    const schedule = startFallbackSchedule({
      handler: async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(60);
        running -= 1;
        ended += 1;
      },
      functionName: 'f',
      intervalMs: 10,
      functionTimeoutMs: 1000,
      onError: () => undefined,
    });
    await sleep(100);
    await schedule.stop();
    const endedAtStop = ended;
    await sleep(80);

    expect(mostAtOnce).toBe(1);
    expect(endedAtStop).toBeGreaterThanOrEqual(1);
    expect(running).toBe(0);
    expect(ended).toBe(endedAtStop);
  });

  test('a failed run is reported and the schedule goes on', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const failure = new Error('tracking table unavailable');
    const schedule = startFallbackSchedule({
      handler: async () => {
        calls += 1;
        throw failure;
      },
      functionName: 'f',
      intervalMs: 20,
      functionTimeoutMs: 1000,
      onError: (error) => errors.push(error),
    });
    await sleep(90);
    await schedule.stop();

    expect(calls).toBeGreaterThanOrEqual(2);
    expect(errors).toEqual(Array.from({ length: calls }, () => failure));
  });

  test('stopped before the first period: never runs', async () => {
    let calls = 0;
    const schedule = startFallbackSchedule({
      handler: async () => {
        calls += 1;
      },
      functionName: 'f',
      intervalMs: 30,
      functionTimeoutMs: 1000,
      onError: () => undefined,
    });
    await schedule.stop();
    await sleep(60);
    expect(calls).toBe(0);
  });
});

describe('FALLBACK_INTERVAL_SECONDS', () => {
  test('defaults to the local period, takes whole seconds, and refuses 0', async () => {
    const { loadLocalStackOptions } = await import('../../../../tools/local-stack/config.ts');
    const { FALLBACK_INTERVAL } = await import('../../../../lambdas/contracts/fallback-schedule.ts');
    expect(loadLocalStackOptions({}, false).fallbackIntervalSeconds).toBe(FALLBACK_INTERVAL.localSeconds);
    expect(loadLocalStackOptions({ FALLBACK_INTERVAL_SECONDS: '3' }, false).fallbackIntervalSeconds).toBe(3);
    expect(() => loadLocalStackOptions({ FALLBACK_INTERVAL_SECONDS: '0' }, false)).toThrow('FALLBACK_INTERVAL_SECONDS: must be an integer from 1 to 3600');
  });
});
