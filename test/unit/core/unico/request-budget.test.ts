import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { getEventListeners } from 'node:events';
import {
  BudgetWaitTooLongError,
  emissionIntervalMs,
  GcraRequestBudget,
  InMemoryRateLimitStore,
  realBudgetTime,
  UNICO_TENANT_REQUESTS_PER_SECOND,
  UNLIMITED_BUDGET,
  type BudgetTime,
  type GcraBudgetSettings,
  type RateLimitState,
  type RateLimitStore,
  type Reservation,
} from '../../../../lambdas/core/unico/request-budget.ts';
import { FakeTimeline } from '../../../support/unit/fake-timeline.ts';

/** A round epoch time, so that "START + 250" reads as 250 ms in. */
const START = 1_800_000_000_000;

/** A store that logs every call (times relative to START) and can be told what to answer. */
class RecordingStore implements RateLimitStore {
  readonly inner = new InMemoryRateLimitStore();
  readonly calls: string[] = [];
  /** Answers for the next writes, instead of the in-memory record's. */
  readonly writeReplies: Reservation[] = [];
  readonly readReplies: (RateLimitState | undefined)[] = [];
  /** Ms the next writes and reads take, applied after the store acted (the answer comes back late). */
  readonly writeLatenciesMs: number[] = [];
  readonly readLatenciesMs: number[] = [];

  readonly timeline: FakeTimeline;

  constructor(timeline: FakeTimeline) {
    this.timeline = timeline;
  }

  async advance(intervalMs: number, fromMs: number, notAfterMs: number | undefined): Promise<Reservation> {
    this.calls.push(`advance +${intervalMs} from ${fromMs - START}${notAfterMs === undefined ? '' : ` to ${notAfterMs - START}`}`);
    return this.#answer(this.writeReplies.shift() ?? (await this.inner.advance(intervalMs, fromMs, notAfterMs)), this.writeLatenciesMs.shift() ?? 0);
  }
  async restart(slotMs: number, intervalMs: number): Promise<Reservation> {
    this.calls.push(`restart at ${slotMs - START} +${intervalMs}`);
    return this.#answer(this.writeReplies.shift() ?? (await this.inner.restart(slotMs, intervalMs)), this.writeLatenciesMs.shift() ?? 0);
  }
  async read(): Promise<RateLimitState | undefined> {
    this.calls.push(`read @${this.timeline.now() - START}`);
    const state = this.readReplies.length > 0 ? this.readReplies.shift() : await this.inner.read();
    return this.#answer(state, this.readLatenciesMs.shift() ?? 0);
  }
  async extendPause(untilMs: number): Promise<void> {
    this.calls.push(`extendPause to ${untilMs - START}`);
    await this.inner.extendPause(untilMs);
  }
  #answer<T>(value: T, latencyMs: number): T {
    this.timeline.advance(latencyMs);
    return value;
  }
}

function budgetOver(store: RecordingStore, settings: GcraBudgetSettings): GcraRequestBudget {
  const time: BudgetTime = {
    now: store.timeline.now,
    sleep: (ms, signal) => {
      store.calls.push(`sleep ${ms}`);
      return store.timeline.sleep(ms, signal);
    },
  };
  return new GcraRequestBudget(store, settings, time);
}

