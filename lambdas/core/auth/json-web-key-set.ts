import {
  createLocalJWKSet,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { JWKSNoMatchingKey } from 'jose/errors';
import { Backoff, type BackoffSettings } from '../backoff.ts';
import { systemClock, type Clock } from '../deadline.ts';

/** Why the provider's key set (or its discovery document) could not be used. */
export type KeySetFailureReason =
  | 'status' // an answer other than 2xx or 3xx
  | 'redirect' // a 3xx: the configured URL is not where the keys are
  | 'not_json'
  | 'not_a_jwks'
  | 'discovery_invalid' // the discovery document has no usable jwks_uri
  | 'issuer_mismatch' // the discovery document speaks for another issuer
  | 'timeout'
  | 'unreachable';

/**
 * The key set could not be read: we cannot tell whether a token is good (a 503, never a 401).
 * The message names the URL and the reason only; neither tokens nor response bodies.
 */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
  readonly reason: KeySetFailureReason;
  constructor(reason: KeySetFailureReason, detail: string) {
    super(`oauth2 key set unavailable (${reason}): ${detail}`);
    this.reason = reason;
  }
}

export interface JsonWebKeySetOptions {
  /** The provider's issuer, exactly as in its tokens' `iss`. */
  readonly issuer: string;
  /** @default the `jwks_uri` of `${issuer}/.well-known/openid-configuration` (read once) */
  readonly jwksUri?: string;
  /** Bound on one refresh, discovery document included. */
  readonly fetchTimeoutMs: number;
  /** Age after which the keys are read again (in the background while they are still usable). @default 10 minutes */
  readonly refreshAfterMs?: number;
  /** Age after which keys that could not be refreshed are no longer trusted. @default 24 hours */
  readonly maxStaleMs?: number;
  /** Least time between a read and a re-read caused by a token whose key is not in the set. @default 30 s */
  readonly unknownKeyCooldownMs?: number;
  /** Pauses after failed reads. @default 5 s doubling up to 30 s */
  readonly failureBackoff?: BackoffSettings;
  readonly clock?: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Told about every failed read (for a warning in the logs: the error names its reason only). */
  readonly onRefreshFailure?: (error: KeySetUnavailableError) => void;
}

export const KEY_SET_DEFAULTS = {
  refreshAfterMs: 10 * 60_000,
  maxStaleMs: 24 * 60 * 60_000,
  unknownKeyCooldownMs: 30_000,
  failureBackoff: { initialMs: 5000, maxMs: 30_000 },
} as const;

/** OpenID Connect Discovery 1.0 §4: the issuer without a trailing slash, plus the well-known path. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

type KeyResolver = (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

interface FetchedKeys {
  readonly resolve: KeyResolver;
  readonly fetchedAt: number;
}

/**
 * The OAuth2 provider's signing keys, read over HTTPS and kept so that a provider outage does not
 * turn good tokens away:
 * - keys are read again after `refreshAfterMs`, in the background while the ones held still
 *   serve; a failed read leaves them in use for up to `maxStaleMs` after the last good read;
 * - a token whose key is not in the set causes one re-read (at most one per
 *   `unknownKeyCooldownMs`, so strangers cannot make us hammer the provider): still unknown after
 *   a good read is the token's fault; unknown while the provider fails is ours (we cannot tell);
 * - every caller shares the one read in flight, and after a failure no read is tried until the
 *   back-off pause ends: callers without usable keys get KeySetUnavailableError at once.
 * Redirects, non-2xx answers, non-JSON and JSON that is not a key set are all failed reads.
 */
export class JsonWebKeySet {
  readonly #issuer: string;
  readonly #fetchTimeoutMs: number;
  readonly #refreshAfterMs: number;
  readonly #maxStaleMs: number;
  readonly #unknownKeyCooldownMs: number;
  readonly #backoff: Backoff;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #onRefreshFailure: (error: KeySetUnavailableError) => void;
  #jwksUri: string | undefined;
  #keys: FetchedKeys | undefined;
  #reading: Promise<FetchedKeys> | undefined;
  /** The last read's failure, while no read has succeeded since. */
  #failure: KeySetUnavailableError | undefined;

  constructor(options: JsonWebKeySetOptions) {
    this.#issuer = options.issuer;
    this.#jwksUri = options.jwksUri;
    this.#fetchTimeoutMs = options.fetchTimeoutMs;
    this.#refreshAfterMs = options.refreshAfterMs ?? KEY_SET_DEFAULTS.refreshAfterMs;
    this.#maxStaleMs = options.maxStaleMs ?? KEY_SET_DEFAULTS.maxStaleMs;
    this.#unknownKeyCooldownMs = options.unknownKeyCooldownMs ?? KEY_SET_DEFAULTS.unknownKeyCooldownMs;
    this.#backoff = new Backoff(options.failureBackoff ?? KEY_SET_DEFAULTS.failureBackoff);
    this.#clock = options.clock ?? systemClock;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#onRefreshFailure = options.onRefreshFailure ?? (() => undefined);
    if (this.#maxStaleMs < this.#refreshAfterMs) throw new Error('maxStaleMs must not be shorter than refreshAfterMs');
  }

  /**
   * The key for a token, as jose's `jwtVerify` asks for it. Throws KeySetUnavailableError when
   * the set cannot be read and the keys held (if any) do not settle the question, and jose's
   * JWKSNoMatchingKey when a freshly read set has no key for the token.
   */
  readonly getKey = async (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const now = this.#clock();
    let keys = this.#keys;
    if (keys === undefined || now - keys.fetchedAt > this.#maxStaleMs) {
      keys = await this.#read(now);
    } else if (now - keys.fetchedAt >= this.#refreshAfterMs) {
      this.#readInBackground(now);
    }
    try {
      return await keys.resolve(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof JWKSNoMatchingKey)) throw error;
    }
    const reread = await this.#readForUnknownKey(keys, now);
    return reread.resolve(protectedHeader, token);
  };

