import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as v from 'valibot';
import { Backoff, type BackoffSettings } from '../../core/backoff.ts';
import { failureKind, type FailureKind } from '../aws/failure-kind.ts';
import { resultWithin, systemClock, type Clock } from '../../core/deadline.ts';
import type { CredentialSource, StaticCredential } from '../../core/auth/static-credentials.ts';

/**
 * The JSON kept in Secrets Manager for Basic and API-key modes. The current credential sits at
 * the top (so `generateSecretString` can create it); `previous` holds the ones still accepted
 * during a rotation.
 *
 *   basic:  { "username": "unico", "password": "…", "previous": [{ "username", "password" }] }
 *   apikey: { "value": "…", "header"?: "X-Api-Key", "previous": [{ "value", "header"? }] }
 */
const nonEmpty = v.pipe(v.string(), v.minLength(1));
const basicCredential = v.object({ username: nonEmpty, password: nonEmpty });
const apiKeyCredential = v.object({ value: nonEmpty, header: v.optional(nonEmpty) });
const basicSecret = v.object({ ...basicCredential.entries, previous: v.optional(v.array(basicCredential), []) });
const apiKeySecret = v.object({ ...apiKeyCredential.entries, previous: v.optional(v.array(apiKeyCredential), []) });

export function credentialsFromSecret(
  mode: 'basic' | 'apikey',
  secret: unknown,
  defaultApiKeyHeader: string,
): StaticCredential[] {
  if (mode === 'basic') {
    const parsed = v.parse(basicSecret, secret);
    return [parsed, ...parsed.previous].map(({ username, password }) => ({ kind: 'basic', username, password }));
  }
  const parsed = v.parse(apiKeySecret, secret);
  return [parsed, ...parsed.previous].map(({ value, header }) => ({
    kind: 'apikey',
    header: header ?? defaultApiKeyHeader,
    value,
  }));
}

export interface SecretCredentialSourceOptions {
  readonly provider: SecretsProvider;
  readonly secretId: string;
  readonly mode: 'basic' | 'apikey';
  readonly defaultApiKeyHeader: string;
  /** How long a read secret is trusted before it is read again (rotation delay). */
  readonly maxAgeSeconds: number;
  /** Told once per failed refresh that leaves the last good credentials in use, and when the next try comes. */
  readonly onStaleUse: (error: unknown, retryInMs: number) => void;
  /**
   * How long a request that holds last good credentials waits for the refresh it started before
   * it answers with them (the refresh goes on in the background). @default 1000
   */
  readonly refreshWaitMs?: number;
  /** Pauses after failed refreshes. @default 5 s doubling up to 5 minutes */
  readonly backoff?: BackoffSettings;
  readonly clock?: Clock;
}

export const SECRET_REFRESH_BACKOFF: BackoffSettings = { initialMs: 5000, maxMs: 5 * 60_000 };
const DEFAULT_REFRESH_WAIT_MS = 1000;

/**
 * Credentials from Secrets Manager, cached by Powertools for `maxAgeSeconds` (one read per
 * container and period, never one per request). When a refresh fails, the last good credentials
 * keep being used: a Secrets Manager hiccup must not turn every delivery into a 503, nor make
 * every delivery wait for it.
 * - After a failed refresh Secrets Manager is left alone for a pause (5 s, 10 s, 20 s … 5 min,
 *   back to 5 s after a success): during it, calls answer at once with the last good
 *   credentials, or, before any good read, with the last error (a 503 without the wait).
 * - One refresh at a time: the call that starts it waits at most `refreshWaitMs` when it holds
 *   last good credentials; calls arriving meanwhile use those at once; calls with none share it.
 */
export function secretCredentialSource(options: SecretCredentialSourceOptions): CredentialSource {
  const clock = options.clock ?? systemClock;
  const backoff = new Backoff(options.backoff ?? SECRET_REFRESH_BACKOFF);
  const refreshWaitMs = options.refreshWaitMs ?? DEFAULT_REFRESH_WAIT_MS;
  let lastGood: StaticCredential[] | undefined;
  let lastSecret: unknown;
  let lastError: unknown;
  let refreshing: Promise<StaticCredential[]> | undefined;

  const refresh = async (): Promise<StaticCredential[]> => {
    try {
      const secret = await readSecret(options);
      // Powertools hands back the same cached object until maxAge: parse it once per read.
      if (lastGood === undefined || secret !== lastSecret) {
        lastGood = parseSecret(options, secret);
        lastSecret = secret;
      }
      backoff.succeeded();
      lastError = undefined;
      return lastGood;
    } catch (error) {
      const retryInMs = backoff.failed(clock());
      lastError = error;
      if (lastGood !== undefined) options.onStaleUse(error, retryInMs);
      throw error;
    } finally {
      refreshing = undefined;
    }
  };

  return async () => {
    if (lastError !== undefined && backoff.pausedAt(clock())) {
      if (lastGood !== undefined) return lastGood;
      throw lastError;
    }
    if (refreshing !== undefined) return lastGood ?? refreshing;
    const started = refresh();
    refreshing = started;
    if (lastGood === undefined) return started;
    const fallback = lastGood;
    // The failure is recorded (and reported) by refresh; this call answers with what it has.
    return resultWithin(started.catch(() => fallback), refreshWaitMs, fallback);
  };
}

/**
 * Errors about a secret are rebuilt from names alone: a JSON parse error quotes the text it
 * failed on, which here is the credential itself, and errors end up in logs. `failureKind` says
 * whether waiting helps (throttling, an outage) or a person must act (access denied, a secret that
 * is missing, not JSON or of the wrong shape).
 */
export class CredentialSecretError extends Error {
  override readonly name = 'CredentialSecretError';
  readonly failureKind: FailureKind;
  constructor(message: string, failureKind: FailureKind) {
    super(message);
    this.failureKind = failureKind;
  }
}

async function readSecret(options: SecretCredentialSourceOptions): Promise<unknown> {
  try {
    return await options.provider.get(options.secretId, { maxAge: options.maxAgeSeconds, transform: 'json' });
  } catch (error) {
    const names = causeChain(error).map(nameOf);
    // Powertools wraps the SDK's error (as `cause`); a secret that is not JSON fails its transform.
    const kind = names.includes('TransformParameterError') ? 'permanent' : failureKind(causeChain(error).at(-1));
    throw new CredentialSecretError(`credential secret could not be read or is not JSON (${names.join(': ')})`, kind);
  }
}

function parseSecret(options: SecretCredentialSourceOptions, secret: unknown): StaticCredential[] {
  try {
    return credentialsFromSecret(options.mode, secret, options.defaultApiKeyHeader);
  } catch (error) {
    throw new CredentialSecretError(
      `credential secret does not have the ${options.mode} shape (${nameOf(error)})`,
      'permanent',
    );
  }
}

/** The error and its causes, outermost first (bounded: a cycle must not hang a request). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [error];
  while (chain.length < 5) {
    const last = chain.at(-1);
    if (!(last instanceof Error) || last.cause === undefined) break;
    chain.push(last.cause);
  }
  return chain;
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : typeof error);
