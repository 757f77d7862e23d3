/**
 * The token source's back-off: with no usable token, a failed token request is not repeated on
 * every call. Refused credentials (400, 401, 403 from the token endpoint) hold requests off for
 * 10 s doubling to 5 minutes; other failures (5xx, timeouts, network) for 1 s doubling to 60 s.
 */
import { describe, expect, test } from '@jest/globals';
import { resolveUnicoClientOptions } from '../../../../lambdas/adapters/unico/unico-client-options.ts';
import { UnicoHttp } from '../../../../lambdas/adapters/unico/unico-http.ts';
import { lifetimeOf, UnicoTokenSource } from '../../../../lambdas/adapters/unico/unico-token-source.ts';
import { UnicoCredentialsRefusedError, UnicoTransientError } from '../../../../lambdas/core/unico/process-fetcher.ts';
import {
  API_BASE_URL, caught, fakeUnico, IDENTITY_URL, PRIVATE_KEY_PEM, PROCESS_ID, recordingBudget, SERVICE_ACCOUNT, setupClient, START,
} from './fake-unico.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Lets background work (a token refresh: signing runs off the main thread) go on until `condition` holds. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 5000 && !condition(); turn += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}

describe('refused credentials', () => {
  test.each([
    [400, 'invalid_grant'],
    [401, 'invalid_client'],
    [403, 'access_denied'],
  ])('the token endpoint\'s %i (%s): UnicoCredentialsRefusedError with the status and the OAuth2 code, no secret, no GetProcess', async (status, oauthError) => {
    const { client, unico } = setupClient();
    unico.tokenScript.push({ status, body: { error: oauthError, error_description: 'assertion of svc@tenant with key ...' } });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({
      name: 'UnicoCredentialsRefusedError', code: 'credentials_refused', status, unicoErrorCode: oauthError, retryAfterMs: 10 * SECOND,
      message: `token request: Unico's identity service answered ${status} (${oauthError}): the credentials are refused; check the service account, its key and the identity URL; not asked again for 10000 ms`,
    });
    expect((error as Error).message).not.toMatch(/PRIVATE KEY|svc@|assertion of/);
    expect(unico.getProcessRequests).toHaveLength(0);
  });

  test('no request until the back-off passes: 10 s, doubling, capped at 5 minutes; each call meanwhile fails at once with the same refusal', async () => {
    const { client, unico, clock } = setupClient();
    for (let refusal = 0; refusal < 50; refusal += 1) unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } });

    // A call every second for 15 minutes, as a busy processor would make them.
    const sentAt: number[] = [];
    for (let second = 0; second <= 15 * 60; second += 1) {
      clock.set(START + second * SECOND);
      const before = unico.tokenRequests.length;
      const error = await caught(client.getProcess(PROCESS_ID));
      expect(error).toMatchObject({ name: 'UnicoCredentialsRefusedError', status: 400, unicoErrorCode: 'invalid_grant' });
      if (unico.tokenRequests.length > before) sentAt.push(second);
    }

    expect(sentAt).toEqual([0, 10, 30, 70, 150, 310, 610]);
    expect(unico.getProcessRequests).toHaveLength(0);
  });

  test('a held-off call says how long is left, and carries the refusal\'s status and code', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 401, body: { error: 'invalid_client' } });
    await caught(client.getProcess(PROCESS_ID));

    clock.set(START + 7_250);
    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({
      code: 'credentials_refused', status: 401, unicoErrorCode: 'invalid_client', retryAfterMs: 2_750,
      message: expect.stringMatching(/answered 401 \(invalid_client\).*; not asked again for 2750 ms$/),
    });
    expect(unico.tokenRequests).toHaveLength(1);
  });

  test('a token obtained resets the back-off: the next refusal holds off 10 s again', async () => {
    const { client, unico, clock } = setupClient('web-sdk', { tokenRefreshMarginMs: 0 });
    unico.tokenLifetime = 240;
    unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } }, { status: 400, body: { error: 'invalid_grant' } });
    await caught(client.getProcess(PROCESS_ID));
    clock.set(START + 10 * SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ retryAfterMs: 20 * SECOND });

    clock.set(START + 30 * SECOND);
    await client.getProcess(PROCESS_ID);
    expect(unico.tokenRequests).toHaveLength(3);

    // The token (240 s) is past its use at 30 + 180 s (its last minute is not used).
    unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } });
    clock.set(START + 30 * SECOND + 181 * SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ name: 'UnicoCredentialsRefusedError', retryAfterMs: 10 * SECOND });
    expect(unico.tokenRequests).toHaveLength(4);
  });

  test('20 calls at once with refused credentials share one token request and all get the refusal', async () => {
    const { client, unico } = setupClient();
    unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } });

    const errors = await Promise.all(Array.from({ length: 20 }, () => caught(client.getProcess(PROCESS_ID))));

    expect(errors.every((error) => error instanceof UnicoCredentialsRefusedError && error.retryAfterMs === 10 * SECOND)).toBe(true);
    expect(unico.tokenRequests).toHaveLength(1);
  });

  test('a refused refresh while the token is still good: the token keeps serving; the next refresh waits for the longer of 30 s and the back-off', async () => {
    const { client, unico, clock } = setupClient();
    await client.getProcess(PROCESS_ID);
    unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } }, { status: 400, body: { error: 'invalid_grant' } });

    clock.set(START + 50 * MINUTE + SECOND);
    await client.getProcess(PROCESS_ID);
    await eventually(() => client.tokenRequests === 2);
    await new Promise((resolve) => setTimeout(resolve, 30));

    // 30 s later: a second refresh is refused; the back-off (now 20 s) is shorter than the 30 s pause.
    clock.set(START + 50 * MINUTE + 31 * SECOND);
    await client.getProcess(PROCESS_ID);
    await eventually(() => client.tokenRequests === 3);
    await new Promise((resolve) => setTimeout(resolve, 30));

    clock.set(START + 50 * MINUTE + 60 * SECOND);
    await client.getProcess(PROCESS_ID);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.tokenRequests).toBe(3);

    clock.set(START + 50 * MINUTE + 62 * SECOND);
    await client.getProcess(PROCESS_ID);
    await eventually(() => client.tokenRequests === 4 && unico.validTokens.has('token-2'));
    await client.getProcess(PROCESS_ID);
    expect(unico.getProcessRequests.map((request) => request.headers.get('authorization')).at(-1)).toBe('Bearer token-2');
  });

  test('a background refresh is not started while a back-off runs, even past the 30 s pause', async () => {
    const { client, unico, clock } = setupClient();
    await client.getProcess(PROCESS_ID);
    // Three refusals in a row (10 s, 20 s, 40 s): the third holds off longer than the 30 s pause.
    for (let refusal = 0; refusal < 3; refusal += 1) unico.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } });
    const refreshAt = START + 50 * MINUTE + SECOND;
    for (const offset of [0, 31, 62]) {
      clock.set(refreshAt + offset * SECOND);
      await client.getProcess(PROCESS_ID);
      await eventually(() => unico.tokenRequests.length === 2 + [0, 31, 62].indexOf(offset));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }

    clock.set(refreshAt + 93 * SECOND);
    await client.getProcess(PROCESS_ID);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unico.tokenRequests).toHaveLength(4);

    clock.set(refreshAt + 102 * SECOND);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 5);
  });
});

