import type { Deadline } from '../deadline.ts';
import { systemClock, type Clock } from '../deadline.ts';
import { DependencyUnavailableError } from '../errors.ts';
import type { Notification } from '../notification.ts';
import type { Claim, ClaimStore, DetectionSource, IntakeMessage, IntakeQueue } from './ports.ts';

/**
 * How a notification was taken:
 * - `accepted`: this request claimed it and handed it to the intake queue;
 * - `duplicate`: it was claimed before (or is being handed over right now by a concurrent copy);
 * - `recovered`: it was claimed before but the claim's holder never confirmed the hand-over, so
 *   this request handed it over again. To the sender this is a duplicate too.
 */
export type AcceptanceOutcome = 'accepted' | 'duplicate' | 'recovered';

export interface AcceptanceRequest {
  readonly notification: Notification;
  readonly detectedBy: DetectionSource;
  /** When the notification reached us (ISO 8601). */
  readonly receivedAt: string;
  /**
   * Epoch ms at which the sender stops waiting for this request (request start + its timeout).
   * A claim is leased until then: a holder that has not handed over by then never will.
   */
  readonly leaseUntil: number;
  /** When the answer must be ready; dependency calls are cut short to meet it. */
  readonly deadline: Deadline;
}

/** The little of a logger this step needs (Powertools Logger fits). */
export interface WarningLogger {
  warn(message: string, attributes: { [key: string]: unknown }): void;
}

export interface NotificationAcceptorDependencies {
  readonly claims: ClaimStore;
  readonly queue: IntakeQueue;
  readonly logger: WarningLogger;
  readonly clock?: Clock;
  /**
   * Time kept back from claim + enqueue for giving a claim up when the enqueue fails, so that
   * the release still fits before the deadline. @default 250
   */
  readonly releaseReserveMs?: number;
}

/**
 * Claim, then enqueue: the two steps that make a notification durable, exactly once per
 * (processId, state), in two AWS requests on the happy path and one for a duplicate.
 *
 * The gap between the two steps, and why no notification is lost to it:
 *
 * 1. The claim is a conditional put that creates the (processId, state) item only if none exists.
 *    It carries a lease that ends when the sender stops waiting for this request. Until the
 *    intake queue's consumer confirms the message, the claim stays `claimed`.
 * 2. The enqueue uses processId:state as the FIFO deduplication id, so sending the same key again
 *    within SQS's five-minute deduplication window adds no second message.
 *
 * - Enqueue fails or times out: the claim is released before answering 503, so the sender's
 *   retry claims afresh. If even the release fails, the lease runs out and (3) applies.
 * - The process dies between the two steps (crash, hard timeout): the sender got no 2xx, so it
 *   retries; that retry arrives after the lease (the lease ends when the sender gave up), finds
 *   an unconfirmed claim whose lease is over, takes it over (a conditional update only one
 *   request can win) and enqueues. Had the dead holder in fact enqueued, deduplication drops the
 *   second send.
 * - A copy that arrives while another request holds a live lease answers `duplicate`: the holder
 *   either hands over, or fails and gets its own delivery retried by the sender.
 * 3. A copy that finds a `claimed` item whose lease is over hands it over again (`recovered`).
 *    That is the recovery path above, and is harmless when the earlier send did land.
 */
export class NotificationAcceptor {
  readonly #claims: ClaimStore;
  readonly #queue: IntakeQueue;
  readonly #logger: WarningLogger;
  readonly #clock: Clock;
  readonly #releaseReserveMs: number;

  constructor(dependencies: NotificationAcceptorDependencies) {
    this.#claims = dependencies.claims;
    this.#queue = dependencies.queue;
    this.#logger = dependencies.logger;
    this.#clock = dependencies.clock ?? systemClock;
    this.#releaseReserveMs = dependencies.releaseReserveMs ?? 250;
  }

  async accept(request: AcceptanceRequest): Promise<AcceptanceOutcome> {
    const work = request.deadline.shortenedBy(this.#releaseReserveMs);
    const attempt = await callDependency('claim store', work, (signal) =>
      this.#claims.claim(
        {
          notification: request.notification,
          detectedBy: request.detectedBy,
          receivedAt: request.receivedAt,
          leaseUntil: request.leaseUntil,
        },
        signal,
      ),
    );

    if (attempt.outcome === 'claimed') {
      await this.#handOver(request, work);
      return 'accepted';
    }

    const existing = attempt.existing;
    if (existing.status === 'confirmed' || existing.leaseUntil > this.#clock()) {
      return 'duplicate';
    }
    const tookOver = await callDependency('claim store', work, (signal) =>
      this.#claims.takeOver(existing, request.leaseUntil, signal),
    );
    if (!tookOver) {
      // Another copy won the take-over at the same moment and is handing it over now.
      return 'duplicate';
    }
    await this.#handOver(request, work);
    return 'recovered';
  }

  async #handOver(request: AcceptanceRequest, work: Deadline): Promise<void> {
    const message: IntakeMessage = {
      ...request.notification,
      detectedBy: request.detectedBy,
      receivedAt: request.receivedAt,
    };
    try {
      await callDependency('intake queue', work, (signal) => this.#queue.enqueue(message, signal));
    } catch (error) {
      const { processId, state } = request.notification;
      await this.#release(request, { processId, state, leaseUntil: request.leaseUntil });
      throw error;
    }
  }

  async #release(request: AcceptanceRequest, claim: Pick<Claim, 'processId' | 'state' | 'leaseUntil'>) {
    try {
      await request.deadline.run('claim release', (signal) => this.#claims.release(claim, signal));
    } catch (error) {
      // Not fatal: the lease runs out when the sender gives up, and its retry then takes over.
      this.#logger.warn('claim release failed; the lease will expire instead', {
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }
}

/** Runs one dependency call within the deadline; any failure means "not durably taken". */
async function callDependency<T>(
  dependency: string,
  deadline: Deadline,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await deadline.run(dependency, work);
  } catch (error) {
    throw error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError(dependency, error);
  }
}
