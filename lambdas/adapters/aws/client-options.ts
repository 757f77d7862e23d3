import type { IntakeTimeBudget } from '../../contracts/time-budgets.ts';

/**
 * Options for the AWS SDK clients, from a function's time budget: a slow dependency must turn
 * into a 503 before Unico gives up, never into a hang.
 */
export interface DeadlineAwareClientOptions {
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
}

export function awsClientOptions(limits: IntakeTimeBudget['awsCalls']): DeadlineAwareClientOptions {
  return {
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Without it the SDK only warns when the request timeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
