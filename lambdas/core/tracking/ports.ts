import type { DetectionSource } from '../acceptance/ports.ts';

/**
 * The ports of tracking (contract 3) and of the fallback that works through it. The DynamoDB
 * adapter is `lambdas/adapters/dynamodb/dynamodb-tracking-store.ts`; the domain sees only these
 * shapes.
 */

/**
 * - `tracking`: the fallback checks it when due;
 * - `notified`: a notification came (webhook, or an earlier fallback run): no more checks;
 * - `recovered`: the fallback found it finished and put it on the intake queue itself;
 * - `expired`: its expiry passed without a result;
 * - `not_found` / `removed`: GetProcess answered 404 / 410.
 */
export type TrackingStatus = 'tracking' | 'notified' | 'recovered' | 'expired' | 'not_found' | 'removed';

/** A tracked process as the receiver keeps it: times, counts and codes, no personal data. */
export interface TrackedProcess {
  readonly processId: string;
  readonly status: TrackingStatus;
  /** ISO 8601. */
  readonly trackedAt: string;
  /** ISO 8601: Unico's `expiresAt` when given, else trackedAt plus the default expiry. */
  readonly expiresAt: string;
  /** The integrator's own reference, as given when tracking began. */
  readonly clientReference?: string;
  /** Epoch ms of the next check; only while `tracking`. */
  readonly nextCheckAt?: number;
  /** GetProcess calls made for it by the fallback. */
  readonly checks: number;
  readonly journeyFinishedAt?: string;
  /** When a notification was seen, or the fallback put it on the intake queue (ISO 8601). */
  readonly notifiedAt?: string;
  readonly detectedBy?: DetectionSource;
  /** Unico's result code when known (e.g. PROCESS_RESULT_OK, status:3). */
  readonly resultCode?: string;
  readonly lastCheckedAt?: string;
}

export interface TrackRequest {
  readonly processId: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  readonly clientReference?: string;
  /** ISO 8601. */
  readonly trackedAt: string;
  /** Epoch ms of the first check. */
  readonly firstCheckAt: number;
}

/** How tracking of a process ended. */
export interface TrackingEnd {
  readonly status: Exclude<TrackingStatus, 'tracking'>;
  /** ISO 8601. */
  readonly at: string;
  readonly detectedBy?: DetectionSource;
  readonly resultCode?: string;
}

export interface TrackingStore {
  /** Starts tracking unless the process is known; `created` or `exists`. */
  track(request: TrackRequest, signal?: AbortSignal): Promise<'created' | 'exists'>;
  /**
   * Records the end of the person's journey and brings the next check forward to `checkBy`
   * (never later than it was). `unknown` when the process is not tracked at all.
   */
  journeyFinished(processId: string, at: string, checkBy: number, signal?: AbortSignal): Promise<'recorded' | 'unknown'>;
  get(processId: string, signal?: AbortSignal): Promise<TrackedProcess | undefined>;
  /** Up to `limit` processes of one shard still tracked whose next check is at or before `now`, soonest first. */
  due(shard: string, now: number, limit: number, signal?: AbortSignal): Promise<readonly TrackedProcess[]>;
  /** The next check, if the process is still tracked; `checks` is the new count. */
  reschedule(processId: string, nextCheckAt: number, checks: number, at: string, signal?: AbortSignal): Promise<void>;
  /** Ends tracking (the item leaves the due index), if the process is still tracked. */
  finish(processId: string, end: TrackingEnd, signal?: AbortSignal): Promise<void>;
}

/** A claim of a process as the fallback reads it: enough to put its notification on the queue again. */
export interface LedgerClaim {
  readonly state: string;
  /** Absent only on a record the processor's confirmation created again after a TTL expiry. */
  readonly flow?: string;
  readonly lastEvent?: string;
  readonly detectedBy: DetectionSource;
  readonly receivedAt: string;
  /**
   * Confirmed by the intake queue's consumer: the notification is on its way. An unconfirmed claim
   * may be one whose send never succeeded (Unico gave up retrying its 503s).
   */
  readonly confirmed: boolean;
}

/** Whether a process was already notified: any claim for it, whatever its state. */
export interface NotificationLedger {
  /** The first claim found for the process, or undefined when none. */
  anyClaim(processId: string, signal?: AbortSignal): Promise<LedgerClaim | undefined>;
}
