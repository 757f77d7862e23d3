import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { claimStoreFor, type ClaimsTableWiring } from '../adapters/dynamodb/dynamodb-claim-store.ts';
import { SqsIntakeQueue } from '../adapters/sqs/sqs-intake-queue.ts';
import { NotificationAcceptor } from '../core/acceptance/accept-notification.ts';
import type { Clock } from '../core/deadline.ts';
import { FallbackRun } from '../core/tracking/fallback-run.ts';
import type { NotificationLedger, TrackingStore } from '../core/tracking/ports.ts';
import type { ProcessFetcher } from '../core/unico/process-fetcher.ts';
import type { FallbackSchedule } from '../contracts/fallback-schedule.ts';
import type { FallbackTimeBudget } from '../contracts/time-budgets.ts';
import { createFallbackHandler, logCheck, type FallbackHandler } from './fallback-handler.ts';

export interface FallbackWiring extends ClaimsTableWiring {
  readonly sqs: SQSClient;
  readonly intakeQueueUrl: string;
  readonly tracking: TrackingStore;
  readonly ledger: NotificationLedger;
  readonly fetcher: ProcessFetcher;
  readonly schedule: FallbackSchedule;
  readonly time: FallbackTimeBudget;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * Puts the fallback together: the one wiring AWS and the local stack share. Its acceptor is the
 * intake's (the same claims table and intake queue), so a recovered notification and a webhook
 * for the same process meet at one claim.
 */
export function composeFallbackHandler(wiring: FallbackWiring): FallbackHandler {
  const acceptor = new NotificationAcceptor({
    claims: claimStoreFor(wiring),
    queue: new SqsIntakeQueue({ client: wiring.sqs, queueUrl: wiring.intakeQueueUrl }),
  });
  const fallback = new FallbackRun({
    tracking: wiring.tracking,
    ledger: wiring.ledger,
    fetcher: wiring.fetcher,
    acceptor,
    schedule: wiring.schedule,
    onCheck: logCheck(wiring.logger),
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
  return createFallbackHandler({
    fallback,
    logger: wiring.logger,
    time: wiring.time,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
}
