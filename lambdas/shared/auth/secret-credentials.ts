import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import type { CredentialSource, StaticCredential } from './static-credentials.ts';

/**
 * The JSON kept in Secrets Manager for Basic and API-key modes. The current credential sits at
 * the top (so `generateSecretString` can create it); `previous` holds the ones still accepted
 * during a rotation.
 *
 *   basic:  { "username": "unico", "password": "…", "previous": [{ "username", "password" }] }
 *   apikey: { "value": "…", "header"?: "X-Api-Key", "previous": [{ "value", "header"? }] }
 */
const basicCredential = z.object({ username: z.string().min(1), password: z.string().min(1) });
const apiKeyCredential = z.object({ value: z.string().min(1), header: z.string().min(1).optional() });
const basicSecret = basicCredential.extend({ previous: z.array(basicCredential).default([]) });
const apiKeySecret = apiKeyCredential.extend({ previous: z.array(apiKeyCredential).default([]) });

export function credentialsFromSecret(
  mode: 'basic' | 'apikey',
  secret: unknown,
  defaultApiKeyHeader: string,
): StaticCredential[] {
  if (mode === 'basic') {
    const parsed = basicSecret.parse(secret);
    return [parsed, ...parsed.previous].map(({ username, password }) => ({ kind: 'basic', username, password }));
  }
  const parsed = apiKeySecret.parse(secret);
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
  readonly onStaleUse: (error: unknown) => void;
}

/**
 * Credentials from Secrets Manager, cached by Powertools for `maxAgeSeconds` (one read per
 * container and period, never one per request). When a refresh fails, the last good credentials
 * keep being used: a Secrets Manager hiccup must not turn every delivery into a 503.
 */
export function secretCredentialSource(options: SecretCredentialSourceOptions): CredentialSource {
  let lastGood: StaticCredential[] | undefined;
  let lastSecret: unknown;
  return async () => {
    try {
      const secret = await readSecret(options);
      // Powertools hands back the same cached object until maxAge: parse it once per read.
      if (lastGood === undefined || secret !== lastSecret) {
        lastGood = parseSecret(options, secret);
        lastSecret = secret;
      }
      return lastGood;
    } catch (error) {
      if (lastGood === undefined) throw error;
      options.onStaleUse(error);
      return lastGood;
    }
  };
}

/**
 * Errors about a secret are rebuilt from their name alone: a JSON parse error quotes the text it
 * failed on, which here is the credential itself, and errors end up in logs.
 */
export class CredentialSecretError extends Error {
  override readonly name = 'CredentialSecretError';
}

async function readSecret(options: SecretCredentialSourceOptions): Promise<unknown> {
  try {
    return await options.provider.get(options.secretId, { maxAge: options.maxAgeSeconds, transform: 'json' });
  } catch (error) {
    throw new CredentialSecretError(`credential secret could not be read or is not JSON (${nameOf(error)})`);
  }
}

function parseSecret(options: SecretCredentialSourceOptions, secret: unknown): StaticCredential[] {
  try {
    return credentialsFromSecret(options.mode, secret, options.defaultApiKeyHeader);
  } catch (error) {
    throw new CredentialSecretError(`credential secret does not have the ${options.mode} shape (${nameOf(error)})`);
  }
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : typeof error);
