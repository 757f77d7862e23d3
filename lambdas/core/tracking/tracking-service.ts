import * as v from 'valibot';
import { systemClock, type Clock } from '../deadline.ts';
import {
  DependencyUnavailableError,
  InvalidJsonError,
  InvalidPayloadError,
  PayloadTooLargeError,
  ReceiverError,
} from '../errors.ts';
import type { FallbackSchedule } from '../../contracts/fallback-schedule.ts';
import {
  CLIENT_REFERENCE_PATTERN,
  MAX_TRACKING_DAYS,
  TRACKING_BODY_LIMIT_BYTES,
  type TrackingStatusView,
} from '../../contracts/tracking-api.ts';
import type { TrackedProcess, TrackingStore } from './ports.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The processId in the path is not a UUID. */
export class InvalidProcessIdError extends ReceiverError {
  override readonly name = 'InvalidProcessIdError';
  constructor() {
    super('processId must be a UUID');
  }
}

/** No tracking was ever started for the process (or its record is gone). */
export class UnknownProcessError extends ReceiverError {
  override readonly name = 'UnknownProcessError';
  readonly processId: string;
  constructor(processId: string) {
    super(`process ${processId} is not tracked`);
    this.processId = processId;
  }
}

export interface TrackingServiceOptions {
  readonly store: TrackingStore;
  readonly schedule: FallbackSchedule;
  readonly clock?: Clock;
}

/** `null` for an optional field means absent, as in the webhook's body. */
const nullable = <T extends v.GenericSchema<unknown, unknown>>(schema: T) =>
  v.pipe(v.nullish(schema), v.transform((value) => value ?? undefined));

const processIdSchema = v.pipe(v.string(), v.uuid(), v.transform((id) => id.toLowerCase()));

/** The body of `PUT /processes/{processId}`, checked against `clock` (exported for the OpenAPI document). */
export function trackRequestBodySchema(clock: Clock) {
  // v.object drops unknown fields: neither validated nor stored.
  return v.object({
    expiresAt: nullable(
      v.pipe(
        v.string('must be an ISO 8601 date-time'),
        v.isoTimestamp('must be an ISO 8601 date-time, e.g. 2025-06-15T12:00:00Z'),
        v.transform((text) => Date.parse(text)),
        v.check((at) => at > clock(), 'must be in the future'),
        v.check((at) => at <= clock() + MAX_TRACKING_DAYS * DAY_MS, `must be at most ${MAX_TRACKING_DAYS} days away`),
      ),
    ),
    clientReference: nullable(
      v.pipe(v.string('must be a string'), v.regex(CLIENT_REFERENCE_PATTERN, 'must be 1 to 128 of A-Z a-z 0-9 _ . : / -')),
    ),
  });
}

/**
 * Contract 3: which processes the fallback watches. Validates what the integrator's backend sends
 * (the path's processId, normalised to lower case as the webhook's is, and the body), then makes
 * one request to the store. Store failures become DependencyUnavailableError: the caller retries.
 */
export class TrackingService {
  readonly #store: TrackingStore;
  readonly #schedule: FallbackSchedule;
  readonly #clock: Clock;
  readonly #bodySchema;

  constructor(options: TrackingServiceOptions) {
    this.#store = options.store;
    this.#schedule = options.schedule;
    this.#clock = options.clock ?? systemClock;
    this.#bodySchema = trackRequestBodySchema(this.#clock);
  }

  /** Starts tracking a process; `created` the first time, `exists` when it was tracked already (the body then changes nothing). */
  async track(processIdText: string | undefined, body: Buffer, signal?: AbortSignal): Promise<{ readonly processId: string; readonly outcome: 'created' | 'exists' }> {
    const processId = parseProcessId(processIdText);
    const { expiresAt, clientReference } = this.#parseBody(body);
    const now = this.#clock();
    const outcome = await this.#call('track', () =>
      this.#store.track(
        {
          processId,
          expiresAt: new Date(expiresAt ?? now + this.#schedule.defaultExpirySeconds * 1000).toISOString(),
          ...(clientReference === undefined ? {} : { clientReference }),
          trackedAt: new Date(now).toISOString(),
          firstCheckAt: now + this.#schedule.firstCheckSeconds * 1000,
        },
        signal,
      ),
    );
    return { processId, outcome };
  }

  /** The person reached the end of the journey: the next check comes within the schedule's journey-finished wait. */
  async journeyFinished(processIdText: string | undefined, signal?: AbortSignal): Promise<{ readonly processId: string }> {
    const processId = parseProcessId(processIdText);
    const now = this.#clock();
    const checkBy = now + this.#schedule.journeyFinishedCheckSeconds * 1000;
    const outcome = await this.#call('journeyFinished', () => this.#store.journeyFinished(processId, new Date(now).toISOString(), checkBy, signal));
    if (outcome === 'unknown') throw new UnknownProcessError(processId);
    return { processId };
  }

  async status(processIdText: string | undefined, signal?: AbortSignal): Promise<TrackingStatusView> {
    const processId = parseProcessId(processIdText);
    const tracked = await this.#call('get', () => this.#store.get(processId, signal));
    if (tracked === undefined) throw new UnknownProcessError(processId);
    return statusView(tracked);
  }

  #parseBody(body: Buffer): { readonly expiresAt?: number; readonly clientReference?: string } {
    if (body.byteLength > TRACKING_BODY_LIMIT_BYTES) throw new PayloadTooLargeError(TRACKING_BODY_LIMIT_BYTES);
    const text = body.toString('utf8');
    // No body at all is a request with no options.
    if (text.trim() === '') return {};
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InvalidJsonError();
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidJsonError();
    const parsed = v.safeParse(this.#bodySchema, json);
    if (!parsed.success) {
      throw new InvalidPayloadError(parsed.issues.map((issue) => ({ path: v.getDotPath(issue) ?? '', message: issue.message })));
    }
    return Object.fromEntries(Object.entries(parsed.output).filter(([, value]) => value !== undefined));
  }

  async #call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new DependencyUnavailableError(`tracking table (${operation})`, error);
    }
  }
}

function parseProcessId(text: string | undefined): string {
  const parsed = v.safeParse(processIdSchema, text);
  if (!parsed.success) throw new InvalidProcessIdError();
  return parsed.output;
}

function statusView(tracked: TrackedProcess): TrackingStatusView {
  const optional = {
    nextCheckAt: tracked.nextCheckAt === undefined ? undefined : new Date(tracked.nextCheckAt).toISOString(),
    lastCheckedAt: tracked.lastCheckedAt,
    journeyFinishedAt: tracked.journeyFinishedAt,
    notifiedAt: tracked.notifiedAt,
    detectedBy: tracked.detectedBy,
    resultCode: tracked.resultCode,
  };
  return {
    processId: tracked.processId,
    status: tracked.status,
    trackedAt: tracked.trackedAt,
    expiresAt: tracked.expiresAt,
    checks: tracked.checks,
    ...(Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<TrackingStatusView>),
  };
}
