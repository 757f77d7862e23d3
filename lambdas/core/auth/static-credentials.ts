import { createHash, timingSafeEqual } from 'node:crypto';
import { DependencyUnavailableError, UnauthorizedError } from '../errors.ts';
import { headerValue, REALM, type Authenticator, type RequestHeaders } from './authenticator.ts';
import type { AuthSpec } from '../../contracts/auth-notation.ts';

/** A credential Unico presents unchanged on every delivery (Basic or API key). */
export type StaticCredential =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'apikey'; readonly header: string; readonly value: string };

/**
 * Gives the credentials accepted right now. Several at once allow rotation without downtime:
 * add the new one, switch Unico's form, then drop the old one.
 */
export type CredentialSource = () => Promise<readonly StaticCredential[]>;

export function credentialFromSpec(spec: AuthSpec): StaticCredential {
  switch (spec.mode) {
    case 'basic':
      return { kind: 'basic', username: spec.username, password: spec.password };
    case 'apikey':
      return { kind: 'apikey', header: spec.header, value: spec.value };
    default:
      throw new Error(`auth mode ${spec.mode} has no static credential`);
  }
}

/** Checks Basic or API-key credentials, comparing in constant time against every accepted one. */
export class StaticCredentialAuthenticator implements Authenticator {
  readonly #mode: 'basic' | 'apikey';
  readonly #credentials: CredentialSource;
  readonly #challenge: string;

  constructor(mode: 'basic' | 'apikey', credentials: CredentialSource) {
    this.#mode = mode;
    this.#credentials = credentials;
    this.#challenge = mode === 'basic' ? `Basic realm="${REALM}", charset="UTF-8"` : `ApiKey realm="${REALM}"`;
  }

  async authenticate(headers: RequestHeaders): Promise<void> {
    let accepted: readonly StaticCredential[];
    try {
      accepted = await this.#credentials();
    } catch (error) {
      throw new DependencyUnavailableError('credential store', error);
    }
    const presented = this.#mode === 'basic' ? presentedBasic(headers) : presentedApiKeys(headers, accepted);
    if (presented.size === 0) throw new UnauthorizedError(this.#challenge, 'missing');

    // Every accepted credential is compared, match or not, so timing says nothing about which
    // one (or how much of one) matched.
    let matched = false;
    for (const credential of accepted) {
      if (credential.kind !== this.#mode) continue;
      const [where, expected] =
        credential.kind === 'basic'
          ? ['authorization', `${credential.username}:${credential.password}`]
          : [credential.header.toLowerCase(), credential.value];
      const candidate = presented.get(where);
      const equal = candidate !== undefined && constantTimeEqual(candidate, expected);
      matched = equal || matched;
    }
    if (!matched) throw new UnauthorizedError(this.#challenge, 'mismatch');
  }
}

/** The decoded "user:pass" of a Basic Authorization header, keyed by the header it came in. */
function presentedBasic(headers: RequestHeaders): Map<string, string> {
  const authorization = headerValue(headers, 'authorization');
  const match = authorization?.match(/^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i);
  if (!match?.[1]) return new Map();
  return new Map([['authorization', Buffer.from(match[1], 'base64').toString('utf8')]]);
}

/** The values of every header that an accepted API key is expected in. */
function presentedApiKeys(headers: RequestHeaders, accepted: readonly StaticCredential[]): Map<string, string> {
  const presented = new Map<string, string>();
  for (const credential of accepted) {
    if (credential.kind !== 'apikey') continue;
    const name = credential.header.toLowerCase();
    const value = headerValue(headers, name);
    if (value !== undefined) presented.set(name, value);
  }
  return presented;
}

/** Digests first: timingSafeEqual needs equal lengths, and lengths must not leak either. */
function constantTimeEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
