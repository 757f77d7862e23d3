import type { SQSClient } from '@aws-sdk/client-sqs';
import { NotificationAcceptor } from '../core/acceptance/accept-notification.ts';
import { claimStoreFor, type ClaimsTableWiring } from './dynamodb/dynamodb-claim-store.ts';
import { SqsIntakeQueue } from './sqs/sqs-intake-queue.ts';

/** What a function's wiring gives to claim notifications and put them on the intake queue. */
export interface IntakeAcceptorWiring extends ClaimsTableWiring {
  readonly sqs: SQSClient;
  readonly intakeQueueUrl: string;
}

/**
 * The acceptor over the claims table and the intake queue: the intake's, and the fallback's too,
 * so that a recovered notification and a webhook for the same process meet at one claim.
 */
export function intakeAcceptorFor(wiring: IntakeAcceptorWiring): NotificationAcceptor {
  return new NotificationAcceptor({
    claims: claimStoreFor(wiring),
    queue: new SqsIntakeQueue({ client: wiring.sqs, queueUrl: wiring.intakeQueueUrl }),
  });
}
