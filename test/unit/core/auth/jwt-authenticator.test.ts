import { beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { JwtAuthenticator, type OAuth2Settings } from '../../../../lambdas/core/auth/jwt-authenticator.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../../../lambdas/core/errors.ts';
import { refusal } from '../../../support/unit/caught-errors.ts';

const ISSUER = 'https://idp.example.com/oauth2';
const AUDIENCE = 'unico-webhooks';
const KID = 'key-1';

let privateKey: CryptoKey;
let otherPrivateKey: CryptoKey;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  otherPrivateKey = other.privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

function settings(overrides: Partial<OAuth2Settings> = {}): OAuth2Settings {
  return { issuer: ISSUER, audiences: [AUDIENCE], clientIds: [], requiredScopes: [], ...overrides };
}

function authenticator(overrides: Partial<OAuth2Settings> = {}, keySet: JWTVerifyGetKey = keys): JwtAuthenticator {
  return new JwtAuthenticator(settings(overrides), { keyFetchTimeoutMs: 1000, keys: keySet });
}

async function token(
  claims: JWTPayload = {},
  options: { readonly issuer?: string; readonly audience?: string; readonly exp?: number; readonly key?: CryptoKey } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? nowSeconds() + 300)
    .sign(options.key ?? privateKey);
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

describe('JwtAuthenticator', () => {
  test('accepts a valid token', async () => {
    // Act
    const result = authenticator().authenticate(bearer(await token()));

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('accepts a lower-case bearer scheme', async () => {
    // Act
    const result = authenticator().authenticate({ authorization: `bearer ${await token()}` });

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('refuses a token from another issuer', async () => {
    // Act
    const error = await refusal(authenticator().authenticate(bearer(await token({}, { issuer: 'https://evil.example.com' }))));

    // Assess
    expect(error.challenge).toContain('error="invalid_token"');
  });

  test('refuses a token expired beyond the clock tolerance', async () => {
    // Act
    const result = authenticator().authenticate(bearer(await token({}, { exp: nowSeconds() - 120 })));

    // Assess
    await refusal(result);
  });

  test('accepts a token that expired a few seconds ago (clock skew)', async () => {
    // Act
    const result = authenticator().authenticate(bearer(await token({}, { exp: nowSeconds() - 5 })));

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  test('refuses a token without an expiry', async () => {
    // Prepare
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: KID })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(privateKey);

    // Act + Assess
    await refusal(authenticator().authenticate(bearer(jwt)));
  });

  test('refuses a token for another audience', async () => {
    // Act + Assess
    await refusal(authenticator().authenticate(bearer(await token({}, { audience: 'someone-else' }))));
  });

  test('refuses a token signed with a key outside the key set', async () => {
    // Act + Assess
    await refusal(authenticator().authenticate(bearer(await token({}, { key: otherPrivateKey }))));
  });

  test('refuses a shared-secret HS256 token', async () => {
    // Prepare
    const secret = new TextEncoder().encode('a-shared-secret-of-enough-length-for-hs256!');
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: KID })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSeconds() + 300)
      .sign(secret);

    // Act + Assess
    await refusal(authenticator().authenticate(bearer(jwt)));
  });

  test('refuses an unsigned (alg none) token', async () => {
    // Prepare
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const jwt = `${encode({ alg: 'none' })}.${encode({ iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 300 })}.`;

    // Act + Assess
    await refusal(authenticator().authenticate({ authorization: `Bearer ${jwt}` }));
  });

  test.each([['Bearer garbage'], ['Bearer a.b.c'], ['Bearer'], ['Bearer not a token'], ['Basic dXNlcjpwYXNz']])(
    'refuses the Authorization header %j',
    async (authorization) => {
      // Act + Assess
      await refusal(authenticator().authenticate({ authorization }));
    },
  );

  test('refuses a request without an Authorization header with a bare Bearer challenge', async () => {
    // Act
    const error = await refusal(authenticator().authenticate({}));

    // Assess
    expect(error.reason).toBe('missing');
    expect(error.challenge).toMatch(/^Bearer realm="[^"]+"$/);
  });

  test('any malformed token is refused as unauthorized, never reported as an outage (property)', async () => {
    // Prepare
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = fc.record(
      {
        alg: fc.oneof(fc.constantFrom('RS256', 'PS256', 'ES256', 'EdDSA', 'HS256', 'none'), fc.string()),
        kid: fc.oneof(fc.constant(KID), fc.string(), fc.integer()),
        typ: fc.string(),
        crit: fc.array(fc.string(), { maxLength: 2 }),
        b64: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const part = fc.oneof(
      header.map(b64),
      fc.jsonValue().map(b64),
      fc.string({ unit: fc.constantFrom(...'ABCxyz019-_'.split('')), maxLength: 40 }),
    );
    const jwt = fc.tuple(part, part, part).map(([h, p, s]) => `${h}.${p}.${s}`);
    const subject = authenticator();

    // Act + Assess
    await fc.assert(
      fc.asyncProperty(jwt, async (candidate) => {
        const error = await subject.authenticate({ authorization: `Bearer ${candidate}` }).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(UnauthorizedError);
      }),
      { numRuns: 300 },
    );
  });

  describe('client id check', () => {
    const byClient = () => authenticator({ audiences: [], clientIds: ['unico-client'] });

    test.each([['client_id'], ['azp'], ['cid']])('accepts the client in the %s claim', async (claim) => {
      // Act
      const result = byClient().authenticate(bearer(await token({ [claim]: 'unico-client' }, { audience: 'anything' })));

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    test('refuses another client', async () => {
      // Act
      const error = await refusal(byClient().authenticate(bearer(await token({ client_id: 'intruder' }))));

      // Assess
      expect(error.reason).toBe('client_id');
    });

    test('refuses a token without any client claim', async () => {
      // Act + Assess
      await refusal(byClient().authenticate(bearer(await token())));
    });

    test('with both audiences and client ids configured, both must match', async () => {
      // Prepare
      const both = authenticator({ audiences: [AUDIENCE], clientIds: ['unico-client'] });

      // Act
      const rightClientWrongAudience = both.authenticate(bearer(await token({ client_id: 'unico-client' }, { audience: 'x' })));
      const rightAudienceWrongClient = both.authenticate(bearer(await token({ client_id: 'x' })));
      const bothRight = both.authenticate(bearer(await token({ client_id: 'unico-client' })));

      // Assess
      await expect(rightClientWrongAudience).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(rightAudienceWrongClient).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(bothRight).resolves.toBeUndefined();
    });
  });

  describe('required scopes', () => {
    const needing = () => authenticator({ requiredScopes: ['webhooks:write', 'process:notify'] });

    test('accepts a space-separated scope claim holding all of them', async () => {
      // Act
      const result = needing().authenticate(bearer(await token({ scope: 'openid process:notify webhooks:write' })));

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    test('accepts an scp array holding all of them', async () => {
      // Act
      const result = needing().authenticate(bearer(await token({ scp: ['webhooks:write', 'process:notify'] })));

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    test('refuses a token missing one of them with insufficient_scope', async () => {
      // Act
      const error = await refusal(needing().authenticate(bearer(await token({ scope: 'webhooks:write' }))));

      // Assess
      expect(error.challenge).toContain('error="insufficient_scope"');
    });

    test('refuses a token without scopes', async () => {
      // Act + Assess
      await refusal(needing().authenticate(bearer(await token())));
    });

    test('a scope that merely contains a required one does not count', async () => {
      // Act + Assess
      await refusal(needing().authenticate(bearer(await token({ scope: 'webhooks:write-all process:notify' }))));
    });
  });

  describe('when the key set cannot be read', () => {
    test('a network failure while fetching keys is an outage (503), not a 401', async () => {
      // Prepare
      const unreachable: JWTVerifyGetKey = async () => {
        throw new TypeError('fetch failed');
      };

      // Act
      const result = authenticator({}, unreachable).authenticate(bearer(await token()));

      // Assess
      await expect(result).rejects.toBeInstanceOf(DependencyUnavailableError);
    });
  });

  test('refuses settings with neither audiences nor client ids', () => {
    // Act + Assess
    expect(() => new JwtAuthenticator(settings({ audiences: [], clientIds: [] }), { keyFetchTimeoutMs: 1000, keys })).toThrow(
      /audience or client id/,
    );
  });
});