/** Runs one acquire to its end; the calls it made (the log is emptied first) and when it ended. */
async function oneAcquire(budget: GcraRequestBudget, store: RecordingStore, notAfterMs?: number, signal?: AbortSignal) {
  store.calls.length = 0;
  await store.timeline.run(budget.acquire(signal, notAfterMs === undefined ? undefined : START + notAfterMs));
  return { calls: [...store.calls], grantedAt: store.timeline.now() - START };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const refused = (state: RateLimitState | undefined): Reservation => ({ reserved: false, state });

describe('settings', () => {
  test('the emission interval leaves room for max + 1 grants, each up to a guard late, to span 1,000 ms', () => {
    expect(emissionIntervalMs(10, 50)).toBe(105);
    expect(emissionIntervalMs(3, 0)).toBe(334);
    expect(emissionIntervalMs(7, 20)).toBe(146);
    expect(emissionIntervalMs(1, 0)).toBe(1000);
  });

  test('by default the guard is 100 ms', () => {
    const budget = new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond: 10 });
    expect(budget.intervalMs).toBe(110);
    expect(UNICO_TENANT_REQUESTS_PER_SECOND).toBe(10);
  });

  test.each([0, -1, 2.5, Number.NaN])('maxPerSecond %p is refused', (maxPerSecond) => {
    expect(() => new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond })).toThrow(
      new RangeError('maxPerSecond must be a whole number of at least 1'),
    );
  });

  test.each([-1, 501, 2.5])('guardMs %p is refused', (guardMs) => {
    expect(() => new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond: 5, guardMs })).toThrow(
      new RangeError('guardMs must be a whole number from 0 to 500'),
    );
  });

  test('guardMs 0 and 500 are accepted', () => {
    expect(new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond: 5, guardMs: 0 }).intervalMs).toBe(200);
    expect(new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond: 5, guardMs: 500 }).intervalMs).toBe(300);
  });
});

describe('GcraRequestBudget: grants', () => {
  test('12 callers at once, 10 per second, guard 50: one grant every 105 ms, the first at once', async () => {
    const timeline = new FakeTimeline(START + 250);
    const budget = new GcraRequestBudget(new InMemoryRateLimitStore(), { maxPerSecond: 10, guardMs: 50 }, timeline);
    const granted: number[] = [];

    await timeline.run(Promise.all(Array.from({ length: 12 }, () => budget.acquire().then(() => granted.push(timeline.now() - START)))));

    expect(granted).toEqual(Array.from({ length: 12 }, (_, index) => 250 + index * 105));
  });

  test('no record yet: one restart at now, no read, no sleep', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 250));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 250 +250'], grantedAt: 250 });
    expect(store.inner.state).toEqual({ tat: START + 500, pausedUntil: 0 });
  });

  test('a queue it knows of: one advance, then a sleep until its slot (no read when the slot is within the guard)', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 250));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 10 });
    await oneAcquire(budget, store);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +253 from 250', 'sleep 243', 'read @493', 'sleep 10'], grantedAt: 503 });
    expect(store.inner.state).toEqual({ tat: START + 250 + 2 * 253, pausedUntil: 0 });
  });

  test('a known queue whose next slot is exactly now is joined with an advance', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store);
    store.timeline.advance(250);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +250 from 250'], grantedAt: 250 });
  });

  test('a known pause that ends at the next slot does not stop an advance', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store);
    await budget.pauseUntil(START + 250);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +250 from 0', 'sleep 250', 'read @250'], grantedAt: 250 });
  });

  test('a slot within the guard: no read, just the sleep to it', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    await store.inner.restart(START - 195, 200); // another process: tat at START + 5
    const budget = budgetOver(store, { maxPerSecond: 5, guardMs: 5 });
    store.writeReplies.push(refused(undefined)); // its restart at now is refused, without the record

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 0 +201', 'read @0', 'advance +201 from 0', 'sleep 5'], grantedAt: 5 });
  });

  test('a queue another process started: the refused restart tells the record, and an advance follows without reading it', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 250));
    await store.inner.restart(START + 200, 250);
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });

    // (The read at 450 is the pause check before a slot reserved ahead; with no guard it comes at the slot.)
    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['restart at 250 +250', 'advance +250 from 250', 'sleep 200', 'read @450'],
      grantedAt: 450,
    });
  });

  test('a refusal without the record (dynalite): one read replaces it', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 250));
    await store.inner.restart(START + 200, 250);
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    store.writeReplies.push(refused(undefined));

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['restart at 250 +250', 'read @250', 'advance +250 from 250', 'sleep 200', 'read @450'],
      grantedAt: 450,
    });
  });

  test('a refusal whose read finds no record: a restart again', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 250));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    store.writeReplies.push(refused(undefined));
    store.readReplies.push(undefined);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 250 +250', 'read @250', 'restart at 250 +250'], grantedAt: 250 });
  });

  test('a refusal\'s record replaces what was known, also when it is lower (a record reset by hand)', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store); // known and stored: tat at 250
    store.timeline.advance(100);
    store.writeReplies.push(refused({ tat: START + 50, pausedUntil: 0 }));

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['advance +250 from 100', 'restart at 100 +250', 'advance +250 from 100', 'sleep 150', 'read @250'],
      grantedAt: 250,
    });
  });
});

