/**
 * The credentials Unico presents to the endpoint, applied exactly as Unico applies them.
 *
 * Static modes (basic, apikey, none) come from the shared notation parser, so the simulator and
 * the receiver read a spec the same way. OAuth2 is Unico's client-credentials flow: a token is
 * fetched from the integrator's provider with the client id and secret, reused until shortly
 * before it expires, and fetched again when the endpoint answers 401.
 */
import { basicAuthorization, credentialHeaders, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { TokenError } from './errors.ts';
import type { Clock, HttpSender } from './http-sender.ts';

/**
 * How the client id and secret reach the token endpoint (RFC 6749 2.3.1):
 * `basic` = client_secret_basic, HTTP Basic auth (the default: every provider must support it);
 * `post` = client_secret_post, both in the form body.
 */
export type ClientAuthMethod = 'basic' | 'post';

export interface OAuth2ClientConfig {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientAuth: ClientAuthMethod;
  readonly timeoutMs: number;
}

/** What a delivery asks for before each attempt. */
export interface Credentials {
  /** Headers for the next request. Throws TokenError when no token can be had. */
  headers(): Promise<Record<string, string>>;
  /**
   * The endpoint answered 401 to a request sent with `sentHeaders`. True when the next request
   * will carry a fresh credential (OAuth2 drops the rejected token); static ones cannot change.
   */
  rejected(sentHeaders: Readonly<Record<string, string>>): boolean;
  /** Requests made to the token endpoint so far (0 for static credentials). */
  readonly tokenRequests: number;
}

export class StaticCredentials implements Credentials {
  readonly #headers: Readonly<Record<string, string>>;

  constructor(spec: AuthSpec) {
    this.#headers = credentialHeaders(spec);
  }

  async headers(): Promise<Record<string, string>> {
    return { ...this.#headers };
  }

  rejected(): boolean {
    return false;
  }

  get tokenRequests(): number {
    return 0;
  }
}

/** Refresh a token this long before it expires, at most; less for short-lived tokens. */
const MAX_REFRESH_MARGIN_MS = 60_000;
const REFRESH_MARGIN_SHARE = 0.1;

interface CachedToken {
  readonly token: string;
  /** Clock time after which the token is fetched again (Infinity when the provider gave no expiry). */
  readonly refreshAt: number;
}

/**
 * OAuth2 client-credentials token client. One token is shared by every delivery in flight; concurrent
 * callers that find no valid token share one request to the provider.
 */
export class OAuth2TokenClient {
  readonly #config: OAuth2ClientConfig;
  readonly #send: HttpSender;
  readonly #clock: Clock;
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #requests = 0;

  constructor(config: OAuth2ClientConfig, send: HttpSender, clock: Clock) {
    this.#config = config;
    this.#send = send;
    this.#clock = clock;
  }

  get requests(): number {
    return this.#requests;
  }

  async token(): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#clock() < cached.refreshAt) {
      return cached.token;
    }
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Drops `token` if it is still the cached one (a newer token fetched meanwhile is kept). */
  invalidate(token: string): void {
    if (this.#cached?.token === token) {
      this.#cached = undefined;
    }
  }

  async #fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, clientAuth, timeoutMs } = this.#config;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (clientAuth === 'basic') {
      // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
      headers.authorization = basicAuthorization(formEncode(clientId), formEncode(clientSecret));
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }

    this.#requests += 1;
    const outcome = await this.#send({ url: tokenUrl, method: 'POST', headers, body: form.toString(), timeoutMs });
    if (outcome.kind === 'timeout') {
      throw new TokenError(`token endpoint did not answer within ${timeoutMs} ms`);
    }
    if (outcome.kind === 'network_error') {
      throw new TokenError(`token endpoint unreachable: ${outcome.reason}`);
    }
    const answer = parseJsonObject(outcome.body);
    if (outcome.status < 200 || outcome.status > 299) {
      const code = typeof answer?.error === 'string' ? ` (${answer.error.slice(0, 80)})` : '';
      throw new TokenError(`token endpoint answered ${outcome.status}${code}`, outcome.status);
    }
    const token = answer?.access_token;
    if (typeof token !== 'string' || token.length === 0) {
      throw new TokenError('token endpoint answer has no access_token', outcome.status);
    }
    const lifetimeMs = expiresInMs(answer?.expires_in);
    const refreshAt = lifetimeMs === undefined
      ? Number.POSITIVE_INFINITY
      : this.#clock() + lifetimeMs - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
    this.#cached = { token, refreshAt };
    return token;
  }
}

export class OAuth2Credentials implements Credentials {
  readonly #client: OAuth2TokenClient;

  constructor(client: OAuth2TokenClient) {
    this.#client = client;
  }

  async headers(): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.#client.token()}` };
  }

  rejected(sentHeaders: Readonly<Record<string, string>>): boolean {
    const sent = sentHeaders.Authorization;
    if (sent?.startsWith('Bearer ')) {
      this.#client.invalidate(sent.slice('Bearer '.length));
    }
    return true;
  }

  get tokenRequests(): number {
    return this.#client.requests;
  }

  get tokenClient(): OAuth2TokenClient {
    return this.#client;
  }
}

export function createCredentials(
  spec: AuthSpec,
  oauth2: OAuth2ClientConfig | undefined,
  send: HttpSender,
  clock: Clock,
): Credentials {
  if (spec.mode !== 'oauth2') {
    return new StaticCredentials(spec);
  }
  if (oauth2 === undefined) {
    throw new TypeError('oauth2 auth needs the token URL, client id and client secret');
  }
  return new OAuth2Credentials(new OAuth2TokenClient(oauth2, send, clock));
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function expiresInMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
