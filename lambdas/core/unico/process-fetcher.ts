/**
 * The port through which the domain fetches a process's outcome from Unico (GetProcess). The
 * processor and the fallback are coded against it; `lambdas/adapters/unico/` implements it.
 *
 * Every failure is one of two errors, so a caller needs no knowledge of HTTP:
 * - UnicoPermanentError: retrying cannot change the answer (the process will never be fetched);
 * - UnicoTransientError: try again later, after `retryAfterMs` when Unico said how long.
 *
 * Neither error's message carries personal data: they hold statuses and fixed texts only, never
 * a part of Unico's answer.
 */

/** Which of Unico's two GetProcess contracts the tenant uses. */
export type UnicoContract = 'web-sdk' | 'api';

export interface FetchedProcess {
  readonly contract: UnicoContract;
  /** When the answer arrived, ISO 8601. */
  readonly fetchedAt: string;
  /** What Unico answered: Web & SDK, the object inside `process`; API contract, the whole answer. */
  readonly process: Readonly<Record<string, unknown>>;
  /**
   * A short result code safe to keep (no personal data): web-sdk `process.result` (e.g.
   * PROCESS_RESULT_OK), api `status:<n>` (e.g. "status:3"); undefined when absent. Unknown values
   * are passed through as they are.
   */
  readonly resultCode?: string;
}

/** 404, 410 (and any other answer that retrying cannot change): the process will never be fetched. */
export class UnicoPermanentError extends Error {
  override readonly name = 'UnicoPermanentError';
  /** Unico's HTTP status. */
  readonly status: number;
  /** A stable short code for the case, e.g. `process_not_found`; safe to publish and keep. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** 429, 5xx, timeouts, network errors, token failures: try again later; retryAfterMs from Retry-After when given. */
export class UnicoTransientError extends Error {
  override readonly name = 'UnicoTransientError';
  /** How long Unico asked callers to wait (its Retry-After), when it said so. */
  readonly retryAfterMs?: number;
  /** Unico's HTTP status, when an answer came. */
  readonly status?: number;

  constructor(message: string, details: { readonly retryAfterMs?: number; readonly status?: number; readonly cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.status !== undefined) this.status = details.status;
  }
}

export interface ProcessFetcher {
  /**
   * GetProcess for one process. Resolves with Unico's answer, or rejects with
   * UnicoPermanentError or UnicoTransientError (also when `signal` aborts the wait).
   */
  getProcess(processId: string, signal?: AbortSignal): Promise<FetchedProcess>;
}
