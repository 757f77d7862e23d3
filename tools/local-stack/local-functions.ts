/**
 * The processor and the fallback as the local stack runs them, on clients the caller builds: the
 * local stack passes its own, the system fault suites pass clients with their fault seams. Each
 * is composed by the same function as in AWS (lambdas/processor/compose.ts,
 * lambdas/fallback/compose.ts); what is local is only how it is invoked.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { DynamoDbNotificationLedger } from '../../lambdas/adapters/dynamodb/dynamodb-notification-ledger.ts';
import { DynamoDbTrackingStore } from '../../lambdas/adapters/dynamodb/dynamodb-tracking-store.ts';
import { composeFallbackHandler, type FallbackWiring } from '../../lambdas/fallback/compose.ts';
import type { FallbackHandler } from '../../lambdas/fallback/fallback-handler.ts';
import { composeProcessorHandler, type ProcessorWiring } from '../../lambdas/processor/compose.ts';
import { LOCAL_REGION } from './local-clients.ts';
import { startSqsEventSource, type RunningSqsEventSource } from './sqs-event-source.ts';

export interface LocalProcessorOptions {
  /** The processor's wiring, as in AWS. */
  readonly processor: ProcessorWiring;
  /** The event source's own client, to read the intake queue (default: the processor's). */
  readonly pollerSqs?: SQSClient;
  /** Told about a batch that failed whole (the handler threw or ran past its timeout). */
  readonly onHandlerError?: (error: unknown) => void;
}

/**
 * The processor fed from the intake queue as Lambda's event source mapping feeds it: batches of
 * up to 10, the function's maximum concurrency, an invocation cut off at its timeout.
 */
export function startLocalProcessor({ processor, pollerSqs, onHandlerError }: LocalProcessorOptions): Promise<RunningSqsEventSource> {
  return startSqsEventSource({
    sqs: pollerSqs ?? processor.sqs,
    queueUrl: processor.intakeQueueUrl,
    region: LOCAL_REGION,
    handler: composeProcessorHandler(processor),
    functionName: PROCESSOR_FUNCTION.serviceName,
    functionTimeoutMs: processor.time.functionTimeoutSeconds * 1000,
    maxConcurrency: PROCESSOR_FUNCTION.defaultMaxConcurrency,
    ...(onHandlerError ? { onHandlerError } : {}),
  });
}

/** The fallback's wiring but its stores, which it keeps in the claims and tracking tables. */
export type LocalFallbackWiring = Omit<FallbackWiring, 'tracking' | 'ledger' | 'dynamodb'> & {
  readonly dynamodb: DynamoDBClient;
  readonly trackingTableName: string;
};

/** The fallback, its tracking store and notification ledger on its own DynamoDB client, as in AWS. */
export function composeLocalFallback(wiring: LocalFallbackWiring): FallbackHandler {
  const { trackingTableName, ...rest } = wiring;
  return composeFallbackHandler({
    ...rest,
    tracking: new DynamoDbTrackingStore({ client: wiring.dynamodb, tableName: trackingTableName }),
    ledger: new DynamoDbNotificationLedger({ client: wiring.dynamodb, tableName: wiring.claimsTableName }),
  });
}
