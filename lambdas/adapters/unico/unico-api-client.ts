/**
 * Unico's GetProcess, for both contracts, behind the ProcessFetcher port. Free of Lambda
 * concerns: the processor and the fallback build one per container and share it across calls.
 *
 *   Web & SDK: GET {apiBaseUrl}/client/v1/process/{id}   Authorization: Bearer <token>
 *              answer { "process": { ... } }; the object inside `process` is returned
 *   API:       GET {apiBaseUrl}/processes/v1/{id}        Authorization: Bearer <token>, APIKEY: <key>
 *              answer { id, status, ... }; the whole answer is returned
 *
 * Every call, the token's included, acquires from the shared request budget first (never waiting
 * past the caller's `notAfterMs`). Answers:
 *   2xx                     the process, final or not (`final` tells); a body that is not the
 *                           contract's JSON: transient `unreadable_answer`
 *   401                     the cached token is dropped and the call made once more with a new
 *                           one; a second 401 refuses the credentials (UnicoCredentialsRefusedError,
 *                           and no new token is asked for during the token source's back-off)
 *   403                     UnicoCredentialsRefusedError: the API key or the account's rights need
 *                           fixing; retrying after the fix succeeds, so the message must wait
 *   404, 410                permanent: unknown process, removed by retention
 *   409                     transient `process_wrong_state`: Unico cannot serve the process in its
 *                           current state; it may change, and the processor bounds the tries
 *   other 4xx (400, 422...) permanent: the request itself is refused
 *   408, 425, 429, 5xx      transient `request_timeout`, `too_early`, `rate_limited` (Retry-After
 *                           in retryAfterMs, and the budget paused for everyone), `server_error`
 *   timeouts, network       transient `timeout`, `network_error`
 *   no room in the budget   transient `budget_wait` (retryAfterMs when the budget said when), or
 *                           `budget_unavailable`
 * Token failures are transient too (see unico-token-source.ts). The client never retries a
 * transient failure itself (the back-off is the caller's: the processor sets the message's
 * visibility), never logs, and never puts a part of an answer in an error: answers carry personal
 * data. Only Unico's error code is kept (`unicoErrorCode`), when it looks like a code.
 */
import {
  UnicoCredentialsRefusedError,
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
  type UnicoContract,
} from '../../core/unico/process-fetcher.ts';
import { resolveUnicoClientOptions, type ResolvedUnicoClientOptions, type UnicoClientOptions } from './unico-client-options.ts';
import { parseObject, transientCodeFor, UnicoHttp, unicoErrorCodeOf, withCode, type UnicoAnswer } from './unico-http.ts';
import { UnicoTokenSource } from './unico-token-source.ts';

/** What a result code may look like to be kept: an enum value, never free text. */
const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

const PERMANENT: Readonly<Record<number, { readonly code: string; readonly text: string }>> = {
  400: { code: 'invalid_request', text: 'Unico refused the request as invalid' },
  404: { code: 'process_not_found', text: 'the process is unknown to this tenant' },
  410: { code: 'process_removed', text: 'the process was removed by retention' },
};

/** 4xx answers that a later attempt can change (401 and 403 refuse the credentials: see #interpret). */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 409, 425, 429]);

/** Web & SDK states after which a process no longer changes. */
const FINAL_STATES = new Set<unknown>(['PROCESS_STATE_FINISHED', 'PROCESS_STATE_FAILED']);
/** API contract: 3 finished ok, 4 canceled, 5 error. */
const FINAL_STATUSES = new Set<unknown>([3, 4, 5]);

export class UnicoApiClient implements ProcessFetcher {
  readonly #options: ResolvedUnicoClientOptions;
  readonly #http: UnicoHttp;
  readonly #tokens: UnicoTokenSource;

  /** Throws ConfigurationError naming every bad setting (never a secret's value). */
  constructor(options: UnicoClientOptions) {
    this.#options = resolveUnicoClientOptions(options);
    this.#http = new UnicoHttp(this.#options);
    this.#tokens = new UnicoTokenSource(this.#options, this.#http);
  }

  get contract(): UnicoContract {
    return this.#options.contract;
  }

  /** Requests made to the token endpoint by this client so far. */
  get tokenRequests(): number {
    return this.#tokens.requests;
  }

