import { createPrivateKey, type KeyObject } from 'node:crypto';
import { isHttpUrl } from '../../contracts/settings.ts';
import { ConfigurationError } from '../../core/errors.ts';
import type { UnicoContract } from '../../core/unico/process-fetcher.ts';
import type { RequestBudget } from '../../core/unico/request-budget.ts';

/**
 * Everything the Unico client needs. URLs differ between Unico's pages and environments, so all
 * of them are settings; the private key and the API key come from Secrets Manager in AWS.
 */
export interface UnicoClientOptions {
  /** The tenant's GetProcess contract. */
  readonly contract: UnicoContract;
  /**
   * GetProcess's base URL, e.g. `https://api.idcloud.unico.app` (Web & SDK; sandbox
   * `https://api.idcloud.uat.unico.app`) or `https://api.id.unico.app` (API contract).
   */
  readonly apiBaseUrl: string;
  /** The identity service's base URL, the assertion's `aud`: `https://identity.acesso.io` (sandbox `https://identityhomolog.acesso.io`). */
  readonly identityUrl: string;
  /** The token endpoint. Default: `{identityUrl}/oauth2/token`. */
  readonly tokenUrl?: string;
  /** The service account, the assertion's `iss`: `<name>@<tenant>.iam.acesso.io`. */
  readonly serviceAccount: string;
  /** The service account's RSA private key, PEM (PKCS#8 or PKCS#1; `\n` written out is accepted too). */
  readonly privateKeyPem: string;
  /** The `APIKEY` header's value: required for the API contract, unused by Web & SDK. */
  readonly apiKey?: string;
  /** Every call (token and GetProcess) acquires from it first. `UNLIMITED_BUDGET` for none. */
  readonly budget: RequestBudget;
  /** The longest wait for one answer from Unico. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** The longest wait for the budget before a call gives up (transient). Default 10000. */
  readonly budgetWaitMs?: number;
  /** Refresh the token this long before it expires. Default 600000 (10 minutes). */
  readonly tokenRefreshMarginMs?: number;
  /** The assertion's lifetime (`exp - iat`), 1 to 3600 seconds. Default 3600. */
  readonly assertionLifetimeSeconds?: number;
  /** How long everybody holds off after a 429 that carries no Retry-After. Default 1000 (Unico's first back-off step). */
  readonly pauseWithoutRetryAfterMs?: number;
  /** The longest shared pause a Retry-After may set. Default 300000. */
  readonly maxPauseMs?: number;
  /** For tests: the HTTP client (default: the global fetch). */
  readonly fetch?: typeof globalThis.fetch;
  /** For tests: the wall clock in epoch milliseconds (default: Date.now). */
  readonly now?: () => number;
}

/** The options with every default applied and the key parsed. */
export interface ResolvedUnicoClientOptions {
  readonly contract: UnicoContract;
  readonly apiBaseUrl: string;
  readonly identityUrl: string;
  readonly tokenUrl: string;
  readonly serviceAccount: string;
  readonly privateKey: KeyObject;
  readonly apiKey: string | undefined;
  readonly budget: RequestBudget;
  readonly requestTimeoutMs: number;
  readonly budgetWaitMs: number;
  readonly tokenRefreshMarginMs: number;
  readonly assertionLifetimeSeconds: number;
  readonly pauseWithoutRetryAfterMs: number;
  readonly maxPauseMs: number;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => number;
}

export const UNICO_CLIENT_DEFAULTS = {
  requestTimeoutMs: 5_000,
  budgetWaitMs: 10_000,
  tokenRefreshMarginMs: 600_000,
  assertionLifetimeSeconds: 3_600,
  pauseWithoutRetryAfterMs: 1_000,
  maxPauseMs: 300_000,
} as const;

/** Checks the options and applies the defaults; every problem at once, none repeating a secret. */
export function resolveUnicoClientOptions(options: UnicoClientOptions): ResolvedUnicoClientOptions {
  const problems: string[] = [];
  if (options.contract !== 'web-sdk' && options.contract !== 'api') {
    problems.push('contract must be web-sdk or api');
  }
  for (const name of ['apiBaseUrl', 'identityUrl', 'tokenUrl'] as const) {
    const value = options[name];
    if ((value !== undefined || name !== 'tokenUrl') && !(typeof value === 'string' && isHttpUrl(value))) {
      problems.push(`${name} must be an http(s) URL`);
    }
  }
  if (typeof options.serviceAccount !== 'string' || options.serviceAccount.trim() === '') {
    problems.push('serviceAccount must not be empty (e.g. svc@tenant.iam.acesso.io)');
  }
  if (options.contract === 'api' && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    problems.push('apiKey is required for the api contract');
  }
  const privateKey = parsePrivateKey(options.privateKeyPem, problems);
  const number = (name: keyof typeof UNICO_CLIENT_DEFAULTS, min: number, max: number): number => {
    const value = options[name] ?? UNICO_CLIENT_DEFAULTS[name];
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max)) {
      problems.push(`${name} must be a number from ${min} to ${max}`);
    }
    return value;
  };
  const resolved = {
    requestTimeoutMs: number('requestTimeoutMs', 1, 600_000),
    budgetWaitMs: number('budgetWaitMs', 1, 900_000),
    tokenRefreshMarginMs: number('tokenRefreshMarginMs', 0, 3_000_000),
    assertionLifetimeSeconds: number('assertionLifetimeSeconds', 1, 3_600),
    pauseWithoutRetryAfterMs: number('pauseWithoutRetryAfterMs', 0, 600_000),
    maxPauseMs: number('maxPauseMs', 0, 3_600_000),
  };
  if (problems.length > 0 || privateKey === undefined) {
    throw new ConfigurationError('Unico client settings are invalid', problems);
  }
  const identityUrl = options.identityUrl.replace(/\/+$/, '');
  return {
    contract: options.contract,
    apiBaseUrl: options.apiBaseUrl.replace(/\/+$/, ''),
    identityUrl,
    tokenUrl: options.tokenUrl ?? `${identityUrl}/oauth2/token`,
    serviceAccount: options.serviceAccount.trim(),
    privateKey,
    apiKey: options.contract === 'api' ? options.apiKey : undefined,
    budget: options.budget,
    ...resolved,
    assertionLifetimeSeconds: Math.floor(resolved.assertionLifetimeSeconds),
    fetch: options.fetch ?? globalThis.fetch,
    now: options.now ?? Date.now,
  };
}

function parsePrivateKey(pem: unknown, problems: string[]): KeyObject | undefined {
  if (typeof pem !== 'string' || pem.trim() === '') {
    problems.push('privateKeyPem must not be empty');
    return undefined;
  }
  // A PEM pasted into JSON or an environment file often has its line breaks written as "\n".
  const text = pem.includes('\n') ? pem : pem.replace(/\\n/g, '\n');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    problems.push('privateKeyPem is not a PEM private key');
    return undefined;
  }
  if (key.asymmetricKeyType !== 'rsa') {
    problems.push('privateKeyPem must be an RSA key (the assertion is signed RS256)');
    return undefined;
  }
  return key;
}
