import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { measuredFetcher } from '../adapters/metrics/measured-fetcher.ts';
import { flushMetrics, powertoolsObservability } from '../adapters/metrics/powertools-observability.ts';
import { noObservability, type Observability } from '../core/observability.ts';
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
  /** CloudWatch metrics (AWS): flushed once per run. */
  readonly metrics?: Metrics;
  /** Where events go without `metrics` (the local stack's no-op, a test's recorder). @default noObservability */
  readonly observability?: Observability;
}

/**
 * Puts the fallback together: the one wiring AWS and the local stack share. Its acceptor is the
 * intake's (the same claims table and intake queue), so a recovered notification and a webhook
 * for the same process meet at one claim.
 */
export function composeFallbackHandler(wiring: FallbackWiring): FallbackHandler {
  const { metrics } = wiring;
  const observability = metrics ? powertoolsObservability(metrics) : (wiring.observability ?? noObservability);
  const fallback = new FallbackRun({
    tracking: wiring.tracking,
    ledger: wiring.ledger,
    fetcher: measuredFetcher(wiring.fetcher, observability),
    acceptor: intakeAcceptorFor(wiring),
    schedule: wiring.schedule,
    onCheck: logCheck(wiring.logger, observability),
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
  return createFallbackHandler({
    fallback,
    logger: wiring.logger,
    time: wiring.time,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
    observability,
    ...(metrics ? { flushMetrics: () => flushMetrics(metrics) } : {}),
  });
}
