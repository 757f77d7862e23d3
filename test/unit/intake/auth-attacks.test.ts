import { beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { basicAuthorization } from '../../../lambdas/contracts/auth-notation.ts';
import type { Authenticator } from '../../../lambdas/core/auth/authenticator.ts';
import { JwtAuthenticator } from '../../../lambdas/core/auth/jwt-authenticator.ts';
import { StaticCredentialAuthenticator } from '../../../lambdas/core/auth/static-credentials.ts';
import { lambdaContext, notificationBody, webhookEvent } from '../../support/unit/intake-events.ts';
import { mockedIntake, mockedIntakeAws, type MockedIntakeAws } from '../../support/unit/mocked-intake.ts';

/**
 * A table of attacks on the webhook's authentication, each sent through the real intake handler
 * with the real authenticators: every one is refused with a 4xx (never a 5xx), and nothing is
 * stored or enqueued. Beside each table, the legitimate request it is a variation of is accepted,
 * so a refusal is the attack's doing, not a broken fixture's.
 */
const USER = 'unico';
const PASSWORD = 'Sup3r-Secret:Passw0rd';
const API_KEY = 'k3y-0f-f0rty-ch4racters-aaaaaaaaaaaaaaaaa';
const ISSUER = 'https://idp.example.com/oauth2';
const AUDIENCE = 'unico-webhooks';
const CLIENT_ID = 'unico-client';
const SCOPE = 'unico-webhook/deliver';
const KID = 'key-1';

let aws: MockedIntakeAws;
let privateKey: CryptoKey;
let publicKeyPem: string;
let foreignKey: CryptoKey;
let foreignJwk: JWK;
let oidc: JwtAuthenticator;
let cognito: JwtAuthenticator;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  foreignKey = foreign.privateKey;
  publicKeyPem = await exportSPKI(pair.publicKey);
  foreignJwk = { ...(await exportJWK(foreign.publicKey)), kid: KID, alg: 'RS256' };
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] });
  // A generic OIDC provider checked by audience, and Cognito's shape: client id and scope, no `aud`.
  oidc = new JwtAuthenticator({ issuer: ISSUER, audiences: [AUDIENCE], clientIds: [], requiredScopes: [] }, { keyFetchTimeoutMs: 1000, keys });
  cognito = new JwtAuthenticator({ issuer: ISSUER, audiences: [], clientIds: [CLIENT_ID], requiredScopes: [SCOPE] }, { keyFetchTimeoutMs: 1000, keys });
});

beforeEach(() => {
  aws = mockedIntakeAws();
});

const basic = () => new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: USER, password: PASSWORD }]);
const apiKey = () => new StaticCredentialAuthenticator('apikey', async () => [{ kind: 'apikey', header: 'x-api-key', value: API_KEY }]);

