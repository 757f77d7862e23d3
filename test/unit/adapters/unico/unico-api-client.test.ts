import { describe, expect, test } from '@jest/globals';
import { UnicoApiClient } from '../../../../lambdas/adapters/unico/unico-api-client.ts';
import type { UnicoClientOptions } from '../../../../lambdas/adapters/unico/unico-client-options.ts';
import { parseRetryAfter } from '../../../../lambdas/adapters/unico/unico-http.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { UnicoCredentialsRefusedError, UnicoPermanentError, UnicoTransientError } from '../../../../lambdas/core/unico/process-fetcher.ts';
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
  setupClient,
  START,
  TOKEN_URL,
} from './fake-unico.ts';

const MINUTE = 60_000;
const setup = setupClient;

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
      final: true,
      resultCode: 'PROCESS_RESULT_OK',
    });
    const [request] = unico.getProcessRequests;
    expect(request?.url).toBe(`${API_BASE_URL}/client/v1/process/${PROCESS_ID}`);
    expect(request?.method).toBe('GET');
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
    expect(request?.headers.get('apikey')).toBeNull();
    expect(client.contract).toBe('web-sdk');
  });

  test('a result that is not text, or a process that is not an object, is not taken for one', async () => {
    const { client, unico } = setup('web-sdk');
    unico.defaultProcess = { id: PROCESS_ID, state: 'PROCESS_STATE_FINISHED', result: 12345 };
    const fetched = await client.getProcess(PROCESS_ID);
    expect(fetched.final).toBe(true);
    expect('resultCode' in fetched).toBe(false);

    unico.processScript.push({ status: 200, body: { process: 'PROCESS_STATE_FINISHED' } }, { status: 200, body: { process: null } });
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'unreadable_answer' });
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'unreadable_answer' });
  });

  test('any 2xx is an answer (299 too); a GET carries no body', async () => {
    const { client, unico } = setup('web-sdk');
    unico.processScript.push({ status: 299, body: { process: { id: PROCESS_ID, state: 'PROCESS_STATE_CREATED' } } });

    expect(await client.getProcess(PROCESS_ID)).toMatchObject({ final: false, process: { id: PROCESS_ID } });
    const getInit = unico.seenInit.at(-1);
    expect(getInit?.method).toBe('GET');
    expect(getInit !== undefined && 'body' in getInit).toBe(false);
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

  test('a 200 without a "process" object, or not JSON, is transient (unreadable_answer)', async () => {
    const { client, unico } = setup('web-sdk');
    unico.processScript.push({ status: 200, body: { something: 'else' } }, { status: 200, body: '<html>proxy</html>' }, { status: 200, body: { process: [1] } });

    for (let call = 0; call < 3; call += 1) {
      const error = await caught(client.getProcess(PROCESS_ID));
      expect(error).toBeInstanceOf(UnicoTransientError);
      expect(error).toMatchObject({ code: 'unreadable_answer', status: 200, message: 'GetProcess: Unico answered 200 without a "process" object' });
    }
  });

  test.each([
    ['PROCESS_STATE_FINISHED', true],
    ['PROCESS_STATE_FAILED', true],
    ['PROCESS_STATE_CREATED', false],
    ['PROCESS_STATE_SOMETHING_NEW', false],
    [undefined, false],
    [3, false],
  ])('state %p: final is %p, and the process is returned either way', async (state, final) => {
    const { client, unico } = setup('web-sdk');
    unico.defaultProcess = { id: PROCESS_ID, ...(state === undefined ? {} : { state }) };

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched.final).toBe(final);
    expect(fetched.process).toEqual(unico.defaultProcess);
  });

  test.each([
    ['2027-03-08T12:00:00Z', '2027-03-08T12:00:00Z'],
    ['2027-03-08T12:00:00.123456789-03:00', '2027-03-08T12:00:00.123456789-03:00'],
    ['2027-03-08', '2027-03-08'],
    ['2027-13-45T00:00:00Z', undefined],
    ['1', undefined],
    ['May 3 2027', undefined],
    [' 2027-03-08T12:00:00Z', undefined],
    ['T 2027-03-08', undefined],
    ['12027-03-08', undefined],
    ['2027-03-8', undefined],
    [['2027-03-08'], undefined],
    [1_805_000_000_000, undefined],
    [null, undefined],
  ])('expiresAt %p is kept as %p', async (expiresAt, kept) => {
    const { client, unico } = setup('web-sdk');
    unico.defaultProcess = { id: PROCESS_ID, state: 'PROCESS_STATE_CREATED', expiresAt };

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched.expiresAt).toBe(kept);
    expect('expiresAt' in fetched).toBe(kept !== undefined);
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
      final: true,
      resultCode: 'status:3',
    });
    const [request] = unico.getProcessRequests;
    expect(request?.url).toBe(`${API_BASE_URL}/processes/v1/${PROCESS_ID}`);
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
    expect(request?.headers.get('apikey')).toBe(API_KEY);
  });

  test.each([
    [3, true, 'status:3'],
    [4, true, 'status:4'],
    [5, true, 'status:5'],
    ['5', true, 'status:5'],
    ['04', true, 'status:4'],
    [1, false, 'status:1'],
    [2, false, 'status:2'],
    ['2', false, 'status:2'],
    [3.5, false, undefined],
    ['3a', false, undefined],
    ['1234567890', false, undefined],
    [['3'], false, undefined],
    [true, false, undefined],
    [undefined, false, undefined],
  ])('status %p: final %p, result code %p; expiresAt never set', async (status, final, resultCode) => {
    const { client, unico } = setup('api');
    unico.defaultProcess = { id: PROCESS_ID, expiresAt: '2027-03-08T12:00:00Z', ...(status === undefined ? {} : { status }) };

    const fetched = await client.getProcess(PROCESS_ID);

    expect(fetched).toMatchObject({ final, process: unico.defaultProcess });
    expect(fetched.resultCode).toBe(resultCode);
    expect('expiresAt' in fetched).toBe(false);
  });

  test('a 200 whose body is not a JSON object is transient (unreadable_answer)', async () => {
    const { client, unico } = setup('api');
    unico.processScript.push({ status: 200, body: '[1, 2]' });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({
      name: 'UnicoTransientError', code: 'unreadable_answer', status: 200, message: 'GetProcess: Unico answered 200 without a JSON object',
    });
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

  test('an answer without access_token is transient (unreadable_answer)', async () => {
    const { client, unico } = setup();
    unico.tokenScript.push({ status: 200, body: { token_type: 'Bearer' } });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({
      name: 'UnicoTransientError', code: 'unreadable_answer', status: 200, message: expect.stringContaining('token request: the answer holds no access_token'),
    });
  });
});

