import { afterEach, describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import {
  abortableSleep,
  InMemoryRateWindowStore,
  nextAttemptAt,
  usableAt,
  WindowedRequestBudget,
  type BudgetTime,
  type RateWindowAttempt,
  type RateWindowStore,
  UNLIMITED_BUDGET,
} from '../../../../lambdas/core/unico/request-budget.ts';
import { FakeTimeline } from '../../../support/unit/fake-timeline.ts';

/** A second boundary, so that "start + 250" reads as 250 ms into a second. */
const START = 1_800_000_000_000;

function timeOf(timeline: FakeTimeline, random = () => 0): BudgetTime {
  return { now: timeline.now, sleep: timeline.sleep, random };
}

/** Starts `count` acquires at once and records when each one was granted. */
async function grantTimes(budget: WindowedRequestBudget, timeline: FakeTimeline, count: number): Promise<number[]> {
  const granted: number[] = [];
  await timeline.run(Promise.all(Array.from({ length: count }, () => budget.acquire().then(() => granted.push(timeline.now())))));
  return granted;
}

function perSecond(times: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const time of times) counts.set(Math.floor(time / 1000), (counts.get(Math.floor(time / 1000)) ?? 0) + 1);
  return counts;
}

/** A store that, like dynalite, cannot say why a condition failed; counts the reads that replace it. */
class StoreWithoutOldValues implements RateWindowStore {
  readonly inner = new InMemoryRateWindowStore();
  reads = 0;
  async take(windowSecond: number, max: number, nowMs: number): Promise<RateWindowAttempt> {
    const attempt = await this.inner.take(windowSecond, max, nowMs);
    return attempt.granted ? attempt : { granted: false, state: undefined };
  }
  async open(windowSecond: number, nowMs: number): Promise<RateWindowAttempt> {
    const attempt = await this.inner.open(windowSecond, nowMs);
    return attempt.granted ? attempt : { granted: false, state: undefined };
  }
  async read() {
    this.reads += 1;
    return this.inner.read();
  }
  extendPause(untilMs: number) {
    return this.inner.extendPause(untilMs);
  }
}

describe('the budget arithmetic', () => {
  test.each([
    ['no record yet: try at once', undefined, START + 200, undefined],
    ['an older window: try at once', { windowSecond: START / 1000 - 1, grants: 10, pausedUntil: 0 }, START + 200, undefined],
    ['room in this window: try at once', { windowSecond: START / 1000, grants: 9, pausedUntil: 0 }, START + 200, undefined],
    ['this window is full: the next second', { windowSecond: START / 1000, grants: 10, pausedUntil: 0 }, START + 200, START + 1000],
    ['a pause: its end', { windowSecond: START / 1000, grants: 3, pausedUntil: START + 2500 }, START + 200, START + 2500],
    ['a pause already over: as if none', { windowSecond: START / 1000, grants: 10, pausedUntil: START + 100 }, START + 200, START + 1000],
    ['a window opened ahead (a faster clock): its start', { windowSecond: START / 1000 + 2, grants: 1, pausedUntil: 0 }, START + 200, START + 2000],
  ] as const)('%s', (_name, state, now, expected) => {
    expect(nextAttemptAt(state, now, 10)).toBe(expected);
  });

  test('a grant is usable inside its second, outside the guard at its end', () => {
    const second = START / 1000;
    expect(usableAt(second, START, 100)).toBe(true);
    expect(usableAt(second, START + 899, 100)).toBe(true);
    expect(usableAt(second, START + 900, 100)).toBe(false);
    expect(usableAt(second, START + 1000, 100)).toBe(false);
    expect(usableAt(second, START - 1, 100)).toBe(false);
  });

  test('settings out of range are refused', () => {
    const store = new InMemoryRateWindowStore();
    expect(() => new WindowedRequestBudget(store, { maxPerSecond: 0 })).toThrow(RangeError);
    expect(() => new WindowedRequestBudget(store, { maxPerSecond: 2.5 })).toThrow(RangeError);
    expect(() => new WindowedRequestBudget(store, { maxPerSecond: 5, guardMs: 900 })).toThrow(RangeError);
  });

  test.each([
    [{ guardMs: 501 }],
    [{ guardMs: -1 }],
    [{ jitterMs: 501 }],
    [{ jitterMs: -1 }],
  ])('guard or jitter %j, out of 0 to 500, is refused', (settings) => {
    const store = new InMemoryRateWindowStore();
    expect(() => new WindowedRequestBudget(store, { maxPerSecond: 5, ...settings })).toThrow(
      new RangeError('guardMs and jitterMs must be from 0 to 500'),
    );
  });

  test('guard and jitter from 0 to 500, bounds included, are accepted', () => {
    const store = new InMemoryRateWindowStore();
    for (const settings of [{ guardMs: 0, jitterMs: 0 }, { guardMs: 500, jitterMs: 500 }]) {
      expect(new WindowedRequestBudget(store, { maxPerSecond: 5, ...settings }).maxPerSecond).toBe(5);
    }
  });
});

