/**
 * The names the functions go by, shared by the CDK (Lambda environment, log group), the
 * functions' own loggers and the local stack, so that logs read the same everywhere.
 */
export const INTAKE_FUNCTION = {
  /** Powertools' `service` field on every log line. */
  serviceName: 'unico-webhook-intake',
} as const;

export const PROCESSOR_FUNCTION = {
  serviceName: 'unico-webhook-processor',
  /**
   * The function's timeout. The intake queue's visibility timeout (lambdas/contracts/queues.ts)
   * is six times this, as AWS advises for an SQS event source.
   */
  timeoutSeconds: 30,
  /** The SQS event source's maximum concurrency unless the deployment sets its own (2 to 1000). */
  defaultMaxConcurrency: 5,
} as const;

export const TRACKING_FUNCTION = {
  serviceName: 'unico-process-tracking',
  /** Each route is one DynamoDB request. */
  timeoutSeconds: 10,
} as const;

export const FALLBACK_FUNCTION = {
  serviceName: 'unico-webhook-fallback',
  /**
   * One run's limit: a run stops starting checks before it (the processor's rule) and leaves the
   * rest to the next run, a minute later.
   */
  timeoutSeconds: 60,
} as const;
