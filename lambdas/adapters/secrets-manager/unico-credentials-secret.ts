import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { UnicoCredentialsSecret } from '../../contracts/unico-api.ts';
import { SecretsManagerJsonSecrets } from './json-secrets.ts';

/** How long read credentials are trusted: a key put into the secret is used within this time. */
const CREDENTIALS_MAX_AGE_SECONDS = 300;

/**
 * Reads the Unico service account's credentials from their secret (JSON, cached for five
 * minutes), for the processor and the fallback alike. The fetcher checks their shape.
 */
export function unicoCredentialsFromSecret(client: SecretsManagerClient, secretArn: string): () => Promise<UnicoCredentialsSecret> {
  const secrets = new SecretsManagerJsonSecrets(client);
  return async () => (await secrets.get(secretArn, { maxAgeSeconds: CREDENTIALS_MAX_AGE_SECONDS })) as UnicoCredentialsSecret;
}
