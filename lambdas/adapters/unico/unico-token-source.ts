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
 */
import { SignJWT } from 'jose';
import { UnicoTransientError } from '../../core/unico/process-fetcher.ts';
import type { ResolvedUnicoClientOptions } from './unico-client-options.ts';
import type { UnicoHttp } from './unico-http.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Unico documents tokens of 3600 s; used when the answer gives no expires_in. */
const DOCUMENTED_LIFETIME_MS = 3_600_000;
/** A token is not sent in its last minute: it could expire on the way. */
const EXPIRY_SAFETY_MS = 60_000;
/** After a failed refresh while the cached token is still good, the next refresh waits this long. */
const REFRESH_RETRY_PAUSE_MS = 30_000;

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
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
  #requests = 0;

  constructor(settings: TokenSettings, http: UnicoHttp) {
    this.#settings = settings;
    this.#http = http;
  }

  /** Token requests started so far (each waits for the budget, then is sent). */
  get requests(): number {
    return this.#requests;
  }

  /** A bearer token; rejects with UnicoTransientError when none can be had. */
  async token(signal?: AbortSignal): Promise<string> {
    const now = this.#settings.now();
    const cached = this.#cached;
    if (cached !== undefined && now < cached.refreshAt) return cached.value;
    if (cached !== undefined && now < cached.usableUntil) {
      // Due for a refresh but still good: it serves while one refresh runs in the background.
      if (now >= this.#nextRefreshAttemptAt) void this.#refresh().catch(() => undefined);
      return cached.value;
    }
    try {
      return await untilAborted(this.#refresh(), signal);
    } catch (error) {
      if (signal?.aborted) throw new UnicoTransientError('token request: abandoned by the caller', { cause: signal.reason });
      throw error;
    }
  }

  /** The one token request in flight, started when there is none. */
  #refresh(): Promise<string> {
    if (this.#pending === undefined) {
      const pending = this.#fetchToken()
        .catch((error: unknown) => {
          this.#nextRefreshAttemptAt = this.#settings.now() + REFRESH_RETRY_PAUSE_MS;
          throw error;
        })
        .finally(() => {
          this.#pending = undefined;
        });
      // Callers that give up leave it running for the others; nobody may be left to see it fail.
      pending.catch(() => undefined);
      this.#pending = pending;
    }
    return this.#pending;
  }

  /** Drops `token` when it is still the cached one (after a 401); a newer one fetched meanwhile stays. */
  invalidate(token: string): void {
    if (this.#cached?.value === token) {
      this.#cached = undefined;
      this.#nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
    }
  }

  async #fetchToken(): Promise<string> {
    const { tokenUrl, now } = this.#settings;
    const assertion = await this.#assertion();
    this.#requests += 1;
    const answer = await this.#http.send({
      what: 'token request',
      url: tokenUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
    });
    const body = parseObject(answer.text);
    if (answer.status < 200 || answer.status > 299) {
      const code = typeof body?.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? ` (${body.error})` : '';
      throw new UnicoTransientError(
        `token request: Unico's identity service answered ${answer.status}${code}` +
          (answer.status === 400 || answer.status === 401 ? '; check the service account, its key and the identity URL' : ''),
        { status: answer.status },
      );
    }
    const value = body?.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new UnicoTransientError('token request: the answer holds no access_token', { status: answer.status });
    }
    const obtainedAt = now();
    const lifetimeMs = lifetimeOf(body?.expires_in) ?? DOCUMENTED_LIFETIME_MS;
    // Ten minutes ahead for hour-long tokens; half the lifetime for short ones.
    const margin = Math.min(this.#settings.tokenRefreshMarginMs, lifetimeMs / 2);
    this.#cached = {
      value,
      refreshAt: obtainedAt + lifetimeMs - margin,
      usableUntil: obtainedAt + lifetimeMs - Math.min(EXPIRY_SAFETY_MS, lifetimeMs / 4),
    };
    this.#nextRefreshAttemptAt = Number.NEGATIVE_INFINITY;
    return value;
  }

  #assertion(): Promise<string> {
    const { serviceAccount, identityUrl, privateKey, assertionLifetimeSeconds, now } = this.#settings;
    const issuedAt = Math.floor(now() / 1000);
    return new SignJWT({ scope: '*' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(serviceAccount)
      .setAudience(identityUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + assertionLifetimeSeconds)
      .sign(privateKey);
  }
}

function lifetimeOf(expiresIn: unknown): number | undefined {
  const seconds = typeof expiresIn === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
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
