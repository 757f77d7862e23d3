/**
 * A requests-per-second budget for calls to Unico, shared by every concurrent Lambda: Unico gives
 * a tenant 10 requests per second across its API (token and GetProcess alike), counted over a
 * sliding window, and a 429 from it means everybody should hold off.
 *
 * The budget is GCRA (the generic cell rate algorithm) used as a scheduler: one shared value, the
 * theoretical arrival time `tat` (the first free slot), and `pausedUntil`. Slots are an emission
 * interval T = ceil((1000 + guardMs) / maxPerSecond) ms apart, with a burst of 1 (tolerance 0).
 * acquire() reserves the slot s = max(tat, pausedUntil, now + r) and sets tat = s + T, with ONE
 * conditional write on the record, of one of two kinds (r: this process's last round trip to the
 * store, so that the answer is back by the slot):
 *   advance: tat = tat + T   if now + r <= tat <= notAfter and pausedUntil <= tat (a queue: s = tat);
 *   restart: tat = s + T     if tat <= s (or none) and pausedUntil <= s (idle: s = now + r or the pause's end).
 * Advances never race each other (the store applies them one after the other, each to the value
 * the last one left), so a crowd of callers costs one write per grant, not one per caller per slot.
 * A refused write (the wrong kind for the record, or a pause) returns the record (or one read
 * replaces it), and the caller picks the right kind from it. It then sleeps until its slot.
 *
 * Why no sliding 1,000 ms window sees more than maxPerSecond grants:
 * - A grant is used at a moment u in [s, s + guardMs]: after its slot, and never later than the
 *   guard (a write that came back later, or a sleep that overran, lets the slot go). Slots are
 *   at least T apart, so grants n apart satisfy u_n - u_1 >= (n - 1)T - guardMs. With n = max + 1,
 *   (n - 1)T >= 1000 + guardMs, so u_n - u_1 >= 1000: they never share a window [t, t + 1000).
 * - A burst above 1 would break this: with tolerance (B - 1)T, B - 1 grants more fit in a window.
 *   So the burst is 1; the guard costs throughput instead: max * 1000 / (1000 + guardMs) per second.
 * - The guard exists because a write takes time: the slot is fixed when the store applies it, the
 *   grant is used when the answer comes back. It also absorbs small clock differences between Lambdas.
 * - pauseUntil(t) only moves `pausedUntil` forward, and both writes refuse a slot before it. A caller
 *   that reserved a slot ahead reads the record once more, to have the answer a guard before the
 *   slot, and lets the slot go when a pause stored meanwhile covers it: after a 429 with
 *   Retry-After, no grant anywhere before t, save those already checked (about a guard and a
 *   round trip before their slot).
 * - `tat` and `pausedUntil` only grow, so what a process last saw is a lower bound of the record:
 *   when it already puts the earliest grant after the caller's `notAfterMs`, acquire rejects at
 *   once, without a write.
 *
 * Unused slots (an abort, a late write) are simply lost: the budget only ever errs on the side of
 * fewer requests. All callers of one record must use the same maxPerSecond and guardMs.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

/** What every call to Unico goes through first. */
export interface RequestBudget {
  /**
   * Resolves when one request may be sent now. Rejects with the signal's reason when it aborts
   * first, and at once with BudgetWaitTooLongError when no grant can come by `notAfterMs` (epoch ms).
   */
  acquire(signal?: AbortSignal, notAfterMs?: number): Promise<void>;
  /** No request is granted anywhere before `epochMs` (a 429's Retry-After). Never shortens a pause. */
  pauseUntil(epochMs: number): Promise<void>;
}

/** The earliest grant comes after the caller's limit: it did not wait for it. */
export class BudgetWaitTooLongError extends Error {
  override readonly name = 'BudgetWaitTooLongError';
  /** Epoch ms when asking again makes sense (the next free slot, or the pause's end). */
  readonly retryAtMs: number;

  constructor(retryAtMs: number, notAfterMs: number) {
    super(`the request budget has no grant before ${retryAtMs}, later than ${notAfterMs}`);
    this.retryAtMs = retryAtMs;
  }
}

/** Unico's default per tenant: 10 requests per second across its API. */
export const UNICO_TENANT_REQUESTS_PER_SECOND = 10;

