import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unicoFetcher } from '../../lambdas/adapters/unico/unico-fetcher.ts';
import type { ProcessFetcher } from '../../lambdas/core/unico/process-fetcher.ts';
import type { RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';

/**
 * The processor's (and the fallback's) Unico fetcher pointed at a running simulator: its URLs,
 * service account and key, and the shared request budget in the claims table.
 */
export function simulatorFetcher(
  unico: RunningUnicoSimulator,
  wiring: {
    readonly dynamodb: DynamoDBClient;
    readonly claimsTableName: string;
    readonly maxRequestsPerSecond: number;
    readonly onCredentialsUnusable?: (reason: string) => void;
  },
): ProcessFetcher {
  return unicoFetcher({
    api: {
      contract: unico.contract,
      apiBaseUrl: unico.apiBaseUrl,
      identityUrl: unico.identityUrl,
      serviceAccount: unico.serviceAccount,
      maxRequestsPerSecond: wiring.maxRequestsPerSecond,
    },
    tokenUrl: unico.tokenUrl,
    credentials: async () => ({ privateKey: unico.privateKeyPem, apiKey: unico.apiKey }),
    dynamodb: wiring.dynamodb,
    claimsTableName: wiring.claimsTableName,
    onCredentialsUnusable: wiring.onCredentialsUnusable ?? (() => undefined),
  });
}
