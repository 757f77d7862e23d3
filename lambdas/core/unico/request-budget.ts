/**
 * A requests-per-second budget for calls to Unico, shared by every concurrent Lambda (processor
 * and fallback together): Unico gives a tenant 10 requests per second across its API (token and
 * GetProcess alike), and a 429 from it means everybody should hold off.
 *
 * The budget is a fixed window of one wall-clock second, kept in one shared record:
 *
 *   { windowSecond, grants, pausedUntil }
 *
 * acquire() takes one grant with a single conditional write, of one of two kinds:
 *   take: grants + 1   if windowSecond = this second, grants < max, and no pause runs now;
 *   open: windowSecond = this second, grants = 1   if the stored window is older (or absent),
 *         and no pause runs now.
 * When neither applies, the caller learns the record (from the failed write, or one consistent
 * read) and sleeps: until `pausedUntil` when a pause runs, else until the next second (plus a
 * little jitter, so waiters do not all wake at the same millisecond); then it tries again,
 * for as long as its signal allows.
 *
 * Why it holds:
 * - Every grant is one conditional write on one record, and the store applies writes to one
 *   record one at a time, so two callers can never both see "grants = max - 1" and both pass:
 *   each window value gets at most `max` grants, whatever the number of callers or Lambdas.
 * - `windowSecond` only grows (open requires the stored one to be older), so a window once left
 *   is never reopened, even by a caller whose clock lags: it simply waits.
 * - A grant is used at once. A grant taken in the last `guardMs` of its second (or whose write
 *   came back that late) is not used: the caller lets it go and tries again in the next second.
 *   A request sent under a grant of second s thus leaves before s + 1 - guardMs and reaches
 *   Unico within second s if it travels faster than the guard, so Unico counts at most `max` in
 *   any of its seconds, also when clocks differ by less than the guard.
 * - pauseUntil(t) only moves `pausedUntil` forward. Both writes refuse while a pause runs, so
 *   after a 429 with Retry-After no caller anywhere is granted a request before t; only requests
 *   granted before the pause was stored may still be on their way.
 *
 * The store needs no transactions, no TTL and no old values returned by failed conditions
 * (when it cannot return them, one read replaces them), so it works on DynamoDB and dynalite.
 * All callers of one record must use the same `maxPerSecond`.
 */

/** What every call to Unico goes through first. */
export interface RequestBudget {
  /** Resolves when one request may be sent now; rejects with the signal's reason when it aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** No request is granted anywhere before `epochMs` (a 429's Retry-After). Never shortens a pause. */
  pauseUntil(epochMs: number): Promise<void>;
}

/** Unico's default per tenant: 10 requests per second across its API. */
export const UNICO_TENANT_REQUESTS_PER_SECOND = 10;

/** The shared record. Times are epoch milliseconds, the window an epoch second. */
export interface RateWindowState {
  readonly windowSecond: number;
  readonly grants: number;
  /** 0 when no pause was ever set. */
  readonly pausedUntil: number;
}

export type RateWindowAttempt =
  | { readonly granted: true }
  /** `state` is the record as the failed write saw it, when the store could tell. */
  | { readonly granted: false; readonly state: RateWindowState | undefined };

/** Where the record lives (DynamoDB in AWS and in the local stack; memory in unit tests). */
export interface RateWindowStore {
  /** One more grant in `windowSecond`, if it is the stored window, it holds fewer than `max`, and no pause runs at `nowMs`. */
  take(windowSecond: number, max: number, nowMs: number, signal?: AbortSignal): Promise<RateWindowAttempt>;
  /** Starts `windowSecond` with one grant, if the stored window is older (or none) and no pause runs at `nowMs`. */
  open(windowSecond: number, nowMs: number, signal?: AbortSignal): Promise<RateWindowAttempt>;
  /** The record, read consistently; undefined when it does not exist yet. */
  read(signal?: AbortSignal): Promise<RateWindowState | undefined>;
  /** pausedUntil = max(pausedUntil, untilMs). */
  extendPause(untilMs: number, signal?: AbortSignal): Promise<void>;
}

