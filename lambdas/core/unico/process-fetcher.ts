/**
 * The port through which the domain fetches a process's outcome from Unico (GetProcess). The
 * processor and the fallback are coded against it; `lambdas/adapters/unico/` implements it.
 *
 * Every failure is one of two errors, so a caller needs no knowledge of HTTP:
 * - UnicoPermanentError: retrying cannot change the answer (the process will never be fetched);
 * - UnicoTransientError: try again later, after `retryAfterMs` when it is known. Its subclass
 *   UnicoCredentialsRefusedError says the service account itself was refused: an operator must
 *   act, so callers log it louder, but waiting is still right (the fix makes the next try work).
 *
 * No error's message or field carries personal data: statuses, our own codes and fixed texts
 * only, plus Unico's error code when it looks like a code (see `unicoErrorCode`), never a part of
 * a GetProcess answer.
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
   * Whether the process reached a final state: Web & SDK `state` PROCESS_STATE_FINISHED or
   * PROCESS_STATE_FAILED; API contract `status` 3, 4 or 5. A process not final yet is returned
   * all the same: whether and when to look again is the caller's decision.
   */
  readonly final: boolean;
  /** Web & SDK: `process.expiresAt` as Unico wrote it, when it reads as a date; API contract: never. */
  readonly expiresAt?: string;
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

export interface UnicoTransientDetails {
  /**
   * Our stable short code for the case: `rate_limited` (429), `server_error` (5xx), `timeout`,
   * `network_error`, `aborted`, `budget_wait`, `budget_unavailable`, `process_wrong_state` (409),
   * `unreadable_answer`, `request_timeout` (408), `too_early` (425), `credentials_refused`,
   * `credentials_unusable`, `assertion_failed`, or `http_<status>` for another status.
   */
  readonly code: string;
  /** How long to wait before trying again, when known (Unico's Retry-After, the budget's next slot, a back-off). */
  readonly retryAfterMs?: number;
  /** Unico's HTTP status, when an answer came. */
  readonly status?: number;
  /** Unico's own error code from the answer's body; set only when it is a code (see SAFE_UNICO_ERROR_CODE). */
  readonly unicoErrorCode?: string;
  readonly cause?: unknown;
}

/** What Unico's error code may look like to be kept: an identifier, never free text. */
export const SAFE_UNICO_ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** 429, 5xx, 409, timeouts, network errors, budget waits, token failures: try again later. */
export class UnicoTransientError extends Error {
  override readonly name: string = 'UnicoTransientError';
  readonly code: string;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly unicoErrorCode?: string;

  constructor(message: string, details: UnicoTransientDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.status !== undefined) this.status = details.status;
    if (details.unicoErrorCode !== undefined) this.unicoErrorCode = details.unicoErrorCode;
  }
}

/**
 * The service account's credentials were refused: the token endpoint's 400, 401 or 403
 * (`invalid_grant`, `invalid_client`...), GetProcess's 401 with a token just issued, or
 * GetProcess's 403 (the API key or the account's rights). Code `credentials_refused`.
 */
export class UnicoCredentialsRefusedError extends UnicoTransientError {
  override readonly name: string = 'UnicoCredentialsRefusedError';
  /** A refusal is always an answer. */
  declare readonly status: number;

  constructor(message: string, details: Omit<UnicoTransientDetails, 'code'> & { readonly status: number }) {
    super(message, { ...details, code: 'credentials_refused' });
  }
}

export interface ProcessFetcher {
  /**
   * GetProcess for one process. Resolves with Unico's answer (final or not), or rejects with
   * UnicoPermanentError or UnicoTransientError (also when `signal` aborts the wait).
   * `notAfterMs` (epoch ms) is when the caller's time runs out: a call that would have to wait
   * for the request budget beyond it fails at once (code `budget_wait`, with retryAfterMs).
   */
  getProcess(processId: string, signal?: AbortSignal, notAfterMs?: number): Promise<FetchedProcess>;
}