describe('GcraRequestBudget: the guard', () => {
  test('a write that came back more than the guard after its slot is let go: the caller takes the next slot', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 20 });
    store.writeLatenciesMs.push(21);

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['restart at 0 +255', 'advance +255 from 42', 'sleep 214', 'read @235', 'sleep 20'],
      grantedAt: 255,
    });
  });

  test('after a slow write, an idle restart aims one round trip ahead, and the caller sleeps to it', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 50 });
    store.writeLatenciesMs.push(30);
    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 0 +263'], grantedAt: 30 });
    store.timeline.advance(970);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 1030 +263', 'sleep 30'], grantedAt: 1030 });
  });

  test('the pause check before a slot is sent a guard and one round trip ahead of it', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 50 });
    await oneAcquire(budget, store);
    store.writeLatenciesMs.push(30);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +263 from 0', 'sleep 153', 'read @183', 'sleep 80'], grantedAt: 263 });
  });

  test('a write that came back exactly a guard after its slot is used', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 20 });
    store.writeLatenciesMs.push(20);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 0 +255'], grantedAt: 20 });
  });

  test('a pause check that came back more than the guard after the slot: the slot is let go', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 20 });
    await oneAcquire(budget, store);
    store.readLatenciesMs.push(41);

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['advance +255 from 0', 'sleep 235', 'read @235', 'advance +255 from 317', 'sleep 214', 'read @490', 'sleep 20'],
      grantedAt: 510,
    });
  });

  test('a pause check that came back exactly a guard after the slot: the grant is used', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 20 });
    await oneAcquire(budget, store);
    store.readLatenciesMs.push(40);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +255 from 0', 'sleep 235', 'read @235'], grantedAt: 275 });
  });
});

describe('GcraRequestBudget: pauses', () => {
  test('after pauseUntil nobody is granted before the pause ends, in this process or another one', async () => {
    const timeline = new FakeTimeline(START + 100);
    const store = new InMemoryRateLimitStore();
    const first = new GcraRequestBudget(store, { maxPerSecond: 10, guardMs: 50 }, timeline);
    const other = new GcraRequestBudget(store, { maxPerSecond: 10, guardMs: 50 }, timeline);
    await timeline.run(first.acquire());

    await first.pauseUntil(START + 2500);
    const granted: number[] = [];
    await timeline.run(Promise.all([first, other, other].map((budget) => budget.acquire().then(() => granted.push(timeline.now() - START)))));

    expect(granted).toEqual([2500, 2605, 2710]);
  });

  test('the process that paused starts at the pause\'s end with one write', async () => {
    const store = new RecordingStore(new FakeTimeline(START + 100));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await budget.pauseUntil(START + 2500);

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['restart at 2500 +250', 'sleep 2400', 'read @2500'], grantedAt: 2500 });
  });

  test('a process that did not see the pause: the refused advance tells it, and a restart at its end follows', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store);
    await store.inner.extendPause(START + 1000);

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['advance +250 from 0', 'restart at 1000 +250', 'sleep 1000', 'read @1000'],
      grantedAt: 1000,
    });
  });

  test('a pause stored while a caller sleeps on its slot: the read before the slot lets it go, and it waits for the pause', async () => {
    const timeline = new FakeTimeline(START);
    const store = new RecordingStore(timeline);
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 10 });
    const other = new GcraRequestBudget(store.inner, { maxPerSecond: 4, guardMs: 10 }, timeline);
    await oneAcquire(budget, store);
    timeline.at(START + 100, () => void other.pauseUntil(START + 3000));

    expect(await oneAcquire(budget, store)).toEqual({
      calls: ['advance +253 from 0', 'sleep 243', 'read @243', 'restart at 3000 +253', 'sleep 2747', 'read @2990', 'sleep 10'],
      grantedAt: 3000,
    });
  });

  test('a pause that ends at the slot does not hold', async () => {
    const timeline = new FakeTimeline(START);
    const store = new RecordingStore(timeline);
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 10 });
    await oneAcquire(budget, store);
    timeline.at(START + 100, () => void store.inner.extendPause(START + 253));

    expect(await oneAcquire(budget, store)).toEqual({ calls: ['advance +253 from 0', 'sleep 243', 'read @243', 'sleep 10'], grantedAt: 253 });
  });

  test('a pause is never shortened by a later, shorter one', async () => {
    const timeline = new FakeTimeline(START + 100);
    const store = new InMemoryRateLimitStore();
    const budget = new GcraRequestBudget(store, { maxPerSecond: 10 }, timeline);

    await budget.pauseUntil(START + 5300);
    await budget.pauseUntil(START + 1300);
    await timeline.run(new GcraRequestBudget(store, { maxPerSecond: 10 }, timeline).acquire());

    expect(timeline.now()).toBe(START + 5300);
  });
});

