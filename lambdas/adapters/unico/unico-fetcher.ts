import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbRequestBudget } from '../dynamodb/dynamodb-rate-window-store.ts';
import { UnicoApiClient } from './unico-api-client.ts';
import type { UnicoApiSettings, UnicoCredentialsSecret } from '../../contracts/unico-api.ts';
import { UnicoTransientError, type FetchedProcess, type ProcessFetcher } from '../../core/unico/process-fetcher.ts';
import type { RequestBudget } from '../../core/unico/request-budget.ts';

export interface UnicoFetcherWiring {
  readonly api: UnicoApiSettings;
  /** The token endpoint, when not `<identityUrl>/oauth2/token` (the local simulator's). */
  readonly tokenUrl?: string;
  /** Reads the service account's credentials (cached by the caller: adapters/secrets-manager/json-secrets.ts). */
  readonly credentials: () => Promise<UnicoCredentialsSecret>;
  /** The request budget lives in the claims table, shared by every processor and fallback. */
  readonly dynamodb: DynamoDBClient;
  readonly claimsTableName: string;
  /** Told once per failed attempt to build the client (never with the secret's content). */
  readonly onCredentialsUnusable: (reason: string) => void;
  /** Told how long each granted call waited for the shared budget (a metric). */
  readonly onBudgetWait?: (ms: number) => void;
}

/**
 * The processor's view of Unico: GetProcess through the Unico client, every call within the
 * shared requests-per-second budget. The client is built from the credentials on first use, and
 * built again while they cannot be used (a secret not filled in yet, a bad key): until then each
 * fetch is a transient failure (code `credentials_unusable`, as loud for the processor as Unico
 * refusing them, `credentials_refused`), so messages wait and come back instead of being published
 * without their outcome.
 */
export function unicoFetcher(wiring: UnicoFetcherWiring): ProcessFetcher {
  const shared = createDynamoDbRequestBudget({
    client: wiring.dynamodb,
    tableName: wiring.claimsTableName,
    maxPerSecond: wiring.api.maxRequestsPerSecond,
  });
  const { onBudgetWait } = wiring;
  const budget: RequestBudget =
    onBudgetWait === undefined
      ? shared
      : {
          acquire: async (signal, notAfterMs) => {
            const startedAt = Date.now();
            await shared.acquire(signal, notAfterMs);
            onBudgetWait(Date.now() - startedAt);
          },
          pauseUntil: (epochMs) => shared.pauseUntil(epochMs),
        };
  let client: { readonly credentials: UnicoCredentialsSecret; readonly client: UnicoApiClient } | undefined;

  const clientFor = async (): Promise<UnicoApiClient> => {
    let credentials: UnicoCredentialsSecret;
    try {
      credentials = await wiring.credentials();
    } catch (error) {
      wiring.onCredentialsUnusable(`the credentials could not be read (${error instanceof Error ? error.name : 'error'})`);
      throw new UnicoTransientError('Unico credentials could not be read', { code: 'credentials_unusable' });
    }
    // The same credentials as before (the cache hands out a new copy after each read): keep the
    // client, and with it the token, which lives an hour.
    if (client !== undefined && sameCredentials(client.credentials, credentials)) return client.client;
    try {
      const built = new UnicoApiClient({
        contract: wiring.api.contract,
        apiBaseUrl: wiring.api.apiBaseUrl,
        identityUrl: wiring.api.identityUrl,
        ...(wiring.tokenUrl ? { tokenUrl: wiring.tokenUrl } : {}),
        serviceAccount: wiring.api.serviceAccount,
        privateKeyPem: credentials.privateKey,
        ...(credentials.apiKey ? { apiKey: credentials.apiKey } : {}),
        budget,
      });
      client = { credentials, client: built };
      return built;
    } catch (error) {
      wiring.onCredentialsUnusable(error instanceof Error ? error.message : 'unusable credentials');
      throw new UnicoTransientError('Unico credentials are not usable', { code: 'credentials_unusable' });
    }
  };

  return {
    getProcess: async (processId: string, signal?: AbortSignal, notAfterMs?: number): Promise<FetchedProcess> =>
      (await clientFor()).getProcess(processId, signal, notAfterMs),
  };
}

function sameCredentials(a: UnicoCredentialsSecret, b: UnicoCredentialsSecret): boolean {
  return a.privateKey === b.privateKey && a.apiKey === b.apiKey;
}
