import type { Notification } from '../notification.ts';

/**
 * The ports the acceptance step needs. Adapters (DynamoDB, SQS) live beside the AWS code; the
 * domain sees only these shapes, so it can be tested without AWS types or network.
 */

/** Where the notification came from: Unico's webhook, or the GetProcess fallback. */
export type DetectionSource = 'webhook' | 'fallback';

/** The claim record as the domain sees it. */
export interface Claim {
  readonly processId: string;
  readonly state: string;
  /**
   * `claimed` until the intake queue's consumer confirms that it took the message over; from then
   * on the notification is known to be on its way and a copy needs no second send.
   */
  readonly status: 'claimed' | 'confirmed';
  /** How and when the notification was first detected: a re-sent message repeats them. */
  readonly detectedBy: DetectionSource;
  readonly receivedAt: string;
  /**
   * A random value written by the request that created the claim. A request that finds its own
   * token knows the claim was its own (an answer lost on the way back and retried by the SDK).
   */
  readonly claimToken: string;
}

export type ClaimAttempt =
  | { readonly outcome: 'created' }
  | { readonly outcome: 'exists'; readonly existing: Claim };

export interface ClaimRequest {
  readonly notification: Notification;
  readonly detectedBy: DetectionSource;
  readonly receivedAt: string;
  readonly claimToken: string;
}

export interface ClaimStore {
  /** Creates the claim unless one exists for (processId, state); then returns the existing one. */
  claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimAttempt>;
}

/** What the intake queue carries: the notification plus when and how it was detected. */
export interface IntakeMessage extends Notification {
  readonly detectedBy: DetectionSource;
  readonly receivedAt: string;
}

export interface IntakeQueue {
  /** Idempotent for the same (processId, state) within the queue's deduplication window. */
  enqueue(message: IntakeMessage, signal: AbortSignal): Promise<void>;
}
