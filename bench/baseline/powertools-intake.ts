/**
 * The baseline `npm run bench` compares the intake with: the same job written the way Powertools'
 * documentation shows it, with its idempotency utility instead of our claim.
 *
 * A middy handler (@middy/core) with, in order: Powertools Logger's `injectLambdaContext`; a
 * `before` middleware that authenticates (Basic, compared in constant time, by the same
 * authenticator as ours) and validates the body with the same valibot schema (parseNotification),
 * putting the notification in place of the event as Powertools parser's envelope does;
 * `makeHandlerIdempotent` over a `DynamoDBPersistenceLayer`, keyed on [processId, state] by
 * `eventKeyJmesPath`, with the utility's defaults otherwise (one hour, md5, no local cache: the
 * documented starting point; a local cache would be per container and is off by default); and a
 * handler that sends the same SendMessage as ours to the FIFO intake queue (our SqsIntakeQueue:
 * the same body, attributes, group processId and deduplication id processId:state) and answers 202.
 * Errors become the same HTTP answers as ours, in one onError.
 *
 * What the utility does per delivery, as it is written: a conditional PutItem of an INPROGRESS
 * record, the handler, then an UpdateItem to COMPLETED with the response stored; a copy of a
 * completed key is one PutItem whose condition fails, answered with the stored record (ALL_OLD),
 * and gets the stored 202 back. Nothing here is slowed on purpose: the clients are created once
 * and injected, as the docs advise.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Authenticator } from '../../lambdas/core/auth/authenticator.ts';
import { parseNotification, type Notification } from '../../lambdas/core/notification.ts';
import { acceptedResponse, errorResponse } from '../../lambdas/intake/http-responses.ts';
import { requestBody } from '../../lambdas/intake/request-body.ts';
import { SqsIntakeQueue } from '../../lambdas/adapters/sqs/sqs-intake-queue.ts';

export interface PowertoolsIntakeWiring {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly idempotencyTableName: string;
  readonly intakeQueueUrl: string;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
}

const NO_DEADLINE = new AbortController().signal;

export type PowertoolsIntakeHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The idempotency table's key attribute: the utility's default (`id`), one item per key. */
export const BASELINE_TABLE_KEY = 'id';

export function createPowertoolsIntake(wiring: PowertoolsIntakeWiring): PowertoolsIntakeHandler {
  const { logger } = wiring;
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: wiring.idempotencyTableName,
    awsSdkV3Client: wiring.dynamodb,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: '[processId, state]', throwOnNoIdempotencyKey: true });

  const authenticateAndParse: MiddlewareObj<APIGatewayProxyEventV2 | Notification> = {
    before: async (request) => {
      const event = request.event as APIGatewayProxyEventV2;
      await wiring.authenticator.authenticate(event.headers ?? {});
      request.event = parseNotification(requestBody(event));
    },
  };
  const errorsAsResponses: MiddlewareObj = {
    onError: async (request) => {
      const { response, serverSide } = errorResponse(request.error);
      if (serverSide) logger.error('delivery not taken', { status: response.statusCode, error: request.error });
      else logger.warn('delivery refused', { status: response.statusCode, error: request.error?.name });
      request.response = response;
    },
  };

  // The same message as ours (body, attributes, group and deduplication id), by the same adapter.
  const queue = new SqsIntakeQueue({ client: wiring.sqs, queueUrl: wiring.intakeQueueUrl });
  const sendToIntakeQueue = async (notification: Notification): Promise<APIGatewayProxyStructuredResultV2> => {
    const receivedAt = new Date().toISOString();
    // No deadline of its own: the SDK's defaults, as the docs' examples send.
    await queue.enqueue({ ...notification, detectedBy: 'webhook', receivedAt }, NO_DEADLINE);
    logger.info('notification accepted', { processId: notification.processId, state: notification.state });
    return acceptedResponse(notification.processId);
  };

  // onError middlewares run last-used first: the mapping is used first, so it runs after the
  // idempotency middleware has deleted the record of a failed delivery.
  return middy(sendToIntakeQueue)
    .use(errorsAsResponses)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(authenticateAndParse)
    .use(makeHandlerIdempotent({ persistenceStore, config })) as unknown as PowertoolsIntakeHandler;
}
