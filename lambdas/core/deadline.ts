import { DeadlineExceededError } from './errors.ts';

/** Milliseconds since the epoch; injected so tests can move time. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/**
 * The moment by which a piece of work must be over, so that Unico gets its answer before the
 * timeout it was configured with. Every call to a dependency runs through `run`, which aborts the
 * call and gives up waiting once the time is spent: the SDK's own retries and back-off sleeps
 * cannot stretch an answer past the deadline.
 */
export class Deadline {
  readonly expiresAt: number;
  readonly #clock: Clock;

  constructor(expiresAt: number, clock: Clock = systemClock) {
    this.expiresAt = expiresAt;
    this.#clock = clock;
  }

  static after(milliseconds: number, clock: Clock = systemClock): Deadline {
    return new Deadline(clock() + milliseconds, clock);
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - this.#clock());
  }

  /** A deadline `milliseconds` earlier than this one, leaving room for work after it. */
  shortenedBy(milliseconds: number): Deadline {
    return new Deadline(this.expiresAt - milliseconds, this.#clock);
  }

  /**
   * Runs `work` with an AbortSignal that fires when the deadline passes, and settles no later
   * than that even if `work` ignores the signal.
   */
  async run<T>(operation: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const remaining = this.remainingMs();
    if (remaining <= 0) throw new DeadlineExceededError(operation);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new DeadlineExceededError(operation));
        reject(new DeadlineExceededError(operation));
      }, remaining);
    });
    try {
      return await Promise.race([work(controller.signal), expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * `work`'s result if it settles within `milliseconds`, else `fallback`. The work goes on either
 * way: this only bounds how long the caller waits for it.
 */
export async function resultWithin<T, F>(work: Promise<T>, milliseconds: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), milliseconds);
  });
  try {
    return await Promise.race([work, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
