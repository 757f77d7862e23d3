import type { IntakeMessage } from '../acceptance/ports.ts';
import { systemClock, type Clock } from '../deadline.ts';
import { UnicoPermanentError, UnicoTransientError, type ProcessFetcher } from '../unico/process-fetcher.ts';
import {
  eventTypeFor,
  FINISHED_STATE,
  type ProcessOutcome,
  type ProcessOutcomeError,
  type ResultsEvent,
} from '../../contracts/results-event.ts';
import type { ClaimLedger, ConfirmationSummary, ResultsPublisher } from './ports.ts';

/**
 * - `published`: the event is on the results queue and the claim is confirmed;
 * - `already-confirmed`: the claim was confirmed before, by an earlier message of the same
 *   notification: this one is a copy (one that came after the intake queue's deduplication
 *   window) and is dropped without a second event.
 */
export type ProcessingOutcome = 'published' | 'already-confirmed';

/** Unico could not give the outcome now (429, 5xx, timeout): process the message again later. */
export class OutcomeNotYetAvailableError extends Error {
  override readonly name = 'OutcomeNotYetAvailableError';
  /** When Unico said to come back (Retry-After), if it did. */
  readonly retryAfterMs: number | undefined;
  constructor(cause: UnicoTransientError) {
    super(`Unico could not give the outcome now (${cause.status ?? cause.name})`, { cause });
    this.retryAfterMs = cause.retryAfterMs;
  }
}

export interface NotificationProcessorDependencies {
  readonly claims: ClaimLedger;
  readonly publisher: ResultsPublisher;
  /** Absent: fetching is switched off and events carry `outcome: null`. */
  readonly fetcher?: ProcessFetcher;
  /** The event's `source`: the stack that produced it. */
  readonly eventSource: string;
  readonly clock?: Clock;
}

/**
 * One intake message → one results event, once.
 *
 * 1. A message whose claim is already confirmed is a copy: dropped, no second event.
 * 2. A finished process gets its outcome from GetProcess (unless fetching is off); other states
 *    pass on without one. A failure retrying cannot change (404, 410) is published as
 *    `outcomeError`; a transient one (429, 5xx, timeout) leaves the message for later.
 * 3. The event is published, then the claim confirmed. A crash between the two leaves the claim
 *    unconfirmed: the message comes back after its visibility timeout (well inside the results
 *    queue's five-minute deduplication window, which keys on the same `processId:state`), the
 *    event is published again and SQS drops the copy, and the claim is confirmed.
 */
export class NotificationProcessor {
  readonly #claims: ClaimLedger;
  readonly #publisher: ResultsPublisher;
  readonly #fetcher: ProcessFetcher | undefined;
  readonly #eventSource: string;
  readonly #clock: Clock;

  constructor(dependencies: NotificationProcessorDependencies) {
    this.#claims = dependencies.claims;
    this.#publisher = dependencies.publisher;
    this.#fetcher = dependencies.fetcher;
    this.#eventSource = dependencies.eventSource;
    this.#clock = dependencies.clock ?? systemClock;
  }

  async process(message: IntakeMessage, signal?: AbortSignal): Promise<ProcessingOutcome> {
    const key = { processId: message.processId, state: message.state };
    const claim = await this.#claims.read(key, signal);
    if (claim?.status === 'confirmed') return 'already-confirmed';

    const { outcome, outcomeError, resultCode } = await this.#outcomeOf(message, signal);
    const event = this.#eventFor(message, outcome, outcomeError);
    await this.#publisher.publish(
      event,
      { type: event.type, state: message.state, flow: message.flow, detectedBy: message.detectedBy },
      signal,
    );
    const summary: ConfirmationSummary = {
      confirmedAt: new Date(this.#clock()).toISOString(),
      ...(resultCode !== undefined ? { resultCode } : {}),
      ...(outcome !== null ? { outcomeFetchedAt: outcome.fetchedAt } : {}),
      ...(outcomeError !== undefined ? { outcomeErrorStatus: outcomeError.status } : {}),
    };
    await this.#claims.confirm(key, summary, signal);
    return 'published';
  }

  async #outcomeOf(
    message: IntakeMessage,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: ProcessOutcome | null; outcomeError?: ProcessOutcomeError; resultCode?: string }> {
    if (this.#fetcher === undefined || message.state !== FINISHED_STATE) return { outcome: null };
    try {
      const fetched = await this.#fetcher.getProcess(message.processId, signal);
      return {
        outcome: { contract: fetched.contract, fetchedAt: fetched.fetchedAt, process: { ...fetched.process } },
        ...(fetched.resultCode !== undefined ? { resultCode: fetched.resultCode } : {}),
      };
    } catch (error) {
      if (error instanceof UnicoPermanentError) {
        return { outcome: null, outcomeError: { status: error.status, code: error.code, message: error.message } };
      }
      if (error instanceof UnicoTransientError) throw new OutcomeNotYetAvailableError(error);
      throw error;
    }
  }

  #eventFor(message: IntakeMessage, outcome: ProcessOutcome | null, outcomeError?: ProcessOutcomeError): ResultsEvent {
    const { processId, state, flow, lastEvent, lastEventDescription, detectedBy, receivedAt } = message;
    return {
      specversion: '1.0',
      id: `${processId}:${state}`,
      source: this.#eventSource,
      type: eventTypeFor(state),
      subject: processId,
      time: receivedAt,
      datacontenttype: 'application/json',
      data: {
        processId,
        state,
        flow,
        ...(lastEvent !== undefined ? { lastEvent } : {}),
        ...(lastEventDescription !== undefined ? { lastEventDescription } : {}),
        detectedBy,
        receivedAt,
        outcome,
        ...(outcomeError !== undefined ? { outcomeError } : {}),
      },
    };
  }
}
