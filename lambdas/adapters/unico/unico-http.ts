/**
 * One request to Unico, as both the token source and GetProcess make it: the budget first, then
 * fetch with a per-call timeout; failures to get an answer become UnicoTransientError, and a 429
 * pauses the budget for every caller before it is reported.
 */
import { SAFE_UNICO_ERROR_CODE, UnicoTransientError } from '../../core/unico/process-fetcher.ts';
import type { ResolvedUnicoClientOptions } from './unico-client-options.ts';

export interface UnicoRequest {
  /** What the request is, for error messages: "token request", "GetProcess". */
  readonly what: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface UnicoAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

type HttpSettings = Pick<
  ResolvedUnicoClientOptions,
  'budget' | 'fetch' | 'now' | 'requestTimeoutMs' | 'budgetWaitMs' | 'pauseWithoutRetryAfterMs' | 'maxPauseMs'
>;

export class UnicoHttp {
  readonly #settings: HttpSettings;

  constructor(settings: HttpSettings) {
    this.#settings = settings;
  }

  /**
   * Sends `request` once the budget grants it. Resolves with any answer but a 429; rejects with
   * UnicoTransientError when no answer came (budget wait, timeout, network, the caller's abort)
   * and for a 429, after pausing the budget until its Retry-After. `notAfterMs` (epoch ms): a
   * grant that could only come later fails at once, code `budget_wait`.
   */
  async send(request: UnicoRequest, signal?: AbortSignal, notAfterMs?: number): Promise<UnicoAnswer> {
    const { budget, budgetWaitMs, requestTimeoutMs, now } = this.#settings;
    const budgetTimeout = AbortSignal.timeout(budgetWaitMs);
    try {
      await budget.acquire(anySignal(signal, budgetTimeout), notAfterMs);
    } catch (error) {
      if (signal?.aborted) throw aborted(request.what, signal);
      const retryAtMs = budgetRetryAt(error);
      if (retryAtMs !== undefined) {
        const retryAfterMs = Math.max(0, retryAtMs - now());
        throw new UnicoTransientError(`${request.what}: the request budget has no room before the caller's deadline (next in ${retryAfterMs} ms)`, {
          code: 'budget_wait',
          retryAfterMs,
        });
      }
      if (budgetTimeout.aborted) {
        throw new UnicoTransientError(`${request.what}: no room in the request budget within ${budgetWaitMs} ms`, { code: 'budget_wait' });
      }
      throw new UnicoTransientError(`${request.what}: the request budget is unavailable`, { code: 'budget_unavailable', cause: error });
    }

    const timeout = AbortSignal.timeout(requestTimeoutMs);
    let answer: UnicoAnswer;
    try {
      const response = await this.#settings.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        // A redirect is not part of either contract; following one would carry the token elsewhere.
        redirect: 'manual',
        signal: anySignal(signal, timeout),
      });
      answer = { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw aborted(request.what, signal);
      if (timeout.aborted) {
        throw new UnicoTransientError(`${request.what}: Unico did not answer within ${requestTimeoutMs} ms`, { code: 'timeout' });
      }
      throw new UnicoTransientError(`${request.what}: ${networkReason(error)}`, { code: 'network_error', cause: error });
    }

    if (answer.status === 429) {
      const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), now());
      await this.#pauseEverybody(retryAfterMs);
      const unicoErrorCode = unicoErrorCodeOf(answer.text);
      throw new UnicoTransientError(
        `${request.what}: Unico answered 429 (too many requests)${withCode(unicoErrorCode)}${retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`}`,
        { code: 'rate_limited', status: 429, retryAfterMs, unicoErrorCode },
      );
    }
    return answer;
  }

  /** Every caller of the budget holds off; a failure to store the pause does not hide the 429. */
  async #pauseEverybody(retryAfterMs: number | undefined): Promise<void> {
    const { budget, now, pauseWithoutRetryAfterMs, maxPauseMs } = this.#settings;
    const pauseMs = Math.min(retryAfterMs ?? pauseWithoutRetryAfterMs, maxPauseMs);
    if (pauseMs <= 0) return;
    await budget.pauseUntil(now() + pauseMs).catch(() => undefined);
  }
}

/**
 * Our code for an answer's status that a later try can change: 408 request_timeout, 409
 * process_wrong_state, 425 too_early, 429 rate_limited, 5xx server_error, else http_<status>.
 */
export function transientCodeFor(status: number): string {
  if (status >= 500 && status <= 599) return 'server_error';
  return TRANSIENT_CODES[status] ?? `http_${status}`;
}

const TRANSIENT_CODES: Readonly<Record<number, string>> = {
  408: 'request_timeout',
  409: 'process_wrong_state',
  425: 'too_early',
  429: 'rate_limited',
};

/**
 * Unico's own error code in an error answer's JSON body: an OAuth2 `error`, a `code`, or an
 * `error.code` (text or whole number). Kept only when it looks like an identifier, and never a
 * long run of digits (a CPF or a phone number would pass the pattern otherwise).
 */
export function unicoErrorCodeOf(text: string): string | undefined {
  const body = parseObject(text);
  if (body === undefined) return undefined;
  const nested = typeof body.error === 'object' && body.error !== null ? (body.error as Record<string, unknown>).code : undefined;
  for (const candidate of [body.error, body.code, nested]) {
    const code = Number.isSafeInteger(candidate) ? String(candidate) : candidate;
    if (typeof code === 'string' && SAFE_UNICO_ERROR_CODE.test(code) && !/\d{8}/.test(code)) return code;
  }
  return undefined;
}

/** ` (code)` for an error message, or nothing. */
export function withCode(unicoErrorCode: string | undefined): string {
  return unicoErrorCode === undefined ? '' : ` (${unicoErrorCode})`;
}

/** The JSON object `text` holds; undefined for anything else. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^\d+\.\d+$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function anySignal(...signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present);
}

/**
 * When the budget said its next grant comes, for a refusal because the caller's deadline is
 * earlier (request-budget.ts's BudgetWaitTooLongError, recognised by its name and field).
 */
function budgetRetryAt(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'BudgetWaitTooLongError') return undefined;
  const { retryAtMs } = error as Error & { retryAtMs?: unknown };
  return Number.isFinite(retryAtMs) ? (retryAtMs as number) : undefined;
}

function aborted(what: string, signal: AbortSignal): UnicoTransientError {
  return new UnicoTransientError(`${what}: abandoned by the caller`, { code: 'aborted', cause: signal.reason });
}

/** A short reason for a failed fetch: the socket error's code, never the request. */
function networkReason(error: unknown): string {
  const code = findCode(error, 0);
  return code === undefined ? 'network error' : `network error (${code})`;
}

function findCode(error: unknown, depth: number): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(record.code)) return record.code;
  if (Array.isArray(record.errors)) {
    for (const inner of record.errors) {
      const found = findCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findCode(record.cause, depth + 1);
}
