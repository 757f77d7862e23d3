import { setTimeout as sleep } from 'node:timers/promises';
import type { IntakeMessage } from '../acceptance/ports.ts';
import { systemClock, type Clock } from '../deadline.ts';
import {
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../unico/process-fetcher.ts';
import {
  eventTypeFor,
  FINISHED_STATE,
  type ProcessOutcome,
  type ProcessOutcomeError,
  type ResultsEvent,
  type ResultsEventAttributes,
} from '../../contracts/results-event.ts';
import type { ClaimLedger, ConfirmationSummary, ResultsPublisher } from './ports.ts';
import { noObservability, type Observability } from '../observability.ts';

/**
 * - `published`: the event is on the results queue and the claim is confirmed;
 * - `already-confirmed`: the claim was confirmed before, by an earlier message of the same
 *   notification: this one is a copy (one that came after the intake queue's deduplication
 *   window) and is dropped without a second event.
 */
export type ProcessingOutcome = 'published' | 'already-confirmed';

/**
 * The outcome cannot be had now, and the retry period is not over: process the message again
 * later. Carries what the log line and the retry delay need, never a part of Unico's answer.
 */
export class OutcomeNotYetAvailableError extends Error {
  override readonly name = 'OutcomeNotYetAvailableError';
  /** Our short code: Unico's failure's (`rate_limited`, `timeout`, ...) or `process_not_final`. */
  readonly code: string;
  /** Unico's HTTP status, when an answer came. */
  readonly status: number | undefined;
  /** Unico's own error code, when it gave one. */
  readonly unicoErrorCode: string | undefined;
  /** How long to wait at least (Retry-After, the budget's next slot), when known. */
  readonly retryAfterMs: number | undefined;
  /** The service account's credentials were refused or cannot be used: a person must act. */
  readonly credentialsRefused: boolean;

  constructor(
    message: string,
    details: {
      readonly code: string;
      readonly status?: number;
      readonly unicoErrorCode?: string;
      readonly retryAfterMs?: number;
      readonly credentialsRefused?: boolean;
      readonly cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
    this.unicoErrorCode = details.unicoErrorCode;
    this.retryAfterMs = details.retryAfterMs;
    this.credentialsRefused = details.credentialsRefused ?? false;
  }
}

/** How long the processor keeps trying for an outcome (lambdas/contracts/outcome-retries.ts). */
export interface OutcomeRetryPolicy {
  /** Transient failures and non-final answers are retried until the message is this old. */
  readonly periodMs: number;
  /** A 409 is retried until the message's receive count reaches this. */
  readonly conflictMaxReceives: number;
}

/** One receive of an intake message, and the time it may use. */
export interface ProcessingAttempt {
  /** When the message was first sent to the intake queue (SQS's SentTimestamp), epoch ms. */
  readonly firstSentAt: number;
  /** How many times the queue has handed the message out, this time included. */
  readonly receiveCount: number;
  /** Aborts every call when the invocation's time is spent. */
  readonly signal?: AbortSignal;
  /** When the invocation's time is spent (epoch ms): a wait that would end later fails at once. */
  readonly notAfterMs?: number;
}

export interface NotificationProcessorDependencies {
  readonly claims: ClaimLedger;
  readonly publisher: ResultsPublisher;
  /** Absent: fetching is switched off and events carry `outcome: null`. */
  readonly fetcher?: ProcessFetcher;
  /** The event's `source`: the stack that produced it. */
  readonly eventSource: string;
  readonly retries: OutcomeRetryPolicy;
  /** Tries of the claim's confirmation (idempotent) before the message is given back. @default 3 */
  readonly confirmAttempts?: number;
  /** Pause between two tries of the confirmation. @default 200 */
  readonly confirmPauseMs?: number;
  readonly clock?: Clock;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told each confirmation's lag from the claim. @default noObservability */
  readonly observability?: Observability;
}

/** What the event carries about the outcome, and what the claim keeps of it. */
interface OutcomeReport {
  readonly outcome: ProcessOutcome | null;
  readonly outcomeError?: ProcessOutcomeError;
  readonly resultCode?: string;
}

/**
 * One intake message → one results event, once.
 *
 * 1. A message whose claim is already confirmed is a copy: dropped, no second event.
 * 2. A finished process gets its outcome from GetProcess (unless fetching is off); other states
 *    pass on without one. Only a final process is published. A failure retrying cannot change
 *    (404, 410) is published as `outcomeError`; a transient one (429, 5xx, timeouts, a 409 for a
 *    few receives, a process not final yet) leaves the message for later until the retry period
 *    ends, measured from when the message was first sent; then `outcomeError` tells why.
 * 3. An event too large for the results queue carries `outcome_too_large` instead of the outcome:
 *    exactly one event, never a message that cannot be sent.
 * 4. The event is published, then the claim confirmed (retried a few times in-process: it is
 *    idempotent). A crash between the two leaves the claim unconfirmed: the message comes back,
 *    the event is published again and the results queue's deduplication (same `processId:state`
 *    within five minutes) drops the copy, and the claim is confirmed.
 * Design notes: docs/architecture.md, "One intake message, step by step" and the two sections after it.
 */
export class NotificationProcessor {
  readonly #claims: ClaimLedger;
  readonly #publisher: ResultsPublisher;
  readonly #fetcher: ProcessFetcher | undefined;
  readonly #eventSource: string;
  readonly #retries: OutcomeRetryPolicy;
  readonly #confirmAttempts: number;
  readonly #confirmPauseMs: number;
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #observability: Observability;

  constructor(dependencies: NotificationProcessorDependencies) {
    this.#claims = dependencies.claims;
    this.#publisher = dependencies.publisher;
    this.#fetcher = dependencies.fetcher;
    this.#eventSource = dependencies.eventSource;
    this.#retries = dependencies.retries;
    this.#confirmAttempts = Math.max(1, dependencies.confirmAttempts ?? 3);
    this.#confirmPauseMs = dependencies.confirmPauseMs ?? 200;
    this.#clock = dependencies.clock ?? systemClock;
    this.#sleep = dependencies.sleep ?? ((ms, signal) => sleep(ms, undefined, signal === undefined ? {} : { signal }));
    this.#observability = dependencies.observability ?? noObservability;
  }

  async process(message: IntakeMessage, attempt: ProcessingAttempt): Promise<ProcessingOutcome> {
    const { signal } = attempt;
    const key = { processId: message.processId, state: message.state };
    const claim = await this.#claims.read(key, signal);
    if (claim?.status === 'confirmed') return 'already-confirmed';

    let report = await this.#outcomeOf(message, attempt);
    const attributes: ResultsEventAttributes = {
      type: eventTypeFor(message.state),
      state: message.state,
      flow: message.flow,
      detectedBy: message.detectedBy,
    };
    let event = this.#eventFor(message, report);
    if (!this.#publisher.fits(event, attributes)) {
      report = {
        outcome: null,
        outcomeError: {
          status: 200,
          code: 'outcome_too_large',
          message: 'the outcome is larger than a results event may carry; read it with GetProcess',
        },
        ...(report.resultCode !== undefined ? { resultCode: report.resultCode } : {}),
      };
      event = this.#eventFor(message, report);
    }
    await this.#publisher.publish(event, attributes, signal);
    const summary = this.#summaryOf(report);
    await this.#confirm(key, summary, signal);
    // From the claim (the notification's receipt, which the claim keeps) to its confirmation.
    const claimedAt = Date.parse(claim?.receivedAt ?? message.receivedAt);
    if (Number.isFinite(claimedAt)) this.#observability.claimConfirmed(Date.parse(summary.confirmedAt) - claimedAt);
    return 'published';
  }

  async #confirm(key: { processId: string; state: string }, summary: ConfirmationSummary, signal: AbortSignal | undefined): Promise<void> {
    for (let tried = 1; ; tried += 1) {
      try {
        await this.#claims.confirm(key, summary, signal);
        return;
      } catch (error) {
        if (tried >= this.#confirmAttempts || signal?.aborted) throw error;
        await this.#sleep(this.#confirmPauseMs * tried, signal);
      }
    }
  }

  #summaryOf(report: OutcomeReport): ConfirmationSummary {
    return {
      confirmedAt: new Date(this.#clock()).toISOString(),
      ...(report.resultCode !== undefined ? { resultCode: report.resultCode } : {}),
      ...(report.outcome !== null ? { outcomeFetchedAt: report.outcome.fetchedAt } : {}),
      ...(report.outcomeError !== undefined ? { outcomeErrorStatus: report.outcomeError.status } : {}),
    };
  }

  async #outcomeOf(message: IntakeMessage, attempt: ProcessingAttempt): Promise<OutcomeReport> {
    if (this.#fetcher === undefined || message.state !== FINISHED_STATE) return { outcome: null };
    const periodOver = this.#clock() - attempt.firstSentAt >= this.#retries.periodMs;
    let fetched: FetchedProcess;
    try {
      fetched = await this.#fetcher.getProcess(message.processId, attempt.signal, attempt.notAfterMs);
    } catch (error) {
      if (error instanceof UnicoPermanentError) {
        return { outcome: null, outcomeError: { status: error.status, code: error.code, message: error.message } };
      }
      if (!(error instanceof UnicoTransientError)) throw error;
      if (error.code === 'process_wrong_state' && attempt.receiveCount >= this.#retries.conflictMaxReceives) {
        return {
          outcome: null,
          outcomeError: {
            status: error.status ?? 409,
            code: 'process_wrong_state',
            message: `Unico answered 409 on ${attempt.receiveCount} tries: the process is in a state GetProcess cannot serve`,
          },
        };
      }
      if (periodOver) {
        return {
          outcome: null,
          outcomeError: {
            status: error.status ?? 0,
            code: 'outcome_unavailable',
            message: `Unico could not give the outcome within the retry period (last failure: ${error.code})`,
          },
        };
      }
      throw new OutcomeNotYetAvailableError(`Unico could not give the outcome now (${error.code})`, {
        code: error.code,
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(error.unicoErrorCode !== undefined ? { unicoErrorCode: error.unicoErrorCode } : {}),
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        credentialsRefused: error.code === 'credentials_refused' || error.code === 'credentials_unusable',
        cause: error,
      });
    }
    const resultCode = fetched.resultCode !== undefined ? { resultCode: fetched.resultCode } : {};
    if (!fetched.final) {
      const expired = fetched.expiresAt !== undefined && Date.parse(fetched.expiresAt) <= this.#clock();
      if (!periodOver && !expired) {
        throw new OutcomeNotYetAvailableError('the process is not final yet', { code: 'process_not_final', status: 200 });
      }
      return {
        outcome: null,
        outcomeError: {
          status: 200,
          code: 'process_not_final',
          message: expired ? 'the process expired before it was final' : 'the process was not final within the retry period',
        },
        ...resultCode,
      };
    }
    return {
      outcome: { contract: fetched.contract, fetchedAt: fetched.fetchedAt, process: { ...fetched.process } },
      ...resultCode,
    };
  }

  #eventFor(message: IntakeMessage, report: OutcomeReport): ResultsEvent {
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
        outcome: report.outcome,
        ...(report.outcomeError !== undefined ? { outcomeError: report.outcomeError } : {}),
      },
    };
  }
}
