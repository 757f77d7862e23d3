import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { JWT_BEARER_GRANT, TokenIssuer } from '../../../../../tools/unico-sim/serve/token-issuer.ts';

const IDENTITY = 'http://127.0.0.1:9/identity';
const ACCOUNT = 'svc@tenant.iam.acesso.io';
const NOW = 1_800_000_000_000;
const NOW_S = NOW / 1000;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

function issuer(now = () => NOW): TokenIssuer {
  return new TokenIssuer({ identityUrl: IDENTITY, serviceAccount: ACCOUNT, publicKey: keys.publicKey, tokenLifetimeSeconds: 3600, now });
}

interface Claims {
  iss?: string;
  aud?: string;
  scope?: string;
  iat?: number;
  exp?: number;
}

function assertion(claims: Claims = {}, key: KeyObject = keys.privateKey, alg = 'RS256'): Promise<string> {
  const { iss = ACCOUNT, aud = IDENTITY, scope = '*', iat = NOW_S, exp = NOW_S + 3600 } = claims;
  return new SignJWT({ scope }).setProtectedHeader({ alg }).setIssuer(iss).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(key);
}

const form = (assertionText: string | undefined, grantType: string | undefined = JWT_BEARER_GRANT) =>
  new URLSearchParams({ ...(grantType === undefined ? {} : { grant_type: grantType }), ...(assertionText === undefined ? {} : { assertion: assertionText }) });

describe('TokenIssuer', () => {
  test('a good assertion gets a Bearer token for 3600 s, which GetProcess then accepts', async () => {
    const tokens = issuer();

    const answer = await tokens.exchange(form(await assertion()));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const token = answer.body.access_token as string;
    expect(tokens.check(`Bearer ${token}`)).toBe('ok');
    expect(tokens.check('Bearer somebody-elses')).toBe('unknown');
    expect(tokens.check(undefined)).toBe('missing');
  });

  test.each<[string, () => Promise<URLSearchParams>, number, string]>([
    ['no assertion', async () => form(undefined), 400, 'invalid_request'],
    ['another grant', async () => form(await assertion(), 'client_credentials'), 400, 'unsupported_grant_type'],
    ['not a JWT', async () => form('abc.def'), 400, 'invalid_grant'],
    ['another service account', async () => form(await assertion({ iss: 'other@tenant.iam.acesso.io' })), 401, 'invalid_client'],
    ['signed by another key', async () => form(await assertion({}, otherKeys.privateKey)), 400, 'invalid_grant'],
    ['signed RS512', async () => form(await assertion({}, keys.privateKey, 'RS512')), 400, 'invalid_grant'],
    ['another audience', async () => form(await assertion({ aud: 'https://identity.acesso.io' })), 400, 'invalid_grant'],
    ['expired', async () => form(await assertion({ iat: NOW_S - 7200, exp: NOW_S - 3600 })), 400, 'invalid_grant'],
    ['exp beyond iat + 3600', async () => form(await assertion({ exp: NOW_S + 3601 })), 400, 'invalid_grant'],
    ['iat in the future', async () => form(await assertion({ iat: NOW_S + 600, exp: NOW_S + 1200 })), 400, 'invalid_grant'],
    ['another scope', async () => form(await assertion({ scope: 'read' })), 400, 'invalid_scope'],
  ])('refused: %s', async (_name, request, status, error) => {
    const answer = await issuer().exchange(await request());
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
  });

  test('a token expires after its lifetime; revoked tokens are unknown', async () => {
    let now = NOW;
    const tokens = issuer(() => now);
    const first = (await tokens.exchange(form(await assertion()))).body.access_token as string;

    now = NOW + 3_599_999;
    expect(tokens.check(`Bearer ${first}`)).toBe('ok');
    now = NOW + 3_600_000;
    expect(tokens.check(`Bearer ${first}`)).toBe('expired');

    now = NOW;
    const second = (await tokens.exchange(form(await assertion()))).body.access_token as string;
    expect(tokens.revokeAll()).toBeGreaterThanOrEqual(1);
    expect(tokens.check(`Bearer ${second}`)).toBe('unknown');
  });
});
