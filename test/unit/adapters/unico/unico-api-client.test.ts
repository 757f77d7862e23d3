import { describe, expect, test } from '@jest/globals';
import { UnicoApiClient } from '../../../../lambdas/adapters/unico/unico-api-client.ts';
import type { UnicoClientOptions } from '../../../../lambdas/adapters/unico/unico-client-options.ts';
import { parseRetryAfter } from '../../../../lambdas/adapters/unico/unico-http.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { UnicoPermanentError, UnicoTransientError } from '../../../../lambdas/core/unico/process-fetcher.ts';
import {
  API_BASE_URL,
  API_KEY,
  caught,
  fakeUnico,
  IDENTITY_URL,
  PKCS1_PRIVATE_KEY_PEM,
  PRIVATE_KEY_PEM,
  PROCESS_ID,
  recordingBudget,
  SERVICE_ACCOUNT,
  TOKEN_URL,
  type FakeUnico,
} from './fake-unico.ts';

const START = Date.parse('2027-03-01T12:00:00.000Z');
const MINUTE = 60_000;

function setup(contract: 'web-sdk' | 'api' = 'web-sdk', overrides: Partial<UnicoClientOptions> = {}) {
  let now = START;
  const clock = { now: () => now, set: (ms: number) => { now = ms; } };
  const unico: FakeUnico = fakeUnico(contract, clock.now);
  const budget = recordingBudget();
  const client = new UnicoApiClient({
    contract,
    apiBaseUrl: API_BASE_URL,
    identityUrl: IDENTITY_URL,
    serviceAccount: SERVICE_ACCOUNT,
    privateKeyPem: PRIVATE_KEY_PEM,
    ...(contract === 'api' ? { apiKey: API_KEY } : {}),
    budget,
    fetch: unico.fetch,
    now: clock.now,
    ...overrides,
  });
  return { client, unico, budget, clock };
}

