import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS,
  intakeMaxReceiveCount,
  OUTCOME_RETRY_PERIOD_BOUNDS,
  outcomeRetryPauseMs,
  receivesWithin,
  SPARE_RECEIVES,
} from '../../../lambdas/contracts/outcome-retries.ts';
import { retryDelaySeconds } from '../../../lambdas/processor/retry-delay.ts';

/**
 * A message that fails on every receive, each failure giving it back for `retryDelaySeconds` with
 * the Retry-After of that receive: the receive count of the first receive at or after the period's
 * end (the one that gives up and publishes the outcome's error).
 */
function givingUpReceive(periodSeconds: number, retryAfters: ReadonlyArray<number | undefined>): number {
  let receiveCount = 1;
  let sinceFirstSendMs = 0;
  while (sinceFirstSendMs < periodSeconds * 1000) {
    sinceFirstSendMs += retryDelaySeconds(receiveCount, retryAfters[(receiveCount - 1) % Math.max(1, retryAfters.length)]) * 1000;
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

  test('with no Retry-After at all, the schedule is exactly the one the limit was sized from', () => {
    // Act
    const receive = givingUpReceive(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, [undefined]);

    // Assess
    expect(receive).toBe(receivesWithin(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS));
  });
});