describe('WindowedRequestBudget', () => {
  test('35 callers at once with 10 per second: 10, 10, 10 and 5 in four consecutive seconds', async () => {
    const timeline = new FakeTimeline(START + 250);
    const budget = new WindowedRequestBudget(new InMemoryRateWindowStore(), { maxPerSecond: 10 }, timeOf(timeline));

    const granted = await grantTimes(budget, timeline, 35);

    const counts = perSecond(granted);
    expect([...counts.entries()].sort(([a], [b]) => a - b)).toEqual([
      [START / 1000, 10],
      [START / 1000 + 1, 10],
      [START / 1000 + 2, 10],
      [START / 1000 + 3, 5],
    ]);
  });

  test('whatever the arrivals, settings and jitter: never more than max in a second, never in the guard, everyone served', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.boolean(),
        async (max, guardMs, arrivals, jitter, storeKeepsOldValues) => {
          const timeline = new FakeTimeline(START);
          const store = storeKeepsOldValues ? new InMemoryRateWindowStore() : new StoreWithoutOldValues();
          const budget = new WindowedRequestBudget(store, { maxPerSecond: max, guardMs, jitterMs: 50 }, timeOf(timeline, () => jitter));
          const granted: number[] = [];
          const callers = arrivals.map(
            (offset) =>
              new Promise<void>((resolve, reject) => {
                timeline.at(START + offset, () => {
                  budget.acquire().then(() => {
                    granted.push(timeline.now());
                    resolve();
                  }, reject);
                });
              }),
          );
          await timeline.run(Promise.all(callers));

          expect(granted).toHaveLength(arrivals.length);
          for (const count of perSecond(granted).values()) expect(count).toBeLessThanOrEqual(max);
          for (const time of granted) expect(time % 1000).toBeLessThan(1000 - guardMs);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('in the guard at the end of a second nothing is granted: the first grant waits for the next second', async () => {
    const timeline = new FakeTimeline(START + 950);
    const budget = new WindowedRequestBudget(new InMemoryRateWindowStore(), { maxPerSecond: 5, guardMs: 100 }, timeOf(timeline));

    const [granted] = await grantTimes(budget, timeline, 1);

    expect(granted).toBe(START + 1000);
  });

  test('a grant whose write came back inside the guard is not used: the caller goes again in the next second', async () => {
    const timeline = new FakeTimeline(START + 500);
    const store = new InMemoryRateWindowStore();
    const slowStore: RateWindowStore = {
      take: (windowSecond, max, nowMs) => store.take(windowSecond, max, nowMs),
      open: async (windowSecond, nowMs) => {
        const attempt = await store.open(windowSecond, nowMs);
        if (windowSecond === START / 1000) timeline.advance(450); // the first write takes 450 ms
        return attempt;
      },
      read: () => store.read(),
      extendPause: (until) => store.extendPause(until),
    };
    const budget = new WindowedRequestBudget(slowStore, { maxPerSecond: 5, guardMs: 100 }, timeOf(timeline));

    const [granted] = await grantTimes(budget, timeline, 1);

    expect(granted).toBe(START + 1000);
    expect(store.state).toEqual({ windowSecond: START / 1000 + 1, grants: 1, pausedUntil: 0 });
  });

  test('after pauseUntil nobody is granted before the pause ends, though the window has room', async () => {
    const timeline = new FakeTimeline(START + 100);
    const store = new InMemoryRateWindowStore();
    const first = new WindowedRequestBudget(store, { maxPerSecond: 10 }, timeOf(timeline));
    const second = new WindowedRequestBudget(store, { maxPerSecond: 10 }, timeOf(timeline));
    await timeline.run(first.acquire());

    await first.pauseUntil(START + 2500);
    const granted = await grantTimes(second, timeline, 3);

    expect(granted).toEqual([START + 2500, START + 2500, START + 2500]);
  });

  test('a pause is never shortened by a later, shorter one', async () => {
    const timeline = new FakeTimeline(START + 100);
    const budget = new WindowedRequestBudget(new InMemoryRateWindowStore(), { maxPerSecond: 10 }, timeOf(timeline));

    await budget.pauseUntil(START + 5300);
    await budget.pauseUntil(START + 1300);
    const [granted] = await grantTimes(budget, timeline, 1);

    expect(granted).toBe(START + 5300);
  });

  test('a caller behind a window opened by a faster clock waits for that window', async () => {
    const timeline = new FakeTimeline(START + 200);
    const store = new InMemoryRateWindowStore();
    await store.open(START / 1000 + 1, START + 200);
    const budget = new WindowedRequestBudget(store, { maxPerSecond: 10 }, timeOf(timeline));

    const [granted] = await grantTimes(budget, timeline, 1);

    expect(granted).toBe(START + 1000);
    expect(store.state?.grants).toBe(2);
  });

  test('a store that cannot return the old record is read once per refusal instead', async () => {
    const timeline = new FakeTimeline(START + 100);
    const store = new StoreWithoutOldValues();
    const budget = new WindowedRequestBudget(store, { maxPerSecond: 2 }, timeOf(timeline));

    const granted = await grantTimes(budget, timeline, 3);

    expect(granted).toEqual([START + 100, START + 100, START + 1000]);
    expect(store.reads).toBeGreaterThan(0);
  });

  test('an abort while waiting rejects with the signal\'s reason and takes nothing', async () => {
    const timeline = new FakeTimeline(START + 100);
    const store = new InMemoryRateWindowStore();
    const budget = new WindowedRequestBudget(store, { maxPerSecond: 1 }, timeOf(timeline));
    await timeline.run(budget.acquire());
    const controller = new AbortController();
    timeline.at(START + 400, () => controller.abort(new Error('deadline')));

    await expect(timeline.run(budget.acquire(controller.signal))).rejects.toThrow('deadline');
    expect(store.state).toEqual({ windowSecond: START / 1000, grants: 1, pausedUntil: 0 });
    expect(timeline.now()).toBe(START + 400);
  });
});

describe('UNLIMITED_BUDGET', () => {
  test('grants at once, and refuses once the signal aborted', async () => {
    const controller = new AbortController();
    await expect(UNLIMITED_BUDGET.acquire()).resolves.toBeUndefined();
    await expect(UNLIMITED_BUDGET.acquire(controller.signal)).resolves.toBeUndefined();
    controller.abort(new Error('deadline'));
    await expect(UNLIMITED_BUDGET.acquire(controller.signal)).rejects.toThrow('deadline');
  });
});

describe('abortableSleep', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('resolves once the time has passed, not before', async () => {
    jest.useFakeTimers();
    let done = false;
    const sleep = abortableSleep(1000, new AbortController().signal).then(() => (done = true));

    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await sleep;
    expect(done).toBe(true);
  });

  test('without a signal, still sleeps', async () => {
    jest.useFakeTimers();
    const sleep = abortableSleep(500);
    await jest.advanceTimersByTimeAsync(500);
    await expect(sleep).resolves.toBeUndefined();
  });

  test('an abort during the sleep rejects with the signal\'s reason at once and leaves no timer', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('deadline');
    const sleep = abortableSleep(60_000, controller.signal);

    controller.abort(reason);

    await expect(sleep).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('a signal aborted before the sleep rejects with its reason without waiting', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('deadline');
    controller.abort(reason);

    await expect(abortableSleep(60_000, controller.signal)).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
  });
});
