import type { Claim } from '../acceptance/ports.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../contracts/results-event.ts';

/** The claim's key: one per (processId, state). */
export interface ClaimKey {
  readonly processId: string;
  readonly state: string;
}

/**
 * What the receiver keeps about a processed notification: times and a result code, never the
 * outcome itself (it holds personal data and travels only on the results queue).
 */
export interface ConfirmationSummary {
  readonly confirmedAt: string;
  /** e.g. PROCESS_RESULT_OK (Web & SDK) or status:3 (API contract). */
  readonly resultCode?: string;
  readonly outcomeFetchedAt?: string;
  /** Unico's status when the outcome could never be fetched or published (404, 410, ...). */
  readonly outcomeErrorStatus?: number;
}

/** The claims as the processor uses them: read one, confirm it once its event is published. */
export interface ClaimLedger {
  /** The claim, read consistently; undefined when there is none (it expired). */
  read(key: ClaimKey, signal?: AbortSignal): Promise<Claim | undefined>;
  /** Marks the claim confirmed: from then on copies of the notification are dropped. */
  confirm(key: ClaimKey, summary: ConfirmationSummary, signal?: AbortSignal): Promise<void>;
}

/** Makes a received intake message visible again only after `seconds` (a later retry). */
export interface MessageDelayer {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

export interface ResultsPublisher {
  /** Whether the queue takes the event as it is (its size within the queue's message size). */
  fits(event: ResultsEvent, attributes: ResultsEventAttributes): boolean;
  /** Idempotent for the same event id within the queue's deduplication window. */
  publish(event: ResultsEvent, attributes: ResultsEventAttributes, signal?: AbortSignal): Promise<void>;
}
