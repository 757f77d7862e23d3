/**
 * The processor and the fallback as the local stack runs them, on clients the caller builds: the
 * local stack passes its own, the system fault suites pass clients with their fault seams. Each
 * is composed by the same function as in AWS (lambdas/processor/compose.ts,
 * lambdas/fallback/compose.ts) over the local tables and queues; what is local is only how it is
 * invoked.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { DynamoDbNotificationLedger } from '../../lambdas/adapters/dynamodb/dynamodb-notification-ledger.ts';
import { DynamoDbTrackingStore } from '../../lambdas/adapters/dynamodb/dynamodb-tracking-store.ts';
import { composeFallbackHandler, type FallbackWiring } from '../../lambdas/fallback/compose.ts';
import type { FallbackHandler } from '../../lambdas/fallback/fallback-handler.ts';
import { composeProcessorHandler, type ProcessorWiring } from '../../lambdas/processor/compose.ts';
import { LOCAL_REGION } from './local-clients.ts';
import type { LocalResources } from './resources.ts';
import { startSqsEventSource, type RunningSqsEventSource } from './sqs-event-source.ts';

/** How long the local claims are kept, as the stack's default retention. */
export const LOCAL_CLAIM_RETENTION_DAYS = 90;

/** What a function is told of the local tables and queues: the names and URLs it needs. */
type LocalPlaces = 'claimsTableName' | 'intakeQueueUrl' | 'resultsQueueUrl' | 'claimRetentionDays';

export interface LocalProcessorOptions extends Omit<ProcessorWiring, LocalPlaces> {
  readonly resources: Pick<LocalResources, 'claimsTableName' | 'intakeQueueUrl' | 'resultsQueueUrl'>;
  /** The event source's own client, to read the intake queue (default: the processor's). */
  readonly pollerSqs?: SQSClient;
  /** Told about a batch that failed whole (the handler threw or ran past its timeout). */
  readonly onHandlerError?: (error: unknown) => void;
}

/**
 * The processor fed from the intake queue as Lambda's event source mapping feeds it: batches of
 * up to 10, the function's maximum concurrency, an invocation cut off at its timeout.
 */
export function startLocalProcessor(options: LocalProcessorOptions): Promise<RunningSqsEventSource> {
  const { resources, pollerSqs, onHandlerError, ...wiring } = options;
  const processor = composeProcessorHandler({
    ...wiring,
    claimsTableName: resources.claimsTableName,
    intakeQueueUrl: resources.intakeQueueUrl,
    resultsQueueUrl: resources.resultsQueueUrl,
    claimRetentionDays: LOCAL_CLAIM_RETENTION_DAYS,
  });
  return startSqsEventSource({
    sqs: pollerSqs ?? wiring.sqs,
    queueUrl: resources.intakeQueueUrl,
    region: LOCAL_REGION,
    handler: processor,
    functionName: PROCESSOR_FUNCTION.serviceName,
    functionTimeoutMs: wiring.time.functionTimeoutSeconds * 1000,
    maxConcurrency: PROCESSOR_FUNCTION.defaultMaxConcurrency,
    ...(onHandlerError ? { onHandlerError } : {}),
  });
}

export interface LocalFallbackOptions extends Omit<FallbackWiring, LocalPlaces | 'tracking' | 'ledger'> {
  readonly resources: Pick<LocalResources, 'claimsTableName' | 'intakeQueueUrl' | 'trackingTableName'>;
}

/** The fallback, its tracking store and notification ledger on its own DynamoDB client, as in AWS. */
export function composeLocalFallback(options: LocalFallbackOptions): FallbackHandler {
  const { resources, ...wiring } = options;
  return composeFallbackHandler({
    ...wiring,
    claimsTableName: resources.claimsTableName,
    intakeQueueUrl: resources.intakeQueueUrl,
    claimRetentionDays: LOCAL_CLAIM_RETENTION_DAYS,
    tracking: new DynamoDbTrackingStore({ client: wiring.dynamodb, tableName: resources.trackingTableName }),
    ledger: new DynamoDbNotificationLedger({ client: wiring.dynamodb, tableName: resources.claimsTableName }),
  });
}
