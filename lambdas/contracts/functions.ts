/**
 * The names the functions go by, shared by the CDK (Lambda environment, log group), the
 * functions' own loggers and the local stack, so that logs read the same everywhere.
 */
export const INTAKE_FUNCTION = {
  /** Powertools' `service` field on every log line. */
  serviceName: 'unico-webhook-intake',
} as const;