/** The shared record. Epoch milliseconds; 0 when never set. */
export interface RateLimitState {
  /** The theoretical arrival time: the first slot nobody holds. */
  readonly tat: number;
  readonly pausedUntil: number;
}

export type Reservation =
  /** `slotMs` is the slot this write took; `state` the record it left. */
  | { readonly reserved: true; readonly slotMs: number; readonly state: RateLimitState }
  /** `state` is the record as the refused write saw it, when the store could tell. */
  | { readonly reserved: false; readonly state: RateLimitState | undefined };

/** Where the record lives (DynamoDB in AWS and in the local stack; memory in unit tests). */
export interface RateLimitStore {
  /** Takes the slot `tat` (tat += intervalMs) if fromMs <= tat <= notAfterMs and no pause runs past tat. */
  advance(intervalMs: number, fromMs: number, notAfterMs: number | undefined, signal?: AbortSignal): Promise<Reservation>;
  /** Takes the slot `slotMs` (tat = slotMs + intervalMs) if tat <= slotMs (or none) and no pause runs past it. */
  restart(slotMs: number, intervalMs: number, signal?: AbortSignal): Promise<Reservation>;
  /** The record, read consistently; undefined when it does not exist yet. */
  read(signal?: AbortSignal): Promise<RateLimitState | undefined>;
  /** pausedUntil = max(pausedUntil, untilMs). */
  extendPause(untilMs: number, signal?: AbortSignal): Promise<void>;
}

export interface GcraBudgetSettings {
  /** Grants in any sliding 1,000 ms, across every caller of the store. */
  readonly maxPerSecond: number;
  /** How late after its slot a grant may still be used (see above). Default 100. */
  readonly guardMs?: number;
}

/** Clock (epoch ms) and sleep: the real ones by default, fakes in tests. */
export interface BudgetTime {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const realBudgetTime: BudgetTime = {
  now: () => Date.now(),
  // node:timers/promises rejects with an AbortError; callers expect the signal's own reason.
  sleep: (ms, signal) =>
    sleepFor(ms, undefined, signal === undefined ? {} : { signal }).catch((error: unknown) => {
      throw signal?.reason ?? error;
    }),
};

// Also what a request may lag behind its grant on the way to Unico (a busy event loop, the network)
// and still be counted in its own second: 100 ms costs a tenth of the throughput.
const DEFAULT_GUARD_MS = 100;
const NO_RECORD: RateLimitState = { tat: 0, pausedUntil: 0 };

/** The emission interval: max + 1 grants used up to a guard late still span 1,000 ms. */
export function emissionIntervalMs(maxPerSecond: number, guardMs: number): number {
  return Math.ceil((1000 + guardMs) / maxPerSecond);
}

/** The budget over a shared store: see the top of this file for how it holds. */
export class GcraRequestBudget implements RequestBudget {
  readonly #store: RateLimitStore;
  readonly #guardMs: number;
  readonly #intervalMs: number;
  readonly #time: BudgetTime;
  /** The record as this process last saw it: a lower bound of the stored one. */
  #known: RateLimitState = NO_RECORD;
  /** How long this process's last call to the store took, there and back. */
  #roundTripMs = 0;

