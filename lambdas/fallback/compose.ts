import type { Logger } from '@aws-lambda-powertools/logger';
import { intakeAcceptorFor, type IntakeAcceptorWiring } from '../adapters/intake-acceptor.ts';
import type { Clock } from '../core/deadline.ts';
import { FallbackRun } from '../core/tracking/fallback-run.ts';
import type { NotificationLedger, TrackingStore } from '../core/tracking/ports.ts';
import type { ProcessFetcher } from '../core/unico/process-fetcher.ts';
import type { FallbackSchedule } from '../contracts/fallback-schedule.ts';
import type { FallbackTimeBudget } from '../contracts/time-budgets.ts';
import { createFallbackHandler, logCheck, type FallbackHandler } from './fallback-handler.ts';

export interface FallbackWiring extends IntakeAcceptorWiring {
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
  const fallback = new FallbackRun({
    tracking: wiring.tracking,
    ledger: wiring.ledger,
    fetcher: wiring.fetcher,
    acceptor: intakeAcceptorFor(wiring),
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