describe('GcraRequestBudget: notAfterMs', () => {
  test('a queue known to reach past the limit: rejected at once, without a store call or a sleep', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store); // the next slot: 250

    store.calls.length = 0;
    const error = await refusal(budget.acquire(undefined, START + 249));

    expect(error).toBeInstanceOf(BudgetWaitTooLongError);
    expect(error).toMatchObject({ name: 'BudgetWaitTooLongError', retryAtMs: START + 250 });
    expect((error as Error).message).toBe(`the request budget has no grant before ${START + 250}, later than ${START + 249}`);
    expect(store.calls).toEqual([]);
    expect(store.timeline.pendingTimers).toBe(0);
  });

  test('a limit at the slot itself is met', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store);

    expect(await oneAcquire(budget, store, 250)).toEqual({ calls: ['advance +250 from 0 to 250', 'sleep 250', 'read @250'], grantedAt: 250 });
  });

  test('a queue it did not know of: one refused write tells it, then the rejection, with no sleep', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    await store.inner.restart(START + 900, 250);
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });

    const error = await refusal(budget.acquire(undefined, START + 500));

    expect(error).toMatchObject({ retryAtMs: START + 1150 });
    expect(store.calls).toEqual(['restart at 0 +250']);
  });

  test('a queue it knew of, grown past the limit since: the refused advance tells it', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await oneAcquire(budget, store);
    await store.inner.advance(250, START, undefined); // another process took 250

    const error = await refusal(budget.acquire(undefined, START + 400));

    expect(error).toMatchObject({ retryAtMs: START + 500 });
    expect(store.calls).toEqual(['restart at 0 +250', 'advance +250 from 0 to 400']);
  });

  test('a pause known to end past the limit: rejected at once with its end', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });
    await budget.pauseUntil(START + 3000);
    store.calls.length = 0;

    expect(await refusal(budget.acquire(undefined, START + 2999))).toMatchObject({ retryAtMs: START + 3000 });
    expect(store.calls).toEqual([]);
  });

  test('now past the limit: rejected with now', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 4, guardMs: 0 });

    expect(await refusal(budget.acquire(undefined, START - 1))).toMatchObject({ retryAtMs: START });
  });
});

describe('GcraRequestBudget: aborts', () => {
  test('a signal aborted before acquire rejects with its reason without any store call', async () => {
    const store = new RecordingStore(new FakeTimeline(START));
    const budget = budgetOver(store, { maxPerSecond: 3 });
    const controller = new AbortController();
    controller.abort(new Error('deadline'));

    await expect(store.timeline.run(budget.acquire(controller.signal))).rejects.toThrow('deadline');
    expect(store.calls).toEqual([]);
  });

  test('an abort while waiting for its slot rejects with the signal\'s reason at that moment', async () => {
    const timeline = new FakeTimeline(START);
    const store = new InMemoryRateLimitStore();
    const budget = new GcraRequestBudget(store, { maxPerSecond: 1, guardMs: 0 }, timeline);
    await timeline.run(budget.acquire());
    const controller = new AbortController();
    timeline.at(START + 400, () => controller.abort(new Error('deadline')));

    await expect(timeline.run(budget.acquire(controller.signal))).rejects.toThrow('deadline');
    expect(timeline.now()).toBe(START + 400);
  });
});