  constructor(store: RateLimitStore, settings: GcraBudgetSettings, time: BudgetTime = realBudgetTime) {
    const guardMs = settings.guardMs ?? DEFAULT_GUARD_MS;
    if (!Number.isInteger(settings.maxPerSecond) || settings.maxPerSecond < 1) {
      throw new RangeError('maxPerSecond must be a whole number of at least 1');
    }
    if (!Number.isInteger(guardMs) || guardMs < 0 || guardMs > 500) {
      throw new RangeError('guardMs must be a whole number from 0 to 500');
    }
    this.#store = store;
    this.#guardMs = guardMs;
    this.#intervalMs = emissionIntervalMs(settings.maxPerSecond, guardMs);
    this.#time = time;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  async acquire(signal?: AbortSignal, notAfterMs?: number): Promise<void> {
    for (;;) {
      const slot = await this.#reserve(signal, notAfterMs);
      if (await this.#useAt(slot, signal)) return;
    }
  }

  async pauseUntil(epochMs: number): Promise<void> {
    await this.#store.extendPause(epochMs);
    this.#learn({ tat: 0, pausedUntil: epochMs });
  }

  /** One slot, taken with one write when what this process knows is right (two when not). */
  async #reserve(signal: AbortSignal | undefined, notAfterMs: number | undefined): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#time.now();
      // A slot sooner than a write takes would be lost on arrival: aim one round trip ahead.
      const from = now + this.#roundTripMs;
      const { tat, pausedUntil } = this.#known;
      const earliest = Math.max(from, tat, pausedUntil);
      if (notAfterMs !== undefined && earliest > notAfterMs) throw new BudgetWaitTooLongError(earliest, notAfterMs);

      // A queue runs (tat ahead, no pause past it): join it. Otherwise start at `from` or the pause's end.
      const reservation = await this.#timed(() =>
        tat >= from && pausedUntil <= tat
          ? this.#store.advance(this.#intervalMs, from, notAfterMs, signal)
          : this.#store.restart(Math.max(from, pausedUntil), this.#intervalMs, signal),
      );
      if (reservation.reserved) {
        this.#learn(reservation.state);
        return reservation.slotMs;
      }
      // The record as it is now replaces what this process knew (also if it was reset).
      this.#known = reservation.state ?? (await this.#timed(() => this.#store.read(signal))) ?? NO_RECORD;
    }
  }

  /** Sleeps until `slot`; whether the grant may be used then (false: let it go and reserve again). */
  async #useAt(slot: number, signal: AbortSignal | undefined): Promise<boolean> {
    const wake = slot - this.#guardMs - this.#roundTripMs;
    if (this.#time.now() < wake) {
      // Reserved ahead: a pause may have been stored since. Read the record, to have the answer
      // a guard before the slot.
      await this.#time.sleep(wake - this.#time.now(), signal);
      const state = (await this.#timed(() => this.#store.read(signal))) ?? NO_RECORD;
      this.#learn(state);
      if (state.pausedUntil > slot) return false;
    }
    const now = this.#time.now();
    if (now < slot) await this.#time.sleep(slot - now, signal);
    // A write (or read) that came back later than the guard: using it now could crowd the next slots.
    return this.#time.now() <= slot + this.#guardMs;
  }

  /** A call to the store, its round trip remembered. */
  async #timed<T>(call: () => Promise<T>): Promise<T> {
    const sentAt = this.#time.now();
    const answer = await call();
    this.#roundTripMs = this.#time.now() - sentAt;
    return answer;
  }

  #learn(state: RateLimitState): void {
    this.#known = {
      tat: Math.max(this.#known.tat, state.tat),
      pausedUntil: Math.max(this.#known.pausedUntil, state.pausedUntil),
    };
  }
}

/**
 * The record in this process's memory: the budget for a single process (a tool, a test) and the
 * model the DynamoDB store is tested against. Each call applies atomically, as a conditional
 * write does, and returns the record on refusal.
 */
export class InMemoryRateLimitStore implements RateLimitStore {
  #state: RateLimitState | undefined;

  get state(): RateLimitState | undefined {
    return this.#state;
  }

  async advance(intervalMs: number, fromMs: number, notAfterMs: number | undefined): Promise<Reservation> {
    const state = this.#state;
    if (
      state === undefined ||
      state.tat < fromMs ||
      (notAfterMs !== undefined && state.tat > notAfterMs) ||
      state.pausedUntil > state.tat
    ) {
      return { reserved: false, state };
    }
    this.#state = { ...state, tat: state.tat + intervalMs };
    return { reserved: true, slotMs: state.tat, state: this.#state };
  }

  async restart(slotMs: number, intervalMs: number): Promise<Reservation> {
    const state = this.#state ?? NO_RECORD;
    if (state.tat > slotMs || state.pausedUntil > slotMs) return { reserved: false, state: this.#state };
    this.#state = { tat: slotMs + intervalMs, pausedUntil: state.pausedUntil };
    return { reserved: true, slotMs, state: this.#state };
  }

  async read(): Promise<RateLimitState | undefined> {
    return this.#state;
  }

  async extendPause(untilMs: number): Promise<void> {
    const state = this.#state ?? NO_RECORD;
    if (untilMs > state.pausedUntil) this.#state = { ...state, pausedUntil: untilMs };
  }
}

/** No budget: every acquire resolves at once. For tools pointed at a Unico nobody else calls. */
export const UNLIMITED_BUDGET: RequestBudget = {
  acquire: async (signal) => signal?.throwIfAborted(),
  pauseUntil: async () => undefined,
};
