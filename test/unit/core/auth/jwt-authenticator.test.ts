import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  createLocalJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTHeaderParameters,
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
  options: {
    readonly issuer?: string;
    readonly audience?: string;
    readonly exp?: number;
    readonly key?: CryptoKey;
    readonly header?: Partial<JWTHeaderParameters>;
  } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: KID, ...options.header })
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

  describe('algorithms', () => {
    // One key per family: node:crypto key objects, unlike WebCrypto keys, serve every algorithm of theirs.
    const pairs = {
      rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      'P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      'P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      'P-521': generateKeyPairSync('ec', { namedCurve: 'P-521' }),
      ed25519: generateKeyPairSync('ed25519'),
    } satisfies Record<string, { publicKey: KeyObject; privateKey: KeyObject }>;
    const family = (alg: string): keyof typeof pairs =>
      alg.startsWith('RS') || alg.startsWith('PS')
        ? 'rsa'
        : alg === 'ES256'
          ? 'P-256'
          : alg === 'ES384'
            ? 'P-384'
            : alg === 'ES512'
              ? 'P-521'
              : 'ed25519';
    const byAlgorithm: JWTVerifyGetKey = async (header) => pairs[family(String(header.alg))].publicKey;

    test.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
      'accepts a token signed with %s',
      async (alg) => {
        // Prepare
        const jwt = await new SignJWT({})
          .setProtectedHeader({ alg })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(nowSeconds() + 300)
          .sign(pairs[family(alg)].privateKey);

        // Act
        const result = authenticator({}, byAlgorithm).authenticate(bearer(jwt));

        // Assess
        await expect(result).resolves.toBeUndefined();
      },
    );
  });

  describe('the Authorization header', () => {
    test.each([
      ['several spaces after the scheme', (jwt: string) => `Bearer   ${jwt}`],
      ['a tab after the scheme', (jwt: string) => `Bearer\t${jwt}`],
      ['trailing white space', (jwt: string) => `Bearer ${jwt}  `],
    ])('accepts %s', async (_, authorization) => {
      // Act
      const result = authenticator().authenticate({ authorization: authorization(await token()) });

      // Assess
      await expect(result).resolves.toBeUndefined();
    });
  });

  describe('only a client-credentials access token passes', () => {
    test.each([
      ['typ JWT', { header: { typ: 'JWT' } }],
      ['typ at+jwt (RFC 9068)', { header: { typ: 'at+jwt' } }],
      ['typ application/at+jwt', { header: { typ: 'application/at+jwt' } }],
      ['gty client-credentials', { claims: { gty: 'client-credentials' } }],
      ['gty client_credentials', { claims: { gty: 'client_credentials' } }],
      ['token_use access', { claims: { token_use: 'access' } }],
      // Only Cognito's token_use makes `username` mean a user's token; other providers may name the client so.
      ['a username without token_use', { claims: { username: 'unico-client' } }],
    ] as Array<[string, { header?: Partial<JWTHeaderParameters>; claims?: JWTPayload }]>)('accepts %s', async (_, shape) => {
      // Act
      const result = authenticator().authenticate(bearer(await token(shape.claims ?? {}, { header: shape.header ?? {} })));

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    test.each([
      ['typ dpop+jwt', { header: { typ: 'dpop+jwt' } }],
      ['token_use id', { claims: { token_use: 'id' } }],
      ['token_use access with a username', { claims: { token_use: 'access', username: 'someone' } }],
      ['a nonce alone', { claims: { nonce: 'n-0S6_WzA2Mj' } }],
      ['an at_hash alone', { claims: { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' } }],
      ['gty password', { claims: { gty: 'password' } }],
    ] as Array<[string, { header?: Partial<JWTHeaderParameters>; claims?: JWTPayload }]>)(
      'refuses %s as an invalid token of the wrong type',
      async (_, shape) => {
        // Act
        const error = await refusal(authenticator().authenticate(bearer(await token(shape.claims ?? {}, { header: shape.header ?? {} }))));

        // Assess
        expect(error.reason).toBe('token_type');
        expect(error.challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
      },
    );

    test('another client is an invalid token, reason client_id', async () => {
      // Act
      const error = await refusal(
        authenticator({ audiences: [], clientIds: ['unico-client'] }).authenticate(bearer(await token({ client_id: 'intruder' }))),
      );

      // Assess
      expect(error.reason).toBe('client_id');
      expect(error.challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
    });

    test('a missing scope is insufficient_scope, reason scope', async () => {
      // Act
      const error = await refusal(authenticator({ requiredScopes: ['webhooks:write'] }).authenticate(bearer(await token({ scope: 'openid' }))));

      // Assess
      expect(error.reason).toBe('scope');
      expect(error.challenge).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope"$/);
    });
  });

  describe("jose's own key set failures", () => {
    test.each([
      ['JWKSTimeout', () => new joseErrors.JWKSTimeout()],
      ['JWKSInvalid', () => new joseErrors.JWKSInvalid('malformed')],
    ])('%s is an outage (503), not a 401', async (_, failure) => {
      // Prepare
      const failing: JWTVerifyGetKey = async () => {
        throw failure();
      };

      // Act
      const error = await authenticator({}, failing).authenticate(bearer(await token())).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect((error as DependencyUnavailableError).dependency).toBe('oauth2 key set');
    });

    test("jose's other errors from the key resolver are the token's fault (401)", async () => {
      // Prepare
      const noKey: JWTVerifyGetKey = async () => {
        throw new joseErrors.JWKSNoMatchingKey();
      };

      // Act
      const error = await refusal(authenticator({}, noKey).authenticate(bearer(await token())));

      // Assess
      expect(error.reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
    });
  });
});