describe('InMemoryRateLimitStore', () => {
  test('advance needs a record whose tat is from `from` to `notAfter`, with no pause past it', async () => {
    const store = new InMemoryRateLimitStore();
    expect(await store.advance(100, START, undefined)).toEqual({ reserved: false, state: undefined });

    await store.restart(START, 100);
    expect(await store.advance(100, START + 101, undefined)).toEqual({ reserved: false, state: { tat: START + 100, pausedUntil: 0 } });
    expect(await store.advance(100, START, START + 99)).toEqual({ reserved: false, state: { tat: START + 100, pausedUntil: 0 } });
    expect(await store.advance(100, START + 100, START + 100)).toEqual({
      reserved: true,
      slotMs: START + 100,
      state: { tat: START + 200, pausedUntil: 0 },
    });

    await store.extendPause(START + 200);
    expect(await store.advance(100, START, undefined)).toMatchObject({ reserved: true, slotMs: START + 200 });
    await store.extendPause(START + 301);
    expect((await store.advance(100, START, undefined)).reserved).toBe(false);
    await store.extendPause(START + 300);
    expect(store.state).toEqual({ tat: START + 300, pausedUntil: START + 301 });
  });

  test('restart needs tat and the pause at or before the slot', async () => {
    const store = new InMemoryRateLimitStore();
    expect(await store.restart(START, 100)).toEqual({ reserved: true, slotMs: START, state: { tat: START + 100, pausedUntil: 0 } });
    expect(await store.restart(START + 99, 100)).toEqual({ reserved: false, state: { tat: START + 100, pausedUntil: 0 } });
    expect((await store.restart(START + 100, 100)).reserved).toBe(true);

    await store.extendPause(START + 500);
    expect((await store.restart(START + 499, 100)).reserved).toBe(false);
    expect(await store.restart(START + 500, 100)).toEqual({
      reserved: true,
      slotMs: START + 500,
      state: { tat: START + 600, pausedUntil: START + 500 },
    });
  });

  test('a pause on no record stores one without tat; a pause that moves nothing stores nothing', async () => {
    const store = new InMemoryRateLimitStore();
    await store.extendPause(0);
    expect(store.state).toBeUndefined();
    expect(await store.read()).toBeUndefined();

    await store.extendPause(START);
    expect(await store.read()).toEqual({ tat: 0, pausedUntil: START });
  });
});

describe('realBudgetTime', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('reads the wall clock and sleeps on timers', async () => {
    jest.useFakeTimers({ now: START + 123 });
    expect(realBudgetTime.now()).toBe(START + 123);
    let done = false;
    const sleep = realBudgetTime.sleep(200).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(199);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await sleep;
    expect(done).toBe(true);
  });

  test('an abort during the sleep rejects with the signal\'s reason, leaving no timer and no listener', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('deadline');
    const sleep = realBudgetTime.sleep(60_000, controller.signal);

    controller.abort(reason);

    await expect(sleep).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('a sleep with a signal that never aborts resolves and leaves no listener', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const sleep = realBudgetTime.sleep(100, controller.signal);
    await jest.advanceTimersByTimeAsync(100);
    await expect(sleep).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('UNLIMITED_BUDGET', () => {
  test('grants at once, whatever the limit, and refuses once the signal aborted', async () => {
    const controller = new AbortController();
    await expect(UNLIMITED_BUDGET.acquire()).resolves.toBeUndefined();
    await expect(UNLIMITED_BUDGET.acquire(controller.signal, 0)).resolves.toBeUndefined();
    await expect(UNLIMITED_BUDGET.pauseUntil(START)).resolves.toBeUndefined();
    controller.abort(new Error('deadline'));
    await expect(UNLIMITED_BUDGET.acquire(controller.signal)).rejects.toThrow('deadline');
  });
});