export interface WindowedBudgetSettings {
  /** Grants per wall-clock second, across every caller of the store. */
  readonly maxPerSecond: number;
  /** No grant is used in the last `guardMs` of a second (see above). Default 100. */
  readonly guardMs?: number;
  /** Waiters wake up to this many ms after the moment they wait for. Default 50. */
  readonly jitterMs?: number;
}

/** Clock (epoch ms), sleep and randomness: the real ones by default, fakes in tests. */
export interface BudgetTime {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export const realBudgetTime: BudgetTime = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableSleep(ms, signal),
  random: Math.random,
};

const DEFAULT_GUARD_MS = 100;
const DEFAULT_JITTER_MS = 50;
/** A failed write followed by a read that shows room is a race lost to another caller: try again at once, a few times. */
const IMMEDIATE_RETRIES = 3;

/** The second that holds `nowMs`, and when it ends. */
export function windowOf(nowMs: number): { readonly second: number; readonly endsAt: number } {
  const second = Math.floor(nowMs / 1000);
  return { second, endsAt: (second + 1) * 1000 };
}

/** Whether a grant at `nowMs` may still be used in its window `second` (outside the guard at its end). */
export function usableAt(second: number, nowMs: number, guardMs: number): boolean {
  return nowMs >= second * 1000 && nowMs < (second + 1) * 1000 - guardMs;
}

/**
 * When to try again after a refused grant at `nowMs`, given the record: at the end of a pause,
 * else at the start of the next second; `undefined` when the record shows room (a lost race).
 */
export function nextAttemptAt(state: RateWindowState | undefined, nowMs: number, maxPerSecond: number): number | undefined {
  const { second, endsAt } = windowOf(nowMs);
  if (state === undefined) return undefined;
  if (state.pausedUntil > nowMs) return Math.max(state.pausedUntil, nowMs);
  if (state.windowSecond < second) return undefined;
  if (state.windowSecond === second && state.grants < maxPerSecond) return undefined;
  // The window is full, or a caller whose clock runs ahead opened a later one: wait for it.
  return Math.max(endsAt, state.windowSecond * 1000);
}

/** The budget over a shared store: see the top of this file for how it holds. */
export class WindowedRequestBudget implements RequestBudget {
  readonly #store: RateWindowStore;
  readonly #max: number;
  readonly #guardMs: number;
  readonly #jitterMs: number;
  readonly #time: BudgetTime;
  /** The last window this process saw opened: then `take` is tried before `open`. */
  #lastSeenSecond = Number.NEGATIVE_INFINITY;

  constructor(store: RateWindowStore, settings: WindowedBudgetSettings, time: BudgetTime = realBudgetTime) {
    const guardMs = settings.guardMs ?? DEFAULT_GUARD_MS;
    const jitterMs = settings.jitterMs ?? DEFAULT_JITTER_MS;
    if (!Number.isInteger(settings.maxPerSecond) || settings.maxPerSecond < 1) {
      throw new RangeError('maxPerSecond must be a whole number of at least 1');
    }
    if (!(guardMs >= 0 && guardMs <= 500 && jitterMs >= 0 && jitterMs <= 500)) {
      throw new RangeError('guardMs and jitterMs must be from 0 to 500');
    }
    this.#store = store;
    this.#max = settings.maxPerSecond;
    this.#guardMs = guardMs;
    this.#jitterMs = jitterMs;
    this.#time = time;
  }

