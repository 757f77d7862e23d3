/**
 * Unico in a box over HTTP on 127.0.0.1: the token endpoint, both GetProcess contracts, the
 * admin API, and webhooks sent to a loopback receiver with each kind of auth. The client used is
 * the real Unico client (lambdas/adapters/unico), so the two are checked against each other.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { UnicoApiClient } from '../../lambdas/adapters/unico/unico-api-client.ts';
import type { UnicoClientOptions } from '../../lambdas/adapters/unico/unico-client-options.ts';
import { UnicoCredentialsRefusedError, UnicoTransientError } from '../../lambdas/core/unico/process-fetcher.ts';
import { UNLIMITED_BUDGET } from '../../lambdas/core/unico/request-budget.ts';
import { main, type CliIo } from '../../tools/unico-sim/cli.ts';
import { startUnicoSimulator, type RunningUnicoSimulator, type UnicoSimulatorOptions } from '../../tools/unico-sim/serve/simulator.ts';
import { closedPort, contractReceiver, startLoopback, tokenEndpoint, type Loopback } from '../unit/tools/unico-sim/loopback-server.ts';

const ID = '8263a268-5388-492a-bca2-28e1ff4a69f0';
const OTHER_ID = '1f0c9a52-7d3e-4b8a-9c61-2e5f4a3b7d10';
const BASIC = 'basic:unico:correct horse';

const simulators: RunningUnicoSimulator[] = [];
let receiver: ReturnType<typeof contractReceiver>;
let receiverServer: Loopback;

beforeAll(async () => {
  receiver = contractReceiver({ auth: BASIC });
  receiverServer = await startLoopback(receiver.handler);
});

afterEach(async () => {
  await Promise.all(simulators.splice(0).map((simulator) => simulator.stop()));
});

afterAll(async () => {
  await receiverServer.close();
});

async function simulator(options: UnicoSimulatorOptions = {}): Promise<RunningUnicoSimulator> {
  const running = await startUnicoSimulator(options);
  simulators.push(running);
  return running;
}

function clientFor(sim: RunningUnicoSimulator, overrides: Partial<UnicoClientOptions> = {}): UnicoApiClient {
  return new UnicoApiClient({
    contract: sim.contract,
    apiBaseUrl: sim.apiBaseUrl,
    identityUrl: sim.identityUrl,
    tokenUrl: sim.tokenUrl,
    serviceAccount: sim.serviceAccount,
    privateKeyPem: sim.privateKeyPem,
    apiKey: sim.apiKey,
    budget: UNLIMITED_BUDGET,
    ...overrides,
  });
}

async function admin(sim: RunningUnicoSimulator, method: string, path: string, body?: unknown) {
  const response = await fetch(`${sim.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

async function stats(sim: RunningUnicoSimulator) {
  return (await admin(sim, 'GET', '/stats')).body as {
    tokenRequests: number; getProcessRequests: number; peakRequestsPerSecond: number; peakRequestsInAnySecond: number;
    byStatus: Record<string, number>; tokenByStatus: Record<string, number>;
    webhooks: { sent: number; delivered: number; failed: number; dropped: number };
    faultsPending: number; tokenFaultsPending: number; processes: number;
  };
}

/** A token as any client gets one; `atMs` is the simulator's clock when it runs on a fake one. */
async function tokenFor(sim: RunningUnicoSimulator, atMs = Date.now()): Promise<string> {
  const now = Math.floor(atMs / 1000);
  const assertion = await new SignJWT({ scope: '*' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(sim.serviceAccount)
    .setAudience(sim.identityUrl).setIssuedAt(now).setExpirationTime(now + 3600).sign(createPrivateKey(sim.privateKeyPem));
  const response = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Waits (bounded) for something another party does, such as a webhook arriving. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 500; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const webhooksFor = (processId: string) =>
  receiverServer.received.filter((request) => request.body.includes(processId)).map((request) => JSON.parse(request.body) as Record<string, unknown>);

describe('token endpoint and GetProcess', () => {
  test('Web & SDK: the client gets a token and the process inside "process"; the admin GET shows the same', async () => {
    const sim = await simulator();
    const process = { id: ID, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', person: { duiValue: '12345678909' } };
    expect((await admin(sim, 'PUT', `/processes/${ID}`, process)).status).toBe(204);

    const fetched = await clientFor(sim).getProcess(ID);

    expect(fetched).toMatchObject({ contract: 'web-sdk', process, resultCode: 'PROCESS_RESULT_OK' });
    expect(await admin(sim, 'GET', `/processes/${ID}`)).toEqual({ status: 200, body: process });
    expect(await stats(sim)).toMatchObject({ tokenRequests: 1, getProcessRequests: 1, byStatus: { 200: 1 }, tokenByStatus: { 200: 1 } });
  });

  test('Web & SDK over raw HTTP: the answer is {"process": ...}; no token 401, an unknown process 404, a deleted one 410, the API path 404', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, state: 'PROCESS_STATE_CREATED' });
    const token = await tokenFor(sim);
    const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => fetch(`${sim.apiBaseUrl}${path}`, { headers });

    const ok = await get(`/client/v1/process/${ID}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ process: { id: ID, state: 'PROCESS_STATE_CREATED' } });
    const anonymous = await get(`/client/v1/process/${ID}`, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get(`/client/v1/process/${ID}`, { authorization: 'Bearer forged' })).status).toBe(401);
    expect((await get(`/client/v1/process/${OTHER_ID}`)).status).toBe(404);
    expect((await get(`/processes/v1/${ID}`)).status).toBe(404);
    expect((await admin(sim, 'DELETE', `/processes/${ID}`)).status).toBe(204);
    expect((await get(`/client/v1/process/${ID}`)).status).toBe(410);
  });

  test('API contract: the whole answer, with the APIKEY header; without it 403', async () => {
    const sim = await simulator({ contract: 'api' });
    const answer = { id: ID, status: 3, unicoId: { result: 'yes' } };
    await admin(sim, 'PUT', `/processes/${ID}`, answer);

    expect(await clientFor(sim).getProcess(ID)).toMatchObject({ contract: 'api', process: answer, resultCode: 'status:3' });
    const token = await tokenFor(sim);
    expect((await fetch(`${sim.apiBaseUrl}/processes/v1/${ID}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await fetch(`${sim.apiBaseUrl}/processes/v1/${ID}`, { headers: { authorization: `Bearer ${token}`, apikey: 'wrong' } })).status).toBe(403);
    const wrongKey = await caught(clientFor(sim, { apiKey: 'wrong' }).getProcess(ID));
    expect(wrongKey).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(wrongKey).toMatchObject({ name: 'UnicoCredentialsRefusedError', code: 'credentials_refused', status: 403, unicoErrorCode: '403' });
  });

  test('the client\'s errors: 404 and 410 permanent', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    await admin(sim, 'DELETE', `/processes/${ID}`);
    const client = clientFor(sim);

    expect(await caught(client.getProcess(OTHER_ID))).toMatchObject({ name: 'UnicoPermanentError', status: 404, code: 'process_not_found' });
    expect(await caught(client.getProcess(ID))).toMatchObject({ name: 'UnicoPermanentError', status: 410, code: 'process_removed' });
  });

  test('the token endpoint refuses what an OAuth2 server refuses', async () => {
    const sim = await simulator();
    const post = (body: string) => fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

    const wrongGrant = await post('grant_type=client_credentials&client_id=x&client_secret=y');
    expect(wrongGrant.status).toBe(400);
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const wrongAccount = await caught(clientFor(sim, { serviceAccount: 'intruder@tenant.iam.acesso.io' }).getProcess(ID));
    expect(wrongAccount).toMatchObject({ name: 'UnicoCredentialsRefusedError', code: 'credentials_refused', status: 401, unicoErrorCode: 'invalid_client' });
    const wrongAudience = await caught(clientFor(sim, { identityUrl: 'https://identity.acesso.io', tokenUrl: sim.tokenUrl }).getProcess(ID));
    expect(wrongAudience).toMatchObject({ name: 'UnicoCredentialsRefusedError', status: 400, unicoErrorCode: 'invalid_grant' });
    expect((await fetch(sim.tokenUrl)).status).toBe(405);
    expect((await stats(sim)).tokenByStatus).toEqual({ 400: 2, 401: 1 });
  });

  test('revoked tokens answer 401; the client fetches a new one and succeeds', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const client = clientFor(sim);
    await client.getProcess(ID);

    expect(await admin(sim, 'DELETE', '/tokens')).toEqual({ status: 200, body: { revoked: 1 } });
    await client.getProcess(ID);

    expect(await stats(sim)).toMatchObject({ tokenRequests: 2, getProcessRequests: 3, byStatus: { 200: 2, 401: 1 } });
  });

  test('tokens expire after --token-lifetime', async () => {
    let now = Date.now();
    const sim = await simulator({ tokenLifetimeSeconds: 60, now: () => now });
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const token = await tokenFor(sim);
    const get = () => fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } });

    expect((await get()).status).toBe(200);
    now += 60_000;
    expect((await get()).status).toBe(401);
  });
});

