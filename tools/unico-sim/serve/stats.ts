/**
 * What the simulator counts, as `GET {adminUrl}/stats` shows it. Requests to Unico's API are the
 * token requests and the GetProcess requests (admin calls are not counted): their peak per
 * second is what a tenant's budget of requests per second is about. Two peaks are kept: per
 * wall-clock second, and within any sliding 1,000 ms, which is how Unico counts (10 requests late
 * in one second and 10 early in the next exceed a budget of 10 although no wall-clock second does).
 */

/** The API requests the simulator serves. */
export type ApiRequestKind = 'token' | 'getProcess';

export interface WebhookCounts {
  /** Webhooks handed to the sender (admin `webhook`, and `finish` unless dropped). */
  readonly sent: number;
  /** Of those, answered 2xx by the receiver (after retries). */
  readonly delivered: number;
  /** Of those, never answered 2xx within the attempts. */
  readonly failed: number;
  /** `finish` webhooks dropped on purpose (--drop-webhooks). */
  readonly dropped: number;
}

export interface StatsSnapshot {
  readonly tokenRequests: number;
  readonly getProcessRequests: number;
  /** Most API requests (token and GetProcess) that arrived within one wall-clock second. */
  readonly peakRequestsPerSecond: number;
  /** Most API requests that arrived within any sliding 1,000 ms (from t to t + 999 ms). */
  readonly peakRequestsInAnySecond: number;
  /** GetProcess answers by status. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Token endpoint answers by status. */
  readonly tokenByStatus: Readonly<Record<string, number>>;
  readonly webhooks: WebhookCounts;
}

/** One API request as the request log keeps it: no headers, no bodies. */
export interface LoggedRequest {
  /** Arrival, epoch ms. */
  readonly at: number;
  readonly kind: ApiRequestKind;
  readonly processId?: string;
  /** The answer's status; undefined while it is being answered. */
  status?: number;
}

const SECONDS_KEPT = 10;
const SLIDING_WINDOW_MS = 1000;
const LOG_LIMIT = 10_000;

export class SimulatorStats {
  readonly #now: () => number;
  #tokenRequests = 0;
  #getProcessRequests = 0;
  #peak = 0;
  #slidingPeak = 0;
  /** Arrival times of the last 1,000 ms, oldest first. */
  #lastSecond: number[] = [];
  /** Arrivals per epoch second, for the last few seconds (clocks may step back a little). */
  readonly #perSecond = new Map<number, number>();
  #byStatus = new Map<string, number>();
  #tokenByStatus = new Map<string, number>();
  #webhooks = { sent: 0, delivered: 0, failed: 0, dropped: 0 };
  #log: LoggedRequest[] = [];

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts an API request as it arrives; returns its log entry (to set the status on) and the requests in its second so far. */
  arrived(kind: ApiRequestKind, processId?: string): { readonly entry: LoggedRequest; readonly inSameSecond: number } {
    const at = this.#now();
    if (kind === 'token') this.#tokenRequests += 1;
    else this.#getProcessRequests += 1;
    const second = Math.floor(at / 1000);
    const inSameSecond = (this.#perSecond.get(second) ?? 0) + 1;
    this.#perSecond.set(second, inSameSecond);
    this.#peak = Math.max(this.#peak, inSameSecond);
    this.#slidingPeak = Math.max(this.#slidingPeak, this.#inSlidingSecond(at));
    for (const kept of this.#perSecond.keys()) {
      if (kept < second - SECONDS_KEPT) this.#perSecond.delete(kept);
    }
    const entry: LoggedRequest = processId === undefined ? { at, kind } : { at, kind, processId };
    this.#log.push(entry);
    if (this.#log.length > LOG_LIMIT) this.#log.splice(0, this.#log.length - LOG_LIMIT);
    return { entry, inSameSecond };
  }

  /** Requests within the 1,000 ms that end with the one arriving at `at` (which is counted). */
  #inSlidingSecond(at: number): number {
    // A clock that steps back leaves later times in the list: they still count until they age out.
    this.#lastSecond = this.#lastSecond.filter((earlier) => earlier > at - SLIDING_WINDOW_MS);
    this.#lastSecond.push(at);
    return this.#lastSecond.length;
  }

  answered(entry: LoggedRequest, status: number): void {
    entry.status = status;
    const counts = entry.kind === 'token' ? this.#tokenByStatus : this.#byStatus;
    counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
  }

  webhook(event: keyof WebhookCounts): void {
    this.#webhooks[event] += 1;
  }

  snapshot(): StatsSnapshot {
    return {
      tokenRequests: this.#tokenRequests,
      getProcessRequests: this.#getProcessRequests,
      peakRequestsPerSecond: this.#peak,
      peakRequestsInAnySecond: this.#slidingPeak,
      byStatus: Object.fromEntries(this.#byStatus),
      tokenByStatus: Object.fromEntries(this.#tokenByStatus),
      webhooks: { ...this.#webhooks },
    };
  }

  /** The last API requests, oldest first (at most 10,000). */
  requests(): readonly LoggedRequest[] {
    return this.#log.map((entry) => ({ ...entry }));
  }

  reset(): void {
    this.#tokenRequests = 0;
    this.#getProcessRequests = 0;
    this.#peak = 0;
    this.#slidingPeak = 0;
    this.#lastSecond = [];
    this.#perSecond.clear();
    this.#byStatus = new Map();
    this.#tokenByStatus = new Map();
    this.#webhooks = { sent: 0, delivered: 0, failed: 0, dropped: 0 };
    this.#log = [];
  }
}
