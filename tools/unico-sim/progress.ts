/**
 * The live progress line of `deliver`: written to stderr, only when it is a terminal, redrawn in
 * place with a carriage return and cleared at the end so the summary starts on a clean line.
 */
import type { Clock } from './http-sender.ts';

export interface ProgressCounts {
  readonly total: number;
  readonly done: number;
  readonly delivered: number;
  readonly failed: number;
  readonly attempts: number;
  readonly retries: number;
  readonly inFlight: number;
}

export function renderProgress(counts: ProgressCounts, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((counts.done * 1000) / elapsedMs) : 0;
  const width = String(counts.total).length;
  return `unico-sim ${String(counts.done).padStart(width)}/${counts.total} done`
    + `  ok ${counts.delivered}  failed ${counts.failed}  retries ${counts.retries}`
    + `  in flight ${counts.inFlight}  ${rate}/s  ${(elapsedMs / 1000).toFixed(1)} s`;
}

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressLine {
  readonly #write: (text: string) => void;
  readonly #enabled: boolean;
  readonly #clock: Clock;
  readonly #started: number;
  readonly #everyMs: number;
  #lastDrawn = Number.NEGATIVE_INFINITY;
  #drawn = false;

  /** `enabled` is false when stderr is not a terminal: then nothing is ever written. */
  constructor(write: (text: string) => void, enabled: boolean, clock: Clock, everyMs = 100) {
    this.#write = write;
    this.#enabled = enabled;
    this.#clock = clock;
    this.#started = clock();
    this.#everyMs = everyMs;
  }

  update(counts: ProgressCounts, force = false): void {
    if (!this.#enabled) {
      return;
    }
    const now = this.#clock();
    if (!force && now - this.#lastDrawn < this.#everyMs) {
      return;
    }
    this.#lastDrawn = now;
    this.#drawn = true;
    this.#write(`${CLEAR_LINE}${renderProgress(counts, now - this.#started)}`);
  }

  finish(): void {
    if (this.#enabled && this.#drawn) {
      this.#write(CLEAR_LINE);
    }
  }
}
