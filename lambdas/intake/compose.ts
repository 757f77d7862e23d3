import type { Logger } from '@aws-lambda-powertools/logger';
import type { Authenticator } from '../core/auth/authenticator.ts';
import type { Clock } from '../core/deadline.ts';
import { intakeAcceptorFor, type IntakeAcceptorWiring } from '../adapters/intake-acceptor.ts';
import { createIntakeHandler, type IntakeHandler } from './intake-handler.ts';

export interface IntakeWiring extends IntakeAcceptorWiring {
  readonly authenticator: Authenticator;
  readonly responseDeadlineMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Puts the intake together from clients and settings: the one wiring AWS and the local stack share. */
export function composeIntakeHandler(wiring: IntakeWiring): IntakeHandler {
  return createIntakeHandler({
    authenticator: wiring.authenticator,
    acceptor: intakeAcceptorFor(wiring),
    logger: wiring.logger,
    responseDeadlineMs: wiring.responseDeadlineMs,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
}
