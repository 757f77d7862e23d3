import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PublishInOrder } from '../core/processing/results-publishers.ts';
import type { ClaimsTableWiring } from '../adapters/dynamodb/dynamodb-claim-store.ts';
import { claimLedgerFor } from '../adapters/dynamodb/dynamodb-claim-ledger.ts';
import { measuredFetcher } from '../adapters/metrics/measured-fetcher.ts';
import { observedDependency } from '../adapters/metrics/observed-dependency.ts';
import { flushMetrics, powertoolsObservability } from '../adapters/metrics/powertools-observability.ts';
import { noObservability, type Observability } from '../core/observability.ts';
import { SqsMessageDelayer } from '../adapters/sqs/sqs-message-delayer.ts';
import { SqsResultsPublisher } from '../adapters/sqs/sqs-results-publisher.ts';
import type { Clock } from '../core/deadline.ts';
import { NotificationProcessor } from '../core/processing/process-notification.ts';
import type { ResultsPublisher } from '../core/processing/ports.ts';
import { CONFLICT_MAX_RECEIVES, type RetryDelaySchedule } from '../contracts/outcome-retries.ts';
import type { ProcessorTimeBudget } from '../contracts/time-budgets.ts';
import type { ProcessFetcher } from '../core/unico/process-fetcher.ts';
import { createProcessorHandler, type ProcessorHandler } from './processor-handler.ts';

export interface ProcessorWiring extends ClaimsTableWiring {
  readonly sqs: SQSClient;
  readonly intakeQueueUrl: string;
  readonly resultsQueueUrl: string;
  /** The events' `source`. */
  readonly eventSource: string;
  /** Absent: outcome fetching is switched off. */
  readonly fetcher?: ProcessFetcher;
  readonly logger: Logger;
  /** Transient failures and non-final answers are retried until a message is this old. */
  readonly outcomeRetryPeriodSeconds: number;
  readonly time: ProcessorTimeBudget;
  /** @default OUTCOME_RETRY_DELAY; the intake queue's dead-letter limit must be sized from the same schedule. */
  readonly retryDelay?: RetryDelaySchedule;
  readonly clock?: Clock;
  /** The bus feed queue: a copy of each event for the EventBridge bus. @default - the results queue only */
  readonly resultsBusFeedQueueUrl?: string;
  /** CloudWatch metrics (AWS): flushed once per invocation. */
  readonly metrics?: Metrics;
  /** Where events go without `metrics` (the local stack's no-op, a test's recorder). @default noObservability */
  readonly observability?: Observability;
}

/** Puts the processor together from clients and settings: the one wiring AWS and the local stack share. */
export function composeProcessorHandler(wiring: ProcessorWiring): ProcessorHandler {
  const { metrics } = wiring;
  const observability = metrics ? powertoolsObservability(metrics) : (wiring.observability ?? noObservability);
  const processor = new NotificationProcessor({
    claims: observedDependency(claimLedgerFor(wiring), 'claims table', observability),
    publisher: observedDependency(resultsPublisher(wiring), 'results publisher', observability),
    ...(wiring.fetcher ? { fetcher: measuredFetcher(wiring.fetcher, observability) } : {}),
    eventSource: wiring.eventSource,
    retries: { periodMs: wiring.outcomeRetryPeriodSeconds * 1000, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
    ...(wiring.clock ? { clock: wiring.clock } : {}),
    observability,
  });
  return createProcessorHandler({
    processor,
    delayer: observedDependency(new SqsMessageDelayer({ client: wiring.sqs, queueUrl: wiring.intakeQueueUrl }), 'intake queue', observability),
    logger: wiring.logger,
    time: wiring.time,
    ...(wiring.retryDelay ? { retryDelay: wiring.retryDelay } : {}),
    ...(wiring.clock ? { clock: wiring.clock } : {}),
    ...(metrics ? { flushMetrics: () => flushMetrics(metrics) } : {}),
  });
}

/**
 * The results queue, after the bus feed when there is one: a feed failure sends nothing and the
 * message is retried; a queue failure after the feed took the event sends it to the feed again on
 * the retry, with the same deduplication id (so the feed, and the bus, keep one within SQS's
 * window, and the queue one). An event that fits the results queue fits the bus too: the pipe's
 * entry adds 69 bytes or fewer to the body (source, detail type, time), less than the message
 * attributes SQS counts (docs/eventbridge.md).
 */
export function resultsPublisher(wiring: Pick<ProcessorWiring, 'sqs' | 'resultsQueueUrl' | 'resultsBusFeedQueueUrl'>): ResultsPublisher {
  const queue = new SqsResultsPublisher({ client: wiring.sqs, queueUrl: wiring.resultsQueueUrl });
  const feed = wiring.resultsBusFeedQueueUrl;
  return feed === undefined ? queue : new PublishInOrder([new SqsResultsPublisher({ client: wiring.sqs, queueUrl: feed }), queue]);
}
