/**
 * Unico's GetProcess, for both contracts, behind the ProcessFetcher port. Free of Lambda
 * concerns: the processor and the fallback build one per container and share it across calls.
 *
 *   Web & SDK: GET {apiBaseUrl}/client/v1/process/{id}   Authorization: Bearer <token>
 *              answer { "process": { ... } }; the object inside `process` is returned
 *   API:       GET {apiBaseUrl}/processes/v1/{id}        Authorization: Bearer <token>, APIKEY: <key>
 *              answer { id, status, ... }; the whole answer is returned
 *
 * Every call, the token's included, acquires from the shared request budget first. Answers:
 *   2xx                     the process (a body that is not the contract's JSON: transient)
 *   401                     the cached token is dropped and the call made once more with a new
 *                           one; a second 401 is transient (credentials to fix, not the process)
 *   403                     transient: the API key or the account's rights need fixing; retrying
 *                           after the fix succeeds, so the message must wait rather than fail
 *   404, 410                permanent: unknown process, removed by retention
 *   409                     permanent: Unico says the process is in a state GetProcess cannot
 *                           serve. The processor asks only for processes Unico reported as
 *                           finished, so waiting does not change that state; retrying would
 *                           spend the tenant's shared budget for days before the message reached
 *                           the dead-letter queue, while a permanent error tells consumers now
 *   other 4xx (400, 422...) permanent: the request itself is refused
 *   408, 425, 429, 5xx      transient (429: Retry-After in retryAfterMs, and the budget paused)
 *   timeouts, network       transient
 * The client never retries a transient failure itself (the back-off is the caller's: the
 * processor sets the message's visibility), never logs, and never puts a part of an answer in an
 * error: answers carry personal data.
 */
import {
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
  type UnicoContract,
} from '../../core/unico/process-fetcher.ts';
import { resolveUnicoClientOptions, type ResolvedUnicoClientOptions, type UnicoClientOptions } from './unico-client-options.ts';
import { UnicoHttp, type UnicoAnswer } from './unico-http.ts';
import { parseObject, UnicoTokenSource } from './unico-token-source.ts';

/** What a result code may look like to be kept: an enum value, never free text. */
const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

const PERMANENT: Readonly<Record<number, { readonly code: string; readonly text: string }>> = {
  400: { code: 'invalid_request', text: 'Unico refused the request as invalid' },
  404: { code: 'process_not_found', text: 'the process is unknown to this tenant' },
  409: { code: 'process_wrong_state', text: 'the process is in a state GetProcess cannot serve' },
  410: { code: 'process_removed', text: 'the process was removed by retention' },
};

/** 4xx answers that a later attempt can change. */
const TRANSIENT_CLIENT_ERRORS = new Set([401, 403, 408, 425, 429]);

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

  async getProcess(processId: string, signal?: AbortSignal): Promise<FetchedProcess> {
    const { contract, apiBaseUrl, apiKey } = this.#options;
    const url = contract === 'web-sdk'
      ? `${apiBaseUrl}/client/v1/process/${encodeURIComponent(processId)}`
      : `${apiBaseUrl}/processes/v1/${encodeURIComponent(processId)}`;

    let answer: UnicoAnswer;
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.#tokens.token(signal);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (apiKey !== undefined) headers.APIKEY = apiKey;
      answer = await this.#http.send({ what: 'GetProcess', url, method: 'GET', headers }, signal);
      if (answer.status !== 401 || attempt > 1) break;
      this.#tokens.invalidate(token);
    }
    return this.#interpret(answer);
  }

  #interpret(answer: UnicoAnswer): FetchedProcess {
    const { status } = answer;
    if (status >= 200 && status <= 299) return this.#fetched(answer);
    const permanent = PERMANENT[status];
    if (permanent !== undefined) {
      throw new UnicoPermanentError(status, permanent.code, `GetProcess: Unico answered ${status}: ${permanent.text}`);
    }
    if (status >= 400 && status <= 499 && !TRANSIENT_CLIENT_ERRORS.has(status)) {
      throw new UnicoPermanentError(status, `http_${status}`, `GetProcess: Unico answered ${status}`);
    }
    const hint = status === 401 ? ' even with a new token' : status === 403 ? ' (check the API key and the account\'s rights)' : '';
    throw new UnicoTransientError(`GetProcess: Unico answered ${status}${hint}`, { status });
  }

  #fetched(answer: UnicoAnswer): FetchedProcess {
    const { contract, now } = this.#options;
    const body = parseObject(answer.text);
    const process = contract === 'web-sdk' ? objectOrUndefined(body?.process) : body;
    if (process === undefined) {
      throw new UnicoTransientError(
        `GetProcess: Unico answered ${answer.status} without ${contract === 'web-sdk' ? 'a "process" object' : 'a JSON object'}`,
        { status: answer.status },
      );
    }
    const resultCode = resultCodeOf(contract, process);
    return {
      contract,
      fetchedAt: new Date(now()).toISOString(),
      process,
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
  const { status } = process;
  if (typeof status === 'number' && Number.isInteger(status)) return `status:${status}`;
  if (typeof status === 'string' && /^\d{1,9}$/.test(status)) return `status:${Number(status)}`;
  return undefined;
}

function objectOrUndefined(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
