import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  API_GATEWAY_ACCOUNT_LIMITS,
  capacityProblems,
  SHORTEST_INTAKE_LATENCY_MS,
  throttleProblems,
  UNICO_MAX_CONCURRENCY,
  webhookCapacity,
} from '../../../lambdas/contracts/webhook-capacity.ts';

describe('webhookCapacity', () => {
  test("Unico's maximum of 500 in flight at 50 ms each: 10,000 requests/s, not 500", () => {
    // Act
    const capacity = webhookCapacity(500);

    // Assess
    expect(capacity).toEqual({
      unicoConcurrency: 500,
      rateLimit: 10_000,
      burstLimit: 1000,
      intakeReservedConcurrency: 625,
      requestsPerMinute: 600_000,
    });
  });

  test('small settings round up, never down', () => {
    expect(webhookCapacity(3)).toEqual({
      unicoConcurrency: 3,
      rateLimit: 60,
      burstLimit: 6,
      intakeReservedConcurrency: 4,
      requestsPerMinute: 3600,
    });
    expect(webhookCapacity(10, 30).rateLimit).toBe(334);
  });

  test('a flush at the shortest latency never reaches the stage limits, and every in-flight delivery has a function', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: UNICO_MAX_CONCURRENCY }), (concurrency) => {
        const capacity = webhookCapacity(concurrency);
        const flushPerSecond = concurrency / (SHORTEST_INTAKE_LATENCY_MS / 1000);

        expect(capacity.rateLimit).toBeGreaterThanOrEqual(flushPerSecond);
        expect(capacity.burstLimit).toBeGreaterThanOrEqual(concurrency);
        expect(capacity.intakeReservedConcurrency).toBeGreaterThan(concurrency);
        expect(capacityProblems(concurrency)).toEqual([]);
      }),
    );
  });
});

describe('capacityProblems', () => {
  test('refuses what Unico cannot be set to', () => {
    for (const bad of [0, 501, 2.5, Number.NaN]) {
      expect(capacityProblems(bad)).toEqual([
        `unicoConcurrency: must be a whole number from 1 to 500 (the in-flight maximum set in Unico's webhook form); got ${bad}`,
      ]);
    }
  });

  test("refuses a throttle above API Gateway's account limits, naming the field", () => {
    // Act
    const problems = throttleProblems({ rateLimit: 10_001, burstLimit: 5001 }, 'throttling');

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^throttling: gives a stage rate of 10001 requests\/s, above API Gateway's account limit of 10000\/s/),
      "throttling: gives a stage burst of 5001, above API Gateway's account limit of 5000",
    ]);
    expect(throttleProblems(API_GATEWAY_ACCOUNT_LIMITS, 'throttling')).toEqual([]);
  });
});