describe('faults and stats', () => {
  test('429 with Retry-After for the next count calls, then 500, then normal answers; the client reports each', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const client = clientFor(sim);
    expect((await admin(sim, 'POST', '/faults', { status: 429, retryAfter: 2, count: 2 })).status).toBe(204);
    expect((await admin(sim, 'POST', '/faults', { status: 500, count: 1 })).status).toBe(204);
    expect((await stats(sim)).faultsPending).toBe(3);

    const outcomes = [];
    for (let call = 0; call < 4; call += 1) outcomes.push(await client.getProcess(ID).then(() => 'ok', (error: unknown) => error));

    expect(outcomes[0]).toMatchObject({ name: 'UnicoTransientError', status: 429, retryAfterMs: 2000 });
    expect(outcomes[1]).toMatchObject({ name: 'UnicoTransientError', status: 429, retryAfterMs: 2000 });
    expect(outcomes[2]).toMatchObject({ name: 'UnicoTransientError', status: 500 });
    expect(outcomes[3]).toBe('ok');
    expect(await stats(sim)).toMatchObject({ getProcessRequests: 4, byStatus: { 200: 1, 429: 2, 500: 1 }, faultsPending: 0 });
  });

  test('a delay beyond the client\'s timeout is a transient timeout; DELETE /faults clears what is left', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const client = clientFor(sim, { requestTimeoutMs: 200 });
    await client.getProcess(ID);
    await admin(sim, 'POST', '/faults', { delayMs: 1500, count: 3 });

    const error = await caught(client.getProcess(ID));
    expect(error).toBeInstanceOf(UnicoTransientError);
    expect((error as Error).message).toContain('did not answer within 200 ms');

    expect((await admin(sim, 'DELETE', '/faults')).status).toBe(204);
    expect((await stats(sim)).faultsPending).toBe(0);
    expect((await client.getProcess(ID)).contract).toBe('web-sdk');
  });

  test('a GetProcess fault with a body: the client keeps Unico\'s code, and a 409 is transient', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, state: 'PROCESS_STATE_FINISHED' });
    const client = clientFor(sim);
    expect((await admin(sim, 'POST', '/faults', { status: 409, body: { code: 'PROCESS_NOT_READY', message: 'Maria' } })).status).toBe(204);

    const error = await caught(client.getProcess(ID));

    expect(error).toMatchObject({ name: 'UnicoTransientError', code: 'process_wrong_state', status: 409, unicoErrorCode: 'PROCESS_NOT_READY' });
    expect((error as Error).message).not.toContain('Maria');
    expect((await client.getProcess(ID)).final).toBe(true);
  });

  test('bad fault specs and bad admin requests are 400', async () => {
    const sim = await simulator();
    expect(await admin(sim, 'POST', '/faults', { status: 200 })).toEqual({ status: 400, body: { error: 'status must be a whole number from 400 to 599' } });
    expect(await admin(sim, 'POST', '/faults', { target: 'identity', status: 500 })).toEqual({ status: 400, body: { error: 'target must be "getProcess" or "token"' } });
    expect(await admin(sim, 'POST', '/faults', { delayMs: 10, body: { error: 'x' } })).toEqual({ status: 400, body: { error: 'body goes with a status' } });
    expect(await admin(sim, 'POST', '/faults', { status: 500, tarjet: 'token' })).toEqual({
      status: 400, body: { error: 'unknown field tarjet: use target, status, retryAfter, delayMs, body, count' },
    });
    expect((await stats(sim)).faultsPending).toBe(0);
    expect((await admin(sim, 'POST', '/faults', 'not json')).status).toBe(400);
    expect((await admin(sim, 'PUT', '/processes/not-a-uuid', {})).status).toBe(400);
    expect((await admin(sim, 'PUT', `/processes/${ID}`, [1, 2])).status).toBe(400);
    expect((await admin(sim, 'GET', '/nothing-here')).status).toBe(404);
  });

  test('peak requests per second counts token and GetProcess requests; DELETE /stats resets', async () => {
    let now = 1_900_000_000_000;
    const sim = await simulator({ now: () => now });
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const token = await tokenFor(sim, now);
    const get = () => fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } });
    for (let call = 0; call < 3; call += 1) await get();
    now += 1000;
    await get();

    expect(await stats(sim)).toMatchObject({ tokenRequests: 1, getProcessRequests: 4, peakRequestsPerSecond: 4, peakRequestsInAnySecond: 4 });
    const log = (await admin(sim, 'GET', '/requests')).body?.requests as Array<Record<string, unknown>>;
    expect(log.map((entry) => [entry.kind, entry.status])).toEqual([['token', 200], ['getProcess', 200], ['getProcess', 200], ['getProcess', 200], ['getProcess', 200]]);
    expect(log[1]).toEqual({ at: 1_900_000_000_000, kind: 'getProcess', processId: ID, status: 200 });

    expect((await admin(sim, 'DELETE', '/stats')).status).toBe(204);
    expect(await stats(sim)).toMatchObject({ tokenRequests: 0, getProcessRequests: 0, peakRequestsPerSecond: 0, peakRequestsInAnySecond: 0, byStatus: {} });
  });

  test('the peak within any sliding 1,000 ms counts a burst across a second\'s boundary that the wall-clock peak splits', async () => {
    let now = 1_900_000_000_700;
    const sim = await simulator({ now: () => now });
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const token = await tokenFor(sim, now);
    const get = () => fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } });
    // The token at .700, GetProcess at .800 and .999, then at 1.000, 1.300 and 1.699.
    for (const at of [800, 999, 1000, 1300, 1699]) {
      now = 1_900_000_000_000 + at;
      await get();
    }
    // All six within (0.699, 1.699]; never more than three in a wall-clock second.
    expect(await stats(sim)).toMatchObject({ peakRequestsPerSecond: 3, peakRequestsInAnySecond: 6 });

    // 1.700 is 1,000 ms after the token: the window (0.700, 1.700] holds six again, not seven.
    now = 1_900_000_001_700;
    await get();
    expect(await stats(sim)).toMatchObject({ peakRequestsPerSecond: 4, peakRequestsInAnySecond: 6 });
  });

  test('with a rate limit, requests beyond it in one second are 429 with Retry-After: 1', async () => {
    let now = 1_900_000_000_000;
    const sim = await simulator({ rateLimitPerSecond: 3, now: () => now });
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const token = await tokenFor(sim, now);
    const get = () => fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } });

    const statuses = [(await get()).status, (await get()).status];
    const limited = await get();
    now += 1000;
    const nextSecond = await get();

    expect([...statuses, limited.status, nextSecond.status]).toEqual([200, 200, 429, 200]);
    expect(limited.headers.get('retry-after')).toBe('1');
  });
});

