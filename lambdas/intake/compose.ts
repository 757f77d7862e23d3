import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { NotificationAcceptor } from '../core/acceptance/accept-notification.ts';
import type { Authenticator } from '../core/auth/authenticator.ts';
import { claimStoreFor, type ClaimsTableWiring } from '../adapters/dynamodb/dynamodb-claim-store.ts';
import type { Clock } from '../core/deadline.ts';
import { SqsIntakeQueue } from '../adapters/sqs/sqs-intake-queue.ts';
import { createIntakeHandler, type IntakeHandler } from './intake-handler.ts';

export interface IntakeWiring extends ClaimsTableWiring {
  readonly sqs: SQSClient;
  readonly intakeQueueUrl: string;
  readonly authenticator: Authenticator;
  readonly responseDeadlineMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Puts the intake together from clients and settings: the one wiring AWS and the local stack share. */
export function composeIntakeHandler(wiring: IntakeWiring): IntakeHandler {
  const acceptor = new NotificationAcceptor({
    claims: claimStoreFor(wiring),
    queue: new SqsIntakeQueue({ client: wiring.sqs, queueUrl: wiring.intakeQueueUrl }),
  });
  return createIntakeHandler({
    authenticator: wiring.authenticator,
    acceptor,
    logger: wiring.logger,
    responseDeadlineMs: wiring.responseDeadlineMs,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
}
