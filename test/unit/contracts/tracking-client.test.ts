import { describe, expect, test } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { TrackingApiError, TrackingClient } from '../../../lambdas/contracts/tracking-client.ts';

const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const URL_BASE = 'https://abc123.execute-api.us-east-1.amazonaws.com/processes';
const SIGNED_AT = new Date('2025-06-15T12:00:00.000Z');
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A fetch that records what it was asked and answers as told. */
function recordingFetch(status: number, answer: unknown) {
  const sent: Sent[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body === undefined ? undefined : String(init.body),
    });
    return new Response(answer === undefined ? '' : JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { sent, fetchFn };
}

const hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** SigV4 as AWS documents it, computed here independently of the client's signer. */
function expectedSignature(request: { method: string; path: string; headers: Record<string, string>; body: string }, secret: string): string {
  const names = Object.keys(request.headers).map((name) => name.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  const canonical = [
    request.method,
    request.path,
    '',
    ...names.map((name) => `${name}:${lower[name]}`),
    '',
    names.join(';'),
    hex(request.body),
  ].join('\n');
  const scope = '20250615/us-east-1/execute-api/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', '20250615T120000Z', scope, hex(canonical)].join('\n');
  const key = ['20250615', 'us-east-1', 'execute-api', 'aws4_request'].reduce<Buffer | string>((current, part) => hmac(current, part), `AWS4${secret}`);
  return hmac(key, toSign).toString('hex');
}

describe('TrackingClient in AWS (SigV4 for execute-api)', () => {
  test('GET status: signed for execute-api in the API\'s region, at the clock\'s time, with a correct signature', async () => {
    // Prepare
    const view = { processId: PROCESS_ID, status: 'tracking', trackedAt: 'x', expiresAt: 'y', checks: 0 };
    const { sent, fetchFn } = recordingFetch(200, view);
    const client = new TrackingClient({ url: URL_BASE, signing: { region: 'us-east-1', credentials: CREDENTIALS }, fetch: fetchFn, clock: () => SIGNED_AT });

    // Act
    const status = await client.status(PROCESS_ID);

    // Assess
    expect(status).toEqual(view);
    const [request] = sent;
    expect(request?.url).toBe(`${URL_BASE}/${PROCESS_ID}`);
    expect(request?.method).toBe('GET');
    expect(request?.headers['x-amz-date']).toBe('20250615T120000Z');
    const authorization = request?.headers.authorization ?? '';
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250615\/us-east-1\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/,
    );
    const signedHeaders = authorization.match(/SignedHeaders=([^,]+)/)?.[1]?.split(';') ?? [];
    expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date']));
    // Every signed header but host (which fetch sets) is sent as signed.
    const headersSigned: Record<string, string> = { host: 'abc123.execute-api.us-east-1.amazonaws.com' };
    for (const name of signedHeaders.filter((name) => name !== 'host')) headersSigned[name] = request?.headers[name] ?? 'missing';
    const signature = authorization.match(/Signature=([0-9a-f]{64})/)?.[1];
    expect(signature).toBe(expectedSignature({ method: 'GET', path: `/processes/${PROCESS_ID}`, headers: headersSigned, body: '' }, CREDENTIALS.secretAccessKey));
  });

  test('PUT track: the JSON body is signed too, and a session token is sent and signed', async () => {
    // Prepare
    const { sent, fetchFn } = recordingFetch(201, { status: 'tracking', processId: PROCESS_ID });
    const credentials = async () => ({ ...CREDENTIALS, sessionToken: 'session-token-1' });
    const client = new TrackingClient({ url: `${URL_BASE}/`, signing: { region: 'us-east-1', credentials }, fetch: fetchFn, clock: () => SIGNED_AT });

    // Act
    const answer = await client.track(PROCESS_ID, { expiresAt: new Date('2025-06-20T00:00:00Z'), clientReference: 'order-42' });

    // Assess
    expect(answer).toEqual({ status: 'tracking', processId: PROCESS_ID, created: true });
    const [request] = sent;
    expect(request?.method).toBe('PUT');
    expect(request?.body).toBe('{"expiresAt":"2025-06-20T00:00:00.000Z","clientReference":"order-42"}');
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'x-amz-security-token': 'session-token-1' });
    const authorization = request?.headers.authorization ?? '';
    const signedHeaders = authorization.match(/SignedHeaders=([^,]+)/)?.[1]?.split(';') ?? [];
    expect(signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token']));
    const headersSigned: Record<string, string> = { host: 'abc123.execute-api.us-east-1.amazonaws.com' };
    for (const name of signedHeaders.filter((name) => name !== 'host')) headersSigned[name] = request?.headers[name] ?? 'missing';
    expect(authorization.match(/Signature=([0-9a-f]{64})/)?.[1]).toBe(
      expectedSignature({ method: 'PUT', path: `/processes/${PROCESS_ID}`, headers: headersSigned, body: request?.body ?? '' }, CREDENTIALS.secretAccessKey),
    );
  });

  test('another time or another key gives another signature', async () => {
    const signatureWith = async (clock: () => Date, secretAccessKey: string) => {
      const { sent, fetchFn } = recordingFetch(202, { status: 'journey_finished', processId: PROCESS_ID });
      await new TrackingClient({ url: URL_BASE, signing: { region: 'us-east-1', credentials: { ...CREDENTIALS, secretAccessKey } }, fetch: fetchFn, clock }).journeyFinished(PROCESS_ID);
      return sent[0]?.headers.authorization;
    };
    const base = await signatureWith(() => SIGNED_AT, 'secret-1');
    expect(await signatureWith(() => SIGNED_AT, 'secret-1')).toBe(base);
    expect(await signatureWith(() => new Date(SIGNED_AT.getTime() + 1000), 'secret-1')).not.toBe(base);
    expect(await signatureWith(() => SIGNED_AT, 'secret-2')).not.toBe(base);
  });
});

