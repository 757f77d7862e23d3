import { describe, expect, it } from '@jest/globals';
import { basicAuthorization, parseAuthSpec } from '../../../../lambdas/contracts/auth-notation.ts';
import {
  OAuth2Credentials, OAuth2TokenClient, StaticCredentials, type OAuth2ClientConfig,
} from '../../../../tools/unico-sim/credentials.ts';
import { runDeliver } from '../../../../tools/unico-sim/deliver.ts';
import { TokenError } from '../../../../tools/unico-sim/errors.ts';
import type { HttpRequest, HttpSender } from '../../../../tools/unico-sim/http-sender.ts';
import { deliverWithRetry } from '../../../../tools/unico-sim/retry.ts';
import { answer, recordingSleep, sequentialUuids, settableClock } from './fakes.ts';

const TOKEN_URL = 'http://idp/oauth2/token';
const ENDPOINT = 'http://endpoint/webhooks/unico';
const oauth2: OAuth2ClientConfig = {
  tokenUrl: TOKEN_URL, clientId: 'client-1', clientSecret: 's3cr:t', clientAuth: 'basic', timeoutMs: 5000,
};

async function headersSentFor(spec: string): Promise<Readonly<Record<string, string>>> {
  const requests: HttpRequest[] = [];
  await deliverWithRetry(ENDPOINT, '{}', { maxAttempts: 1, intervalMs: 0, maxIntervalMs: 0, jitter: false, timeoutMs: 1000 }, {
    send: async (request) => { requests.push(request); return answer(202); },
    credentials: new StaticCredentials(parseAuthSpec(spec)),
    sleep: recordingSleep().sleep,
    random: Math.random,
    slots: undefined,
  });
  return requests[0]?.headers ?? {};
}

describe('static credentials, as Unico applies them', () => {
  it('basic: Authorization Basic base64(user:pass), the password may hold colons', async () => {
    const headers = await headersSentFor('basic:unico:pa:ss');
    expect(headers.Authorization).toBe(`Basic ${Buffer.from('unico:pa:ss').toString('base64')}`);
  });

  it('apikey:VALUE: the whole value in the Authorization header, no scheme', async () => {
    const headers = await headersSentFor('apikey:k3y-value');
    expect(headers.Authorization).toBe('k3y-value');
  });

  it('apikey:HEADER:VALUE splits on the first colon', async () => {
    const headers = await headersSentFor('apikey:x-api-key:v:with:colons');
    expect(headers['x-api-key']).toBe('v:with:colons');
    expect(headers.Authorization).toBeUndefined();
  });

  it('apikey:Authorization:Bearer abc gives Authorization: Bearer abc', async () => {
    const headers = await headersSentFor('apikey:Authorization:Bearer abc');
    expect(headers.Authorization).toBe('Bearer abc');
  });

  it('none sends no credentials', async () => {
    const headers = await headersSentFor('none');
    expect(Object.keys(headers).sort()).toEqual(['content-type', 'user-agent']);
  });
});

/** A token endpoint that hands out tok-1, tok-2, ... and records its requests. */
function tokenEndpoint(expiresIn: number | undefined = 3600) {
  const requests: HttpRequest[] = [];
  const send: HttpSender = async (request) => {
    requests.push(request);
    return answer(200, 5, JSON.stringify({
      access_token: `tok-${requests.length}`, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
    }));
  };
  return { send, requests };
}