/** Lets background work (a token refresh: signing runs off the main thread) go on until `condition` holds. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 5000 && !condition(); turn += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}

describe('GetProcess, Web & SDK contract', () => {
  test('GET {base}/client/v1/process/{id} with the Bearer token; the object inside "process" is returned', async () => {
    const { client, unico } = setup('web-sdk');

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched).toEqual({
      contract: 'web-sdk',
      fetchedAt: new Date(START).toISOString(),
      process: unico.defaultProcess,
      resultCode: 'PROCESS_RESULT_OK',
    });
    const [request] = unico.getProcessRequests;
    expect(request?.url).toBe(`${API_BASE_URL}/client/v1/process/${PROCESS_ID}`);
    expect(request?.method).toBe('GET');
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
    expect(request?.headers.get('apikey')).toBeNull();
  });

  test('unknown enum values pass through untouched, the result code too', async () => {
    const { client, unico } = setup('web-sdk');
    unico.defaultProcess = { id: PROCESS_ID, state: 'PROCESS_STATE_SOMETHING_NEW', result: 'PROCESS_RESULT_NOT_YET_KNOWN', extra: { a: [1, 2] } };

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched.process).toEqual(unico.defaultProcess);
    expect(fetched.resultCode).toBe('PROCESS_RESULT_NOT_YET_KNOWN');
  });

  test('no result code when process.result is absent or is not a code', async () => {
    const { client, unico } = setup('web-sdk');
    unico.defaultProcess = { id: PROCESS_ID, state: 'PROCESS_STATE_CREATED' };
    expect((await client.getProcess(PROCESS_ID)).resultCode).toBeUndefined();
    unico.defaultProcess = { id: PROCESS_ID, result: 'Maria da Silva, CPF 123.456.789-09' };
    expect((await client.getProcess(PROCESS_ID)).resultCode).toBeUndefined();
  });

  test('a 200 without a "process" object, or not JSON, is transient', async () => {
    const { client, unico } = setup('web-sdk');
    unico.processScript.push({ status: 200, body: { something: 'else' } }, { status: 200, body: '<html>proxy</html>' });

    expect(await caught(client.getProcess(PROCESS_ID))).toBeInstanceOf(UnicoTransientError);
    expect(await caught(client.getProcess(PROCESS_ID))).toBeInstanceOf(UnicoTransientError);
  });
});

describe('GetProcess, API contract', () => {
  test('GET {base}/processes/v1/{id} with Bearer and APIKEY; the whole answer is returned, result code status:<n>', async () => {
    const { client, unico } = setup('api');

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched).toEqual({
      contract: 'api',
      fetchedAt: new Date(START).toISOString(),
      process: unico.defaultProcess,
      resultCode: 'status:3',
    });
    const [request] = unico.getProcessRequests;
    expect(request?.url).toBe(`${API_BASE_URL}/processes/v1/${PROCESS_ID}`);
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
    expect(request?.headers.get('apikey')).toBe(API_KEY);
  });

  test('an unknown status value passes through; a missing one gives no result code', async () => {
    const { client, unico } = setup('api');
    unico.defaultProcess = { id: PROCESS_ID, status: 7 };
    expect((await client.getProcess(PROCESS_ID)).resultCode).toBe('status:7');
    unico.defaultProcess = { id: PROCESS_ID };
    expect((await client.getProcess(PROCESS_ID)).resultCode).toBeUndefined();
  });
});

describe('the token', () => {
  test('the assertion: RS256, iss the service account, aud the identity URL, scope "*", exp = iat + 3600; posted form-encoded', async () => {
    const { client, unico } = setup();

    await client.getProcess(PROCESS_ID);

    const [request] = unico.tokenRequests;
    expect(request?.url).toBe(TOKEN_URL);
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(request?.body).get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(unico.assertions).toEqual([
      { iss: SERVICE_ACCOUNT, aud: IDENTITY_URL, scope: '*', iat: START / 1000, exp: START / 1000 + 3600 },
    ]);
  });

  test('a PKCS#1 key, and a PEM with its line breaks written as \\n, work too', async () => {
    for (const privateKeyPem of [PKCS1_PRIVATE_KEY_PEM, PRIVATE_KEY_PEM.replace(/\n/g, '\\n')]) {
      const { client, unico } = setup('web-sdk', { privateKeyPem });
      await client.getProcess(PROCESS_ID);
      expect(unico.assertions).toHaveLength(1);
    }
  });

  test('one token serves many calls: 5 in a row, then 20 at once, make one token request', async () => {
    const { client, unico } = setup();

    for (let call = 0; call < 5; call += 1) await client.getProcess(PROCESS_ID);
    await Promise.all(Array.from({ length: 20 }, () => client.getProcess(PROCESS_ID)));

    expect(unico.tokenRequests).toHaveLength(1);
    expect(unico.getProcessRequests).toHaveLength(25);
    expect(client.tokenRequests).toBe(1);
  });

  test('20 calls at once with no token yet share one token request (single flight)', async () => {
    const { client, unico } = setup();

    const answers = await Promise.all(Array.from({ length: 20 }, () => client.getProcess(PROCESS_ID)));

    expect(answers).toHaveLength(20);
    expect(unico.tokenRequests).toHaveLength(1);
    expect(new Set(unico.getProcessRequests.map((request) => request.headers.get('authorization')))).toEqual(new Set(['Bearer token-1']));
  });

  test('refreshed about 10 minutes before it expires: the old token serves while the new one is fetched', async () => {
    const { client, unico, clock } = setup();
    await client.getProcess(PROCESS_ID);

    clock.set(START + 49 * MINUTE);
    await client.getProcess(PROCESS_ID);
    expect(unico.tokenRequests).toHaveLength(1);

    clock.set(START + 50 * MINUTE + 1000);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 2 && client.tokenRequests === 2);
    await eventually(() => unico.validTokens.has('token-2'));
    await client.getProcess(PROCESS_ID);

    const used = unico.getProcessRequests.map((request) => request.headers.get('authorization'));
    expect(used).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    expect(unico.tokenRequests).toHaveLength(2);
    expect(unico.assertions[1]?.iat).toBe((START + 50 * MINUTE + 1000) / 1000);
  });

  test('expires_in given as text is read; a short-lived token is refreshed at half its life', async () => {
    const { client, unico, clock } = setup();
    unico.tokenLifetime = '120';
    await client.getProcess(PROCESS_ID);

    clock.set(START + 59_000);
    await client.getProcess(PROCESS_ID);
    expect(unico.tokenRequests).toHaveLength(1);
    clock.set(START + 61_000);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 2);
  });

  test('a token past its use: the call waits for a new one', async () => {
    const { client, unico, clock } = setup();
    await client.getProcess(PROCESS_ID);

    clock.set(START + 59 * MINUTE + 30_000);
    await client.getProcess(PROCESS_ID);

    expect(unico.tokenRequests).toHaveLength(2);
    expect(unico.getProcessRequests[1]?.headers.get('authorization')).toBe('Bearer token-2');
  });

  test('a failed refresh while the token is still good: the token keeps serving, the refresh is tried again 30 s later, not per call', async () => {
    const { client, unico, clock } = setup();
    await client.getProcess(PROCESS_ID);
    unico.tokenScript.push({ status: 503 }, { status: 503 });

    clock.set(START + 51 * MINUTE);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 2);
    for (let call = 0; call < 5; call += 1) {
      // Time for a refresh to be signed and sent, were one started.
      await new Promise((resolve) => setTimeout(resolve, 30));
      await client.getProcess(PROCESS_ID);
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unico.tokenRequests).toHaveLength(2);

    clock.set(START + 51 * MINUTE + 31_000);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 3);
    expect(unico.getProcessRequests.every((request) => request.headers.get('authorization') === 'Bearer token-1')).toBe(true);
  });

  test('the token endpoint refusing is transient, with its status and OAuth2 error code, and no secret', async () => {
    const { client, unico } = setup();
    unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant', error_description: 'bad' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('invalid_grant');
    expect((error as Error).message).not.toContain('PRIVATE KEY');
    expect(unico.getProcessRequests).toHaveLength(0);
  });

  test('an answer without access_token is transient', async () => {
    const { client, unico } = setup();
    unico.tokenScript.push({ status: 200, body: { token_type: 'Bearer' } });

    expect(await caught(client.getProcess(PROCESS_ID))).toBeInstanceOf(UnicoTransientError);
  });
});

describe('answers and failures', () => {
  test.each([
    [404, 'process_not_found'],
    [410, 'process_removed'],
    [409, 'process_wrong_state'],
    [400, 'invalid_request'],
    [422, 'http_422'],
  ])('%i is permanent (%s)', async (status, code) => {
    const { client, unico } = setup();
    unico.processScript.push({ status, body: { error: { message: 'CPF 123.456.789-09 of Maria' } } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoPermanentError);
    expect(error).toMatchObject({ name: 'UnicoPermanentError', status, code });
    expect((error as Error).message).not.toMatch(/Maria|123\.456/);
    expect(unico.getProcessRequests).toHaveLength(1);
  });

  test.each([500, 502, 503, 504, 403, 408])('%i is transient, with its status, and not retried by the client', async (status) => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status, body: { error: 'Maria' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ name: 'UnicoTransientError', status, retryAfterMs: undefined });
    expect((error as Error).message).not.toContain('Maria');
    expect(unico.getProcessRequests).toHaveLength(1);
    expect(budget.pauses).toEqual([]);
  });

  test('429 with Retry-After: transient with retryAfterMs, and the budget paused until then for everyone', async () => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status: 429, headers: { 'retry-after': '7' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(budget.pauses).toEqual([START + 7000]);
  });

  test('429 without Retry-After: no retryAfterMs (the back-off is the caller\'s), and a one-second pause for everyone', async () => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status: 429 });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: undefined });
    expect(budget.pauses).toEqual([START + 1000]);
  });

  test('429 from the token endpoint pauses the budget too', async () => {
    const { client, unico, budget } = setup();
    unico.tokenScript.push({ status: 429, headers: { 'retry-after': '3' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', status: 429, retryAfterMs: 3000 });
    expect(budget.pauses).toEqual([START + 3000]);
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2', START)).toBe(2000);
    expect(parseRetryAfter(' 0 ', START)).toBe(0);
    expect(parseRetryAfter(new Date(START + 5000).toUTCString(), START)).toBe(5000);
    expect(parseRetryAfter(new Date(START - 5000).toUTCString(), START)).toBe(0);
    expect(parseRetryAfter('soon', START)).toBeUndefined();
    expect(parseRetryAfter('-3', START)).toBeUndefined();
    expect(parseRetryAfter(null, START)).toBeUndefined();
  });

  test('401: the token is dropped and the call made once more with a new one', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.validTokens.clear();

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched.contract).toBe('web-sdk');
    expect(unico.tokenRequests).toHaveLength(2);
    expect(unico.getProcessRequests.map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer token-1', 'Bearer token-1', 'Bearer token-2',
    ]);
  });

  test('401 again with the new token: transient, after exactly one retry', async () => {
    const { client, unico } = setup();
    unico.processScript.push({ status: 401 }, { status: 401 });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', status: 401 });
    expect(unico.getProcessRequests).toHaveLength(2);
    expect(unico.tokenRequests).toHaveLength(2);
  });

  test('no answer within the timeout is transient', async () => {
    const { client, unico } = setup('web-sdk', { requestTimeoutMs: 20 });
    await client.getProcess(PROCESS_ID);
    unico.processScript.push('hang');

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect((error as Error).message).toContain('did not answer within 20 ms');
  });

  test('a network error is transient and named by its code only', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.processScript.push(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) }));

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect((error as Error).message).toBe('GetProcess: network error (ECONNREFUSED)');
  });

  test('the caller\'s abort is transient too', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.processScript.push('hang');
    const controller = new AbortController();

    const pending = caught(client.getProcess(PROCESS_ID, controller.signal));
    controller.abort(new Error('lambda deadline'));

    expect(await pending).toMatchObject({ name: 'UnicoTransientError', message: 'GetProcess: abandoned by the caller' });
  });
});

describe('the request budget', () => {
  test('every call to Unico acquires first: the token request and each GetProcess', async () => {
    const { client, budget, unico } = setup();

    await client.getProcess(PROCESS_ID);
    await client.getProcess(PROCESS_ID);

    expect(budget.acquired).toBe(3);
    expect(unico.tokenRequests.length + unico.getProcessRequests.length).toBe(3);
  });

  test('no room in the budget within budgetWaitMs: transient, and nothing sent', async () => {
    const { client, unico } = setup('web-sdk', {
      budgetWaitMs: 10,
      budget: { acquire: (signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))), pauseUntil: async () => undefined },
    });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', message: 'token request: no room in the request budget within 10 ms' });
    expect(unico.tokenRequests).toHaveLength(0);
  });

  test('a budget that fails (its table unreachable) is transient', async () => {
    const { client } = setup('web-sdk', {
      budget: { acquire: async () => { throw new Error('ResourceNotFoundException'); }, pauseUntil: async () => undefined },
    });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ name: 'UnicoTransientError', message: 'token request: the request budget is unavailable' });
  });
});

describe('settings', () => {
  test('every problem at once, none repeating the key', () => {
    let error: unknown;
    try {
      new UnicoApiClient({
        contract: 'api',
        apiBaseUrl: 'ftp://nope',
        identityUrl: 'not a url',
        serviceAccount: ' ',
        privateKeyPem: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----',
        budget: recordingBudget(),
        requestTimeoutMs: 0,
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems).toEqual([
      'apiBaseUrl must be an http(s) URL',
      'identityUrl must be an http(s) URL',
      'serviceAccount must not be empty (e.g. svc@tenant.iam.acesso.io)',
      'apiKey is required for the api contract',
      'privateKeyPem is not a PEM private key',
      'requestTimeoutMs must be a number from 1 to 600000',
    ]);
    expect((error as Error).message).not.toContain('c2VjcmV0');
  });

  test('the token URL defaults to {identityUrl}/oauth2/token; a given one is used', async () => {
    const { client, unico } = setup('web-sdk', { identityUrl: `${IDENTITY_URL}/` });
    await client.getProcess(PROCESS_ID);
    expect(unico.tokenRequests[0]?.url).toBe(TOKEN_URL);
    expect(unico.assertions[0]?.aud).toBe(IDENTITY_URL);

    const other = setup('web-sdk', { tokenUrl: 'https://elsewhere.example.test/token' });
    expect(await caught(other.client.getProcess(PROCESS_ID))).toBeInstanceOf(UnicoTransientError);
    expect(other.unico.tokenRequests).toHaveLength(0);
  });
});