describe('TrackingClient locally (unsigned)', () => {
  test('no signature headers; the routes and answers as the API gives them', async () => {
    const { sent, fetchFn } = recordingFetch(200, { status: 'tracking', processId: PROCESS_ID });
    const client = new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: fetchFn });

    expect(await client.track(PROCESS_ID)).toEqual({ status: 'tracking', processId: PROCESS_ID, created: false });
    expect(sent[0]).toEqual({
      url: `http://127.0.0.1:3000/processes/${PROCESS_ID}`,
      method: 'PUT',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: '{}',
    });
  });

  test('journey-finished posts to its route', async () => {
    const { sent, fetchFn } = recordingFetch(202, { status: 'journey_finished', processId: PROCESS_ID });
    await expect(new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: fetchFn }).journeyFinished(PROCESS_ID)).resolves.toEqual({
      status: 'journey_finished',
      processId: PROCESS_ID,
    });
    expect(sent.map((request) => [request.method, request.url, request.body])).toEqual([
      ['POST', `http://127.0.0.1:3000/processes/${PROCESS_ID}/journey-finished`, undefined],
    ]);
  });

  test('status of a process never tracked: undefined', async () => {
    const { fetchFn } = recordingFetch(404, { error: 'not_found' });
    await expect(new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: fetchFn }).status(PROCESS_ID)).resolves.toBeUndefined();
  });

  test('errors carry the status, the error and the issues', async () => {
    const issues = [{ path: 'expiresAt', message: 'must be in the future' }];
    const { fetchFn } = recordingFetch(400, { error: 'invalid_payload', issues });
    const error = await new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: fetchFn })
      .track(PROCESS_ID, { expiresAt: '2020-01-01T00:00:00Z' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrackingApiError);
    expect(error).toMatchObject({ status: 400, error: 'invalid_payload', issues });

    const { fetchFn: gone } = recordingFetch(404, { error: 'not_found' });
    await expect(new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: gone }).journeyFinished(PROCESS_ID)).rejects.toMatchObject({ status: 404, error: 'not_found' });

    const { fetchFn: notJson } = recordingFetch(503, undefined);
    await expect(new TrackingClient({ url: 'http://127.0.0.1:3000/processes', fetch: notJson }).status(PROCESS_ID)).rejects.toMatchObject({ status: 503, error: 'unexpected_answer' });
  });
});