  /** The keys after a read made now or already in flight; fails fast during a back-off pause. */
  #read(now: number): Promise<FetchedKeys> {
    if (this.#reading !== undefined) return this.#reading;
    if (this.#failure !== undefined && this.#backoff.pausedAt(now)) return Promise.reject(this.#failure);
    const reading = this.#download().then(
      (keys) => {
        this.#reading = undefined;
        this.#keys = keys;
        this.#failure = undefined;
        this.#backoff.succeeded();
        return keys;
      },
      (error: unknown) => {
        this.#reading = undefined;
        const failure = asKeySetFailure(error);
        this.#failure = failure;
        this.#backoff.failed(this.#clock());
        this.#onRefreshFailure(failure);
        throw failure;
      },
    );
    this.#reading = reading;
    return reading;
  }

  #readInBackground(now: number): void {
    // The failure is recorded by #read and reported through onRefreshFailure.
    this.#read(now).catch(() => undefined);
  }

  /** The set to look an unknown key up in again: re-read, unless one was read very recently. */
  #readForUnknownKey(held: FetchedKeys, now: number): Promise<FetchedKeys> {
    if (this.#reading !== undefined) return this.#reading;
    if (this.#failure === undefined && now - held.fetchedAt < this.#unknownKeyCooldownMs) return Promise.resolve(held);
    return this.#read(now);
  }

  async #download(): Promise<FetchedKeys> {
    const signal = AbortSignal.timeout(this.#fetchTimeoutMs);
    this.#jwksUri ??= await this.#discoverJwksUri(signal);
    const body = await this.#getJson(this.#jwksUri, signal);
    if (!hasSigningKeys(body)) {
      throw new KeySetUnavailableError('not_a_jwks', `${this.#jwksUri} did not answer a JSON Web Key Set`);
    }
    let resolve: KeyResolver;
    try {
      resolve = createLocalJWKSet(body);
    } catch {
      throw new KeySetUnavailableError('not_a_jwks', `${this.#jwksUri} did not answer a JSON Web Key Set`);
    }
    return { resolve, fetchedAt: this.#clock() };
  }

  /** The `jwks_uri` of the issuer's discovery document, which must speak for that same issuer. */
  async #discoverJwksUri(signal: AbortSignal): Promise<string> {
    const url = discoveryUrl(this.#issuer);
    const document = await this.#getJson(url, signal);
    if (!isRecord(document)) throw new KeySetUnavailableError('discovery_invalid', `${url} is not a JSON object`);
    if (document.issuer !== this.#issuer) {
      throw new KeySetUnavailableError('issuer_mismatch', `${url} names another issuer than ${this.#issuer}`);
    }
    const jwksUri = typeof document.jwks_uri === 'string' ? URL.parse(document.jwks_uri) : null;
    const issuerProtocol = URL.parse(this.#issuer)?.protocol;
    // An https issuer's keys must come over https too; http is only for local providers.
    const acceptable = issuerProtocol === 'https:' ? ['https:'] : ['https:', 'http:'];
    if (jwksUri === null || !acceptable.includes(jwksUri.protocol)) {
      throw new KeySetUnavailableError('discovery_invalid', `${url} has no usable jwks_uri`);
    }
    return jwksUri.href;
  }

  async #getJson(url: string, signal: AbortSignal): Promise<unknown> {
    let text: string;
    try {
      const response = await this.#fetch(url, { signal, redirect: 'manual', headers: { accept: 'application/json' } });
      if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
        await discardBody(response);
        throw new KeySetUnavailableError('redirect', `${url} answered ${response.status} (a redirect)`);
      }
      if (!response.ok) {
        await discardBody(response);
        throw new KeySetUnavailableError('status', `${url} answered ${response.status}`);
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof KeySetUnavailableError) throw error;
      throw transportFailure(url, error, signal);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new KeySetUnavailableError('not_json', `${url} did not answer JSON`);
    }
  }
}

function transportFailure(url: string, error: unknown, signal: AbortSignal): KeySetUnavailableError {
  if (signal.aborted || (error instanceof Error && error.name === 'TimeoutError')) {
    return new KeySetUnavailableError('timeout', `${url} did not answer in time`);
  }
  // fetch's TypeError carries the socket error (ECONNREFUSED, ENOTFOUND…) as its cause.
  const cause = error instanceof Error ? error.cause : undefined;
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : error instanceof Error ? error.name : 'error';
  return new KeySetUnavailableError('unreachable', `${url} could not be reached (${code})`);
}

function asKeySetFailure(error: unknown): KeySetUnavailableError {
  if (error instanceof KeySetUnavailableError) return error;
  return new KeySetUnavailableError('unreachable', `key set read failed (${error instanceof Error ? error.name : typeof error})`);
}

async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** At least one key, each with a key type: an empty or shapeless set is a failed read, not "no keys". */
function hasSigningKeys(body: unknown): body is JSONWebKeySet {
  return (
    isRecord(body) &&
    Array.isArray(body.keys) &&
    body.keys.length > 0 &&
    body.keys.every((key: unknown) => isRecord(key) && typeof key.kty === 'string')
  );
}
