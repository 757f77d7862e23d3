import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import {
  abortableSleep,
  InMemoryRateWindowStore,
  nextAttemptAt,
  realBudgetTime,
  usableAt,
  WindowedRequestBudget,
  type BudgetTime,
  type RateWindowAttempt,
  type RateWindowState,
  type RateWindowStore,
  UNLIMITED_BUDGET,
  type WindowedBudgetSettings,
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
    ['a pause that ends right now: as if none', { windowSecond: START / 1000, grants: 3, pausedUntil: START + 200 }, START + 200, undefined],
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
    expect(() => new WindowedRequestBudget(store, { maxPerSecond: 0 })).toThrow(
      new RangeError('maxPerSecond must be a whole number of at least 1'),
    );
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

describe('InMemoryRateWindowStore', () => {
  test('without a record, a take is refused and nothing is stored', async () => {
    const store = new InMemoryRateWindowStore();

    expect(await store.take(S, 3, START)).toEqual({ granted: false, state: undefined });
    expect(store.state).toBeUndefined();
  });

  test('a pause that moves nothing forward stores nothing', async () => {
    const store = new InMemoryRateWindowStore();

    await store.extendPause(0);

    expect(store.state).toBeUndefined();
  });
});

describe('realBudgetTime', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('reads the wall clock, sleeps on timers, and draws from [0, 1)', async () => {
    jest.useFakeTimers({ now: START + 123 });
    expect(realBudgetTime.now()).toBe(START + 123);
    let done = false;
    const sleep = realBudgetTime.sleep(200).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(199);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await sleep;
    expect(done).toBe(true);
    const draw = realBudgetTime.random();
    expect(draw).toBeGreaterThanOrEqual(0);
    expect(draw).toBeLessThan(1);
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

  test('leaves no listener on the signal, once it slept or once it was aborted', async () => {
    jest.useFakeTimers();
    const slept = new AbortController();
    const sleep = abortableSleep(100, slept.signal);
    expect(getEventListeners(slept.signal, 'abort')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(100);
    await sleep;
    expect(getEventListeners(slept.signal, 'abort')).toHaveLength(0);

    const aborted = new AbortController();
    const abortedSleep = abortableSleep(100, aborted.signal);
    aborted.abort(new Error('deadline'));
    await expect(abortedSleep).rejects.toThrow('deadline');
    expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(0);
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

/**
 * Records every store call and every sleep, in order, relative to START: `open 0 @250` is an open
 * of START's second at START + 250. Delegates to an in-memory store, except that `writeReplies`
 * and `readReplies`, while they last, answer the next writes (take or open) and reads in its
 * place, as another caller racing in between or a store that cannot return old values would.
 */
class RecordingStore implements RateWindowStore {
  readonly inner = new InMemoryRateWindowStore();
  readonly calls: string[] = [];
  readonly writeReplies: RateWindowAttempt[] = [];
  readonly readReplies: (RateWindowState | undefined)[] = [];

  async take(windowSecond: number, max: number, nowMs: number): Promise<RateWindowAttempt> {
    this.calls.push(`take ${windowSecond - START / 1000} of ${max} @${nowMs - START}`);
    return this.writeReplies.shift() ?? this.inner.take(windowSecond, max, nowMs);
  }
  async open(windowSecond: number, nowMs: number): Promise<RateWindowAttempt> {
    this.calls.push(`open ${windowSecond - START / 1000} @${nowMs - START}`);
    return this.writeReplies.shift() ?? this.inner.open(windowSecond, nowMs);
  }
  async read(): Promise<RateWindowState | undefined> {
    this.calls.push('read');
    return this.readReplies.length > 0 ? this.readReplies.shift() : this.inner.read();
  }
  async extendPause(untilMs: number): Promise<void> {
    this.calls.push(`extendPause @${untilMs - START}`);
    return this.inner.extendPause(untilMs);
  }
}

/** A budget over `store` whose sleeps are recorded in the store's log; grants and takes are counted from START. */
function recordedBudget(
  store: RecordingStore,
  timeline: FakeTimeline,
  settings: WindowedBudgetSettings,
  random = () => 0,
): WindowedRequestBudget {
  const time: BudgetTime = {
    now: timeline.now,
    sleep: (ms, signal) => {
      store.calls.push(`sleep ${ms}`);
      return timeline.sleep(ms, signal);
    },
    random,
  };
  return new WindowedRequestBudget(store, settings, time);
}

/** Runs one acquire to its grant; the calls it made (the log is emptied first) and when it was granted. */
async function oneAcquire(budget: WindowedRequestBudget, store: RecordingStore, timeline: FakeTimeline) {
  store.calls.length = 0;
  await timeline.run(budget.acquire());
  return { calls: [...store.calls], grantedAt: timeline.now() - START };
}

const S = START / 1000;
const refused = (state: RateWindowState | undefined): RateWindowAttempt => ({ granted: false, state });

describe('WindowedRequestBudget: the store calls of one acquire', () => {
  test('no record yet: one open of this second, nothing else', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250'], grantedAt: 250 });
    expect(store.inner.state).toEqual({ windowSecond: S, grants: 1, pausedUntil: 0 });
  });

  test('a second it opened itself: the next acquires in it take, one write each', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    await oneAcquire(budget, store, timeline);

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @250'], grantedAt: 250 });
    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @250'], grantedAt: 250 });
    expect(store.inner.state).toEqual({ windowSecond: S, grants: 3, pausedUntil: 0 });
  });

  test('a second another process opened, with room: the refused open is followed by a take, and later acquires take at once', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START + 10);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'take 0 of 3 @250'], grantedAt: 250 });
    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @250'], grantedAt: 250 });
    expect(store.inner.state).toEqual({ windowSecond: S, grants: 3, pausedUntil: 0 });
  });

  test('a full window it took in: one refused take, no open, no read, a sleep to the next second plus jitter, then an open there', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 2, jitterMs: 50 }, () => 0.5);
    await oneAcquire(budget, store, timeline);
    await oneAcquire(budget, store, timeline);

    expect(await oneAcquire(budget, store, timeline)).toEqual({
      calls: ['take 0 of 2 @250', 'sleep 775', 'open 1 @1025'],
      grantedAt: 1025,
    });
  });

  test('a full window opened elsewhere: one refused open, no take, no read, then an open in the next second', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    await store.inner.take(S, 2, START);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 2 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'sleep 750', 'open 1 @1000'], grantedAt: 1000 });
  });

  test('a pause: the refused write is not followed by the other one, and the caller sleeps until the pause ends', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    await oneAcquire(budget, store, timeline);
    await budget.pauseUntil(START + 2500);
    expect(store.calls).toEqual(['open 0 @250', 'extendPause @2500']);

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @250', 'sleep 2250', 'open 2 @2500'], grantedAt: 2500 });
  });

  test('a pause seen by a process new to the window: one refused open, then a sleep until the pause ends', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    await store.inner.extendPause(START + 1300);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 }, () => 0.5);

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'sleep 1075', 'open 1 @1325'], grantedAt: 1325 });
  });

  test('a pause that ends right now does not hold: the refused open is followed by a take', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    await store.inner.extendPause(START + 250);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'take 0 of 3 @250'], grantedAt: 250 });
  });

  test('in the guard at the end of a second no write is made: a sleep to the next second, then an open', async () => {
    const timeline = new FakeTimeline(START + 950);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3, guardMs: 100 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['sleep 50', 'open 1 @1000'], grantedAt: 1000 });
  });

  test('by default the guard is the last 100 ms of a second and the jitter up to 50 ms', async () => {
    const timeline = new FakeTimeline(START + 899);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 }, () => 0.5);
    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @899'], grantedAt: 899 });

    timeline.advance(1);
    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['sleep 125', 'open 1 @1025'], grantedAt: 1025 });
  });

  test('a grant whose write came back in the guard is let go: a sleep, then an open of the next second', async () => {
    const timeline = new FakeTimeline(START + 500);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3, guardMs: 100 });
    const open = store.open.bind(store);
    store.open = async (windowSecond, nowMs) => {
      const attempt = await open(windowSecond, nowMs);
      if (windowSecond === S) timeline.advance(450);
      return attempt;
    };

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @500', 'sleep 50', 'open 1 @1000'], grantedAt: 1000 });
  });

  test('a window opened ahead by a faster clock: no take in this second, a sleep to that window, then a take in it', async () => {
    const timeline = new FakeTimeline(START + 200);
    const store = new RecordingStore();
    await store.inner.open(S + 1, START + 200);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @200', 'sleep 800', 'take 1 of 3 @1000'], grantedAt: 1000 });
  });

  test('a window opened ahead while this process takes in the current one: no open is tried after the refused take', async () => {
    const timeline = new FakeTimeline(START + 200);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    await oneAcquire(budget, store, timeline);
    await store.inner.open(S + 1, START + 1200); // another process, whose clock runs ahead

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @200', 'sleep 800', 'take 1 of 3 @1000'], grantedAt: 1000 });
  });

  test('a store without old values: both writes are tried, then one read, then a sleep', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 2 });
    await oneAcquire(budget, store, timeline);
    await oneAcquire(budget, store, timeline);
    store.writeReplies.push(refused(undefined), refused(undefined));

    expect(await oneAcquire(budget, store, timeline)).toEqual({
      calls: ['take 0 of 2 @250', 'open 0 @250', 'read', 'sleep 750', 'open 1 @1000'],
      grantedAt: 1000,
    });
  });

  test('a store without old values and a window with room: the refused open is followed by a take, and nothing is read', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 2 });
    store.writeReplies.push(refused(undefined));

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'take 0 of 2 @250'], grantedAt: 250 });
  });

  test('the second refusal, when it tells the record, decides: a window filled in between means a sleep, with no read', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    await store.inner.take(S, 3, START);
    await store.inner.take(S, 3, START);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    store.writeReplies.push(refused({ windowSecond: S, grants: 1, pausedUntil: 0 }), refused({ windowSecond: S, grants: 3, pausedUntil: 0 }));

    expect(await oneAcquire(budget, store, timeline)).toEqual({
      calls: ['open 0 @250', 'take 0 of 3 @250', 'sleep 750', 'open 1 @1000'],
      grantedAt: 1000,
    });
  });

  test('when only the first refusal tells the record, it is used: no read, and a lost race is retried at once with a take', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    store.writeReplies.push(refused({ windowSecond: S, grants: 1, pausedUntil: 0 }), refused(undefined));

    expect(await oneAcquire(budget, store, timeline)).toEqual({
      calls: ['open 0 @250', 'take 0 of 3 @250', 'take 0 of 3 @250'],
      grantedAt: 250,
    });
  });

  test('lost races are retried at once three times, take first once the window is seen, then a sleep; the count starts again after it', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    // Every write is refused without the record, and every read shows room (window S, 1 grant).
    for (let i = 0; i < 16; i += 1) store.writeReplies.push(refused(undefined));
    for (let i = 0; i < 8; i += 1) store.readReplies.push({ windowSecond: S, grants: 1, pausedUntil: 0 });

    const { calls, grantedAt } = await oneAcquire(budget, store, timeline);

    const inS = ['open 0 @250', 'take 0 of 3 @250', 'read'];
    for (let i = 0; i < 3; i += 1) inS.push('take 0 of 3 @250', 'open 0 @250', 'read');
    const inNext: string[] = [];
    for (let i = 0; i < 4; i += 1) inNext.push('open 1 @1000', 'take 1 of 3 @1000', 'read');
    expect(calls).toEqual([...inS, 'sleep 750', ...inNext, 'sleep 1000', 'open 2 @2000']);
    expect(grantedAt).toBe(2000);
  });

  test('a pause that ends as the open is sent does not hold: the take follows in the same attempt, at the same time', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    await store.inner.open(S, START);
    await store.inner.extendPause(START + 250);
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    const open = store.open.bind(store);
    store.open = async (windowSecond, nowMs) => {
      const attempt = await open(windowSecond, nowMs);
      timeline.advance(10); // the write takes 10 ms
      return attempt;
    };

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['open 0 @250', 'take 0 of 3 @250'], grantedAt: 260 });
  });

  test('a refused take whose record shows an older window than the one seen (the record was replaced) is followed by an open', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    store.writeReplies.push({ granted: true });
    await oneAcquire(budget, store, timeline);
    store.writeReplies.push(refused({ windowSecond: S - 1, grants: 3, pausedUntil: 0 }));

    expect(await oneAcquire(budget, store, timeline)).toEqual({ calls: ['take 0 of 3 @250', 'open 0 @250'], grantedAt: 250 });
    expect(store.inner.state).toEqual({ windowSecond: S, grants: 1, pausedUntil: 0 });
  });

  test('a store without old values whose read finds no record: the caller tries again at once, with an open', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    store.writeReplies.push(refused(undefined), refused(undefined));
    store.readReplies.push(undefined);

    expect(await oneAcquire(budget, store, timeline)).toEqual({
      calls: ['open 0 @250', 'take 0 of 3 @250', 'read', 'open 0 @250'],
      grantedAt: 250,
    });
  });

  test('a signal aborted before acquire rejects with its reason without any store call', async () => {
    const timeline = new FakeTimeline(START + 250);
    const store = new RecordingStore();
    const budget = recordedBudget(store, timeline, { maxPerSecond: 3 });
    const controller = new AbortController();
    controller.abort(new Error('deadline'));

    await expect(timeline.run(budget.acquire(controller.signal))).rejects.toThrow('deadline');
    expect(store.calls).toEqual([]);
  });
});
