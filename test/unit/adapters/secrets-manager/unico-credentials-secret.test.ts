import { describe, expect, test } from '@jest/globals';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { unicoCredentialsFromSecret } from '../../../../lambdas/adapters/secrets-manager/unico-credentials-secret.ts';

const ARN = 'arn:aws:secretsmanager:sa-east-1:123456789012:secret:UnicoCredentials-AbCdEf';

describe('unicoCredentialsFromSecret', () => {
  test('reads the secret as JSON once, and serves the cached value to later calls', async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'sa-east-1' });
    const secrets = mockClient(client);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ privateKey: 'PEM', apiKey: 'key' }) });
    const credentials = unicoCredentialsFromSecret(client, ARN);

    // Act
    const first = await credentials();
    const second = await credentials();

    // Assess
    expect(first).toEqual({ privateKey: 'PEM', apiKey: 'key' });
    expect(second).toEqual(first);
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([ARN]);
  });

  test('a failed read is passed on to the fetcher, which calls the credentials unusable', async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'sa-east-1' });
    mockClient(client).on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const read = unicoCredentialsFromSecret(client, ARN)();

    // Assess
    await expect(read).rejects.toThrow();
  });
});
