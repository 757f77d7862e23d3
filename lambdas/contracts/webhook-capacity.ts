/**
 * What the webhook front must take when Unico flushes a backlog, derived from one number: the
 * maximum of simultaneous in-flight deliveries set in Unico's webhook form (1 to 500).
 *
 * Unico keeps that many requests in flight and sends the next one as soon as an answer comes back,
 * so a flush after an outage arrives at concurrency / latency requests a second. The quickest
 * answer the intake gives (a copy of a confirmed claim: one DynamoDB request behind API Gateway) is
 * taken as 50 ms, so 500 in flight make up to 10,000 requests a second, not 500. A stage throttle
 * below that answers 429 to Unico during the flush, and a sustained rate of non-2xx answers makes
 * Unico throttle the endpoint. Used by the CDK (stage throttle, WAF rule, reserved concurrency) and
 * documented in docs/security.md.
 */
import { isWholeNumberIn } from './settings.ts';

/** The most in-flight deliveries Unico's webhook form accepts. */
export const UNICO_MAX_CONCURRENCY = 500;

/** The concurrency assumed when none is given: Unico's maximum, so any form setting is absorbed. */
export const DEFAULT_UNICO_CONCURRENCY = UNICO_MAX_CONCURRENCY;

/** The quickest answer the intake gives, in milliseconds (see above). */
export const SHORTEST_INTAKE_LATENCY_MS = 50;

/**
 * API Gateway's default account-level throttle per region (requests per second, burst). A stage
 * throttle above them is capped by AWS without a word, so a derived value above them is refused.
 */
export const API_GATEWAY_ACCOUNT_LIMITS = { rateLimit: 10_000, burstLimit: 5_000 } as const;

/**
 * Reserved concurrency per in-flight delivery: 25% more than Unico's in-flight maximum, for
 * invocations still running after Unico gave up on them (timeout = deadline + 1 s) while its retry
 * is already in flight, and for cold starts overlapping warm invocations.
 */
export const INTAKE_CONCURRENCY_HEADROOM = 1.25;

/** Burst per in-flight delivery: twice, so a flush that starts at once never meets an empty bucket. */
export const BURST_PER_IN_FLIGHT = 2;

export interface WebhookCapacity {
  /** Unico's in-flight maximum the numbers are derived from. */
  readonly unicoConcurrency: number;
  /** Stage steady-state rate (requests per second): concurrency / shortest latency. */
  readonly rateLimit: number;
  /** Stage burst: twice the concurrency. */
  readonly burstLimit: number;
  /** The intake function's reserved concurrency: the concurrency plus headroom. */
  readonly intakeReservedConcurrency: number;
  /** Requests one address may send in a minute at the stage's rate (the WAF's default per-IP limit). */
  readonly requestsPerMinute: number;
}

/** The numbers for `unicoConcurrency` in-flight deliveries (not checked: see capacityProblems). */
export function webhookCapacity(unicoConcurrency: number, shortestLatencyMs = SHORTEST_INTAKE_LATENCY_MS): WebhookCapacity {
  const rateLimit = Math.ceil((unicoConcurrency * 1000) / shortestLatencyMs);
  return {
    unicoConcurrency,
    rateLimit,
    burstLimit: unicoConcurrency * BURST_PER_IN_FLIGHT,
    intakeReservedConcurrency: Math.ceil(unicoConcurrency * INTAKE_CONCURRENCY_HEADROOM),
    requestsPerMinute: rateLimit * 60,
  };
}

/**
 * What is wrong with `unicoConcurrency` and the capacity derived from it, each problem naming
 * `field`; empty when nothing is.
 */
export function capacityProblems(unicoConcurrency: number, field = 'unicoConcurrency'): string[] {
  if (!isWholeNumberIn(unicoConcurrency, 1, UNICO_MAX_CONCURRENCY)) {
    return [`${field}: must be a whole number from 1 to ${UNICO_MAX_CONCURRENCY} (the in-flight maximum set in Unico's webhook form); got ${unicoConcurrency}`];
  }
  return throttleProblems(webhookCapacity(unicoConcurrency), field);
}

/** A stage throttle above API Gateway's account limits, named after `field`. */
export function throttleProblems(throttle: { readonly rateLimit: number; readonly burstLimit: number }, field: string): string[] {
  const { rateLimit, burstLimit } = API_GATEWAY_ACCOUNT_LIMITS;
  const problems: string[] = [];
  if (throttle.rateLimit > rateLimit) {
    problems.push(
      `${field}: gives a stage rate of ${throttle.rateLimit} requests/s, above API Gateway's account limit of ${rateLimit}/s (AWS would cap it silently); lower it or ask AWS to raise the account's quota and set throttling explicitly`,
    );
  }
  if (throttle.burstLimit > burstLimit) {
    problems.push(
      `${field}: gives a stage burst of ${throttle.burstLimit}, above API Gateway's account limit of ${burstLimit}`,
    );
  }
  return problems;
}
