import { DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS, intakeMaxReceiveCount } from './outcome-retries.ts';

/**
 * The settings of the receiver's SQS FIFO queues, shared by the CDK stack and the local stack so
 * that both create the same queues.
 */
export interface FifoQueueSettings {
  /** The queue's name in the local stack (the CDK lets CloudFormation name it). */
  readonly localName: string;
  /** At least six times the timeout of the Lambda that consumes the queue. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** How long messages are kept, in the queue and in its dead-letter queue. */
  readonly retentionDays: number;
}

/** Accepted notifications, waiting for the processor. */
export const INTAKE_QUEUE: FifoQueueSettings = {
  localName: 'unico-intake',
  // 6 × a 30-second processor.
  visibilityTimeoutSeconds: 180,
  // Every failed receive waits at least the processor's back-off (30 s doubling to 15 min), so the
  // retry period's receives, plus spares, fit before a message is dead-lettered
  // (lambdas/contracts/outcome-retries.ts). With the default period of 3 hours: 22.
  maxReceiveCount: intakeMaxReceiveCount(DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS),
  retentionDays: 14,
};

/** Finished processes with their outcome, for consumers. */
export const RESULTS_QUEUE: FifoQueueSettings = {
  localName: 'unico-results',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  retentionDays: 14,
};

/**
 * The most a results event may weigh, as SQS counts it (body plus message attributes): 256 KiB,
 * the size every SQS queue takes. An outcome that would make the event larger is not published;
 * the event says `outcome_too_large` instead (docs/contracts.md).
 */
export const RESULTS_MESSAGE_MAX_BYTES = 256 * 1024;
