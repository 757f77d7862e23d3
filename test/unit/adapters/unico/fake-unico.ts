/**
 * Unico behind a fake fetch, for the client's unit tests: no sockets. The token endpoint checks
 * the assertion as Unico's does (signature, iss, aud, scope, lifetime) and issues numbered tokens;
 * GetProcess answers come from a script, by default a finished process.
 */
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { UnicoApiClient } from '../../../../lambdas/adapters/unico/unico-api-client.ts';
import type { UnicoClientOptions } from '../../../../lambdas/adapters/unico/unico-client-options.ts';
import type { RequestBudget } from '../../../../lambdas/core/unico/request-budget.ts';

export const IDENTITY_URL = 'https://identity.example.test';
export const TOKEN_URL = `${IDENTITY_URL}/oauth2/token`;
export const API_BASE_URL = 'https://api.example.test';
export const SERVICE_ACCOUNT = 'svc@tenant.iam.acesso.io';
export const API_KEY = 'the-api-key';
export const PROCESS_ID = '8263a268-5388-492a-bca2-28e1ff4a69f0';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY_PEM = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
export const PKCS1_PRIVATE_KEY_PEM = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();

export interface SeenRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string;
}

export type Scripted = { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> } | 'hang' | Error;

export interface FakeUnico {
  readonly fetch: typeof globalThis.fetch;
  readonly tokenRequests: SeenRequest[];
  readonly getProcessRequests: SeenRequest[];
  /** What fetch was given for each request, in order. */
  readonly seenInit: RequestInit[];
  /** Verified assertion payloads, in order. */
  readonly assertions: Array<Record<string, unknown>>;
  /** Their protected headers. */
  readonly assertionHeaders: Array<Record<string, unknown>>;
  /** Answers for the next GetProcess calls; when empty, `defaultProcess` with 200. */
  readonly processScript: Scripted[];
  /** Answers for the next token requests; when empty, a verified assertion gets a new token. */
  readonly tokenScript: Scripted[];
  /** Tokens GetProcess accepts (every token issued, unless removed). */
  readonly validTokens: Set<string>;
  /** False: GetProcess refuses every token with 401, as for an account without access to the API. */
  acceptTokens: boolean;
  defaultProcess: Record<string, unknown>;
  /** expires_in of issued tokens. */
  tokenLifetime: number | string | undefined;
}

/** `now` is the clock the client is given: the assertion must be valid by it. */
export function fakeUnico(contract: 'web-sdk' | 'api', now: () => number): FakeUnico {
  let issued = 0;
  const unico: FakeUnico = {
    tokenRequests: [],
    getProcessRequests: [],
    seenInit: [],
    acceptTokens: true,
    assertions: [],
    assertionHeaders: [],
    processScript: [],
    tokenScript: [],
    validTokens: new Set(),
    defaultProcess: contract === 'web-sdk'
      ? { id: PROCESS_ID, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', person: { duiValue: '12345678909', friendlyName: 'Maria' } }
      : { id: PROCESS_ID, status: 3, unicoId: { result: 'yes' } },
    tokenLifetime: 3600,
    fetch: async (input, init) => {
      const url = String(input);
      const seen: SeenRequest = {
        url,
        method: init?.method ?? 'GET',
        headers: new Headers(init?.headers),
        body: typeof init?.body === 'string' ? init.body : '',
      };
      const signal = init?.signal ?? undefined;
      unico.seenInit.push(init ?? {});
      if (url === TOKEN_URL) {
        unico.tokenRequests.push(seen);
        const scripted = unico.tokenScript.shift();
        if (scripted !== undefined) return play(scripted, signal);
        const form = new URLSearchParams(seen.body);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(400, { error: 'unsupported_grant_type' });
        try {
          const { payload } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
            algorithms: ['RS256'], issuer: SERVICE_ACCOUNT, audience: IDENTITY_URL, requiredClaims: ['iat', 'exp'],
            currentDate: new Date(now()),
          });
          unico.assertions.push(payload as Record<string, unknown>);
          unico.assertionHeaders.push(decodeProtectedHeader(form.get('assertion') ?? '') as Record<string, unknown>);
        } catch {
          return json(400, { error: 'invalid_grant' });
        }
        issued += 1;
        const token = `token-${issued}`;
        unico.validTokens.add(token);
        return json(200, { access_token: token, token_type: 'Bearer', ...(unico.tokenLifetime === undefined ? {} : { expires_in: unico.tokenLifetime }) });
      }
      const path = contract === 'web-sdk' ? '/client/v1/process/' : '/processes/v1/';
      if (url.startsWith(`${API_BASE_URL}${path}`)) {
        unico.getProcessRequests.push(seen);
        const scripted = unico.processScript.shift();
        if (scripted !== undefined) return play(scripted, signal);
        const token = /^Bearer (.+)$/.exec(seen.headers.get('authorization') ?? '')?.[1];
        if (token === undefined || !unico.validTokens.has(token) || !unico.acceptTokens) return json(401, { error: 'unauthorized' });
        return json(200, contract === 'web-sdk' ? { process: unico.defaultProcess } : unico.defaultProcess);
      }
      return json(404, { error: 'no such route in the fake' });
    },
  };
  return unico;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function play(scripted: Scripted, signal: AbortSignal | undefined): Promise<Response> {
  if (scripted === 'hang') {
    return new Promise((_, reject) => {
      if (signal === undefined) return;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  if (scripted instanceof Error) return Promise.reject(scripted);
  return Promise.resolve(json(scripted.status, scripted.body ?? '', scripted.headers));
}

/** A budget that grants at once and records what it was asked. */
export function recordingBudget(): RequestBudget & { acquired: number; pauses: number[]; deadlines: Array<number | undefined> } {
  const budget = {
    acquired: 0,
    pauses: [] as number[],
    /** The notAfterMs of each acquire, in order. */
    deadlines: [] as Array<number | undefined>,
    acquire: async (signal?: AbortSignal, notAfterMs?: number) => {
      signal?.throwIfAborted();
      budget.acquired += 1;
      budget.deadlines.push(notAfterMs);
    },
    pauseUntil: async (epochMs: number) => {
      budget.pauses.push(epochMs);
    },
  };
  return budget;
}

/** The error a promise is refused with; fails the test when it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

export const START = Date.parse('2027-03-01T12:00:00.000Z');

/** A client against a fake Unico, on a clock the test moves (`clock.set`), with a recording budget. */
export function setupClient(contract: 'web-sdk' | 'api' = 'web-sdk', overrides: Partial<UnicoClientOptions> = {}) {
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
