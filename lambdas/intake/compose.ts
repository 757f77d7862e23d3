import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Authenticator } from '../core/auth/authenticator.ts';
import type { Clock } from '../core/deadline.ts';
import { noObservability, type Observability } from '../core/observability.ts';
import { intakeAcceptorFor, type IntakeAcceptorWiring } from '../adapters/intake-acceptor.ts';
import { powertoolsObservability } from '../adapters/metrics/powertools-observability.ts';
import { createIntakeHandler, type IntakeHandler } from './intake-handler.ts';

export interface IntakeWiring extends IntakeAcceptorWiring {
  readonly authenticator: Authenticator;
  readonly responseDeadlineMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** CloudWatch metrics (AWS): flushed once per invocation. */
  readonly metrics?: Metrics;
  /** Where events go without `metrics` (the local stack's no-op, a test's recorder). @default noObservability */
  readonly observability?: Observability;
}

/** Puts the intake together from clients and settings: the one wiring AWS and the local stack share. */
export function composeIntakeHandler(wiring: IntakeWiring): IntakeHandler {
  const { metrics } = wiring;
  return createIntakeHandler({
    authenticator: wiring.authenticator,
    acceptor: intakeAcceptorFor(wiring),
    logger: wiring.logger,
    responseDeadlineMs: wiring.responseDeadlineMs,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
    observability: metrics ? powertoolsObservability(metrics) : (wiring.observability ?? noObservability),
    ...(metrics ? { metricsMiddleware: logMetrics(metrics) } : {}),
  });
}
