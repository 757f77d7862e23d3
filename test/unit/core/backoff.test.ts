import { describe, expect, test } from '@jest/globals';
import { Backoff } from '../../../lambdas/core/backoff.ts';

describe('Backoff', () => {
  test('the pause doubles with each failure in a row and stops at the cap', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 5000, maxMs: 300_000 });

    // Act
    const pauses = Array.from({ length: 9 }, () => backoff.failed(0));

    // Assess
    expect(pauses).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  test('an attempt is paused from the failure until the pause has passed', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 5000, maxMs: 300_000 });
    const before = backoff.pausedAt(1000);

    // Act
    backoff.failed(1000);

    // Assess
    expect(before).toBe(false);
    expect([backoff.pausedAt(1000), backoff.pausedAt(5999), backoff.pausedAt(6000)]).toEqual([true, true, false]);
  });

  test('a success ends the pause and starts the doubling over', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 5000, maxMs: 300_000 });
    backoff.failed(0);
    backoff.failed(0);

    // Act
    backoff.succeeded();

    // Assess
    expect(backoff.pausedAt(0)).toBe(false);
    expect(backoff.failed(0)).toBe(5000);
  });

  test('stays finite after very many failures', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 1, maxMs: 10 });

    // Act
    for (let failure = 0; failure < 2000; failure += 1) backoff.failed(0);

    // Assess
    expect(backoff.failed(0)).toBe(10);
  });

  test.each([
    [{ initialMs: 0, maxMs: 10 }],
    [{ initialMs: 10, maxMs: 5 }],
  ])('refuses the settings %j', (settings) => {
    // Act + Assess
    expect(() => new Backoff(settings)).toThrow(/initialMs/);
  });

  test('a cap equal to the first pause is a constant pause', () => {
    // Prepare
    const backoff = new Backoff({ initialMs: 1000, maxMs: 1000 });

    // Act
    const pauses = Array.from({ length: 3 }, () => backoff.failed(0));

    // Assess
    expect(pauses).toEqual([1000, 1000, 1000]);
  });

  test.each([
    { initialMs: 0, maxMs: 1000 },
    { initialMs: -1, maxMs: 1000 },
    { initialMs: 2000, maxMs: 1000 },
  ])('refuses settings %j', (settings) => {
    // Act
    const create = () => new Backoff(settings);

    // Assess
    expect(create).toThrow('back-off needs 0 < initialMs <= maxMs');
  });
});
