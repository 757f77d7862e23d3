import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { NotificationAcceptor } from '../core/acceptance/accept-notification.ts';
import type { Authenticator } from '../core/auth/authenticator.ts';
import { Deadline, systemClock, type Clock } from '../core/deadline.ts';
import { failureKind } from '../adapters/aws/failure-kind.ts';
import { intakeTimeBudget } from '../contracts/time-budgets.ts';
import { DeadlineExceededError, DependencyUnavailableError, UnauthorizedError } from '../core/errors.ts';
import { parseNotification } from '../core/notification.ts';
import { acceptedResponse, duplicateResponse, errorResponse } from './http-responses.ts';
import { requestBody } from './request-body.ts';
import { httpApiEvent, type ApiGatewayEvent } from './api-gateway-event.ts';
import { noObservability, type Observability } from '../core/observability.ts';

export interface IntakeHandlerDependencies {
  readonly authenticator: Authenticator;
  readonly acceptor: NotificationAcceptor;
  readonly logger: Logger;
  /** The timeout set in Unico's webhook form: the answer must be out before it. */
  readonly responseDeadlineMs: number;
  readonly clock?: Clock;
  /** Counts answers and dependency failures. @default noObservability */
  readonly observability?: Observability;
  /** Flushes the invocation's metrics (Powertools' logMetrics), after the answer is mapped. */
  readonly metricsMiddleware?: MiddlewareObj<ApiGatewayEvent, APIGatewayProxyStructuredResultV2>;
}

export type IntakeHandler = (
  event: ApiGatewayEvent,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The webhook endpoint: authenticate → parse → claim + enqueue → answer. Everything it needs is
 * injected, so AWS (lambdas/intake/index.ts) and the local stack run this same handler.
 */
export function createIntakeHandler(dependencies: IntakeHandlerDependencies): IntakeHandler {
  const { authenticator, acceptor, logger, responseDeadlineMs } = dependencies;
  const observability = dependencies.observability ?? noObservability;
  const clock = dependencies.clock ?? systemClock;
  const marginMs = intakeTimeBudget(responseDeadlineMs).responseMarginMs;

  const handleDelivery = async (received: ApiGatewayEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    // The HTTP API and the REST API front send different shapes: one from here on.
    const event = httpApiEvent(received);
    // API Gateway's request id ties our log lines to its access log line for the same delivery.
    logger.setCorrelationId(event.requestContext?.requestId);
    const startedAt = requestStart(event, clock);
    const deadline = new Deadline(startedAt + responseDeadlineMs - marginMs, clock);

    await deadline.run('authentication', () => authenticator.authenticate(event.headers ?? {}));
    const notification = parseNotification(requestBody(event));
    logger.appendKeys({ processId: notification.processId, state: notification.state, flow: notification.flow });

    const outcome = await acceptor.accept({
      notification,
      detectedBy: 'webhook',
      receivedAt: new Date(startedAt).toISOString(),
      deadline,
    });
    logger.info(`notification ${outcome}`, {
      outcome,
      ...(notification.lastEvent ? { lastEvent: notification.lastEvent } : {}),
    });
    if (outcome === 'accepted') observability.accepted();
    else observability.duplicate();
    return outcome === 'accepted'
      ? acceptedResponse(notification.processId)
      : duplicateResponse(notification.processId);
  };

  // No middy early timeout (a timer and a race per invocation): the response deadline above bounds
  // every wait, and it ends at least a second before the function's timeout (time-budgets.ts).
  const handler = middy(handleDelivery, { timeoutEarlyInMillis: 0 }).use(injectLambdaContext(logger, { resetKeys: true }));
  // Used before the error mapping: middy runs onError hooks last-used first, so a refusal is
  // counted before the metrics of its invocation are flushed.
  if (dependencies.metricsMiddleware) handler.use(dependencies.metricsMiddleware);
  return handler.use(errorsAsResponses(logger, observability));
}

/** Maps every error to its HTTP answer (the one place that does so) and logs it without secrets. */
function errorsAsResponses(
  logger: Logger,
  observability: Observability,
): MiddlewareObj<ApiGatewayEvent, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      const { response, serverSide } = errorResponse(error);
      if (error instanceof DependencyUnavailableError || error instanceof DeadlineExceededError) {
        logDependencyFailure(logger, response.statusCode, error, observability);
      } else if (serverSide) {
        logger.error('delivery not taken', { status: response.statusCode, error });
      } else {
        const reason = error instanceof UnauthorizedError ? error.reason : undefined;
        logger.warn('delivery refused', {
          status: response.statusCode,
          error: error?.name,
          ...(reason ? { reason } : {}),
        });
        observability.refused(refusalCode(response));
      }
      request.response = response;
    },
  };
}

/**
 * A dependency that failed is logged with a stable `dependencyFailure` field: `permanent` (a
 * person must act: access denied, a missing table or queue, refused contents) at ERROR, and
 * counted as a PermanentDependencyFailures metric, which the stack alarms on; `transient`
 * (throttling, timeouts, 5xx) at WARN, since the sender's retry heals it.
 */
function logDependencyFailure(
  logger: Logger,
  status: number | undefined,
  error: DependencyUnavailableError | DeadlineExceededError,
  observability: Observability,
): void {
  const kind = failureKind(error);
  const dependency = error instanceof DependencyUnavailableError ? error.dependency : error.operation;
  const attributes = { status, dependency, dependencyFailure: kind, error };
  observability.dependencyFailed(dependency, kind);
  if (kind === 'permanent') logger.error('delivery not taken: a dependency refused it', attributes);
  else logger.warn('delivery not taken: a dependency is unavailable', attributes);
}

/** The refusal's reason: the `error` code its answer carries (http-responses.ts), one vocabulary. */
function refusalCode(response: APIGatewayProxyStructuredResultV2): string {
  try {
    const code = (JSON.parse(String(response.body)) as { error?: unknown }).error;
    return typeof code === 'string' ? code : `http_${response.statusCode}`;
  } catch {
    return `http_${response.statusCode}`;
  }
}

/**
 * When API Gateway received the request. Time spent before the handler runs (a cold start, say)
 * counts against Unico's timeout too. A clock that disagrees wildly falls back to now.
 */
function requestStart(event: APIGatewayProxyEventV2, clock: Clock): number {
  const now = clock();
  const received = event.requestContext?.timeEpoch;
  if (typeof received !== 'number' || received > now || now - received > 60_000) return now;
  return received;
}
