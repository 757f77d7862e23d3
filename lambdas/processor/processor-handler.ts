import type { Logger } from '@aws-lambda-powertools/logger';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  OutcomeNotYetAvailableError,
  type NotificationProcessor,
} from '../core/processing/process-notification.ts';
import type { MessageDelayer } from '../core/processing/ports.ts';
import { systemClock, type Clock } from '../core/deadline.ts';
import type { ProcessorTimeBudget } from '../contracts/time-budgets.ts';
import { MalformedIntakeMessageError, parseIntakeMessage } from './intake-message.ts';
import { retryDelaySeconds } from './retry-delay.ts';
import { OUTCOME_RETRY_DELAY, type RetryDelaySchedule } from '../contracts/outcome-retries.ts';
import { failureKind } from '../adapters/aws/failure-kind.ts';

export interface ProcessorHandlerDependencies {
  readonly processor: NotificationProcessor;
  readonly delayer: MessageDelayer;
  readonly logger: Logger;
  readonly time: ProcessorTimeBudget;
  /** The back-off under every failed receive. @default OUTCOME_RETRY_DELAY (30 s doubling to 15 min) */
  readonly retryDelay?: RetryDelaySchedule;
  readonly clock?: Clock;
  /** Writes the invocation's metrics (Powertools' publishStoredMetrics), once per invocation. */
  readonly flushMetrics?: () => void;
}

export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** A record the invocation had no time left to start: given back untouched. */
export class TimeRanShortError extends Error {
  override readonly name = 'TimeRanShortError';
  constructor() {
    super('not started: the invocation had too little time left');
  }
}

/**
 * The intake queue's consumer: a batch of intake messages, each turned into one results event
 * (NotificationProcessor), with partial batch responses so that one failure does not send the
 * whole batch back. The queue is FIFO: after a failure, the rest of that process's messages in
 * the batch are not processed either (they go back with it, in order); other processes carry on.
 *
 * Time: every call of a record is cut at the invocation's end less a margin (its remaining time,
 * as Lambda tells it), and a record is started only when enough time is left; the rest are given
 * back without being worked on. So the function answers before its timeout, and every message it
 * could not finish gets its back-off set instead of coming back with a receive counted and no
 * pause.
 *
 * Every failed record is given back for `retryDelaySeconds` (the larger of Unico's Retry-After and
 * the back-off on its receive count), except a body that is not an intake message: logged at
 * ERROR, it comes back after the visibility timeout until it reaches the intake dead-letter queue.
 */
export function createProcessorHandler(dependencies: ProcessorHandlerDependencies): ProcessorHandler {
  const { processor, delayer, logger, time } = dependencies;
  const clock = dependencies.clock ?? systemClock;
  const retryDelay = dependencies.retryDelay ?? OUTCOME_RETRY_DELAY;

  const giveBack = async (record: SQSRecord, seconds: number, keys: Record<string, string>): Promise<void> => {
    await delayer.delay(record.receiptHandle, seconds).catch((delayError: unknown) =>
      logger.warn('could not delay the message; it comes back after the visibility timeout', {
        ...keys,
        error: delayError instanceof Error ? delayError.name : String(delayError),
      }),
    );
  };

  const recordHandlerFor = (endsAt: number, signal: AbortSignal) => async (record: SQSRecord): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const keys: Record<string, string> = { messageId: record.messageId };
    if (endsAt - clock() < time.minRecordMs) {
      const seconds = retryDelaySeconds(receiveCount, undefined, retryDelay);
      await giveBack(record, seconds, keys);
      logger.info('message not started: too little time left in this invocation; given back', {
        ...keys,
        retryInSeconds: seconds,
        receiveCount,
      });
      throw new TimeRanShortError();
    }

    let message;
    try {
      message = parseIntakeMessage(record.body);
    } catch (error) {
      if (error instanceof MalformedIntakeMessageError) {
        logger.error('intake message cannot be processed', { ...keys, error: error.message });
      }
      throw error;
    }
    Object.assign(keys, { processId: message.processId, state: message.state });

    try {
      const outcome = await processor.process(message, {
        firstSentAt: Number(record.attributes.SentTimestamp ?? clock()),
        receiveCount,
        signal,
        notAfterMs: endsAt,
      });
      logger.info(outcome === 'published' ? 'results event published' : 'copy of a confirmed notification dropped', {
        ...keys,
        outcome,
        detectedBy: message.detectedBy,
      });
    } catch (error) {
      const waiting = error instanceof OutcomeNotYetAvailableError ? error : undefined;
      const seconds = retryDelaySeconds(receiveCount, waiting?.retryAfterMs, retryDelay);
      await giveBack(record, seconds, keys);
      if (waiting === undefined) {
        // The claims table or a queue failed: `permanent` (access denied, a missing resource) is
        // ERROR and raises the processor's alarm; anything else heals by itself.
        const kind = failureKind(error);
        logger[kind === 'permanent' ? 'error' : 'warn']('intake message not processed; it will be retried', {
          ...keys,
          error: error instanceof Error ? error.name : String(error),
          dependencyFailure: kind,
          retryInSeconds: seconds,
          receiveCount,
        });
      } else {
        const why = {
          ...keys,
          code: waiting.code,
          ...(waiting.status !== undefined ? { status: waiting.status } : {}),
          ...(waiting.unicoErrorCode !== undefined ? { unicoErrorCode: waiting.unicoErrorCode } : {}),
          retryInSeconds: seconds,
          receiveCount,
        };
        if (waiting.credentialsRefused) {
          // A person must act: the alarm on `unicoCredentials` fires (lib/constructs/processor-function.ts).
          logger.error('Unico refuses the service account\'s credentials; outcomes wait until they are fixed', {
            ...why,
            unicoCredentials: 'refused',
          });
        } else {
          logger.warn('outcome not available yet; message given back', why);
        }
      }
      throw error;
    }
  };

  return async (event, context) => {
    // The invocation's request id and function name on every line, as Powertools' middleware does.
    logger.addContext(context);
    const endsAt = clock() + context.getRemainingTimeInMillis() - time.marginMs;
    const signal = AbortSignal.timeout(Math.max(0, endsAt - clock()));
    try {
      return await processPartialResponse(event, recordHandlerFor(endsAt, signal), new SqsFifoPartialProcessorAsync(), {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
    } finally {
      dependencies.flushMetrics?.();
    }
  };
}
