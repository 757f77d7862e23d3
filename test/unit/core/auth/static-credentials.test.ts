import { describe, expect, test } from '@jest/globals';
import { basicAuthorization, parseAuthSpec } from '../../../../lambdas/contracts/auth-notation.ts';
import {
  credentialFromSpec,
  StaticCredentialAuthenticator,
  type CredentialSource,
  type StaticCredential,
} from '../../../../lambdas/core/auth/static-credentials.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../../../lambdas/core/errors.ts';
import { refusal } from '../../../support/unit/caught-errors.ts';

const fixed =
  (...credentials: StaticCredential[]): CredentialSource =>
  async () =>
    credentials;

const unico: StaticCredential = { kind: 'basic', username: 'unico', password: 'pa:ss-w0rd' };

describe('StaticCredentialAuthenticator in basic mode', () => {
  const authenticator = new StaticCredentialAuthenticator('basic', fixed(unico));

  test('accepts the configured user and password', async () => {
    // Act
    const result = authenticator.authenticate({ authorization: basicAuthorization('unico', 'pa:ss-w0rd') });

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('accepts a lower-case scheme (schemes are case-insensitive)', async () => {
    // Prepare
    const encoded = Buffer.from('unico:pa:ss-w0rd').toString('base64');

    // Act
    const result = authenticator.authenticate({ authorization: `basic ${encoded}` });

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('refuses a wrong password', async () => {
    // Act
    const error = await refusal(authenticator.authenticate({ authorization: basicAuthorization('unico', 'pa:ss-w0rD') }));

    // Assess
    expect(error.reason).toBe('mismatch');
  });

  test('refuses a wrong user', async () => {
    // Act
    const error = await refusal(authenticator.authenticate({ authorization: basicAuthorization('unic0', 'pa:ss-w0rd') }));

    // Assess
    expect(error.reason).toBe('mismatch');
  });

  test('refuses a request without an Authorization header', async () => {
    // Act
    const error = await refusal(authenticator.authenticate({ 'content-type': 'application/json' }));

    // Assess
    expect(error.reason).toBe('missing');
  });

  test.each([['Basic'], ['Basic !!!not-base64!!!'], ['Bearer dW5pY286cGE6c3MtdzByZA=='], ['dW5pY286cGE6c3MtdzByZA==']])(
    'refuses a malformed Authorization header %j',
    async (authorization) => {
      // Act
      const error = await refusal(authenticator.authenticate({ authorization }));

      // Assess
      expect(error.reason).toBe('missing');
    },
  );

  test('refuses credentials without a colon', async () => {
    // Act
    const result = authenticator.authenticate({ authorization: `Basic ${Buffer.from('unicopa:ss-w0rd').toString('base64')}` });

    // Assess
    await expect(result).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('challenges with the Basic scheme, a realm and UTF-8', async () => {
    // Act
    const error = await refusal(authenticator.authenticate({}));

    // Assess
    expect(error.challenge).toMatch(/^Basic realm="[^"]+", charset="UTF-8"$/);
  });

  test('during a rotation accepts both the new and the old credentials', async () => {
    // Prepare
    const rotating = new StaticCredentialAuthenticator(
      'basic',
      fixed({ kind: 'basic', username: 'unico', password: 'new-pw' }, { kind: 'basic', username: 'unico', password: 'old-pw' }),
    );

    // Act
    const newOne = rotating.authenticate({ authorization: basicAuthorization('unico', 'new-pw') });
    const oldOne = rotating.authenticate({ authorization: basicAuthorization('unico', 'old-pw') });
    const neither = rotating.authenticate({ authorization: basicAuthorization('unico', 'other-pw') });

    // Assess
    await expect(newOne).resolves.toBeUndefined();
    await expect(oldOne).resolves.toBeUndefined();
    await expect(neither).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('ignores API-key credentials handed to a basic authenticator', async () => {
    // Prepare: the key's value is what the presented Basic header decodes to ("u:p").
    const mixed = new StaticCredentialAuthenticator('basic', fixed({ kind: 'apikey', header: 'Authorization', value: 'u:p' }));

    // Act
    const result = mixed.authenticate({ authorization: 'Basic dTpw' });

    // Assess
    await expect(result).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('StaticCredentialAuthenticator in apikey mode', () => {
  test('accepts the key in its custom header, whatever the case of the header names', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed({ kind: 'apikey', header: 'X-Api-Key', value: 'k-123' }));

    // Act
    const lower = authenticator.authenticate({ 'x-api-key': 'k-123' });
    const mixed = authenticator.authenticate({ 'X-API-KEY': 'k-123' });

    // Assess
    await expect(lower).resolves.toBeUndefined();
    await expect(mixed).resolves.toBeUndefined();
  });

  test('refuses the key when it comes in another header', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed({ kind: 'apikey', header: 'X-Api-Key', value: 'k-123' }));

    // Act
    const error = await refusal(authenticator.authenticate({ authorization: 'k-123' }));

    // Assess
    expect(error.reason).toBe('missing');
  });

  test('refuses a wrong key', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed({ kind: 'apikey', header: 'X-Api-Key', value: 'k-123' }));

    // Act
    const error = await refusal(authenticator.authenticate({ 'x-api-key': 'k-124' }));

    // Assess
    expect(error.reason).toBe('mismatch');
  });

  test('refuses a key that is only a prefix of the right one', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed({ kind: 'apikey', header: 'X-Api-Key', value: 'k-123' }));

    // Act
    const result = authenticator.authenticate({ 'x-api-key': 'k-12' });

    // Assess
    await expect(result).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('the Authorization form compares the whole header value', async () => {
    // Prepare
    const credential = credentialFromSpec(parseAuthSpec('apikey:Authorization:Bearer abc'));
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed(credential));

    // Act
    const whole = authenticator.authenticate({ authorization: 'Bearer abc' });
    const bare = authenticator.authenticate({ authorization: 'abc' });

    // Assess
    await expect(whole).resolves.toBeUndefined();
    await expect(bare).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('apikey:VALUE expects the bare value as the Authorization header', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed(credentialFromSpec(parseAuthSpec('apikey:abc'))));

    // Act
    const result = authenticator.authenticate({ authorization: 'abc' });

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('during a rotation accepts the old and the new key, even in different headers', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator(
      'apikey',
      fixed({ kind: 'apikey', header: 'X-New-Key', value: 'new' }, { kind: 'apikey', header: 'X-Api-Key', value: 'old' }),
    );

    // Act
    const newOne = authenticator.authenticate({ 'x-new-key': 'new' });
    const oldOne = authenticator.authenticate({ 'x-api-key': 'old' });
    const swapped = authenticator.authenticate({ 'x-api-key': 'new' });

    // Assess
    await expect(newOne).resolves.toBeUndefined();
    await expect(oldOne).resolves.toBeUndefined();
    await expect(swapped).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('challenges with the ApiKey scheme and a realm', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed({ kind: 'apikey', header: 'X-Api-Key', value: 'k' }));

    // Act
    const error = await refusal(authenticator.authenticate({}));

    // Assess
    expect(error.challenge).toMatch(/^ApiKey realm="[^"]+"$/);
  });

  test('no configured credential refuses every request', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('apikey', fixed());

    // Act
    const result = authenticator.authenticate({ authorization: '' });

    // Assess
    await expect(result).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('StaticCredentialAuthenticator when the credentials cannot be read', () => {
  test('reports the credential store as unavailable, not the caller as unauthorized', async () => {
    // Prepare
    const authenticator = new StaticCredentialAuthenticator('basic', async () => {
      throw new Error('ThrottlingException');
    });

    // Act
    const result = authenticator.authenticate({ authorization: basicAuthorization('unico', 'pa:ss-w0rd') });

    // Assess
    await expect(result).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(result).rejects.toHaveProperty('dependency', 'credential store');
  });
});

describe('StaticCredentialAuthenticator at the edges', () => {
  test.each([
    ['several spaces after the scheme', `Basic   ${Buffer.from('unico:pa:ss-w0rd').toString('base64')}`],
    ['a tab after the scheme', `Basic\t${Buffer.from('unico:pa:ss-w0rd').toString('base64')}`],
    ['trailing white space', `${basicAuthorization('unico', 'pa:ss-w0rd')}  `],
  ])('basic mode accepts %s', async (_, authorization) => {
    // Act
    const result = new StaticCredentialAuthenticator('basic', fixed(unico)).authenticate({ authorization });

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('apikey mode ignores Basic credentials, even one spelled as the presented header value', async () => {
    // Prepare: a Basic credential would be compared as "user:pass" against the Authorization header.
    const mixed = new StaticCredentialAuthenticator(
      'apikey',
      fixed({ kind: 'basic', username: 'u', password: 'p' }, { kind: 'apikey', header: 'Authorization', value: 'the-key' }),
    );

    // Act
    const spelledAsBasic = await refusal(mixed.authenticate({ authorization: 'u:p' }));
    const noKeyHeader = await refusal(mixed.authenticate({}));
    const rightKey = mixed.authenticate({ authorization: 'the-key' });

    // Assess
    expect(spelledAsBasic.reason).toBe('mismatch');
    expect(noKeyHeader.reason).toBe('missing');
    await expect(rightKey).resolves.toBeUndefined();
  });
});

describe('credentialFromSpec', () => {
  test('refuses a mode without a static credential', () => {
    // Act + Assess
    expect(() => credentialFromSpec({ mode: 'oauth2' })).toThrow(/oauth2/);
  });
});
