import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { JOSEError, JWKSInvalid, JWKSTimeout } from 'jose/errors';
import { DependencyUnavailableError, UnauthorizedError } from '../errors.ts';
import { headerValue, REALM, type Authenticator, type RequestHeaders } from './authenticator.ts';
import { JsonWebKeySet, KeySetUnavailableError, type JsonWebKeySetOptions } from './json-web-key-set.ts';

/** The OAuth2 provider whose access tokens Unico presents (it fetches them with client credentials). */
export interface OAuth2Settings {
  readonly issuer: string;
  /** @default the `jwks_uri` of the issuer's OpenID discovery document (`${issuer}/.well-known/openid-configuration`) */
  readonly jwksUri?: string;
  /** Accepted `aud` values; checked when not empty. */
  readonly audiences: readonly string[];
  /** Accepted client ids (`client_id`, `azp` or `cid` claim); checked when not empty. */
  readonly clientIds: readonly string[];
  /** Scopes the token must all carry (`scope` or `scp` claim). */
  readonly requiredScopes: readonly string[];
}

/** Asymmetric algorithms only: a shared-secret HS256 token is never accepted from a JWKS. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtAuthenticatorOptions {
  /** Bound on one read of the provider's key set (discovery document included). */
  readonly keyFetchTimeoutMs: number;
  /** Resolves the signing keys instead of the provider's key set (tests). */
  readonly keys?: JWTVerifyGetKey;
  /** How the provider's key set is cached, refreshed and read (see JsonWebKeySet). */
  readonly keySet?: Omit<JsonWebKeySetOptions, 'issuer' | 'jwksUri' | 'fetchTimeoutMs'>;
}

/**
 * Verifies `Authorization: Bearer <JWT>`: signature against the provider's key set (cached and
 * kept through provider outages by JsonWebKeySet), issuer, expiry, audience or client id, and
 * scopes. A key set that cannot be read is a DependencyUnavailableError (503), never a 401.
 */
export class JwtAuthenticator implements Authenticator {
  readonly #settings: OAuth2Settings;
  readonly #keys: JWTVerifyGetKey;
  readonly #challenge: string;

  constructor(settings: OAuth2Settings, options: JwtAuthenticatorOptions) {
    if (settings.audiences.length === 0 && settings.clientIds.length === 0) {
      throw new Error('oauth2 needs at least one accepted audience or client id');
    }
    this.#settings = settings;
    this.#keys =
      options.keys ??
      new JsonWebKeySet({
        ...options.keySet,
        issuer: settings.issuer,
        ...(settings.jwksUri !== undefined ? { jwksUri: settings.jwksUri } : {}),
        fetchTimeoutMs: options.keyFetchTimeoutMs,
      }).getKey;
    this.#challenge = `Bearer realm="${REALM}"`;
  }

  async authenticate(headers: RequestHeaders): Promise<void> {
    const authorization = headerValue(headers, 'authorization');
    const token = authorization?.match(/^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i)?.[1];
    if (token === undefined) throw new UnauthorizedError(this.#challenge, 'missing');

    let payload: JWTPayload;
    let header: { readonly typ?: string | undefined };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.#keys, {
        issuer: this.#settings.issuer,
        ...(this.#settings.audiences.length > 0 ? { audience: [...this.#settings.audiences] } : {}),
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      if (isKeySetUnavailable(error)) throw new DependencyUnavailableError('oauth2 key set', error);
      const code = error instanceof JOSEError ? error.code : 'invalid';
      throw new UnauthorizedError(`${this.#challenge}, error="invalid_token"`, code);
    }

    if (!isClientAccessToken(header, payload)) {
      throw new UnauthorizedError(`${this.#challenge}, error="invalid_token"`, 'token_type');
    }
    if (!this.#clientAccepted(payload)) {
      throw new UnauthorizedError(`${this.#challenge}, error="invalid_token"`, 'client_id');
    }
    if (!this.#scopesGranted(payload)) {
      throw new UnauthorizedError(`${this.#challenge}, error="insufficient_scope"`, 'scope');
    }
  }

  #clientAccepted(payload: JWTPayload): boolean {
    const accepted = this.#settings.clientIds;
    if (accepted.length === 0) return true;
    const clientId = [payload.client_id, payload.azp, payload.cid].find((claim) => typeof claim === 'string');
    return typeof clientId === 'string' && accepted.includes(clientId);
  }

  #scopesGranted(payload: JWTPayload): boolean {
    const required = this.#settings.requiredScopes;
    if (required.length === 0) return true;
    // `scope` is a space-separated string (RFC 9068); some providers use `scp`, as a string or a list.
    const claim = payload.scope ?? payload.scp;
    const granted = new Set(
      typeof claim === 'string'
        ? claim.split(' ')
        : Array.isArray(claim)
          ? claim.filter((scope): scope is string => typeof scope === 'string')
          : [],
    );
    return required.every((scope) => granted.has(scope));
  }
}

/** `typ` values of a JWT access token (RFC 9068 names `at+jwt`; most providers say `JWT` or nothing). */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

/**
 * Only access tokens a client got for itself (the client-credentials grant Unico uses) pass, where
 * the provider says what a token is: an ID token (`token_use: id`, a `nonce` or `at_hash`), another
 * `typ`, another grant (`gty`), or a Cognito user's access token (`username`) signed by the same
 * issuer for the same client would otherwise be accepted as Unico's.
 */
function isClientAccessToken(header: { readonly typ?: string | undefined }, payload: JWTPayload): boolean {
  if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) return false;
  if (payload.token_use !== undefined && payload.token_use !== 'access') return false;
  if (payload.token_use !== undefined && payload.username !== undefined) return false;
  if (payload.nonce !== undefined || payload.at_hash !== undefined) return false;
  if (payload.gty !== undefined && payload.gty !== 'client-credentials' && payload.gty !== 'client_credentials') return false;
  return true;
}

/** The provider's key set could not be read: that is our problem (503), not the caller's (401). */
function isKeySetUnavailable(error: unknown): boolean {
  if (error instanceof KeySetUnavailableError) return true;
  if (error instanceof JWKSTimeout || error instanceof JWKSInvalid) return true;
  return !(error instanceof JOSEError);
}