  async getProcess(processId: string, signal?: AbortSignal, notAfterMs?: number): Promise<FetchedProcess> {
    const { contract, apiBaseUrl, apiKey } = this.#options;
    const url = contract === 'web-sdk'
      ? `${apiBaseUrl}/client/v1/process/${encodeURIComponent(processId)}`
      : `${apiBaseUrl}/processes/v1/${encodeURIComponent(processId)}`;

    for (let attempt = 1; ; attempt += 1) {
      const token = await this.#tokens.token(signal, notAfterMs);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (apiKey !== undefined) headers.APIKEY = apiKey;
      const answer = await this.#http.send({ what: 'GetProcess', url, method: 'GET', headers }, signal, notAfterMs);
      if (answer.status !== 401) return this.#interpret(answer);
      // A first 401: the cached token may have been revoked. A second one, with a token just
      // issued, refuses the credentials themselves.
      if (attempt > 1) throw this.#tokens.refused(token, refusal(answer, ' even with a new token'));
      this.#tokens.invalidate(token);
    }
  }

  #interpret(answer: UnicoAnswer): FetchedProcess {
    const { status } = answer;
    // fetch never hands out a 1xx: below 300 is a success.
    if (status <= 299) return this.#fetched(answer);
    if (status === 403) throw refusal(answer, ': check the API key and the account\'s rights');
    const permanent = PERMANENT[status];
    if (permanent !== undefined) {
      throw new UnicoPermanentError(status, permanent.code, `GetProcess: Unico answered ${status}: ${permanent.text}`);
    }
    if (status >= 400 && status <= 499 && !TRANSIENT_CLIENT_ERRORS.has(status)) {
      throw new UnicoPermanentError(status, `http_${status}`, `GetProcess: Unico answered ${status}`);
    }
    const unicoErrorCode = unicoErrorCodeOf(answer.text);
    throw new UnicoTransientError(`GetProcess: Unico answered ${status}${withCode(unicoErrorCode)}`, {
      code: transientCodeFor(status),
      status,
      unicoErrorCode,
    });
  }

  #fetched(answer: UnicoAnswer): FetchedProcess {
    const { contract, now } = this.#options;
    const body = parseObject(answer.text);
    const process = contract === 'web-sdk' ? objectOrUndefined(body?.process) : body;
    if (process === undefined) {
      throw new UnicoTransientError(
        `GetProcess: Unico answered ${answer.status} without ${contract === 'web-sdk' ? 'a "process" object' : 'a JSON object'}`,
        { code: 'unreadable_answer', status: answer.status },
      );
    }
    const resultCode = resultCodeOf(contract, process);
    const expiresAt = contract === 'web-sdk' ? dateText(process.expiresAt) : undefined;
    return {
      contract,
      fetchedAt: new Date(now()).toISOString(),
      process,
      final: isFinal(contract, process),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(resultCode === undefined ? {} : { resultCode }),
    };
  }
}

/** web-sdk: `process.result` as it is (unknown values too); api: `status:<n>`. Nothing that is not an enum-like code. */
export function resultCodeOf(contract: UnicoContract, process: Readonly<Record<string, unknown>>): string | undefined {
  if (contract === 'web-sdk') {
    const { result } = process;
    return typeof result === 'string' && SAFE_CODE.test(result) ? result : undefined;
  }
  const status = apiStatusOf(process);
  return status === undefined ? undefined : `status:${status}`;
}

/** Web & SDK: state FINISHED or FAILED; API contract: status 3, 4 or 5. */
export function isFinal(contract: UnicoContract, process: Readonly<Record<string, unknown>>): boolean {
  return contract === 'web-sdk' ? FINAL_STATES.has(process.state) : FINAL_STATUSES.has(apiStatusOf(process));
}

/** The API contract's `status`, a whole number or its digits. */
function apiStatusOf(process: Readonly<Record<string, unknown>>): number | undefined {
  const { status } = process;
  if (Number.isInteger(status)) return status as number;
  if (typeof status === 'string' && /^\d{1,9}$/.test(status)) return Number(status);
  return undefined;
}

/**
 * `value` when it is a date as Unico writes them (ISO 8601, starting with the year): Date.parse
 * alone would take "1" or "May 3" for dates.
 */
function dateText(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** GetProcess refused the credentials (401 with a new token, or 403): the status and Unico's code, nothing else of the answer. */
function refusal(answer: UnicoAnswer, hint: string): UnicoCredentialsRefusedError {
  const unicoErrorCode = unicoErrorCodeOf(answer.text);
  return new UnicoCredentialsRefusedError(`GetProcess: Unico answered ${answer.status}${withCode(unicoErrorCode)}${hint}`, {
    status: answer.status,
    unicoErrorCode,
  });
}

function objectOrUndefined(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
