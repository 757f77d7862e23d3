/**
 * A fake wall clock with timers, for code that sleeps on an injected `sleep`: `run(work)` lets
 * every ready promise go on and, when all are waiting, moves the clock to the earliest timer.
 * Time passes only through timers (or `advance`), so outcomes do not depend on the machine.
 */
interface Timer {
  readonly at: number;
  readonly order: number;
  readonly resolve: () => void;
}

export class FakeTimeline {
  #now: number;
  #timers: Timer[] = [];
  #order = 0;

  constructor(startMs: number) {
    this.#now = startMs;
  }

  readonly now = (): number => this.#now;

  /** Moves the clock forward without firing timers (a slow call that took `ms`). */
  advance(ms: number): void {
    this.#now += ms;
  }

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = { at: this.#now + Math.max(0, ms), order: this.#order++, resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((other) => other !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });

  /** Schedules `action` at `atMs` on this clock. */
  at(atMs: number, action: () => void): void {
    this.#timers.push({ at: atMs, order: this.#order++, resolve: action });
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Drives the clock until `work` settles; fails when it waits on nothing this clock controls. */
  async run<T>(work: Promise<T>, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    for (let step = 0; step < maxSteps; step += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return watched;
      this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#timers.shift();
      if (next === undefined) throw new Error('the work waits on something the fake clock does not control');
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
    }
    throw new Error(`the work did not settle within ${maxSteps} steps`);
  }
}
