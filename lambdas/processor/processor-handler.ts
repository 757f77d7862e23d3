import type { Logger } from '@aws-lambda-powertools/logger';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  OutcomeNotYetAvailableError,
  type NotificationProcessor,
} from '../core/processing/process-notification.ts';
import type { MessageDelayer } from '../core/processing/ports.ts';
import { MalformedIntakeMessageError, parseIntakeMessage } from './intake-message.ts';
import type { BackoffSettings } from '../core/backoff.ts';
import { retryDelaySeconds, RETRY_DELAY } from './retry-delay.ts';

export interface ProcessorHandlerDependencies {
  readonly processor: NotificationProcessor;
  readonly delayer: MessageDelayer;
  readonly logger: Logger;
  readonly retryDelay?: BackoffSettings;
}

export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The intake queue's consumer: a batch of intake messages, each turned into one results event
 * (NotificationProcessor), with partial batch responses so that one failure does not send the
 * whole batch back. The queue is FIFO: after a failure, the rest of that process's messages in
 * the batch are not processed either (they go back with it, in order); other processes carry on.
 *
 * - Unico could not give the outcome now: the message is made visible again after Unico's
 *   Retry-After or a back-off, instead of at once, then reported failed.
 * - A body that is not an intake message: reported failed and logged at ERROR; it reaches the
 *   intake dead-letter queue after the configured receives.
 * - Anything else (the claims table or the results queue failing): reported failed, retried after
 *   the queue's visibility timeout.
 */
export function createProcessorHandler(dependencies: ProcessorHandlerDependencies): ProcessorHandler {
  const { processor, delayer, logger } = dependencies;
  const retryDelay = dependencies.retryDelay ?? RETRY_DELAY;

  const processRecord = async (record: SQSRecord): Promise<void> => {
    const message = parseIntakeMessage(record.body);
    const keys = { processId: message.processId, state: message.state, messageId: record.messageId };
    try {
      const outcome = await processor.process(message);
      logger.info(outcome === 'published' ? 'results event published' : 'copy of a confirmed notification dropped', {
        ...keys,
        outcome,
        detectedBy: message.detectedBy,
      });
    } catch (error) {
      if (!(error instanceof OutcomeNotYetAvailableError)) throw error;
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const seconds = retryDelaySeconds(receiveCount, error.retryAfterMs, retryDelay);
      await delayer.delay(record.receiptHandle, seconds).catch((delayError: unknown) =>
        logger.warn('could not delay the message; it comes back after the visibility timeout', {
          ...keys,
          error: delayError instanceof Error ? delayError.name : String(delayError),
        }),
      );
      logger.warn('outcome not available yet; message delayed', { ...keys, retryInSeconds: seconds, receiveCount });
      throw error;
    }
  };

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      await processRecord(record);
    } catch (error) {
      if (error instanceof MalformedIntakeMessageError) {
        logger.error('intake message cannot be processed', { messageId: record.messageId, error: error.message });
      } else if (!(error instanceof OutcomeNotYetAvailableError)) {
        logger.warn('intake message not processed; it will be retried', {
          messageId: record.messageId,
          error: error instanceof Error ? error.name : String(error),
        });
      }
      throw error;
    }
  };

  return async (event, context) => {
    // The invocation's request id and function name on every line, as Powertools' middleware does.
    logger.addContext(context);
    return processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  };
}
