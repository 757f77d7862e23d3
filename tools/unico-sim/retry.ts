/**
 * One delivery as Unico makes it: POST the notification, and on anything but a 2xx (an error
 * status, a timeout, a network error) wait and try again with exponential backoff, up to the
 * configured number of attempts.
 *
 * The wait before attempt n+1 is `interval × 2^(n-1)`, capped at `maxInterval`: with interval 1 s
 * and 4 attempts, 1 s, 2 s, 4 s. Jitter is off by default so the schedule is exact; with it each
 * wait is drawn uniformly between half and all of its nominal value.
 */
import { TokenError } from './errors.ts';
import type { Credentials } from './credentials.ts';
import type { HttpOutcome, HttpSender } from './http-sender.ts';
import type { Semaphore } from './semaphore.ts';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  readonly jitter: boolean;
  readonly timeoutMs: number;
}

export type Sleep = (ms: number) => Promise<void>;
export type Random = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The wait after `failedAttempts` attempts have failed (1 → the wait before attempt 2). */
export function backoffDelayMs(failedAttempts: number, policy: RetryPolicy, random: Random = Math.random): number {
  const nominal = Math.min(policy.intervalMs * 2 ** (failedAttempts - 1), policy.maxIntervalMs);
  return policy.jitter ? nominal / 2 + (random() * nominal) / 2 : nominal;
}

/** The nominal waits before attempts 2..maxAttempts (no jitter): what a help text or test shows. */
export function backoffSchedule(policy: RetryPolicy): number[] {
  const waits: number[] = [];
  for (let failed = 1; failed < policy.maxAttempts; failed += 1) {
    waits.push(backoffDelayMs(failed, { ...policy, jitter: false }));
  }
  return waits;
}

/** How an attempt ended, as counted in the summary: an HTTP status ("202"), or what went wrong. */
export type AttemptBucket = `${number}` | 'timeout' | 'network_error' | 'token_error';

export interface AttemptRecord {
  readonly attempt: number;
  /** The wait before this attempt (0 for the first, and for a re-send with a fresh token). */
  readonly waitedMs: number;
  readonly bucket: AttemptBucket;
  readonly status: number | undefined;
  /** Time to the answer (or to the timeout); undefined when no request reached the endpoint. */
  readonly latencyMs: number | undefined;
  /** Why the attempt failed, in words (network errors, token errors). */
  readonly reason: string | undefined;
}

export interface DeliveryResult {
  readonly delivered: boolean;
  readonly attempts: readonly AttemptRecord[];
}

export interface DeliveryDeps {
  readonly send: HttpSender;
  readonly credentials: Credentials;
  readonly sleep: Sleep;
  readonly random: Random;
  /** The shared limit on requests in flight; none means unlimited. */
  readonly slots: Semaphore | undefined;
  /** Told about every attempt as it ends (progress, live statistics). */
  readonly onAttempt?: (record: AttemptRecord) => void;
}

export const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'user-agent': 'unico-sim',
};

export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

export async function deliverWithRetry(
  url: string,
  body: string,
  policy: RetryPolicy,
  deps: DeliveryDeps,
): Promise<DeliveryResult> {
  const attempts: AttemptRecord[] = [];
  let tokenRefreshed = false;
  let resendNow = false;

  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    let waitedMs = 0;
    if (attempt > 1 && !resendNow) {
      waitedMs = backoffDelayMs(attempt - 1, policy, deps.random);
      if (waitedMs > 0) {
        await deps.sleep(waitedMs);
      }
    }
    resendNow = false;

    const record = await attemptOnce(attempt, waitedMs, url, body, policy, deps);
    attempts.push(record.record);
    deps.onAttempt?.(record.record);
    if (record.record.status !== undefined && isSuccess(record.record.status)) {
      return { delivered: true, attempts };
    }
    // A 401 to an OAuth2 token: fetch a new token once and send again at once with it.
    if (record.record.status === 401 && !tokenRefreshed && record.sentHeaders !== undefined
      && deps.credentials.rejected(record.sentHeaders)) {
      tokenRefreshed = true;
      resendNow = true;
    }
  }
  return { delivered: false, attempts };
}

async function attemptOnce(
  attempt: number,
  waitedMs: number,
  url: string,
  body: string,
  policy: RetryPolicy,
  deps: DeliveryDeps,
): Promise<{ record: AttemptRecord; sentHeaders: Record<string, string> | undefined }> {
  // Credentials are taken once a slot is free, so a long queue never sends a stale token.
  const exchange = async (): Promise<{ record: AttemptRecord; sentHeaders: Record<string, string> | undefined }> => {
    let credentialHeaders: Record<string, string>;
    try {
      credentialHeaders = await deps.credentials.headers();
    } catch (error) {
      if (!(error instanceof TokenError)) {
        throw error;
      }
      return {
        record: { attempt, waitedMs, bucket: 'token_error', status: undefined, latencyMs: undefined, reason: error.message },
        sentHeaders: undefined,
      };
    }
    const headers = { ...DEFAULT_HEADERS, ...credentialHeaders };
    const outcome = await deps.send({ url, method: 'POST', headers, body, timeoutMs: policy.timeoutMs });
    return { record: toRecord(attempt, waitedMs, outcome), sentHeaders: credentialHeaders };
  };
  return deps.slots === undefined ? exchange() : deps.slots.run(exchange);
}

export function toRecord(attempt: number, waitedMs: number, outcome: HttpOutcome): AttemptRecord {
  switch (outcome.kind) {
    case 'answer':
      return {
        attempt, waitedMs, bucket: `${outcome.status}`, status: outcome.status,
        latencyMs: outcome.latencyMs, reason: undefined,
      };
    case 'timeout':
      return { attempt, waitedMs, bucket: 'timeout', status: undefined, latencyMs: outcome.latencyMs, reason: 'timeout' };
    case 'network_error':
      return {
        attempt, waitedMs, bucket: 'network_error', status: undefined,
        latencyMs: undefined, reason: outcome.reason,
      };
  }
}