  get maxPerSecond(): number {
    return this.#max;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    let immediateRetries = 0;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#time.now();
      const { second, endsAt } = windowOf(now);
      if (!usableAt(second, now, this.#guardMs)) {
        await this.#sleepUntil(endsAt, signal);
        continue;
      }

      const attempt = await this.#tryGrant(second, now, signal);
      if (attempt.granted) {
        this.#lastSeenSecond = second;
        // The write may have come back late: a grant is used only inside its own window.
        if (usableAt(second, this.#time.now(), this.#guardMs)) return;
        continue;
      }

      const state = attempt.state ?? (await this.#store.read(signal));
      const wakeAt = nextAttemptAt(state, this.#time.now(), this.#max);
      if (state !== undefined && state.windowSecond >= second) this.#lastSeenSecond = state.windowSecond;
      if (wakeAt === undefined && immediateRetries < IMMEDIATE_RETRIES) {
        immediateRetries += 1;
        continue;
      }
      immediateRetries = 0;
      await this.#sleepUntil(wakeAt ?? endsAt, signal);
    }
  }

  async pauseUntil(epochMs: number): Promise<void> {
    await this.#store.extendPause(epochMs);
  }

  /** take and open, in the order most likely to succeed first; the refusal of the second when both fail. */
  async #tryGrant(second: number, now: number, signal: AbortSignal | undefined): Promise<RateWindowAttempt> {
    const takeFirst = this.#lastSeenSecond === second;
    const first = takeFirst
      ? await this.#store.take(second, this.#max, now, signal)
      : await this.#store.open(second, now, signal);
    if (first.granted) return first;
    // The first refusal already tells why when the store returned the record.
    if (first.state !== undefined && !this.#otherMightSucceed(first.state, second, now, takeFirst)) return first;
    const other = takeFirst
      ? await this.#store.open(second, now, signal)
      : await this.#store.take(second, this.#max, now, signal);
    return other.granted || other.state !== undefined ? other : first.state !== undefined ? first : other;
  }

  /** Whether, given the record that refused one write, the other write could pass. */
  #otherMightSucceed(state: RateWindowState, second: number, now: number, triedTake: boolean): boolean {
    if (state.pausedUntil > now) return false;
    return triedTake ? state.windowSecond < second : state.windowSecond === second && state.grants < this.#max;
  }

  async #sleepUntil(epochMs: number, signal: AbortSignal | undefined): Promise<void> {
    const jitter = Math.floor(this.#time.random() * this.#jitterMs);
    const ms = Math.max(0, epochMs - this.#time.now()) + jitter;
    await this.#time.sleep(ms, signal);
  }
}

/**
 * The record in this process's memory: the budget for a single process (a tool, a test) and the
 * model the DynamoDB store is tested against. Each call applies atomically, as a conditional
 * write does, and returns the record on refusal.
 */
export class InMemoryRateWindowStore implements RateWindowStore {
  #state: RateWindowState | undefined;

  get state(): RateWindowState | undefined {
    return this.#state;
  }

  async take(windowSecond: number, max: number, nowMs: number): Promise<RateWindowAttempt> {
    const state = this.#state;
    if (state === undefined || state.windowSecond !== windowSecond || state.grants >= max || state.pausedUntil > nowMs) {
      return { granted: false, state };
    }
    this.#state = { ...state, grants: state.grants + 1 };
    return { granted: true };
  }

  async open(windowSecond: number, nowMs: number): Promise<RateWindowAttempt> {
    const state = this.#state;
    if (state !== undefined && (state.windowSecond >= windowSecond || state.pausedUntil > nowMs)) {
      return { granted: false, state };
    }
    this.#state = { windowSecond, grants: 1, pausedUntil: state?.pausedUntil ?? 0 };
    return { granted: true };
  }

  async read(): Promise<RateWindowState | undefined> {
    return this.#state;
  }

  async extendPause(untilMs: number): Promise<void> {
    const state = this.#state ?? { windowSecond: 0, grants: 0, pausedUntil: 0 };
    if (untilMs > state.pausedUntil) this.#state = { ...state, pausedUntil: untilMs };
  }
}

/** No budget: every acquire resolves at once. For tools pointed at a Unico nobody else calls. */
export const UNLIMITED_BUDGET: RequestBudget = {
  acquire: async (signal) => signal?.throwIfAborted(),
  pauseUntil: async () => undefined,
};

/** setTimeout as a promise that rejects with the signal's reason when it aborts first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
