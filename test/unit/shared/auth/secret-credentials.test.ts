import { describe, expect, jest, test } from '@jest/globals';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { credentialsFromSecret, secretCredentialSource } from '../../../../lambdas/shared/auth/secret-credentials.ts';

describe('credentialsFromSecret', () => {
  test('basic: the current credential first, then the previous ones', () => {
    // Act
    const credentials = credentialsFromSecret(
      'basic',
      { username: 'unico', password: 'new', previous: [{ username: 'unico', password: 'old' }] },
      'Authorization',
    );

    // Assess
    expect(credentials).toEqual([
      { kind: 'basic', username: 'unico', password: 'new' },
      { kind: 'basic', username: 'unico', password: 'old' },
    ]);
  });

  test('basic without previous gives the current credential only', () => {
    // Act
    const credentials = credentialsFromSecret('basic', { username: 'unico', password: 'pw' }, 'Authorization');

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'pw' }]);
  });

  test('apikey: a key without a header gets the default header, one with a header keeps it', () => {
    // Act
    const credentials = credentialsFromSecret(
      'apikey',
      { value: 'new', previous: [{ value: 'old', header: 'X-Old-Key' }] },
      'X-Api-Key',
    );

    // Assess
    expect(credentials).toEqual([
      { kind: 'apikey', header: 'X-Api-Key', value: 'new' },
      { kind: 'apikey', header: 'X-Old-Key', value: 'old' },
    ]);
  });

  test.each([
    ['basic', { username: 'unico' }],
    ['basic', { username: '', password: 'pw' }],
    ['basic', { username: 'u', password: 'p', previous: [{ username: 'u' }] }],
    ['apikey', { value: '' }],
    ['apikey', { header: 'X-Api-Key' }],
    ['apikey', 'plain-string-secret'],
  ] as const)('refuses a %s secret shaped %j', (mode, secret) => {
    // Act + Assess
    expect(() => credentialsFromSecret(mode, secret, 'Authorization')).toThrow();
  });
});

type GetCall = [string, unknown];

function fakeProvider(answers: Array<() => unknown>) {
  const calls: GetCall[] = [];
  const provider = {
    get: async (name: string, options: unknown) => {
      calls.push([name, options]);
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      return next();
    },
  };
  return { provider: provider as unknown as SecretsProvider, calls };
}

const basicSecret = (password: string) => ({ username: 'unico', password });

/** A basic-mode source over a fake provider, with the usual settings. */
const basicSource = (provider: SecretsProvider, onStaleUse: (error: unknown) => void = () => undefined) =>
  secretCredentialSource({
    provider,
    secretId: 's',
    mode: 'basic',
    defaultApiKeyHeader: 'Authorization',
    maxAgeSeconds: 300,
    onStaleUse,
  });

describe('secretCredentialSource', () => {
  test('reads through the provider on every call with the max age and the JSON transform', async () => {
    // Prepare
    const { provider, calls } = fakeProvider([() => basicSecret('one'), () => basicSecret('two')]);
    const source = secretCredentialSource({
      provider,
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook',
      mode: 'basic',
      defaultApiKeyHeader: 'Authorization',
      maxAgeSeconds: 120,
      onStaleUse: () => undefined,
    });

    // Act
    const first = await source();
    const second = await source();

    // Assess
    expect(first).toEqual([{ kind: 'basic', username: 'unico', password: 'one' }]);
    expect(second).toEqual([{ kind: 'basic', username: 'unico', password: 'two' }]);
    expect(calls).toEqual([
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook', { maxAge: 120, transform: 'json' }],
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook', { maxAge: 120, transform: 'json' }],
    ]);
  });

  test('apikey secrets get the configured default header', async () => {
    // Prepare
    const { provider } = fakeProvider([() => ({ value: 'k' })]);
    const source = secretCredentialSource({
      provider,
      secretId: 's',
      mode: 'apikey',
      defaultApiKeyHeader: 'X-Api-Key',
      maxAgeSeconds: 300,
      onStaleUse: () => undefined,
    });

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'apikey', header: 'X-Api-Key', value: 'k' }]);
  });

  test('a failed refresh after a good read keeps the last good credentials and says so', async () => {
    // Prepare
    const outage = new Error('GetSecretValue timed out');
    const { provider } = fakeProvider([
      () => basicSecret('good'),
      () => {
        throw outage;
      },
    ]);
    const onStaleUse = jest.fn<(error: unknown) => void>();
    const source = basicSource(provider, onStaleUse);
    await source();

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'good' }]);
    expect(onStaleUse).toHaveBeenCalledTimes(1);
    // Passed on under its name only: messages about a secret may quote the secret.
    expect(onStaleUse).toHaveBeenCalledWith(expect.objectContaining({ name: 'CredentialSecretError' }));
    expect(String(onStaleUse.mock.calls[0]?.[0])).not.toContain(outage.message);
  });

  test('a secret rewritten into a broken shape keeps the last good credentials too', async () => {
    // Prepare
    const { provider } = fakeProvider([() => basicSecret('good'), () => ({ username: 'unico' })]);
    const onStaleUse = jest.fn<(error: unknown) => void>();
    const source = basicSource(provider, onStaleUse);
    await source();

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'good' }]);
    expect(onStaleUse).toHaveBeenCalledTimes(1);
  });

  test('a failure before any good read is thrown, not hidden', async () => {
    // Prepare
    const outage = Object.assign(new Error('User is not authorized to read secret s'), {
      name: 'AccessDeniedException',
    });
    const { provider } = fakeProvider([
      () => {
        throw outage;
      },
    ]);
    const onStaleUse = jest.fn<(error: unknown) => void>();
    const source = basicSource(provider, onStaleUse);

    // Act
    const result = source();

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'CredentialSecretError',
      message: expect.stringContaining('AccessDeniedException'),
    });
    expect(onStaleUse).not.toHaveBeenCalled();
  });

  test('after a stale use, a successful refresh gives the new credentials', async () => {
    // Prepare
    const { provider } = fakeProvider([
      () => basicSecret('old'),
      () => {
        throw new Error('blip');
      },
      () => basicSecret('rotated'),
    ]);
    const source = basicSource(provider);
    await source();
    await source();

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'rotated' }]);
  });
});