describe('other token failures', () => {
  test('5xx: transient server_error, held off 1 s doubling to 60 s', async () => {
    const { client, unico, clock } = setupClient();
    for (let failure = 0; failure < 20; failure += 1) unico.tokenScript.push({ status: 503, body: { error: 'temporarily_unavailable' } });

    const sentAt: number[] = [];
    for (let tenth = 0; tenth <= 3 * 600; tenth += 1) {
      clock.set(START + tenth * 100);
      const before = unico.tokenRequests.length;
      const error = await caught(client.getProcess(PROCESS_ID));
      expect(error).not.toBeInstanceOf(UnicoCredentialsRefusedError);
      expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'server_error', status: 503, unicoErrorCode: 'temporarily_unavailable' });
      if (unico.tokenRequests.length > before) sentAt.push(tenth * 100);
    }

    expect(sentAt).toEqual([0, 1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000]);
  });

  test('the first failure already says when the next request goes; a 429\'s longer Retry-After wins', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 502 }, { status: 429, headers: { 'retry-after': '5' } });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({
      code: 'server_error', status: 502, retryAfterMs: 1000, message: 'token request: Unico\'s identity service answered 502; not asked again for 1000 ms',
    });
    clock.set(START + 1000);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 5000 });
    clock.set(START + 2500);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 5000 });
    expect(unico.tokenRequests).toHaveLength(2);
    clock.set(START + 3000);
    expect((await client.getProcess(PROCESS_ID)).final).toBe(true);
  });

  test.each([
    [404, 'http_404'],
    [408, 'request_timeout'],
    [425, 'too_early'],
    [500, 'server_error'],
  ])('%i from the token endpoint: transient %s, not a refusal', async (status, code) => {
    const { client, unico } = setupClient();
    unico.tokenScript.push({ status });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).not.toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({ name: 'UnicoTransientError', code, status, retryAfterMs: 1000 });
    expect((error as UnicoTransientError).unicoErrorCode).toBeUndefined();
  });

  test('a timeout and a network error on the token endpoint are held off the same way', async () => {
    const { client, unico, clock } = setupClient('web-sdk', { requestTimeoutMs: 20 });
    unico.tokenScript.push('hang', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }));

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'timeout', retryAfterMs: 1000 });
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'timeout', retryAfterMs: 1000 });
    clock.set(START + 1000);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({
      code: 'network_error', retryAfterMs: 2000, message: 'token request: network error (ECONNRESET); not asked again for 2000 ms',
    });
    expect(unico.tokenRequests).toHaveLength(2);
  });

  test('a refusal after other failures starts from the refusal back-off\'s own first step, and the other way round', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 503 }, { status: 401, body: { error: 'invalid_client' } }, { status: 503 });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'server_error', retryAfterMs: 1000 });
    clock.set(START + 1000);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'credentials_refused', retryAfterMs: 10_000 });
    clock.set(START + 11_000);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'server_error', retryAfterMs: 2000 });
  });

  test('a caller that gives up while the token is fetched gets aborted; the request goes on for the others', async () => {
    const { client, unico } = setupClient('web-sdk', { requestTimeoutMs: 200 });
    unico.tokenScript.push('hang');
    const controller = new AbortController();

    const abandoned = caught(client.getProcess(PROCESS_ID, controller.signal));
    const patient = caught(client.getProcess(PROCESS_ID));
    await eventually(() => unico.tokenRequests.length === 1);
    controller.abort(new Error('deadline'));

    expect(await abandoned).toMatchObject({ name: 'UnicoTransientError', code: 'aborted', message: 'token request: abandoned by the caller' });
    expect(await patient).toMatchObject({ code: 'timeout' });
    expect(unico.tokenRequests).toHaveLength(1);
  });

  test('a signal already aborted gets aborted without a token request', async () => {
    const { client, unico } = setupClient();

    expect(await caught(client.getProcess(PROCESS_ID, AbortSignal.abort(new Error('gone'))))).toMatchObject({ code: 'aborted' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.tokenRequests).toBe(0);
    expect(unico.tokenRequests).toHaveLength(0);
    expect(unico.getProcessRequests).toHaveLength(0);
  });

  test('an assertion that cannot be signed is transient too (assertion_failed), with nothing sent', async () => {
    // A clock gone wrong gives iat NaN, which the signer refuses.
    const { client, unico } = setupClient('web-sdk', { now: () => Number.NaN });

    const error = await caught(client.getProcess(PROCESS_ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'assertion_failed', message: 'token request: the assertion could not be signed' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(unico.tokenRequests).toHaveLength(0);
  });
});

describe('the token\'s life', () => {
  test('the assertion\'s header says RS256 and JWT; the token request asks for JSON', async () => {
    const { client, unico } = setupClient();

    await client.getProcess(PROCESS_ID);

    expect(unico.assertionHeaders).toEqual([{ alg: 'RS256', typ: 'JWT' }]);
    expect(unico.tokenRequests[0]?.headers.get('accept')).toBe('application/json');
  });

  test('at exactly its refresh time a refresh starts in the background; at exactly its last usable moment the call waits for a new one', async () => {
    const { client, unico, clock } = setupClient();
    await client.getProcess(PROCESS_ID);

    // 3600 s tokens: refreshed from 50 minutes on, not sent from 59 minutes on.
    clock.set(START + 50 * MINUTE);
    unico.tokenScript.push({ status: 503 });
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 2);

    clock.set(START + 59 * MINUTE);
    await client.getProcess(PROCESS_ID);
    expect(unico.tokenRequests).toHaveLength(3);
    expect(unico.getProcessRequests.map((request) => request.headers.get('authorization'))).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  test('a 120 s token: no refresh before 60 s; from 60 s one in the background, the old one still sent until 90 s', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenLifetime = 120;
    await client.getProcess(PROCESS_ID);

    clock.set(START + 59 * SECOND);
    await client.getProcess(PROCESS_ID);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unico.tokenRequests).toHaveLength(1);

    // The refresh fails: the old token goes on serving until its last usable moment.
    unico.tokenScript.push({ status: 503 });
    clock.set(START + 75 * SECOND);
    await client.getProcess(PROCESS_ID);
    await eventually(() => unico.tokenRequests.length === 2);
    clock.set(START + 89 * SECOND);
    await client.getProcess(PROCESS_ID);
    expect(unico.getProcessRequests.map((request) => request.headers.get('authorization'))).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-1']);
  });

  test('a 200 that is not JSON, or whose access_token is empty, is unreadable_answer', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 200, body: 'not json' }, { status: 200, body: { access_token: '' } }, { status: 200, body: { access_token: 42 } });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'unreadable_answer', status: 200 });
    clock.set(START + SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'unreadable_answer', status: 200 });
    clock.set(START + 3 * SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'unreadable_answer', status: 200 });
  });

  test('any 2xx with a token is a token (299 too); 300 is a failure', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 300, body: { access_token: 'redirected' } }, { status: 299, body: { access_token: 'odd-but-fine' } });

    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'http_300', status: 300 });
    clock.set(START + SECOND);
    unico.processScript.push({ status: 200, body: { process: { id: PROCESS_ID } } });
    await client.getProcess(PROCESS_ID);
    expect(unico.getProcessRequests[0]?.headers.get('authorization')).toBe('Bearer odd-but-fine');
  });

  test('a call with a signal that waits for the token gets it, or its failure', async () => {
    const { client, unico, clock } = setupClient();
    unico.tokenScript.push({ status: 503 });

    expect(await caught(client.getProcess(PROCESS_ID, new AbortController().signal))).toMatchObject({ code: 'server_error' });
    clock.set(START + SECOND);
    const fetched = await client.getProcess(PROCESS_ID, new AbortController().signal);

    expect(fetched.final).toBe(true);
    expect(unico.tokenRequests).toHaveLength(2);
  });

  test('after other failures and then a token, the next failure holds off 1 s again', async () => {
    const { client, unico, clock } = setupClient('web-sdk', { tokenRefreshMarginMs: 0 });
    unico.tokenLifetime = 240;
    unico.tokenScript.push({ status: 503 }, { status: 503 });
    await caught(client.getProcess(PROCESS_ID));
    clock.set(START + SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ retryAfterMs: 2 * SECOND });
    clock.set(START + 3 * SECOND);
    await client.getProcess(PROCESS_ID);

    unico.tokenScript.push({ status: 503 });
    clock.set(START + 3 * SECOND + 181 * SECOND);
    expect(await caught(client.getProcess(PROCESS_ID))).toMatchObject({ code: 'server_error', retryAfterMs: SECOND });
  });

  test('invalidating a token that is no longer the cached one keeps the newer one', async () => {
    let now = START;
    const unico = fakeUnico('web-sdk', () => now);
    const options = resolveUnicoClientOptions({
      contract: 'web-sdk', apiBaseUrl: API_BASE_URL, identityUrl: IDENTITY_URL, serviceAccount: SERVICE_ACCOUNT,
      privateKeyPem: PRIVATE_KEY_PEM, budget: recordingBudget(), fetch: unico.fetch, now: () => now,
    });
    const tokens = new UnicoTokenSource(options, new UnicoHttp(options));
    const first = await tokens.token();
    tokens.invalidate(first);
    const second = await tokens.token();

    tokens.invalidate(first);

    expect([first, second]).toEqual(['token-1', 'token-2']);
    expect(await tokens.token()).toBe('token-2');
    expect(tokens.requests).toBe(2);
    now += 1;
  });
});

describe('expires_in', () => {
  test.each([
    [3600, 3_600_000],
    ['120', 120_000],
    [' 120 ', 120_000],
    ['1.5', 1500],
    ['1.55', 1550],
    ['0x10', undefined],
    ['1e3', undefined],
    [0.5, 500],
    [0, undefined],
    ['0', undefined],
    [-5, undefined],
    ['-5', undefined],
    ['12a', undefined],
    ['a12', undefined],
    ['1.x', undefined],
    ['1.5 s', undefined],
    ['x 1', undefined],
    ['', undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [Number.NaN, undefined],
    [true, undefined],
    [[60], undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%p gives %p ms', (expiresIn, ms) => {
    expect(lifetimeOf(expiresIn)).toBe(ms);
  });
});

