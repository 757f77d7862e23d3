/**
 * Each function's time limits, derived from its deadline in one place, so that the CDK stack, the
 * function's own wiring and the local stack cannot drift apart.
 */

/** What the intake may spend, all derived from the timeout set in Unico's webhook form. */
export interface IntakeTimeBudget {
  /** The deadline itself: Unico's timeout. */
  readonly responseDeadlineMs: number;
  /**
   * The function's timeout, in Lambda's whole seconds: the deadline plus one. The handler answers
   * before the deadline on its own; the spare second is for logging after a slow call.
   */
  readonly functionTimeoutSeconds: number;
  /** Kept back from the deadline for the answer's way back to Unico. */
  readonly responseMarginMs: number;
  /** How long a read of the OAuth2 provider's key set may take: a third of the deadline. */
  readonly keyFetchTimeoutMs: number;
  /**
   * How long a request that holds the last good credentials waits for a Secrets Manager refresh
   * before it answers with them: a fifth of the deadline, leaving the rest for claim and send.
   */
  readonly credentialRefreshWaitMs: number;
  /**
   * The AWS SDK's own limits. Each call is also bounded by the deadline (abort and stop waiting);
   * these make the SDK fail fast enough that its one retry still fits inside it.
   */
  readonly awsCalls: {
    /** One retry of a transient failure fits comfortably in the usual 5 s; more would only be cut. */
    readonly maxAttempts: number;
    /** A TCP connect to an AWS endpoint takes milliseconds; a second is already a fault. */
    readonly connectionTimeoutMs: number;
    /** Socket idle time allowed while waiting for an answer: a third of the deadline. */
    readonly requestTimeoutMs: number;
  };
}

export function intakeTimeBudget(responseDeadlineMs: number): IntakeTimeBudget {
  return {
    responseDeadlineMs,
    functionTimeoutSeconds: Math.ceil(responseDeadlineMs / 1000) + 1,
    responseMarginMs: Math.min(500, Math.max(100, Math.floor(responseDeadlineMs / 10))),
    keyFetchTimeoutMs: Math.floor(responseDeadlineMs / 3),
    credentialRefreshWaitMs: Math.floor(responseDeadlineMs / 5),
    awsCalls: {
      maxAttempts: 2,
      connectionTimeoutMs: Math.min(1000, Math.max(100, Math.floor(responseDeadlineMs / 5))),
      requestTimeoutMs: Math.max(200, Math.floor(responseDeadlineMs / 3)),
    },
  };
}

/** What the processor may spend of one invocation, from its function timeout. */
export interface ProcessorTimeBudget {
  readonly functionTimeoutSeconds: number;
  /**
   * Kept back from the invocation's end: giving failed and unstarted messages back (one
   * ChangeMessageVisibility each) and returning the batch's answer happen in it.
   */
  readonly marginMs: number;
  /** A record is started only when at least this much time is left; the others are given back untouched. */
  readonly minRecordMs: number;
  /** The AWS SDK's own limits; every call is also cut at the invocation's end. */
  readonly awsCalls: IntakeTimeBudget['awsCalls'];
}

export function processorTimeBudget(functionTimeoutSeconds: number): ProcessorTimeBudget {
  const timeoutMs = functionTimeoutSeconds * 1000;
  return {
    functionTimeoutSeconds,
    marginMs: Math.min(3000, Math.max(500, Math.floor(timeoutMs / 10))),
    minRecordMs: Math.min(5000, Math.floor(timeoutMs / 5)),
    awsCalls: { maxAttempts: 3, connectionTimeoutMs: 1000, requestTimeoutMs: 3000 },
  };
}

/** What one run of the fallback may spend of its invocation: the processor's rule, per due process. */
export interface FallbackTimeBudget {
  readonly functionTimeoutSeconds: number;
  /** Kept back from the invocation's end for the run's summary line and answer. */
  readonly marginMs: number;
  /** A due process is started only when at least this much time is left; the rest wait for the next run. */
  readonly minProcessMs: number;
  readonly awsCalls: IntakeTimeBudget['awsCalls'];
}

export function fallbackTimeBudget(functionTimeoutSeconds: number): FallbackTimeBudget {
  const { marginMs, minRecordMs, awsCalls } = processorTimeBudget(functionTimeoutSeconds);
  return { functionTimeoutSeconds, marginMs, minProcessMs: minRecordMs, awsCalls };
}
