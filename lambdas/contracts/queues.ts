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
  // With the processor's back-off (30 s doubling to 15 min) ten receives span about 75 minutes:
  // a Unico outage that long passes without a message reaching the dead-letter queue.
  maxReceiveCount: 10,
  retentionDays: 14,
};

/** Finished processes with their outcome, for consumers. */
export const RESULTS_QUEUE: FifoQueueSettings = {
  localName: 'unico-results',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  retentionDays: 14,
};
