import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS,
  OUTCOME_RETRY_DELAY,
  intakeMaxReceiveCount,
  OUTCOME_RETRY_PERIOD_BOUNDS,
  outcomeRetryPauseMs,
  receivesWithin,
  SPARE_RECEIVES,
  type RetryDelaySchedule,
} from '../../../lambdas/contracts/outcome-retries.ts';
import { retryDelaySeconds } from '../../../lambdas/processor/retry-delay.ts';

/**
 * A message that fails on every receive, each failure giving it back for `retryDelaySeconds` with
 * the Retry-After of that receive: the receive count of the first receive at or after the period's
 * end (the one that gives up and publishes the outcome's error).
 */
function givingUpReceive(
  periodSeconds: number,
  retryAfters: ReadonlyArray<number | undefined>,
  schedule: RetryDelaySchedule = OUTCOME_RETRY_DELAY,
): number {
  let receiveCount = 1;
  let sinceFirstSendMs = 0;
  while (sinceFirstSendMs < periodSeconds * 1000) {
    const retryAfterMs = retryAfters[(receiveCount - 1) % Math.max(1, retryAfters.length)];
    sinceFirstSendMs += retryDelaySeconds(receiveCount, retryAfterMs, schedule) * 1000;
    receiveCount += 1;
  }
  return receiveCount;
}

describe('outcomeRetryPauseMs', () => {
  test('30 s doubling on each receive, up to 15 minutes', () => {
    // Act
    const pauses = [1, 2, 3, 4, 5, 6, 7, 1000].map((receiveCount) => outcomeRetryPauseMs(receiveCount));

    // Assess
    expect(pauses).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
  });

  test('the defaults: 30 s first, 15 minutes at most', () => {
    expect(OUTCOME_RETRY_DELAY).toEqual({ initialMs: 30_000, maxMs: 900_000 });
  });

  test('on a schedule of its own', () => {
    // Act
    const pauses = [1, 2, 3, 4].map((receiveCount) => outcomeRetryPauseMs(receiveCount, { initialMs: 1000, maxMs: 5000 }));

    // Assess
    expect(pauses).toEqual([1000, 2000, 4000, 5000]);
  });

  test('a receive count below 1 or with a fraction is taken as the whole count, at least 1', () => {
    // Act
    const pauses = [0, -2, 2.9].map((receiveCount) => outcomeRetryPauseMs(receiveCount));

    // Assess
    expect(pauses).toEqual([30_000, 30_000, 60_000]);
  });
});

describe('receivesWithin', () => {
  test('the default 3 hours: 16 failed receives fill it, the 17th gives up', () => {
    // Act
    const receives = receivesWithin(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS);

    // Assess: 30+60+120+240+480 s, then 900 s each; the 16th pause ends at 10 830 s.
    expect(receives).toBe(17);
  });

  test.each([
    [0, 1],
    [1, 2],
    [30, 2],
    [31, 3],
    [90, 3],
    [91, 4],
    [OUTCOME_RETRY_PERIOD_BOUNDS.minSeconds, 9],
    [OUTCOME_RETRY_PERIOD_BOUNDS.maxSeconds, 677],
  ])('a period of %i s: %i receives', (periodSeconds, receives) => {
    // Act
    const counted = receivesWithin(periodSeconds);

    // Assess
    expect(counted).toBe(receives);
  });
});

describe('receivesWithin, on a schedule of its own', () => {
  test('a 60 s period on 1 s doubling to 8 s: 1+2+4+8 s, then 8 s each until 63 s: 11 receives', () => {
    // Act
    const receives = receivesWithin(60, { initialMs: 1000, maxMs: 8000 });

    // Assess
    expect(receives).toBe(11);
    expect(intakeMaxReceiveCount(60, { initialMs: 1000, maxMs: 8000 })).toBe(11 + SPARE_RECEIVES);
  });
});

describe('intakeMaxReceiveCount', () => {
  test('the schedule\'s receives plus the spares: 22 for the default period', () => {
    // Act
    const limit = intakeMaxReceiveCount(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS);

    // Assess
    expect(limit).toBe(22);
    expect(limit).toBe(receivesWithin(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS) + SPARE_RECEIVES);
  });

  test('for the default period, no run of Retry-After values makes the giving-up receive reach the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 4 * 3_600_000 }), { nil: undefined }), { minLength: 1, maxLength: 40 }),
        (retryAfters) => {
          // Act
          const receive = givingUpReceive(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, retryAfters);

          // Assess
          expect(receive).toBeLessThan(intakeMaxReceiveCount(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS));
          expect(receive + SPARE_RECEIVES).toBeLessThanOrEqual(intakeMaxReceiveCount(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS));
        },
      ),
    );
  });

  test('for any period within the bounds, the giving-up receive stays under the limit, the spares included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: OUTCOME_RETRY_PERIOD_BOUNDS.minSeconds, max: OUTCOME_RETRY_PERIOD_BOUNDS.maxSeconds }),
        fc.array(fc.option(fc.nat({ max: 24 * 3_600_000 }), { nil: undefined }), { minLength: 1, maxLength: 20 }),
        (periodSeconds, retryAfters) => {
          // Act
          const receive = givingUpReceive(periodSeconds, retryAfters);

          // Assess
          expect(receive).toBeLessThanOrEqual(receivesWithin(periodSeconds));
          expect(receive + SPARE_RECEIVES).toBeLessThanOrEqual(intakeMaxReceiveCount(periodSeconds));
        },
      ),
    );
  });

  test('on a shorter schedule too, no run of Retry-After values makes the giving-up receive reach the limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).chain((initialSeconds) =>
          fc.record({
            schedule: fc.integer({ min: initialSeconds, max: 120 }).map((maxSeconds) => ({ initialMs: initialSeconds * 1000, maxMs: maxSeconds * 1000 })),
            periodSeconds: fc.integer({ min: 1, max: 2 * 3600 }),
          }),
        ),
        fc.array(fc.option(fc.nat({ max: 600_000 }), { nil: undefined }), { minLength: 1, maxLength: 20 }),
        ({ schedule, periodSeconds }, retryAfters) => {
          // Act
          const receive = givingUpReceive(periodSeconds, retryAfters, schedule);

          // Assess
          expect(receive + SPARE_RECEIVES).toBeLessThanOrEqual(intakeMaxReceiveCount(periodSeconds, schedule));
        },
      ),
    );
  });

  test('with no Retry-After at all, the schedule is exactly the one the limit was sized from', () => {
    // Act
    const receive = givingUpReceive(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, [undefined]);

    // Assess
    expect(receive).toBe(receivesWithin(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS));
  });
});