/** A body an error answer could carry: Unico's code beside personal data. */
const ERROR_BODY = { error: { code: 'E_UPSTREAM', message: 'CPF 123.456.789-09 of Maria' } };

describe('answers and failures', () => {
  test.each([
    [404, 'process_not_found', 'GetProcess: Unico answered 404: the process is unknown to this tenant'],
    [410, 'process_removed', 'GetProcess: Unico answered 410: the process was removed by retention'],
    [400, 'invalid_request', 'GetProcess: Unico answered 400: Unico refused the request as invalid'],
    [422, 'http_422', 'GetProcess: Unico answered 422'],
    [418, 'http_418', 'GetProcess: Unico answered 418'],
    [499, 'http_499', 'GetProcess: Unico answered 499'],
  ])('%i is permanent (%s)', async (status, code, message) => {
    const { client, unico } = setup();
    unico.processScript.push({ status, body: ERROR_BODY });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoPermanentError);
    expect(error).toMatchObject({ name: 'UnicoPermanentError', status, code, message });
    expect(unico.getProcessRequests).toHaveLength(1);
  });

  test.each([
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [599, 'server_error'],
    [408, 'request_timeout'],
    [409, 'process_wrong_state'],
    [425, 'too_early'],
    [302, 'http_302'],
    [300, 'http_300'],
  ])('%i is transient (%s), with its status and Unico\'s error code, and not retried by the client', async (status, code) => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status, body: ERROR_BODY });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).not.toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({ name: 'UnicoTransientError', code, status, unicoErrorCode: 'E_UPSTREAM', retryAfterMs: undefined });
    expect((error as Error).message).toBe(`GetProcess: Unico answered ${status} (E_UPSTREAM)`);
    expect(unico.getProcessRequests).toHaveLength(1);
    expect(budget.pauses).toEqual([]);
  });

  test('no personal data in any error: only the status and a code-like field of the body', async () => {
    const { client, unico } = setup();
    const bodies = [
      { error: 'Maria da Silva' },
      { error: 'maria@example.com' },
      { code: '12345678909' },
      { error: { code: '+5511987654321' } },
      { message: 'CPF 123.456.789-09' },
      'CPF 123.456.789-09 of Maria',
    ];
    for (const body of bodies) unico.processScript.push({ status: 503, body });

    for (const _ of bodies) {
      const error = await caught(client.getProcess(PROCESS_ID)) as UnicoTransientError;
      expect(error).toMatchObject({ code: 'server_error', status: 503, message: 'GetProcess: Unico answered 503' });
      expect(error.unicoErrorCode).toBeUndefined();
      expect(JSON.stringify(error)).not.toMatch(/Maria|maria|123|5511/);
    }
  });

  test('403 refuses the credentials (the API key or the account\'s rights): UnicoCredentialsRefusedError, no new token', async () => {
    const { client, unico } = setup('api');
    unico.processScript.push({ status: 403, body: { code: 'FORBIDDEN' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({
      name: 'UnicoCredentialsRefusedError', code: 'credentials_refused', status: 403, unicoErrorCode: 'FORBIDDEN',
      message: 'GetProcess: Unico answered 403 (FORBIDDEN): check the API key and the account\'s rights',
    });
    expect(unico.tokenRequests).toHaveLength(1);
    expect(unico.getProcessRequests).toHaveLength(1);
    expect((await client.getProcess(PROCESS_ID)).final).toBe(true);
    expect(unico.tokenRequests).toHaveLength(1);
  });

  test('429 with Retry-After: rate_limited with retryAfterMs, and the budget paused until then for everyone', async () => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status: 429, headers: { 'retry-after': '7' }, body: { code: 'RATE_LIMIT' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({
      code: 'rate_limited', status: 429, retryAfterMs: 7000, unicoErrorCode: 'RATE_LIMIT',
      message: 'GetProcess: Unico answered 429 (too many requests) (RATE_LIMIT), retry after 7000 ms',
    });
    expect(budget.pauses).toEqual([START + 7000]);
  });

  test('429 without Retry-After: no retryAfterMs (the back-off is the caller\'s), and a one-second pause for everyone', async () => {
    const { client, unico, budget } = setup();
    unico.processScript.push({ status: 429 });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: undefined, message: 'GetProcess: Unico answered 429 (too many requests)' });
    expect((error as UnicoTransientError).unicoErrorCode).toBeUndefined();
    expect(budget.pauses).toEqual([START + 1000]);
  });

  test('a 429\'s pause is capped at maxPauseMs, none is set when it comes to nothing, and a failure to store it does not hide the 429', async () => {
    const capped = setup('web-sdk', { maxPauseMs: 5000 });
    capped.unico.processScript.push({ status: 429, headers: { 'retry-after': '600' } });
    expect(await caught(capped.client.getProcess(PROCESS_ID))).toMatchObject({ retryAfterMs: 600_000 });
    expect(capped.budget.pauses).toEqual([START + 5000]);

    const none = setup('web-sdk', { pauseWithoutRetryAfterMs: 0 });
    none.unico.processScript.push({ status: 429 }, { status: 429, headers: { 'retry-after': '0' } });
    await caught(none.client.getProcess(PROCESS_ID));
    await caught(none.client.getProcess(PROCESS_ID));
    expect(none.budget.pauses).toEqual([]);

    const failing = setup('web-sdk', {
      budget: { acquire: async () => undefined, pauseUntil: async () => { throw new Error('table unreachable'); } },
    });
    failing.unico.processScript.push({ status: 429, headers: { 'retry-after': '2' } });
    expect(await caught(failing.client.getProcess(PROCESS_ID))).toMatchObject({ code: 'rate_limited', retryAfterMs: 2000 });
  });

  test('429 from the token endpoint pauses the budget too', async () => {
    const { client, unico, budget } = setup();
    unico.tokenScript.push({ status: 429, headers: { 'retry-after': '3' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'rate_limited', status: 429, retryAfterMs: 3000 });
    expect(budget.pauses).toEqual([START + 3000]);
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2', START)).toBe(2000);
    expect(parseRetryAfter(' 0 ', START)).toBe(0);
    expect(parseRetryAfter('1.5', START)).toBe(1500);
    expect(parseRetryAfter('0.0001', START)).toBe(1);
    expect(parseRetryAfter(new Date(START + 5000).toUTCString(), START)).toBe(5000);
    expect(parseRetryAfter(new Date(START - 5000).toUTCString(), START)).toBe(0);
    expect(parseRetryAfter('soon', START)).toBeUndefined();
    expect(parseRetryAfter('-3', START)).toBeUndefined();
    expect(parseRetryAfter('2027-03-01', START)).toBeUndefined();
    expect(parseRetryAfter('1.', START)).toBeUndefined();
    expect(parseRetryAfter('x1', START)).toBeUndefined();
    expect(parseRetryAfter('12.5', START)).toBe(12_500);
    expect(parseRetryAfter('x1.5', START)).toBeUndefined();
    expect(parseRetryAfter('1.5x', START)).toBeUndefined();
    expect(parseRetryAfter(null, START)).toBeUndefined();
    expect(parseRetryAfter(undefined, START)).toBeUndefined();
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

  test('401 again with the new token refuses the credentials, after exactly one retry; no token is asked for during the back-off', async () => {
    const { client, unico, clock } = setup();
    unico.processScript.push({ status: 401, body: { error: 'invalid_token' } }, { status: 401, body: { error: 'invalid_token' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({
      code: 'credentials_refused', status: 401, unicoErrorCode: 'invalid_token', retryAfterMs: 10_000,
      message: 'GetProcess: Unico answered 401 (invalid_token) even with a new token; not asked again for 10000 ms',
    });
    expect(unico.getProcessRequests).toHaveLength(2);
    expect(unico.tokenRequests).toHaveLength(2);

    clock.set(START + 4000);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ name: 'UnicoCredentialsRefusedError', status: 401, retryAfterMs: 6000 });
    expect(unico.tokenRequests).toHaveLength(2);
    expect(unico.getProcessRequests).toHaveLength(2);

    clock.set(START + 10_000);
    expect((await client.getProcess(PROCESS_ID)).final).toBe(true);
    expect(unico.tokenRequests).toHaveLength(3);
  });

  test('many calls refused at once with the same new token count as one refusal', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.acceptTokens = false;

    const errors = await Promise.all(Array.from({ length: 5 }, () => caught(client.getProcess(PROCESS_ID))));

    expect(errors.every((error) => error instanceof UnicoCredentialsRefusedError)).toBe(true);
    expect(errors.map((error) => (error as UnicoTransientError).retryAfterMs)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(unico.tokenRequests).toHaveLength(2);
  });

  test('no answer within the timeout is transient (timeout)', async () => {
    const { client, unico } = setup('web-sdk', { requestTimeoutMs: 20 });
    await client.getProcess(PROCESS_ID);
    unico.processScript.push('hang');

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({ code: 'timeout', message: 'GetProcess: Unico did not answer within 20 ms' });
  });

  test('a network error is transient (network_error) and named by its code only', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.processScript.push(
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) }),
      Object.assign(new TypeError('fetch failed'), { cause: new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })]) }),
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('odd'), { code: 'not a code' }) }),
      new TypeError('fetch failed'),
    );

    const messages = [];
    for (let call = 0; call < 4; call += 1) {
      const error = await caught(client.getProcess(PROCESS_ID));
      expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'network_error' });
      messages.push((error as Error).message);
    }

    expect(messages).toEqual([
      'GetProcess: network error (ECONNREFUSED)',
      'GetProcess: network error (ETIMEDOUT)',
      'GetProcess: network error',
      'GetProcess: network error',
    ]);
  });

  test('the caller giving up while Unico has not answered: aborted, not a network error', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.processScript.push('hang');
    const controller = new AbortController();

    const pending = caught(client.getProcess(PROCESS_ID, controller.signal));
    await eventually(() => unico.getProcessRequests.length === 2);
    controller.abort(new Error('lambda deadline'));

    expect(await pending).toMatchObject({ name: 'UnicoTransientError', code: 'aborted', message: 'GetProcess: abandoned by the caller' });
  });

  test('network errors whose codes are not codes, nested deep, or looped are still network errors', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    const looped: { cause?: unknown } = {};
    looped.cause = looped;
    const ring: { errors: unknown[] } = { errors: [] };
    ring.errors.push(ring);
    const deep = (code: string, depth: number): unknown => (depth === 0 ? { code } : { cause: deep(code, depth - 1) });
    const cases: Array<[unknown, string]> = [
      [{ code: 12 }, 'GetProcess: network error'],
      [{ code: 'xxECONN' }, 'GetProcess: network error'],
      [{ code: 'ECONNx' }, 'GetProcess: network error'],
      [{ cause: null }, 'GetProcess: network error'],
      [looped, 'GetProcess: network error'],
      [ring, 'GetProcess: network error'],
      // The TypeError is depth 0, its cause depth 1: a code at depth 4 is found, at 5 not.
      [deep('EDEEP', 3), 'GetProcess: network error (EDEEP)'],
      [deep('ETOODEEP', 4), 'GetProcess: network error'],
      [{ errors: [{ code: 'lower' }, { cause: { code: 'EINNER' } }] }, 'GetProcess: network error (EINNER)'],
    ];
    for (const [cause] of cases) unico.processScript.push(Object.assign(new TypeError('fetch failed'), { cause }));

    for (const [, message] of cases) {
      expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'network_error', message });
    }
  });

  test('the caller\'s abort is transient too (aborted)', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);
    unico.processScript.push('hang');
    const controller = new AbortController();

    const pending = caught(client.getProcess(PROCESS_ID, controller.signal));
    controller.abort(new Error('lambda deadline'));

    expect(await pending).toMatchObject({ name: 'UnicoTransientError', code: 'aborted', message: 'GetProcess: abandoned by the caller' });
  });

  test('a redirect is not followed: the answer is classified as it is', async () => {
    const { client, unico } = setup();
    await client.getProcess(PROCESS_ID);

    expect(unico.getProcessRequests[0]?.headers.get('accept')).toBe('application/json');
    expect(unico.seenInit.at(-1)?.redirect).toBe('manual');
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

  test('the caller\'s deadline goes with every acquire, the token request\'s included', async () => {
    const { client, budget } = setup();

    await client.getProcess(PROCESS_ID, undefined, START + 2500);
    await client.getProcess(PROCESS_ID);

    expect(budget.deadlines).toEqual([START + 2500, START + 2500, undefined]);
  });

  test('a budget whose next grant comes after the deadline: budget_wait at once, retryAfterMs until that grant, nothing sent', async () => {
    let calls = 0;
    const { client, unico } = setup('web-sdk', {
      budget: {
        acquire: async (_signal, notAfterMs) => {
          calls += 1;
          throw Object.assign(new Error(`next grant after ${notAfterMs}`), { name: 'BudgetWaitTooLongError', retryAtMs: START + 1800 });
        },
        pauseUntil: async () => undefined,
      },
    });

    const error = await caught(client.getProcess(PROCESS_ID, undefined, START + 500));

    expect(error).toBeInstanceOf(UnicoTransientError);
    expect(error).toMatchObject({
      code: 'budget_wait', retryAfterMs: 1800, status: undefined,
      message: 'token request: the request budget has no room before the caller\'s deadline (next in 1800 ms)',
    });
    expect(calls).toBe(1);
    expect(unico.tokenRequests).toHaveLength(0);
  });

  test('a budget_wait on GetProcess, and a grant time already past, give retryAfterMs 0 at least', async () => {
    let refuse = false;
    const { client, unico } = setup('web-sdk', {
      budget: {
        acquire: async () => {
          if (refuse) throw Object.assign(new Error('later'), { name: 'BudgetWaitTooLongError', retryAtMs: START - 50 });
        },
        pauseUntil: async () => undefined,
      },
    });
    await client.getProcess(PROCESS_ID);
    refuse = true;

    expect(await caught(client.getProcess(PROCESS_ID, undefined, START))).toMatchObject({ code: 'budget_wait', retryAfterMs: 0, message: expect.stringMatching(/^GetProcess: /) });
    expect(unico.getProcessRequests).toHaveLength(1);
  });

  test.each([
    ['a retryAtMs that is not a number', Object.assign(new Error('odd'), { name: 'BudgetWaitTooLongError', retryAtMs: Number.NaN })],
    ['a retryAtMs given as text', Object.assign(new Error('odd'), { name: 'BudgetWaitTooLongError', retryAtMs: String(START) })],
    ['another error with a retryAtMs', Object.assign(new Error('odd'), { retryAtMs: START })],
    ['something thrown that is not an Error', { name: 'BudgetWaitTooLongError', retryAtMs: START }],
  ])('%s is a budget failure (budget_unavailable), not a budget_wait', async (_, thrown) => {
    const { client } = setup('web-sdk', {
      budget: { acquire: async () => { throw thrown; }, pauseUntil: async () => undefined },
    });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'budget_unavailable' });
  });

  test('no room in the budget within budgetWaitMs: budget_wait, and nothing sent', async () => {
    const { client, unico } = setup('web-sdk', {
      budgetWaitMs: 10,
      budget: { acquire: (signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))), pauseUntil: async () => undefined },
    });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'budget_wait', message: 'token request: no room in the request budget within 10 ms' });
    expect((error as UnicoTransientError).retryAfterMs).toBeUndefined();
    expect(unico.tokenRequests).toHaveLength(0);
  });

  test('the caller giving up while waiting for the budget: aborted', async () => {
    const { client } = setup('web-sdk', {
      budget: { acquire: (signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))), pauseUntil: async () => undefined },
    });
    const controller = new AbortController();

    const pending = caught(client.getProcess(PROCESS_ID, controller.signal));
    controller.abort(new Error('deadline'));

    expect(await pending).toMatchObject({ name: 'UnicoTransientError', code: 'aborted' });
  });

  test('a budget that fails (its table unreachable) is transient (budget_unavailable), and starts no token back-off', async () => {
    let failing = true;
    const { client, unico } = setup('web-sdk', {
      budget: { acquire: async () => { if (failing) throw new Error('ResourceNotFoundException'); }, pauseUntil: async () => undefined },
    });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({
      name: 'UnicoTransientError', code: 'budget_unavailable', message: 'token request: the request budget is unavailable',
    });
    failing = false;
    expect((await client.getProcess(PROCESS_ID)).final).toBe(true);
    expect(unico.tokenRequests).toHaveLength(1);
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