describe('OAuth2 token client', () => {
  it('asks with client_secret_basic by default: form-encoded id and secret in HTTP Basic', async () => {
    const idp = tokenEndpoint();
    await new OAuth2TokenClient(oauth2, idp.send, settableClock().clock).token();
    const request = idp.requests[0];
    expect(request?.url).toBe(TOKEN_URL);
    expect(request?.method).toBe('POST');
    expect(request?.body).toBe('grant_type=client_credentials');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.authorization).toBe(basicAuthorization('client-1', 's3cr%3At'));
  });

  it('with client_secret_post puts id and secret in the form body instead', async () => {
    const idp = tokenEndpoint();
    await new OAuth2TokenClient({ ...oauth2, clientAuth: 'post' }, idp.send, settableClock().clock).token();
    const request = idp.requests[0];
    expect(request?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'client_credentials', client_id: 'client-1', client_secret: 's3cr:t',
    });
  });

  it('reuses the token until shortly before it expires, then fetches a new one', async () => {
    const idp = tokenEndpoint(3600);
    const time = settableClock(1_000);
    const client = new OAuth2TokenClient(oauth2, idp.send, time.clock);
    expect(await client.token()).toBe('tok-1');
    time.set(1_000 + 3_540_000 - 1); // 60 s before expiry, minus 1 ms
    expect(await client.token()).toBe('tok-1');
    time.set(1_000 + 3_540_000);
    expect(await client.token()).toBe('tok-2');
    expect(client.requests).toBe(2);
  });

  it('refreshes a short-lived token a tenth of its life early', async () => {
    const idp = tokenEndpoint(30);
    const time = settableClock(0);
    const client = new OAuth2TokenClient(oauth2, idp.send, time.clock);
    await client.token();
    time.set(26_999);
    expect(await client.token()).toBe('tok-1');
    time.set(27_000);
    expect(await client.token()).toBe('tok-2');
  });

  it('shares one token request among concurrent callers', async () => {
    const idp = tokenEndpoint();
    const client = new OAuth2TokenClient(oauth2, idp.send, settableClock().clock);
    const tokens = await Promise.all(Array.from({ length: 25 }, () => client.token()));
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(idp.requests).toHaveLength(1);
  });

  it('reports a refusal without repeating the secret', async () => {
    const send: HttpSender = async () => answer(401, 3, '{"error":"invalid_client"}');
    const failure = new OAuth2TokenClient(oauth2, send, settableClock().clock).token();
    await expect(failure).rejects.toThrow(TokenError);
    await expect(failure).rejects.toThrow('token endpoint answered 401 (invalid_client)');
    await expect(failure).rejects.not.toThrow(/s3cr/);
  });

  it('drops only the token that was rejected', async () => {
    const idp = tokenEndpoint();
    const client = new OAuth2TokenClient(oauth2, idp.send, settableClock().clock);
    const credentials = new OAuth2Credentials(client);
    expect(await credentials.headers()).toEqual({ Authorization: 'Bearer tok-1' });
    expect(credentials.rejected({ Authorization: 'Bearer tok-1' })).toBe(true);
    expect(await credentials.headers()).toEqual({ Authorization: 'Bearer tok-2' });
    credentials.rejected({ Authorization: 'Bearer tok-1' }); // a late 401 for the old token
    expect(await credentials.headers()).toEqual({ Authorization: 'Bearer tok-2' });
    expect(credentials.tokenRequests).toBe(2);
  });
});

describe('OAuth2 across a deliver run', () => {
  function world(endpoint: (request: HttpRequest) => number) {
    const idp = tokenEndpoint();
    const endpointRequests: HttpRequest[] = [];
    const send: HttpSender = async (request) => {
      if (request.url === TOKEN_URL) {
        return idp.send(request);
      }
      endpointRequests.push(request);
      return answer(endpoint(request));
    };
    return { send, idp, endpointRequests };
  }
  const config = (count: number) => ({
    url: ENDPOINT, auth: parseAuthSpec('oauth2'), oauth2, count, processIds: [], concurrency: 10,
    duplicates: 0, expiredRatio: 0.1, state: 'PROCESS_STATE_FINISHED',
    policy: { maxAttempts: 3, intervalMs: 1000, maxIntervalMs: 60_000, jitter: false, timeoutMs: 5000 },
  });
  const deps = (send: HttpSender) => ({
    send, clock: settableClock().clock, sleep: recordingSleep().sleep, random: Math.random,
    source: { random: Math.random, uuid: sequentialUuids() }, progress: undefined,
  });

  it('fetches the token once and reuses it for many deliveries', async () => {
    const w = world(() => 202);
    const summary = await runDeliver(config(50), deps(w.send));
    expect(summary.ok).toBe(true);
    expect(w.idp.requests).toHaveLength(1);
    expect(summary.tokenRequests).toBe(1);
    expect(w.endpointRequests).toHaveLength(50);
    expect(new Set(w.endpointRequests.map((r) => r.headers.Authorization))).toEqual(new Set(['Bearer tok-1']));
  });

  it('fetches a new token on a 401 and re-sends with it', async () => {
    const w = world((request) => (request.headers.Authorization === 'Bearer tok-1' ? 401 : 202));
    const summary = await runDeliver(config(5), deps(w.send));
    expect(summary.ok).toBe(true);
    expect(summary.byStatus).toEqual({ 202: 5, 401: 5 });
    expect(w.idp.requests).toHaveLength(2);
  });
});
