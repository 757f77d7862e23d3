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
  /** `claimed` until the intake queue's consumer confirms it took the message over. */
  readonly status: 'claimed' | 'confirmed';
  /** Epoch ms until which the request holding the claim may still be handing it to the queue. */
  readonly leaseUntil: number;
}

export type ClaimAttempt =
  | { readonly outcome: 'claimed' }
  | { readonly outcome: 'exists'; readonly existing: Claim };

export interface ClaimRequest {
  readonly notification: Notification;
  readonly detectedBy: DetectionSource;
  readonly receivedAt: string;
  readonly leaseUntil: number;
}

export interface ClaimStore {
  /** Creates the claim unless one exists for (processId, state); then returns the existing one. */
  claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimAttempt>;
  /**
   * Takes over a claim whose lease ran out before it was confirmed. Succeeds for one caller only
   * (the one that still sees `previousLeaseUntil`); false when somebody else took it first.
   */
  takeOver(claim: Claim, leaseUntil: number, signal: AbortSignal): Promise<boolean>;
  /** Gives up a claim this request holds, so that the sender's retry can claim it afresh. */
  release(claim: Pick<Claim, 'processId' | 'state' | 'leaseUntil'>, signal: AbortSignal): Promise<void>;
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
