import * as v from 'valibot';
import { Backoff, type BackoffSettings } from '../../core/backoff.ts';
import { failureKind, type FailureKind } from '../aws/failure-kind.ts';
import { resultWithin, systemClock, type Clock } from '../../core/deadline.ts';
import type { CredentialSource, StaticCredential } from '../../core/auth/static-credentials.ts';
import { SecretNotJsonError, type JsonSecrets } from './json-secrets.ts';

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
  readonly secrets: JsonSecrets;
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
 * Credentials from Secrets Manager, cached by `secrets` for `maxAgeSeconds` (one read per
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
      // The same cached object comes back until maxAge: parse it once per read.
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
    return await options.secrets.get(options.secretId, { maxAgeSeconds: options.maxAgeSeconds });
  } catch (error) {
    const kind = error instanceof SecretNotJsonError ? 'permanent' : failureKind(error);
    throw new CredentialSecretError(`credential secret could not be read or is not JSON (${nameOf(error)})`, kind);
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

const nameOf = (error: unknown) => (error instanceof Error ? error.name : typeof error);
