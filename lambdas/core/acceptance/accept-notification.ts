import { randomUUID } from 'node:crypto';
import type { Deadline } from '../deadline.ts';
import { DependencyUnavailableError } from '../errors.ts';
import type { Notification } from '../notification.ts';
import type { ClaimStore, DetectionSource, IntakeMessage, IntakeQueue } from './ports.ts';

/**
 * How a notification was taken:
 * - `accepted`: this request created the claim and its own send to the intake queue succeeded;
 * - `resent`: a claim existed but was not confirmed yet, so this request sent the notification
 *   again (the queue's deduplication absorbs the copy) and its send succeeded;
 * - `duplicate`: the claim is confirmed by the intake queue's consumer: nothing to send.
 * To the sender, `resent` and `duplicate` are both "seen before".
 */
export type AcceptanceOutcome = 'accepted' | 'resent' | 'duplicate';

export interface AcceptanceRequest {
  readonly notification: Notification;
  readonly detectedBy: DetectionSource;
  /** When the notification reached us (ISO 8601). */
  readonly receivedAt: string;
  /** When the answer must be ready; dependency calls are cut short to meet it. */
  readonly deadline: Deadline;
}

export interface NotificationAcceptorDependencies {
  readonly claims: ClaimStore;
  readonly queue: IntakeQueue;
  /** Makes the random value that marks a claim as this request's own. @default randomUUID */
  readonly newClaimToken?: () => string;
}

/**
 * Claim, then send: what makes a notification durable, in two AWS requests for a first delivery
 * and one for a copy of a confirmed claim.
 *
 * The invariant: `accept` resolves (and the sender gets a 2xx) only when this request's own send
 * to the intake queue succeeded, or when the claim is already confirmed by the queue's consumer,
 * which confirms only what it read from the queue. No other path resolves. Nothing about timing
 * (leases, the sender's timeout, clocks) is needed for it to hold:
 *
 * - Any failure, hang or crash before the send succeeded leaves at most an unconfirmed claim and
 *   gives the sender no 2xx, so it delivers again; the copy finds the unconfirmed claim and sends
 *   again. However early or late that copy comes, and however many run at once, each answers 2xx
 *   only after its own send succeeded.
 * - A lost answer (the claim or the send applied, the caller saw a timeout or a reset) is the same
 *   case: the claim exists unconfirmed, or the message is on the queue already. Sending again is
 *   harmless, because every send of one (processId, state) carries the same FIFO deduplication
 *   id and SQS keeps one message per id within its five-minute deduplication window.
 * - A copy that arrives after that window and before the consumer confirmed the claim adds a
 *   second message; the consumer finds the claim confirmed by then and drops it.
 *
 * A claim is never released or taken over, so no step can hand the notification to nobody.
 */
export class NotificationAcceptor {
  readonly #claims: ClaimStore;
  readonly #queue: IntakeQueue;
  readonly #newClaimToken: () => string;

  constructor(dependencies: NotificationAcceptorDependencies) {
    this.#claims = dependencies.claims;
    this.#queue = dependencies.queue;
    this.#newClaimToken = dependencies.newClaimToken ?? randomUUID;
  }

  async accept(request: AcceptanceRequest): Promise<AcceptanceOutcome> {
    const claimToken = this.#newClaimToken();
    const attempt = await callDependency('claim store', request.deadline, (signal) =>
      this.#claims.claim(
        {
          notification: request.notification,
          detectedBy: request.detectedBy,
          receivedAt: request.receivedAt,
          claimToken,
        },
        signal,
      ),
    );

    if (attempt.outcome === 'created') {
      await this.#send(request, { detectedBy: request.detectedBy, receivedAt: request.receivedAt });
      return 'accepted';
    }
    const { existing } = attempt;
    if (existing.status === 'confirmed') return 'duplicate';
    // The first detection is what the message says, whoever sends it.
    await this.#send(request, { detectedBy: existing.detectedBy, receivedAt: existing.receivedAt });
    // Our own claim, whose answer was lost and whose SDK retry then found it: still the first.
    return existing.claimToken === claimToken ? 'accepted' : 'resent';
  }

  async #send(
    request: AcceptanceRequest,
    detection: { readonly detectedBy: DetectionSource; readonly receivedAt: string },
  ): Promise<void> {
    const message: IntakeMessage = { ...request.notification, ...detection };
    await callDependency('intake queue', request.deadline, (signal) => this.#queue.enqueue(message, signal));
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
