/**
 * The receiver's CloudWatch metrics: one namespace, the function's `service` on every metric
 * (Powertools' default dimension), and a second dimension only where a breakdown is worth its cost
 * (each distinct set of dimension values is one more custom metric). Shared by the Lambda adapter
 * (powertools-observability.ts) and the CDK's alarms and dashboard, so both spell them alike.
 * No Powertools import here: the CDK reads this file.
 */
export const METRIC_NAMESPACE = 'UnicoWebhookReceiver';

/** Powertools' default dimension: the function's POWERTOOLS_SERVICE_NAME. */
export const SERVICE_DIMENSION = 'service';

export const METRIC_NAMES = {
  accepted: 'Accepted',
  duplicate: 'Duplicate',
  /** By `service`, and by `service` + `reason` (the 4xx answer's error code). */
  refused: 'Refused',
  /** By `service`; a breakdown by `service` + `dependency` + `failure` is in `dependencyFailures`. */
  permanentDependencyFailures: 'PermanentDependencyFailures',
  transientDependencyFailures: 'TransientDependencyFailures',
  dependencyFailures: 'DependencyFailures',
  outcomeFetchLatency: 'OutcomeFetchLatency',
  /** By `service`, and by `service` + `status` (Unico's HTTP status, 0 without an answer). */
  outcomeFetchFailures: 'OutcomeFetchFailures',
  unicoCredentialsRefused: 'UnicoCredentialsRefused',
  fallbackRecoveries: 'FallbackRecoveries',
  trackedProcessesExpired: 'TrackedProcessesExpired',
  budgetWait: 'BudgetWait',
  claimConfirmationLag: 'ClaimConfirmationLag',
} as const;

/** The second dimensions, each with few values. */
export const METRIC_DIMENSIONS = {
  reason: 'reason',
  dependency: 'dependency',
  failure: 'failure',
  status: 'status',
} as const;
