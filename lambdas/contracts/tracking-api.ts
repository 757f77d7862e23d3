/**
 * What the tracking routes (contract 3) accept and answer, shared by the tracking function and
 * the client the integrator's backend uses, so the two cannot drift apart.
 */

/** A tracking request's body is two short fields; anything near this size is not one. */
export const TRACKING_BODY_LIMIT_BYTES = 4 * 1024;
/** The furthest `expiresAt` accepted. */
export const MAX_TRACKING_DAYS = 30;
/** The integrator's reference: an id of theirs, never personal data (no spaces, no @). */
export const CLIENT_REFERENCE_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** The body of `PUT /processes/{processId}`; both fields optional, `null` = absent. */
export interface TrackRequestBody {
  /** ISO 8601, in the future, at most MAX_TRACKING_DAYS away; default: the schedule's default expiry. */
  readonly expiresAt?: string;
  readonly clientReference?: string;
}

/** `201` (new) or `200` (known already: the body changed nothing). */
export interface TrackAnswer {
  readonly status: 'tracking';
  readonly processId: string;
}

/** `202` of `POST /processes/{processId}/journey-finished`. */
export interface JourneyFinishedAnswer {
  readonly status: 'journey_finished';
  readonly processId: string;
}

/**
 * `200` of `GET /processes/{processId}`: times, counts and codes, never the caller's reference or
 * personal data. `not_found` / `removed`: GetProcess answered 404 / 410 and tracking stopped.
 */
export interface TrackingStatusView {
  readonly processId: string;
  readonly status: 'tracking' | 'notified' | 'recovered' | 'expired' | 'not_found' | 'removed';
  readonly trackedAt: string;
  readonly expiresAt: string;
  /** ISO 8601; only while tracking. */
  readonly nextCheckAt?: string;
  /** GetProcess calls made by the fallback. */
  readonly checks: number;
  readonly lastCheckedAt?: string;
  readonly journeyFinishedAt?: string;
  readonly notifiedAt?: string;
  readonly detectedBy?: 'webhook' | 'fallback';
  readonly resultCode?: string;
}

/** The error bodies (4xx/5xx): `invalid_payload` lists one issue per field. */
export interface TrackingErrorBody {
  readonly error: 'invalid_process_id' | 'invalid_json' | 'invalid_payload' | 'payload_too_large' | 'not_found' | 'unavailable' | 'internal_error';
  readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}
