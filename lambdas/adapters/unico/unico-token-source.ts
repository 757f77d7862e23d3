/**
 * The access token for Unico's API: OAuth2 JWT bearer (RFC 7523). An assertion signed RS256
 * with the service account's key (iss = the service account, aud = the identity base URL,
 * scope "*", iat, exp <= iat + 3600) is exchanged at the token endpoint for a bearer token that
 * lives an hour.
 *
 * One token serves every call in the process: it is cached, refreshed about ten minutes before
 * it expires, and when it is missing, concurrent callers share one request (single flight).
 * Unico names a token per request as a way to exhaust a tenant's budget. If a refresh fails
 * while the cached token is still good, the cached one goes on serving, and the refresh is tried
 * again after a short pause instead of on every call.
 *
 * With no token to serve, a failed token request is not repeated on every call either: after a
 * refusal of the credentials nothing is sent for 10 s, doubling to 5 minutes, and after any other
 * failure for 1 s, doubling to 60 s. Meanwhile each call fails at once with the last failure (same
 * class, status and codes, retryAfterMs = the rest of the pause). A token obtained resets both.
 */
import { sign } from 'node:crypto';
import { Backoff, type BackoffSettings } from '../../core/backoff.ts';
import { UnicoCredentialsRefusedError, UnicoTransientError } from '../../core/unico/process-fetcher.ts';
import type { ResolvedUnicoClientOptions } from './unico-client-options.ts';
import { parseObject, transientCodeFor, unicoErrorCodeOf, withCode, type UnicoHttp } from './unico-http.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Unico documents tokens of 3600 s; used when the answer gives no expires_in. */
const DOCUMENTED_LIFETIME_MS = 3_600_000;
/** A token is not sent in its last minute: it could expire on the way. */
const EXPIRY_SAFETY_MS = 60_000;
/** After a failed refresh while the cached token is still good, the next refresh waits this long. */
const REFRESH_RETRY_PAUSE_MS = 30_000;
/**
 * Refused credentials stay refused until someone fixes them: at most a few token requests a
 * minute per container, then one every five minutes, instead of one per message.
 */
export const REFUSAL_BACKOFF: BackoffSettings = { initialMs: 10_000, maxMs: 300_000 };
/**
 * 5xx, timeouts, network errors: usually a blip, so the first pause is short (a message retried
 * a second later should find a token), but a struggling identity service is not asked again by
 * every waiting call; 60 s is where Unico's own back-off guidance for 429 ends.
 */
export const FAILURE_BACKOFF: BackoffSettings = { initialMs: 1_000, maxMs: 60_000 };
/** Failures that say nothing about the token endpoint (no request was sent): no back-off. */
const NOT_THE_ENDPOINT = new Set(['budget_wait', 'budget_unavailable']);
/** The token endpoint's answers that refuse the service account itself. */
const REFUSALS = new Set([400, 401, 403]);

type TokenSettings = Pick<
  ResolvedUnicoClientOptions,
  'tokenUrl' | 'identityUrl' | 'serviceAccount' | 'privateKey' | 'assertionLifetimeSeconds' | 'tokenRefreshMarginMs' | 'now'
>;

interface CachedToken {
  readonly value: string;
  /** When to fetch the next one. */
  readonly refreshAt: number;
  /** The last moment it may be sent. */
  readonly usableUntil: number;
}

export class UnicoTokenSource {
  readonly #settings: TokenSettings;
  readonly #http: UnicoHttp;
  readonly #refusals = new Backoff(REFUSAL_BACKOFF);
  readonly #failures = new Backoff(FAILURE_BACKOFF);
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
  /** The failure that started the running back-off, and when it ends. */
  #holdOff: { readonly error: UnicoTransientError; readonly until: number } | undefined;
  #requests = 0;

  constructor(settings: TokenSettings, http: UnicoHttp) {
    this.#settings = settings;
    this.#http = http;
  }

  /** Token requests started so far (each waits for the budget, then is sent). */
  get requests(): number {
    return this.#requests;
  }

