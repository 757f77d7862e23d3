import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { failureKind } from '../adapters/aws/failure-kind.ts';
import {
  DependencyUnavailableError,
  InvalidJsonError,
  InvalidPayloadError,
  PayloadTooLargeError,
} from '../core/errors.ts';
import { InvalidProcessIdError, UnknownProcessError, type TrackingService } from '../core/tracking/tracking-service.ts';
import { TRACKING_ROUTES } from '../contracts/routes.ts';
import type { JourneyFinishedAnswer, TrackAnswer, TrackingErrorBody } from '../contracts/tracking-api.ts';
import { jsonResponse } from '../intake/http-responses.ts';
import { requestBody } from '../intake/request-body.ts';
import { httpApiEvent, type ApiGatewayEvent } from '../intake/api-gateway-event.ts';

export interface TrackingHandlerDependencies {
  readonly tracking: TrackingService;
  readonly logger: Logger;
}

export type TrackingHandler = (event: ApiGatewayEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Route keys as API Gateway sends them (`METHOD path`), the same in the CDK and the local API. */
export const TRACKING_ROUTE_KEYS = {
  track: `PUT ${TRACKING_ROUTES.process}`,
  journeyFinished: `POST ${TRACKING_ROUTES.journeyFinished}`,
  status: `GET ${TRACKING_ROUTES.process}`,
} as const;

/** Kept back from the invocation's end so that a slow store still gets its 503 out. */
const ANSWER_MARGIN_MS = 500;

/**
 * The tracking routes (contract 3). In AWS, API Gateway authorises every call with IAM (SigV4)
 * before the function runs, so the handler does no authentication of its own; the local stack
 * serves the routes on loopback only.
 */
export function createTrackingHandler(dependencies: TrackingHandlerDependencies): TrackingHandler {
  const { tracking, logger } = dependencies;

  const handleRequest = async (received: ApiGatewayEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    // The HTTP API and the REST API front send different shapes: one from here on.
    const event = httpApiEvent(received);
    logger.setCorrelationId(event.requestContext?.requestId);
    const processIdText = event.pathParameters?.processId;
    const signal = AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS));
    switch (event.routeKey) {
      case TRACKING_ROUTE_KEYS.track: {
        const { processId, outcome } = await tracking.track(processIdText, requestBody(event), signal);
        // The clientReference is the integrator's: never logged.
        logger.info(outcome === 'created' ? 'tracking started' : 'tracking already started', { processId, outcome });
        return jsonResponse(outcome === 'created' ? 201 : 200, { status: 'tracking', processId } satisfies TrackAnswer);
      }
      case TRACKING_ROUTE_KEYS.journeyFinished: {
        const { processId } = await tracking.journeyFinished(processIdText, signal);
        logger.info('journey finished: check soon', { processId });
        return jsonResponse(202, { status: 'journey_finished', processId } satisfies JourneyFinishedAnswer);
      }
      case TRACKING_ROUTE_KEYS.status:
        return jsonResponse(200, await tracking.status(processIdText, signal));
      default:
        // API Gateway sends only the routes above; anything else is a wiring mistake.
        return errorBody(404, { error: 'not_found' });
    }
  };

  return middy(handleRequest)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorsAsResponses(logger));
}

/** Every error's HTTP answer, in one place: 4xx say what to fix, 5xx say only to retry. */
export function trackingErrorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof InvalidProcessIdError) return errorBody(400, { error: 'invalid_process_id' });
  if (error instanceof InvalidJsonError) return errorBody(400, { error: 'invalid_json' });
  if (error instanceof InvalidPayloadError) return errorBody(400, { error: 'invalid_payload', issues: error.issues });
  if (error instanceof PayloadTooLargeError) return errorBody(413, { error: 'payload_too_large' });
  if (error instanceof UnknownProcessError) return errorBody(404, { error: 'not_found' });
  if (error instanceof DependencyUnavailableError) return jsonResponse(503, { error: 'unavailable' } satisfies TrackingErrorBody, { 'retry-after': '1' });
  return errorBody(500, { error: 'internal_error' });
}

const errorBody = (status: number, body: TrackingErrorBody) => jsonResponse(status, body);

function errorsAsResponses(logger: Logger): MiddlewareObj<ApiGatewayEvent, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      const response = trackingErrorResponse(error);
      const status = response.statusCode ?? 500;
      if (error instanceof DependencyUnavailableError) {
        // As the intake: `permanent` (a person must act) at ERROR, `transient` at WARN.
        const kind = failureKind(error);
        const attributes = { status, dependency: error.dependency, dependencyFailure: kind, error };
        if (kind === 'permanent') logger.error('tracking request not served: a dependency refused it', attributes);
        else logger.warn('tracking request not served: a dependency is unavailable', attributes);
      } else if (status >= 500) {
        logger.error('tracking request failed', { status, error });
      } else {
        logger.warn('tracking request refused', { status, error: error?.name });
      }
      request.response = response;
    },
  };
}
