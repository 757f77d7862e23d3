/**
 * What the receiver counts and times, as named events: the domain and the handlers say what
 * happened, an adapter decides where it goes (CloudWatch metrics in AWS, nothing locally, a list
 * in tests). No AWS type here. Events carry codes, statuses and durations only: never a
 * processId, a credential or any part of Unico's answer.
 */

/** Why the intake refused a delivery: the `error` code of its 4xx answer (contract 1). */
export type RefusalReason = 'unauthorized' | 'payload_too_large' | 'invalid_json' | 'invalid_payload' | (string & {});

/** `permanent`: a person must act (access denied, a missing resource); `transient`: heals by itself. */
export type DependencyFailureKind = 'transient' | 'permanent';

export interface Observability {
  /** A delivery or recovery was claimed and queued for the first time. */
  accepted(): void;
  /** A delivery whose (processId, state) was already claimed. */
  duplicate(): void;
  /** A delivery answered 4xx. */
  refused(reason: RefusalReason): void;
  /** A dependency (claims table, a queue, the tracking table...) failed a call. */
  dependencyFailed(dependency: string, kind: DependencyFailureKind): void;
  /** GetProcess answered (final or not) after `latencyMs`, budget wait included. */
  outcomeFetched(latencyMs: number): void;
  /** GetProcess failed after `latencyMs`; `status` is Unico's HTTP status, 0 when no answer came. */
  outcomeFetchFailed(status: number, latencyMs: number): void;
  /** Unico refused the service account's credentials, or they cannot be read or used. */
  unicoCredentialsRefused(): void;
  /** The fallback recovered a finished process whose webhook never came. */
  fallbackRecovered(): void;
  /** A tracked process passed its expiry without a result. */
  trackingExpired(): void;
  /** A call to Unico waited this long for the shared request budget. */
  budgetWaited(ms: number): void;
  /** A claim was confirmed this long after it was made (receivedAt to confirmation). */
  claimConfirmed(lagMs: number): void;
}

/** Records nothing: the local stack, and any wiring that does not ask for metrics. */
export const noObservability: Observability = Object.freeze({
  accepted: () => {},
  duplicate: () => {},
  refused: () => {},
  dependencyFailed: () => {},
  outcomeFetched: () => {},
  outcomeFetchFailed: () => {},
  unicoCredentialsRefused: () => {},
  fallbackRecovered: () => {},
  trackingExpired: () => {},
  budgetWaited: () => {},
  claimConfirmed: () => {},
});
