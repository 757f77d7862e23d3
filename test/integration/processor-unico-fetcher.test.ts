import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UnicoCredentialsRefusedError, UnicoPermanentError, UnicoTransientError } from '../../lambdas/core/unico/process-fetcher.ts';
import { unicoFetcher } from '../../lambdas/adapters/unico/unico-fetcher.ts';
import { startDynamoDbEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable } from '../../tools/local-stack/resources.ts';
import { startUnicoSimulator, type RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';

/** The processor's Unico wiring against the simulator and dynalite: credentials as the secret cache hands them out. */
let dynamodbEmulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let tableName: string;
let unico: RunningUnicoSimulator;

beforeAll(async () => {
  dynamodbEmulator = await startDynamoDbEmulator();
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  tableName = await ensureClaimsTable(dynamodb);
  unico = await startUnicoSimulator();
});

afterAll(async () => {
  await unico?.stop();
  dynamodb?.destroy();
  await dynamodbEmulator?.stop();
});

const api = () => ({
  contract: unico.contract,
  apiBaseUrl: unico.apiBaseUrl,
  identityUrl: unico.identityUrl,
  serviceAccount: unico.serviceAccount,
  maxRequestsPerSecond: 50,
});

async function stats(): Promise<{ tokenRequests: number; getProcessRequests: number }> {
  return (await (await fetch(`${unico.adminUrl}/stats`)).json()) as { tokenRequests: number; getProcessRequests: number };
}

describe('the processor reaching Unico', () => {
  test('a secret cache that hands out a fresh copy of the same credentials keeps one client and one token', async () => {
    // Prepare: every read gives a new object, as the cache does after each refresh.
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => ({ privateKey: `${unico.privateKeyPem}`, apiKey: `${unico.apiKey}` }),
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: () => undefined,
    });
    const before = (await stats()).tokenRequests;
    const ids = Array.from({ length: 5 }, () => crypto.randomUUID());
    for (const id of ids) {
      await fetch(`${unico.adminUrl}/processes/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' }),
      });
    }

    // Act
    const fetched = [];
    for (const id of ids) fetched.push(await fetcher.getProcess(id));

    // Assess
    expect(fetched.map((each) => each.resultCode)).toEqual(ids.map(() => 'PROCESS_RESULT_OK'));
    expect((await stats()).tokenRequests - before).toBe(1);
  });

  test('credentials not filled in yet make fetches transient (the message waits) and are reported', async () => {
    // Prepare
    const reasons: string[] = [];
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => ({ privateKey: '' }),
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: (reason) => reasons.push(reason),
    });

    // Act
    const error = await fetcher.getProcess(crypto.randomUUID()).catch((reason: unknown) => reason);

    // Assess
    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).not.toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({ code: 'credentials_unusable', message: 'Unico credentials are not usable' });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('privateKeyPem must not be empty');
  });

  test('credentials that cannot be read are credentials_unusable too, and reported without the error\'s text', async () => {
    const reasons: string[] = [];
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => { throw Object.assign(new Error('AccessDenied for arn:aws:secretsmanager:...'), { name: 'AccessDeniedException' }); },
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: (reason) => reasons.push(reason),
    });

    const error = await fetcher.getProcess(crypto.randomUUID()).catch((reason: unknown) => reason);

    expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'credentials_unusable', message: 'Unico credentials could not be read' });
    expect(reasons).toEqual(['the credentials could not be read (AccessDeniedException)']);
  });

  test('credentials Unico refuses: UnicoCredentialsRefusedError with the OAuth2 code; the next call is held off without a request', async () => {
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => ({ privateKey: unico.privateKeyPem, apiKey: unico.apiKey }),
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: () => undefined,
    });
    await fetch(`${unico.adminUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'token', status: 400, body: { error: 'invalid_grant' } }),
    });

    const before = (await stats()).tokenRequests;
    const refused = await fetcher.getProcess(crypto.randomUUID()).catch((reason: unknown) => reason);
    const again = await fetcher.getProcess(crypto.randomUUID()).catch((reason: unknown) => reason);

    expect(refused).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(refused).toMatchObject({ code: 'credentials_refused', status: 400, unicoErrorCode: 'invalid_grant' });
    expect(again).toMatchObject({ name: 'UnicoCredentialsRefusedError', status: 400, unicoErrorCode: 'invalid_grant' });
    expect((await stats()).tokenRequests - before).toBe(1);
  });

  test('the caller\'s deadline reaches the shared budget: one already past fails at once with budget_wait, nothing sent', async () => {
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => ({ privateKey: unico.privateKeyPem, apiKey: unico.apiKey }),
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: () => undefined,
    });
    const before = await stats();

    const late = await fetcher.getProcess(crypto.randomUUID(), undefined, Date.now() - 60_000).catch((reason: unknown) => reason);

    expect(late).toMatchObject({ name: 'UnicoTransientError', code: 'budget_wait' });
    // When the budget could grant: about now, long after the deadline.
    expect((late as UnicoTransientError).retryAfterMs).toBeGreaterThanOrEqual(0);
    expect((late as UnicoTransientError).retryAfterMs).toBeLessThan(5_000);
    expect(await stats()).toMatchObject({ tokenRequests: before.tokenRequests });
  });

  test('an unknown process is a permanent failure', async () => {
    const fetcher = unicoFetcher({
      api: api(),
      tokenUrl: unico.tokenUrl,
      credentials: async () => ({ privateKey: unico.privateKeyPem, apiKey: unico.apiKey }),
      dynamodb,
      claimsTableName: tableName,
      onCredentialsUnusable: () => undefined,
    });

    const error = await fetcher.getProcess(crypto.randomUUID()).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(UnicoPermanentError);
    expect((error as UnicoPermanentError).status).toBe(404);
  });
});