describe('token endpoint faults', () => {
  test('a refusal with Unico\'s body: the client reports refused credentials with the OAuth2 code, then the endpoint answers as usual', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, state: 'PROCESS_STATE_FINISHED' });
    expect((await admin(sim, 'POST', '/faults', { target: 'token', status: 400, body: { error: 'invalid_grant', error_description: 'key revoked' } })).status).toBe(204);
    expect(await stats(sim)).toMatchObject({ faultsPending: 1, tokenFaultsPending: 1 });

    const error = await caught(clientFor(sim).getProcess(ID));

    expect(error).toBeInstanceOf(UnicoCredentialsRefusedError);
    expect(error).toMatchObject({ code: 'credentials_refused', status: 400, unicoErrorCode: 'invalid_grant', retryAfterMs: 10_000 });
    expect(await stats(sim)).toMatchObject({ tokenRequests: 1, getProcessRequests: 0, tokenByStatus: { 400: 1 }, faultsPending: 0, tokenFaultsPending: 0 });
    expect((await clientFor(sim).getProcess(ID)).final).toBe(true);
    expect((await stats(sim)).tokenByStatus).toEqual({ 200: 1, 400: 1 });
  });

  test('the client holds token requests off after a refusal: no request to the endpoint until the back-off passes', async () => {
    let now = Date.now();
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, state: 'PROCESS_STATE_FINISHED' });
    await admin(sim, 'POST', '/faults', { target: 'token', status: 401, body: { error: 'invalid_client' }, count: 10 });
    const client = clientFor(sim, { now: () => now });

    for (let second = 0; second < 10; second += 1) {
      expect(await caught(client.getProcess(ID))).toMatchObject({ name: 'UnicoCredentialsRefusedError', status: 401 });
      now += 1000;
    }
    expect((await stats(sim)).tokenRequests).toBe(1);
    expect(await caught(client.getProcess(ID))).toMatchObject({ name: 'UnicoCredentialsRefusedError', retryAfterMs: 20_000 });
    expect((await stats(sim)).tokenRequests).toBe(2);
  });

  test('a 5xx without a body gets an OAuth2-style body; faults on the token endpoint leave GetProcess alone, and the other way round', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    const token = await tokenFor(sim);
    await admin(sim, 'POST', '/faults', { target: 'token', status: 503, retryAfter: 4 });
    await admin(sim, 'POST', '/faults', { status: 500 });

    const refused = await fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('4');
    expect(await refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'fault injected by the simulator' });
    const failed = await fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: { code: 500, message: 'fault injected by the simulator' } });
    expect((await fetch(`${sim.apiBaseUrl}/client/v1/process/${ID}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await stats(sim)).tokenByStatus).toEqual({ 200: 1, 503: 1 });
  });

  test('a delay on the token endpoint is a timeout for the client; DELETE /faults clears token faults too', async () => {
    const sim = await simulator();
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID });
    await admin(sim, 'POST', '/faults', { target: 'token', delayMs: 1500, count: 5 });

    expect(await caught(clientFor(sim, { requestTimeoutMs: 200 }).getProcess(ID))).toMatchObject({ name: 'UnicoTransientError', code: 'timeout' });
    expect((await admin(sim, 'DELETE', '/faults')).status).toBe(204);
    expect(await stats(sim)).toMatchObject({ faultsPending: 0, tokenFaultsPending: 0 });
    expect((await clientFor(sim).getProcess(ID)).contract).toBe('web-sdk');
  });
});

describe('large process documents', () => {
  test('PUT accepts a process of nearly 5 MiB and GetProcess returns it; above 5 MiB is 413, and other admin bodies stay at 1 MiB', async () => {
    const sim = await simulator();
    const photo = 'A'.repeat(5 * 1024 * 1024 - 200);
    const process = { id: ID, state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', photo };

    expect((await admin(sim, 'PUT', `/processes/${ID}`, process)).status).toBe(204);
    const fetched = await clientFor(sim, { requestTimeoutMs: 10_000 }).getProcess(ID);
    expect((fetched.process as { photo: string }).photo).toHaveLength(photo.length);

    expect(await admin(sim, 'PUT', `/processes/${OTHER_ID}`, { ...process, photo: `${photo}${'A'.repeat(300)}` })).toEqual({
      status: 413, body: { error: `the body must be at most ${5 * 1024 * 1024} bytes` },
    });
    expect((await admin(sim, 'GET', `/processes/${OTHER_ID}`)).status).toBe(404);
    expect(await admin(sim, 'POST', '/faults', { status: 500, padding: 'A'.repeat(1024 * 1024) })).toEqual({
      status: 413, body: { error: `the body must be at most ${1024 * 1024} bytes` },
    });
  });
});

describe('webhooks', () => {
  test('POST /webhook sends the stored process\'s notification now, with the receiver\'s auth', async () => {
    const sim = await simulator({ receiverUrl: `${receiverServer.baseUrl}/webhooks/unico`, receiverAuth: BASIC });
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, flow: 'idtoken', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' });

    const sent = await admin(sim, 'POST', `/processes/${ID}/webhook`);
    expect(sent).toEqual({ status: 202, body: { processId: ID, state: 'PROCESS_STATE_FINISHED', flow: 'idtoken', webhook: 'sending' } });
    await until(() => receiver.accepted.has(`${ID}:PROCESS_STATE_FINISHED`), 'the webhook');

    expect(webhooksFor(ID)).toEqual([{ processId: ID, state: 'PROCESS_STATE_FINISHED', flow: 'idtoken' }]);
    expect((await stats(sim)).webhooks).toMatchObject({ sent: 1 });
  });

  test('setting a process sends nothing; an unknown process has no webhook (404)', async () => {
    const sim = await simulator({ receiverUrl: `${receiverServer.baseUrl}/webhooks/unico`, receiverAuth: BASIC });
    await admin(sim, 'PUT', `/processes/${OTHER_ID}`, { id: OTHER_ID, state: 'PROCESS_STATE_FINISHED' });

    expect((await admin(sim, 'POST', `/processes/${ID}/webhook`)).status).toBe(404);
    expect((await stats(sim)).webhooks.sent).toBe(0);
  });

  test('lastEvent and its description, from the request body, go with the webhook', async () => {
    const processId = '5b1d0e7c-3a2f-4c6b-8d9e-0f1a2b3c4d5e';
    const sim = await simulator({ receiverUrl: `${receiverServer.baseUrl}/webhooks/unico`, receiverAuth: BASIC });
    await admin(sim, 'PUT', `/processes/${processId}`, { id: processId, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_EXPIRED' });

    await admin(sim, 'POST', `/processes/${processId}/webhook`, { lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: 'Session ended' });
    await until(() => webhooksFor(processId).length === 1, 'the webhook');

    expect(webhooksFor(processId)).toEqual([{
      processId, state: 'PROCESS_STATE_FINISHED', flow: 'id', lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: 'Session ended',
    }]);
  });

  test('finish with --drop-webhooks 0.5: half the webhooks never leave, evenly; the processes are finished all the same', async () => {
    const sim = await simulator({ receiverUrl: `${receiverServer.baseUrl}/webhooks/unico`, receiverAuth: BASIC, dropWebhooks: 0.5 });
    const ids = ['0a3c7e10-1111-4a1a-8a1a-000000000001', '0a3c7e10-1111-4a1a-8a1a-000000000002', '0a3c7e10-1111-4a1a-8a1a-000000000003', '0a3c7e10-1111-4a1a-8a1a-000000000004'];
    await admin(sim, 'PUT', `/processes/${ids[0]}`, { id: ids[0], flow: 'idunicosign', state: 'PROCESS_STATE_CREATED' });

    const answers = [];
    for (const id of ids) answers.push((await admin(sim, 'POST', `/processes/${id}/finish`)).body?.webhook);
    await until(() => ids.filter((id) => webhooksFor(id).length > 0).length === 2, 'two webhooks');

    expect(answers).toEqual(['sending', 'dropped', 'sending', 'dropped']);
    expect(ids.map((id) => webhooksFor(id).length)).toEqual([1, 0, 1, 0]);
    expect(webhooksFor(ids[0] ?? '')).toEqual([{ processId: ids[0], state: 'PROCESS_STATE_FINISHED', flow: 'idunicosign' }]);
    const finished = await clientFor(sim).getProcess(ids[1] ?? '');
    expect(finished.process).toMatchObject({ id: ids[1], state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' });
    const counts = (await stats(sim)).webhooks;
    expect(counts).toMatchObject({ sent: 2, dropped: 2 });
    // The explicit webhook is never dropped.
    expect((await admin(sim, 'POST', `/processes/${ids[1]}/webhook`)).body?.webhook).toBe('sending');
    await until(() => webhooksFor(ids[1] ?? '').length === 1, 'the explicit webhook');
  });

  test('an OAuth2 receiver: the webhook carries a Bearer token from the receiver\'s provider', async () => {
    const provider = tokenEndpoint('unico-client', 'client-secret');
    const providerServer = await startLoopback(provider.handler);
    const oauthReceiver = contractReceiver({ auth: 'oauth2', issuedTokens: provider.issued });
    const oauthServer = await startLoopback(oauthReceiver.handler);
    try {
      const sim = await simulator({
        receiverUrl: `${oauthServer.baseUrl}/webhooks/unico`,
        receiverAuth: 'oauth2',
        receiverOAuth2: { tokenUrl: `${providerServer.baseUrl}/token`, clientId: 'unico-client', clientSecret: 'client-secret' },
      });
      await admin(sim, 'POST', `/processes/${ID}/finish`);
      await until(() => oauthReceiver.accepted.has(`${ID}:PROCESS_STATE_FINISHED`), 'the webhook');
      expect(provider.requests()).toBe(1);
      expect(oauthServer.received[0]?.headers.authorization).toMatch(/^Bearer tok-1-/);
    } finally {
      await Promise.all([providerServer.close(), oauthServer.close()]);
    }
  });

  test('a receiver that never answers 2xx: the webhook is retried, then counted as failed', async () => {
    const port = await closedPort();
    const sim = await simulator({
      receiverUrl: `http://127.0.0.1:${port}/webhooks/unico`,
      webhookPolicy: { maxAttempts: 2, intervalMs: 10, timeoutMs: 500 },
    });

    await admin(sim, 'POST', `/processes/${ID}/finish`);
    let counts = (await stats(sim)).webhooks;
    for (let turn = 0; turn < 300 && counts.failed === 0; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      counts = (await stats(sim)).webhooks;
    }

    expect(counts).toEqual({ sent: 1, delivered: 0, failed: 1, dropped: 0 });
  });

  test('without a receiver: finish answers no_receiver, webhook 409', async () => {
    const sim = await simulator();
    expect((await admin(sim, 'POST', `/processes/${ID}/finish`)).body?.webhook).toBe('no_receiver');
    expect((await admin(sim, 'POST', `/processes/${ID}/webhook`)).status).toBe(409);
  });
});

