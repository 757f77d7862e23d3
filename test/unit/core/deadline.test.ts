import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { Deadline, resultWithin, type Clock } from '../../../lambdas/core/deadline.ts';
import { DeadlineExceededError } from '../../../lambdas/core/errors.ts';

function settableClock(start: number): { clock: Clock; advance: (ms: number) => void } {
  let now = start;
  return { clock: () => now, advance: (ms) => (now += ms) };
}

const never = () => new Promise<never>(() => undefined);

describe('Deadline.run', () => {
  test('resolves with what the work gives', async () => {
    // Prepare
    const deadline = Deadline.after(1000);

    // Act
    const result = await deadline.run('lookup', async () => 42);

    // Assess
    expect(result).toBe(42);
  });

  test('passes on the work\'s own failure', async () => {
    // Prepare
    const failure = new Error('ProvisionedThroughputExceededException');

    // Act
    const result = Deadline.after(1000).run('lookup', async () => {
      throw failure;
    });

    // Assess
    await expect(result).rejects.toBe(failure);
  });

  test('gives up at expiry even when the work ignores the signal', async () => {
    // Prepare
    const startedAt = Date.now();
    const deadline = Deadline.after(30);

    // Act
    const error = await deadline.run('enqueue', never).catch((reason: unknown) => reason);

    // Assess
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).operation).toBe('enqueue');
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThan(500);
  });

  test('aborts the signal handed to the work at expiry', async () => {
    // Prepare
    let seen: AbortSignal | undefined;

    // Act
    await Deadline.after(30)
      .run('claim', (signal) => {
        seen = signal;
        return never();
      })
      .catch(() => undefined);

    // Assess
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DeadlineExceededError);
  });

  test('leaves the signal alone once the work finished in time, even after the expiry', async () => {
    // Prepare
    let seen: AbortSignal | undefined;

    // Act
    await Deadline.after(20).run('claim', async (signal) => {
      seen = signal;
    });
    await new Promise((resolve) => setTimeout(resolve, 40));

    // Assess
    expect(seen?.aborted).toBe(false);
  });

  test('refuses to start work once the time is spent', async () => {
    // Prepare
    const { clock, advance } = settableClock(1_000_000);
    const deadline = Deadline.after(100, clock);
    advance(100);
    let started = false;

    // Act
    const result = deadline.run('claim', async () => {
      started = true;
    });

    // Assess
    await expect(result).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(started).toBe(false);
  });
});

describe('Deadline.remainingMs', () => {
  test('counts down with the clock and never goes below zero', () => {
    // Prepare
    const { clock, advance } = settableClock(1_000_000);
    const deadline = Deadline.after(500, clock);

    // Act
    const atStart = deadline.remainingMs();
    advance(200);
    const later = deadline.remainingMs();
    advance(1000);
    const afterExpiry = deadline.remainingMs();

    // Assess
    expect([atStart, later, afterExpiry]).toEqual([500, 300, 0]);
  });
});

describe('Deadline.shortenedBy', () => {
  test('ends earlier by the given time and shares the clock', () => {
    // Prepare
    const { clock, advance } = settableClock(1_000_000);
    const deadline = new Deadline(1_000_500, clock);

    // Act
    const shorter = deadline.shortenedBy(200);
    advance(100);

    // Assess
    expect(shorter.expiresAt).toBe(1_000_300);
    expect(shorter.remainingMs()).toBe(200);
    expect(deadline.remainingMs()).toBe(400);
  });
});

describe('resultWithin', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('gives the work\'s result when it settles in time, and leaves no timer behind', async () => {
    // Prepare: a pending timer would keep the process (or a Lambda invocation's loop) busy.
    jest.useFakeTimers();

    // Act
    const result = await resultWithin(Promise.resolve('done'), 60_000, 'late');

    // Assess
    expect(result).toBe('done');
    expect(jest.getTimerCount()).toBe(0);
  });

  test('gives the fallback once the time is up, while the work goes on', async () => {
    // Prepare
    jest.useFakeTimers();
    const result = resultWithin(never(), 1000, 'late');

    // Act
    await jest.advanceTimersByTimeAsync(1000);

    // Assess
    await expect(result).resolves.toBe('late');
  });

  test('passes on the work\'s own failure, and leaves no timer behind', async () => {
    // Prepare
    jest.useFakeTimers();
    const failure = new Error('boom');

    // Act
    const result = resultWithin(Promise.reject(failure), 60_000, 'late');

    // Assess
    await expect(result).rejects.toBe(failure);
    expect(jest.getTimerCount()).toBe(0);
  });
});