async function deliver(authenticator: Authenticator, headers: Record<string, string>) {
  aws.resetHistory();
  const handler = mockedIntake(aws, authenticator);
  const response = (await handler(webhookEvent({ body: JSON.stringify(notificationBody()), headers }), lambdaContext())) as APIGatewayProxyStructuredResultV2;
  return {
    status: response.statusCode,
    stored: aws.stored(),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token as the provider would issue it to Unico, with any part overridden. */
async function token(
  options: {
    readonly claims?: JWTPayload;
    readonly header?: Record<string, unknown>;
    readonly key?: CryptoKey;
    readonly issuer?: string;
    readonly audience?: string | undefined;
    readonly exp?: number;
  } = {},
): Promise<string> {
  const jwt = new SignJWT({ client_id: CLIENT_ID, scope: SCOPE, ...options.claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT', ...options.header })
    .setIssuer(options.issuer ?? ISSUER)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? nowSeconds() + 300);
  if (!('audience' in options) || options.audience !== undefined) jwt.setAudience(options.audience ?? AUDIENCE);
  return jwt.sign(options.key ?? privateKey);
}

/** An unsigned JWT (`alg: none`), which jose will not sign, so built by hand. */
function unsigned(payload: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** HS256 with the provider's public key as the HMAC secret: the classic key-confusion forgery. */
async function signedWithPublicKey(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(new TextEncoder().encode(publicKeyPem));
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
const validClaims = () => ({ iss: ISSUER, aud: AUDIENCE, client_id: CLIENT_ID, scope: SCOPE, exp: nowSeconds() + 300 });

type Attack = readonly [name: string, authenticator: () => Authenticator, headers: () => Promise<Record<string, string>> | Record<string, string>];

const basicAttacks: Attack[] = [
  ['wrong password of the right length', basic, () => ({ authorization: basicAuthorization(USER, 'Sup3r-Secret:Passw0rX') })],
  ['right password, another user', basic, () => ({ authorization: basicAuthorization('unic0', PASSWORD) })],
  ['Basic without a colon', basic, () => ({ authorization: `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}` })],
  ['empty password', basic, () => ({ authorization: basicAuthorization(USER, '') })],
  ['empty user', basic, () => ({ authorization: basicAuthorization('', PASSWORD) })],
  ['the scheme alone', basic, () => ({ authorization: 'Basic' })],
  ['credentials that are not base64', basic, () => ({ authorization: `Basic ${USER}:${PASSWORD}` })],
  ['the password in full-width letters (a Unicode normalisation would equate them)', basic, () => ({ authorization: basicAuthorization(USER, 'Ｓup3r-Secret:Passw0rd') })],
  ['the password with a trailing space', basic, () => ({ authorization: basicAuthorization(USER, `${PASSWORD} `)})],
  ['an oversized Authorization header (64 KiB)', basic, () => ({ authorization: `Basic ${'A'.repeat(64 * 1024)}` })],
  ['two Authorization headers (API Gateway joins them with a comma)', basic, () => ({ authorization: `${basicAuthorization(USER, PASSWORD)}, ${basicAuthorization(USER, PASSWORD)}` })],
  ['a Bearer token where Basic is configured', basic, async () => bearer(await token())],
  ['no Authorization header at all', basic, () => ({})],
  ['the API key one character short', apiKey, () => ({ 'x-api-key': API_KEY.slice(0, -1) })],
  ['the API key in another header', apiKey, () => ({ authorization: API_KEY })],
];

const jwtAttacks: Attack[] = [
  ['alg: none', () => oidc, () => bearer(unsigned(validClaims()))],
  ['HS256 signed with the provider\'s public key (key confusion)', () => oidc, async () => bearer(await signedWithPublicKey(validClaims()))],
  ['an expired token', () => oidc, async () => bearer(await token({ exp: nowSeconds() - 600 }))],
  ['a token not valid yet (nbf an hour ahead)', () => oidc, async () => bearer(await token({ claims: { nbf: nowSeconds() + 3600 } }))],
  ['another issuer', () => oidc, async () => bearer(await token({ issuer: 'https://evil.example.com' }))],
  ['another audience', () => oidc, async () => bearer(await token({ audience: 'some-other-api' }))],
  ['a foreign key under a known kid', () => oidc, async () => bearer(await token({ key: foreignKey }))],
  ['a jku header pointing at the attacker\'s key set', () => oidc, async () => bearer(await token({ key: foreignKey, header: { jku: 'https://evil.example.com/jwks.json' } }))],
  ['the attacker\'s key embedded as a jwk header', () => oidc, async () => bearer(await token({ key: foreignKey, header: { jwk: foreignJwk } }))],
  ['an x5u header pointing elsewhere', () => oidc, async () => bearer(await token({ key: foreignKey, header: { x5u: 'https://evil.example.com/cert.pem' } }))],
  ['a token without exp', () => oidc, async () => bearer(await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: KID }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(privateKey))],
  ['an OIDC ID token (nonce, at_hash) of the right issuer and audience', () => oidc, async () => bearer(await token({ claims: { nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' } }))],
  ['a token of another type (typ: dpop+jwt)', () => oidc, async () => bearer(await token({ header: { typ: 'dpop+jwt' } }))],
  ['a token from another grant (gty: password)', () => oidc, async () => bearer(await token({ claims: { gty: 'password' } }))],
  ['a Cognito ID token of the right client (token_use: id)', () => cognito, async () => bearer(await token({ audience: CLIENT_ID, claims: { token_use: 'id' } }))],
  ['a Cognito user\'s access token of the right client (username set)', () => cognito, async () => bearer(await token({ audience: undefined, claims: { token_use: 'access', username: 'alice' } }))],
  ['the right client without the scope', () => cognito, async () => bearer(await token({ audience: undefined, claims: { token_use: 'access', scope: 'openid' } }))],
  ['another client of the same pool', () => cognito, async () => bearer(await token({ audience: undefined, claims: { token_use: 'access', client_id: 'other-client' } }))],
  ['the token in the wrong scheme (Token ...)', () => oidc, async () => ({ authorization: `Token ${await token()}` })],
  ['two bearer tokens joined by a comma', () => oidc, async () => {
    const jwt = await token();
    return { authorization: `Bearer ${jwt}, Bearer ${jwt}` };
  }],
];

describe('attacks on the webhook\'s authentication', () => {
  test('the legitimate requests they vary are accepted (the fixtures are right)', async () => {
    expect(await deliver(basic(), { authorization: basicAuthorization(USER, PASSWORD) })).toEqual({ status: 202, stored: 2 });
    expect(await deliver(apiKey(), { 'x-api-key': API_KEY })).toEqual({ status: 202, stored: 2 });
    expect(await deliver(oidc, bearer(await token()))).toEqual({ status: 202, stored: 2 });
    expect(await deliver(cognito, bearer(await token({ audience: undefined, claims: { token_use: 'access' } })))).toEqual({ status: 202, stored: 2 });
    expect(await deliver(oidc, bearer(await token({ header: { typ: 'at+jwt' }, claims: { gty: 'client-credentials' } })))).toEqual({ status: 202, stored: 2 });
  });

  test('header names are case-insensitive (RFC 9110): the right credential under AUTHORIZATION is accepted, a wrong one refused', async () => {
    expect(await deliver(basic(), { AUTHORIZATION: basicAuthorization(USER, PASSWORD) })).toEqual({ status: 202, stored: 2 });
    expect(await deliver(basic(), { AUTHORIZATION: basicAuthorization(USER, 'wrong') })).toEqual({ status: 401, stored: 0 });
  });

  test(`the table holds at least 15 attacks (${basicAttacks.length + jwtAttacks.length})`, () => {
    expect(basicAttacks.length + jwtAttacks.length).toBeGreaterThanOrEqual(15);
  });

  test.each([...basicAttacks, ...jwtAttacks])('%s: 401, nothing stored or enqueued', async (_name, authenticator, headers) => {
    const answer = await deliver(authenticator(), await headers());
    expect(answer).toEqual({ status: 401, stored: 0 });
  });
});
