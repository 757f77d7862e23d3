import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { JwtAuthenticator } from '../../lambdas/core/auth/jwt-authenticator.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../lambdas/core/errors.ts';
import { startOAuth2Provider, type RunningOAuth2Provider } from '../../tools/local-stack/oauth2-provider.ts';
import { fetchAccessToken } from '../support/oauth2-client.ts';

/** The local OAuth2 provider and the JWT check, over real HTTP (token endpoint and JWKS). */
let provider: RunningOAuth2Provider;
let stranger: RunningOAuth2Provider;
let authenticator: JwtAuthenticator;

beforeAll(async () => {
  [provider, stranger] = await Promise.all([
    startOAuth2Provider({ audience: 'unico-webhooks' }),
    startOAuth2Provider({ audience: 'unico-webhooks' }),
  ]);
  authenticator = new JwtAuthenticator(
    {
      issuer: provider.issuer,
      jwksUri: provider.jwksUri,
      audiences: ['unico-webhooks'],
      clientIds: [provider.clientId],
      requiredScopes: [],
    },
    { keyFetchTimeoutMs: 1000 },
  );
});

afterAll(async () => {
  await Promise.all([provider?.stop(), stranger?.stop()]);
});

describe('local OAuth2 provider with the JWT authenticator', () => {
  test.each(['basic', 'post'] as const)('a token fetched with client_secret_%s is accepted', async (style) => {
    const { status, token } = await fetchAccessToken(provider.tokenUrl, provider.clientId, provider.clientSecret, style);

    expect(status).toBe(200);
    await expect(authenticator.authenticate({ authorization: `Bearer ${token}` })).resolves.toBeUndefined();
  });

  test('the token endpoint refuses a wrong secret or an unknown client', async () => {
    const wrongSecret = await fetchAccessToken(provider.tokenUrl, provider.clientId, 'guess');
    const unknownClient = await fetchAccessToken(provider.tokenUrl, 'someone', provider.clientSecret);

    expect(wrongSecret).toEqual({ status: 401 });
    expect(unknownClient).toEqual({ status: 401 });
  });

  test('a token from another issuer is refused', async () => {
    const { token } = await fetchAccessToken(stranger.tokenUrl, stranger.clientId, stranger.clientSecret);

    await expect(authenticator.authenticate({ authorization: `Bearer ${token}` })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  test('an unreachable key set is our failure (503), not the caller\'s (401)', async () => {
    const { token } = await fetchAccessToken(provider.tokenUrl, provider.clientId, provider.clientSecret);
    const blind = new JwtAuthenticator(
      { issuer: provider.issuer, jwksUri: 'http://127.0.0.1:9/jwks', audiences: ['unico-webhooks'], clientIds: [], requiredScopes: [] },
      { keyFetchTimeoutMs: 500 },
    );

    await expect(blind.authenticate({ authorization: `Bearer ${token}` })).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