  /**
   * A bearer token; rejects with UnicoTransientError (UnicoCredentialsRefusedError for refused
   * credentials) when none can be had. `notAfterMs` bounds the wait for the request budget.
   */
  async token(signal?: AbortSignal, notAfterMs?: number): Promise<string> {
    const now = this.#settings.now();
    const cached = this.#cached;
    if (cached !== undefined && now < cached.refreshAt) return cached.value;
    if (cached !== undefined && now < cached.usableUntil) {
      // Due for a refresh but still good: it serves while one refresh runs in the background.
      if (now >= this.#nextRefreshAttemptAt && now >= (this.#holdOff?.until ?? now)) void this.#refresh(undefined).catch(() => undefined);
      return cached.value;
    }
    const holdOff = this.#holdOff;
    if (holdOff !== undefined && now < holdOff.until) throw stillHeldOff(holdOff, now);
    if (signal?.aborted) throw abandoned(signal);
    try {
      return await untilAborted(this.#refresh(notAfterMs), signal);
    } catch (error) {
      if (signal?.aborted) throw abandoned(signal);
      throw error;
    }
  }

  /** Drops `token` when it is still the cached one (after a 401); a newer one fetched meanwhile stays. */
  invalidate(token: string): void {
    if (this.#cached?.value === token) {
      this.#cached = undefined;
      this.#nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * GetProcess refused `token` though it was just issued: the credentials are refused. The token
   * is dropped and no new one is asked for until the refusal back-off ends (counted once, however
   * many calls saw the same token refused). Returns `error` with retryAfterMs set to that pause.
   */
  refused(token: string, error: UnicoCredentialsRefusedError): UnicoCredentialsRefusedError {
    const now = this.#settings.now();
    if (this.#cached?.value === token) {
      this.#cached = undefined;
      this.#holdOff = { error, until: now + this.#refusals.failed(now) };
    }
    return stillHeldOff({ error, until: this.#holdOff?.until ?? now }, now) as UnicoCredentialsRefusedError;
  }

  /** The one token request in flight, started when there is none. */
  #refresh(notAfterMs: number | undefined): Promise<string> {
    if (this.#pending === undefined) {
      const pending = this.#fetchToken(notAfterMs)
        .then(
          (token) => {
            this.#refusals.succeeded();
            this.#failures.succeeded();
            this.#holdOff = undefined;
            return token;
          },
          (error: unknown) => {
            throw this.#failed(error);
          },
        )
        .finally(() => {
          this.#pending = undefined;
        });
      // Callers that give up leave it running for the others (each caller handles its outcome).
      this.#pending = pending;
    }
    return this.#pending;
  }

  /** Starts the back-off that fits `error`; returns what to throw (with retryAfterMs set to the pause). */
  #failed(error: unknown): unknown {
    const now = this.#settings.now();
    this.#nextRefreshAttemptAt = now + REFRESH_RETRY_PAUSE_MS;
    // Signing the assertion is the only other step that can fail; the port promises its two errors.
    if (!(error instanceof UnicoTransientError)) return new UnicoTransientError('token request: the assertion could not be signed', { code: 'assertion_failed', cause: error });
    if (NOT_THE_ENDPOINT.has(error.code)) return error;
    const backoff = error instanceof UnicoCredentialsRefusedError ? this.#refusals : this.#failures;
    this.#holdOff = { error, until: now + backoff.failed(now) };
    return stillHeldOff(this.#holdOff, now);
  }

  async #fetchToken(notAfterMs: number | undefined): Promise<string> {
    const { tokenUrl, now } = this.#settings;
    const assertion = this.#assertion();
    this.#requests += 1;
    const answer = await this.#http.send({
      what: 'token request',
      url: tokenUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
    }, undefined, notAfterMs);
    const { status } = answer;
    // fetch never hands out a 1xx: from 300 on is a failure.
    if (status > 299) {
      const unicoErrorCode = unicoErrorCodeOf(answer.text);
      const details = { status, unicoErrorCode };
      const said = `token request: Unico's identity service answered ${status}${withCode(unicoErrorCode)}`;
      if (REFUSALS.has(status)) {
        throw new UnicoCredentialsRefusedError(`${said}: the credentials are refused; check the service account, its key and the identity URL`, details);
      }
      throw new UnicoTransientError(said, { ...details, code: transientCodeFor(status) });
    }
    const body = parseObject(answer.text);
    const value = body?.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new UnicoTransientError('token request: the answer holds no access_token', { code: 'unreadable_answer', status });
    }
    const obtainedAt = now();
    const lifetimeMs = lifetimeOf(body?.expires_in) ?? DOCUMENTED_LIFETIME_MS;
    // Ten minutes ahead for hour-long tokens; half the lifetime for short ones.
    const margin = Math.min(this.#settings.tokenRefreshMarginMs, lifetimeMs / 2);
    const usableUntil = obtainedAt + lifetimeMs - Math.min(EXPIRY_SAFETY_MS, lifetimeMs / 4);
    // Never later than its last usable moment, or a small margin would send it in its last minute.
    this.#cached = { value, refreshAt: Math.min(obtainedAt + lifetimeMs - margin, usableUntil), usableUntil };
    this.#nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
    return value;
  }

  /**
   * The RS256 assertion, signed by node:crypto: one fixed header and five claims need no JWT
   * library (PKCS#1 v1.5 padding is what `sign` uses for an RSA key, as RS256 asks).
   */
  #assertion(): string {
    const { serviceAccount, identityUrl, privateKey, assertionLifetimeSeconds, now } = this.#settings;
    const issuedAt = Math.floor(now() / 1000);
    // JSON would write a clock gone wrong as `"iat": null`, a token Unico refuses as bad credentials.
    if (!Number.isFinite(issuedAt)) throw new TypeError('the clock gave no time to sign the assertion with');
    const claims = { scope: '*', iss: serviceAccount, aud: identityUrl, iat: issuedAt, exp: issuedAt + assertionLifetimeSeconds };
    const signingInput = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
  }

}

const base64url = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');

/** A copy of the failure that started a back-off, saying how long is left of it (at least its own Retry-After). */
function stillHeldOff(holdOff: { readonly error: UnicoTransientError; readonly until: number }, now: number): UnicoTransientError {
  const { error } = holdOff;
  const retryAfterMs = Math.max(holdOff.until - now, error.retryAfterMs ?? 0);
  const details = { retryAfterMs, status: error.status, unicoErrorCode: error.unicoErrorCode, cause: error.cause };
  const message = `${error.message}; not asked again for ${retryAfterMs} ms`;
  if (error instanceof UnicoCredentialsRefusedError) return new UnicoCredentialsRefusedError(message, { ...details, status: error.status });
  return new UnicoTransientError(message, { ...details, code: error.code });
}

/** An OAuth2 `expires_in` (seconds, as a number or its digits) in ms; undefined when unusable. */
export function lifetimeOf(expiresIn: unknown): number | undefined {
  const seconds = typeof expiresIn === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  return Number.isFinite(seconds) && (seconds as number) > 0 ? (seconds as number) * 1000 : undefined;
}

function abandoned(signal: AbortSignal): UnicoTransientError {
  return new UnicoTransientError('token request: abandoned by the caller', { code: 'aborted', cause: signal.reason });
}

/** `promise`, or a rejection as soon as `signal` aborts (it is not aborted yet). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
