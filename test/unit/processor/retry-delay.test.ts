import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { outcomeRetryPauseMs, SQS_MAX_VISIBILITY_SECONDS } from '../../../lambdas/contracts/outcome-retries.ts';
import { retryDelaySeconds } from '../../../lambdas/processor/retry-delay.ts';

describe('retryDelaySeconds', () => {
  test('without a Retry-After: the back-off on the receive count, 30 s doubling up to 15 minutes', () => {
    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((receiveCount) => retryDelaySeconds(receiveCount, undefined));

    // Assess
    expect(delays).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  test('a receive count below 1 waits as a first receive', () => {
    // Act
    const delays = [0, -4].map((receiveCount) => retryDelaySeconds(receiveCount, undefined));

    // Assess
    expect(delays).toEqual([30, 30]);
  });

  test.each([
    [1, 0, 30],
    [1, 29_999, 30],
    [1, 30_000, 30],
    [1, 45_000, 45],
    [1, 45_001, 46],
    [3, 100_000, 120],
    [3, 120_001, 121],
    [9, 3_600_000, 3600],
  ])('receive %i with a Retry-After of %i ms: the larger of the two, in whole seconds up: %i s', (receiveCount, retryAfterMs, seconds) => {
    // Act
    const delay = retryDelaySeconds(receiveCount, retryAfterMs);

    // Assess
    expect(delay).toBe(seconds);
  });

  test.each([
    [43_200_000, 43_200],
    [43_200_001, 43_200],
    [7 * 24 * 3_600_000, 43_200],
  ])('a Retry-After of %i ms is cut to the 12 hours SQS allows: %i s', (retryAfterMs, seconds) => {
    // Act
    const delay = retryDelaySeconds(1, retryAfterMs);

    // Assess
    expect(delay).toBe(seconds);
    expect(SQS_MAX_VISIBILITY_SECONDS).toBe(43_200);
  });

  test('on a schedule of its own: its first pause doubling up to its longest', () => {
    // Prepare
    const schedule = { initialMs: 2000, maxMs: 7000 };

    // Act
    const delays = [1, 2, 3, 4].map((receiveCount) => retryDelaySeconds(receiveCount, undefined, schedule));

    // Assess
    expect(delays).toEqual([2, 4, 7, 7]);
  });

  test('on a schedule of its own, Retry-After still wins when it is longer', () => {
    // Act
    const delay = retryDelaySeconds(1, 5500, { initialMs: 2000, maxMs: 7000 });

    // Assess
    expect(delay).toBe(6);
  });

  test('never less than a second, since SQS counts visibility in whole seconds', () => {
    // Act
    const delays = [
      retryDelaySeconds(1, undefined, { initialMs: 0, maxMs: 0 }),
      retryDelaySeconds(1, 0, { initialMs: 0, maxMs: 0 }),
      retryDelaySeconds(1, 10, { initialMs: 100, maxMs: 100 }),
    ];

    // Assess
    expect(delays).toEqual([1, 1, 1]);
  });

  test('never less than the back-off, never less than Retry-After (up to 12 h), never more than 12 h, at most a second above both', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 2 * 24 * 3_600_000 }), { nil: undefined }),
        (receiveCount, retryAfterMs) => {
          // Act
          const seconds = retryDelaySeconds(receiveCount, retryAfterMs);

          // Assess
          const asked = Math.max(retryAfterMs ?? 0, outcomeRetryPauseMs(receiveCount));
          expect(Number.isInteger(seconds)).toBe(true);
          expect(seconds * 1000).toBeGreaterThanOrEqual(outcomeRetryPauseMs(receiveCount));
          expect(seconds).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
          expect(seconds * 1000).toBeGreaterThanOrEqual(Math.min(asked, SQS_MAX_VISIBILITY_SECONDS * 1000));
          expect(seconds * 1000).toBeLessThan(asked + 1000);
        },
      ),
    );
  });
});
