import { backoffPauseMs, type BackoffSettings } from '../contracts/backoff-schedule.ts';

export { backoffPauseMs, type BackoffSettings };

/**
 * How long to leave a failing dependency alone: after the n-th failure in a row the next attempt
 * waits initialMs × 2^(n-1), capped at maxMs; a success starts over. Times come from the caller
 * (an injected clock), so the schedule can be tested without waiting.
 */
export class Backoff {
  readonly #settings: BackoffSettings;
  #failures = 0;
  #retryAt = Number.NEGATIVE_INFINITY;

  constructor(settings: BackoffSettings) {
    if (!(settings.initialMs > 0 && settings.maxMs >= settings.initialMs)) {
      throw new Error('back-off needs 0 < initialMs <= maxMs');
    }
    this.#settings = settings;
  }

  /** Records a failure at `now` and returns the pause before the next attempt. */
  failed(now: number): number {
    this.#failures += 1;
    const pause = backoffPauseMs(this.#settings, this.#failures);
    this.#retryAt = now + pause;
    return pause;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#retryAt = Number.NEGATIVE_INFINITY;
  }

  /** Whether an attempt at `now` falls inside the pause that followed the last failure. */
  pausedAt(now: number): boolean {
    return now < this.#retryAt;
  }
}
