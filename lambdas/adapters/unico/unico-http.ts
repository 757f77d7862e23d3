/**
 * One request to Unico, as both the token source and GetProcess make it: the budget first, then
 * fetch with a per-call timeout; failures to get an answer become UnicoTransientError, and a 429
 * pauses the budget for every caller before it is reported.
 */
import { UnicoTransientError } from '../../core/unico/process-fetcher.ts';
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
   * and for a 429, after pausing the budget until its Retry-After.
   */
  async send(request: UnicoRequest, signal?: AbortSignal): Promise<UnicoAnswer> {
    const { budget, budgetWaitMs, requestTimeoutMs } = this.#settings;
    const budgetTimeout = AbortSignal.timeout(budgetWaitMs);
    try {
      await budget.acquire(anySignal(signal, budgetTimeout));
    } catch (error) {
      if (signal?.aborted) throw aborted(request.what, signal);
      if (budgetTimeout.aborted) {
        throw new UnicoTransientError(`${request.what}: no room in the request budget within ${budgetWaitMs} ms`);
      }
      throw new UnicoTransientError(`${request.what}: the request budget is unavailable`, { cause: error });
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
        throw new UnicoTransientError(`${request.what}: Unico did not answer within ${requestTimeoutMs} ms`);
      }
      throw new UnicoTransientError(`${request.what}: ${networkReason(error)}`, { cause: error });
    }

    if (answer.status === 429) {
      const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), this.#settings.now());
      await this.#pauseEverybody(retryAfterMs);
      throw new UnicoTransientError(
        `${request.what}: Unico answered 429 (too many requests)${retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`}`,
        { status: 429, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
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
  return present.length === 1 && present[0] !== undefined ? present[0] : AbortSignal.any(present);
}

function aborted(what: string, signal: AbortSignal): UnicoTransientError {
  return new UnicoTransientError(`${what}: abandoned by the caller`, { cause: signal.reason });
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
