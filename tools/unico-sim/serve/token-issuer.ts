/**
 * The simulator's identity service: OAuth2 JWT bearer (RFC 7523) as Unico's token endpoint
 * speaks it. The assertion must be signed RS256 by the service account's key and carry
 * iss = the service account, aud = the identity URL, scope "*", iat and exp <= iat + 3600, and
 * be valid now. Refusals are OAuth2 errors: 400 invalid_request / unsupported_grant_type /
 * invalid_grant / invalid_scope, 401 invalid_client for an unknown service account.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
const CLOCK_TOLERANCE_SECONDS = 30;

export interface TokenIssuerOptions {
  /** The assertion's expected `aud`. */
  readonly identityUrl: string;
  /** The one service account it knows (the assertion's `iss`). */
  readonly serviceAccount: string;
  readonly publicKey: KeyObject;
  /** The access tokens' lifetime (Unico's: 3600). */
  readonly tokenLifetimeSeconds: number;
  readonly now: () => number;
}

export interface TokenAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export type BearerCheck = 'ok' | 'missing' | 'unknown' | 'expired';

export class TokenIssuer {
  readonly #options: TokenIssuerOptions;
  /** Issued tokens and when each expires (epoch ms). */
  readonly #tokens = new Map<string, number>();

  constructor(options: TokenIssuerOptions) {
    this.#options = options;
  }

  /** The answer to a token request whose form body is `form`. */
  async exchange(form: URLSearchParams): Promise<TokenAnswer> {
    const grantType = form.get('grant_type');
    const assertion = form.get('assertion');
    if (grantType === null) return refuse(400, 'invalid_request', 'grant_type is required');
    if (grantType !== JWT_BEARER_GRANT) {
      return refuse(400, 'unsupported_grant_type', `grant_type must be ${JWT_BEARER_GRANT}`);
    }
    if (assertion === null || assertion === '') return refuse(400, 'invalid_request', 'assertion is required');
    let issuer: unknown;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      return refuse(400, 'invalid_grant', 'the assertion is not a JWT');
    }
    if (issuer !== this.#options.serviceAccount) {
      return refuse(401, 'invalid_client', 'unknown service account');
    }
    const { now, publicKey, identityUrl } = this.#options;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, publicKey, {
        algorithms: ['RS256'],
        issuer: this.#options.serviceAccount,
        audience: identityUrl,
        requiredClaims: ['iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      return refuse(400, 'invalid_grant', assertionProblem(error));
    }
    const { iat, exp, scope } = payload as { iat: number; exp: number; scope?: unknown };
    if (exp - iat > MAX_ASSERTION_LIFETIME_SECONDS) {
      return refuse(400, 'invalid_grant', `exp may be at most iat + ${MAX_ASSERTION_LIFETIME_SECONDS}`);
    }
    if (iat > now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
      return refuse(400, 'invalid_grant', 'iat is in the future');
    }
    if (scope !== '*') {
      return refuse(400, 'invalid_scope', 'scope must be "*"');
    }
    const token = randomBytes(32).toString('base64url');
    const lifetimeMs = this.#options.tokenLifetimeSeconds * 1000;
    this.#prune();
    this.#tokens.set(token, now() + lifetimeMs);
    return {
      status: 200,
      body: { access_token: token, token_type: 'Bearer', expires_in: this.#options.tokenLifetimeSeconds },
    };
  }

  /** Whether an Authorization header carries a token issued here and still valid. */
  check(authorization: string | undefined): BearerCheck {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return 'missing';
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) return 'unknown';
    return this.#options.now() < expiresAt ? 'ok' : 'expired';
  }

  /** Forgets every token issued (they answer 401 from now on), as when Unico revokes them. */
  revokeAll(): number {
    const count = this.#tokens.size;
    this.#tokens.clear();
    return count;
  }

  #prune(): void {
    const now = this.#options.now();
    for (const [token, expiresAt] of this.#tokens) {
      if (expiresAt <= now) this.#tokens.delete(token);
    }
  }
}

function refuse(status: number, error: string, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}

function assertionProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the assertion has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the assertion's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the assertion signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the assertion must be signed RS256';
  return 'the assertion is not valid';
}
