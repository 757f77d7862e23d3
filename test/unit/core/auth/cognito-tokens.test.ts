/**
 * The settings the Cognito option writes (an issuer, its key set, the app client's id, one scope,
 * no audience) against tokens shaped as Cognito issues them: the client-credentials access token
 * passes; an ID token, a user's access token, another client's and one without the scope do not.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { JwtAuthenticator } from '../../../../lambdas/core/auth/jwt-authenticator.ts';
import { UnauthorizedError } from '../../../../lambdas/core/errors.ts';

const ISSUER = 'https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbCdEfGhI';
const CLIENT_ID = '4h2k1example0client0id';
const SCOPE = 'unico-webhook/deliver';

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let authenticator: JwtAuthenticator;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const keys: JWTVerifyGetKey = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  // As the CDK writes them for the intake (lib/constructs/cognito-token-issuer.ts).
  authenticator = new JwtAuthenticator(
    { issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json`, audiences: [], clientIds: [CLIENT_ID], requiredScopes: [SCOPE] },
    { keyFetchTimeoutMs: 1000, keys },
  );
});

/** A client-credentials access token as Cognito issues it (no `aud`), with `changes` over it. */
async function cognitoToken(changes: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    sub: CLIENT_ID,
    token_use: 'access',
    scope: SCOPE,
    auth_time: now,
    iss: ISSUER,
    exp: now + 3600,
    iat: now,
    version: 2,
    jti: 'b6a2f7e0-0000-4000-8000-000000000001',
    client_id: CLIENT_ID,
    ...changes,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
}

const verdict = async (token: string): Promise<string> =>
  authenticator.authenticate({ authorization: `Bearer ${token}` }).then(
    () => 'accepted',
    (error: unknown) => (error instanceof UnauthorizedError ? 'refused' : `failed: ${String(error)}`),
  );

describe('Cognito tokens against the settings the Cognito option writes', () => {
  test("Unico's client-credentials access token is accepted", async () => {
    expect(await verdict(await cognitoToken())).toBe('accepted');
  });

  test.each([
    ['an ID token of the same client', { token_use: 'id', aud: CLIENT_ID, client_id: undefined, scope: undefined }],
    ["a user's access token of the same client", { username: 'someone' }],
    ['another client of the same pool', { client_id: 'another0client', sub: 'another0client' }],
    ['a token without the scope', { scope: 'unico-webhook/other' }],
    ['another pool', { iss: 'https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_Other' }],
  ])('%s is refused', async (_name, changes) => {
    expect(await verdict(await cognitoToken(changes as JWTPayload))).toBe('refused');
  });
});