describe('unico-sim serve', () => {
  test('runs until stopped, prints its endpoints as JSON, and serves them', async () => {
    let ready: (text: string) => void = () => undefined;
    const printed = new Promise<string>((resolve) => { ready = resolve; });
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const io: CliIo = { stdout: (text) => ready(text), stderr: () => undefined, stderrIsTty: false, env: {}, untilStopped: () => stopped };

    const exit = main(['serve', '--json', '--contract', 'api', '--port', '0'], io);
    const info = JSON.parse(await printed) as { apiBaseUrl: string; adminUrl: string; contract: string; privateKeyPem: string; apiKey: string; identityUrl: string; tokenUrl: string; serviceAccount: string };
    expect(info).toMatchObject({ contract: 'api', serviceAccount: 'unico-sim@local.iam.acesso.io' });
    const sim = { ...info, contract: 'api' as const, stop: async () => undefined };
    await admin(sim, 'PUT', `/processes/${ID}`, { id: ID, status: 2 });
    expect((await clientFor(sim).getProcess(ID)).resultCode).toBe('status:2');

    stop();
    expect(await exit).toBe(0);
    await expect(fetch(`${info.adminUrl}/stats`)).rejects.toThrow();
  });
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(() => ({ ok: true as const }), (error: unknown) => ({ ok: false as const, error }));
  if (outcome.ok) throw new Error('expected a rejection');
  return outcome.error;
}
