/**
 * Unico in a box: the identity service's token endpoint, both GetProcess contracts and the admin
 * API of the local stack's contract 4, on one loopback HTTP server.
 *
 *   {base}/identity/oauth2/token             token endpoint (JWT bearer, see token-issuer.ts)
 *   {base}/client/v1/process/{id}            GetProcess, Web & SDK contract
 *   {base}/processes/v1/{id}                 GetProcess, API contract (APIKEY header)
 *   {base}/admin/...                         admin API (see SERVE_HELP in serve-command.ts)
 *
 * The simulator runs one tenant with one contract: the other contract's path answers 404. It
 * generates its own RSA key pair and API key, and hands the private key out to the client.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { parseAuthSpec, type AuthSpec } from '../../../lambdas/contracts/auth-notation.ts';
import type { UnicoContract } from '../../../lambdas/core/unico/process-fetcher.ts';
import type { OAuth2ClientConfig } from '../credentials.ts';
import type { UnicoNotification } from '../notifications.ts';
import type { RetryPolicy } from '../retry.ts';
import { FaultQueue, parseFaultSpec, type Fault, type FaultTarget } from './faults.ts';
import { isProcessId, ProcessStore } from './process-store.ts';
import { SimulatorStats, type ApiRequestKind, type LoggedRequest } from './stats.ts';
import { TokenIssuer } from './token-issuer.ts';
import { DEFAULT_WEBHOOK_CONCURRENCY, DEFAULT_WEBHOOK_POLICY, DropPlan, WebhookSender, type WebhookSenderDeps } from './webhooks.ts';
import { MAX_BODY_BYTES, readRequestBody } from '../../request-body.ts';

export interface UnicoSimulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The tenant's GetProcess contract. Default web-sdk. */
  readonly contract?: UnicoContract;
  /** Where webhooks go; without it the admin API cannot send any. */
  readonly receiverUrl?: string;
  /** The receiver's auth in Unico's notation (none | basic:USER:PASS | apikey:... | oauth2). Default none. */
  readonly receiverAuth?: string | AuthSpec;
  /** With receiverAuth oauth2: the receiver's provider and client (client-credentials grant). */
  readonly receiverOAuth2?: Omit<OAuth2ClientConfig, 'clientAuth' | 'timeoutMs'> & Partial<Pick<OAuth2ClientConfig, 'clientAuth' | 'timeoutMs'>>;
  /** Share (0..1) of `finish` webhooks dropped, spread evenly. Default 0. */
  readonly dropWebhooks?: number;
  /** Retries of each webhook. Default: 5 attempts, 1 s doubling to 60 s, 5 s timeout. */
  readonly webhookPolicy?: Partial<RetryPolicy>;
  /** Most webhooks in flight at once. Default 50. */
  readonly webhookConcurrency?: number;
  /** Access tokens' lifetime. Default 3600 (Unico's). */
  readonly tokenLifetimeSeconds?: number;
  /** The local service account. Default `unico-sim@local.iam.acesso.io`. */
  readonly serviceAccount?: string;
  /** When set, API requests beyond this many in a wall-clock second are answered 429 (Retry-After: 1), as Unico does. */
  readonly rateLimitPerSecond?: number;
  /** For tests: the clock (epoch ms) and the webhook sender's network and sleep. */
  readonly now?: () => number;
  readonly webhookDeps?: WebhookSenderDeps;
}

export interface RunningUnicoSimulator {
  /** GetProcess's base URL (give it to the client as apiBaseUrl). */
  readonly apiBaseUrl: string;
  /** The identity base URL: the assertion's `aud`. */
  readonly identityUrl: string;
  readonly tokenUrl: string;
  readonly adminUrl: string;
  readonly contract: UnicoContract;
  readonly serviceAccount: string;
  /** The service account's private key (PKCS#8 PEM), generated at start. */
  readonly privateKeyPem: string;
  /** The APIKEY header's value for the API contract, generated at start. */
  readonly apiKey: string;
  stop(): Promise<void>;
}

export const DEFAULT_SERVICE_ACCOUNT = 'unico-sim@local.iam.acesso.io';

export async function startUnicoSimulator(options: UnicoSimulatorOptions = {}): Promise<RunningUnicoSimulator> {
  const now = options.now ?? Date.now;
  const contract = options.contract ?? 'web-sdk';
  if (contract !== 'web-sdk' && contract !== 'api') throw new RangeError('contract must be web-sdk or api');
  const serviceAccount = options.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const apiKey = randomBytes(18).toString('base64url');
  const receiver = webhookReceiver(options);
  const webhooks = receiver === undefined
    ? undefined
    : new WebhookSender(
        receiver,
        { ...DEFAULT_WEBHOOK_POLICY, ...options.webhookPolicy },
        options.webhookConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
        options.webhookDeps,
      );
  const drops = new DropPlan(options.dropWebhooks ?? 0);

  const processes = new ProcessStore(contract);
  const faults: Readonly<Record<FaultTarget, FaultQueue>> = { getProcess: new FaultQueue(), token: new FaultQueue() };
  const stats = new SimulatorStats(now);
  /** Set once the port, hence the identity URL, is known; until then token requests get a 503. */
  let issuer: TokenIssuer | undefined;
  const stopping = new AbortController();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else if (error instanceof BodyTooLargeError) reply(response, 413, { error: `the body must be at most ${error.limitBytes} bytes` });
      else reply(response, 500, { error: 'simulator error' });
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const identityUrl = `${base}/identity`;
  issuer = new TokenIssuer({
    identityUrl,
    serviceAccount,
    publicKey,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    now,
  });

  const sendWebhook = (notification: UnicoNotification): void => {
    if (webhooks === undefined) return;
    stats.webhook('sent');
    void webhooks.deliver(notification).then(
      (result) => stats.webhook(result.delivered ? 'delivered' : 'failed'),
      () => stats.webhook('failed'),
    );
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (issuer === undefined) return reply(response, 503, { error: 'starting' });
    const tokens = issuer;
    const url = new URL(request.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = request.method ?? 'GET';

    if (path === '/identity/oauth2/token') {
      if (method !== 'POST') return reply(response, 405, { error: 'method not allowed' }, { allow: 'POST' });
      return apiCall(response, 'token', undefined, async (entry) => {
        const body = await readBody(request);
        const faulted = await applyFault(entry, faults.token.take(), () => ({ error: 'temporarily_unavailable', error_description: 'fault injected by the simulator' }));
        if (faulted !== undefined) return faulted;
        const answer = await tokens.exchange(new URLSearchParams(body ?? ''));
        return answered(entry, answer.status, answer.body, { 'cache-control': 'no-store' });
      });
    }

    const getProcess = /^\/(?:client\/v1\/process|processes\/v1)\/([^/]+)$/.exec(path);
    if (getProcess !== null) {
      if (method !== 'GET') return reply(response, 405, { error: 'method not allowed' }, { allow: 'GET' });
      const ownPath = contract === 'web-sdk' ? path.startsWith('/client/') : path.startsWith('/processes/');
      const processId = decodeURIComponent(getProcess[1] ?? '');
      return apiCall(response, 'getProcess', processId, async (entry) => {
        const faulted = await applyFault(entry, faults.getProcess.take(), (status) => ({ error: { code: status, message: 'fault injected by the simulator' } }));
        if (faulted !== undefined) return faulted;
        const bearer = tokens.check(request.headers.authorization);
        if (bearer !== 'ok') {
          return answered(entry, 401, { error: { code: 401, message: `token ${bearer}` } }, {
            'www-authenticate': 'Bearer error="invalid_token"',
          });
        }
        if (!ownPath) {
          return answered(entry, 404, { error: { code: 404, message: `this tenant uses the ${contract} contract` } });
        }
        if (contract === 'api' && request.headers.apikey !== apiKey) {
          return answered(entry, 403, { error: { code: 403, message: 'missing or wrong APIKEY' } });
        }
        const found = processes.get(processId);
        if (found.kind === 'unknown') return answered(entry, 404, { error: { code: 404, message: 'process not found' } });
        if (found.kind === 'removed') return answered(entry, 410, { error: { code: 410, message: 'process removed' } });
        return answered(entry, 200, contract === 'web-sdk' ? { process: found.process } : found.process);
      });
    }

    if (path === '/admin' || path.startsWith('/admin/')) return admin(request, response, method, path.slice('/admin'.length), tokens);
    return reply(response, 404, { error: 'not found' });
  }

  interface Answer {
    readonly status: number;
    readonly body: unknown;
    readonly headers: Readonly<Record<string, string>>;
  }

  function answered(entry: LoggedRequest, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Answer {
    stats.answered(entry, status);
    return { status, body, headers };
  }

  /**
   * Holds the answer for the fault's delay; then, when the fault has a status, the answer to give
   * instead of the real one (its body, or `standardBody`). Undefined: answer as usual.
   */
  async function applyFault(
    entry: LoggedRequest,
    fault: Fault | undefined,
    standardBody: (status: number) => unknown,
  ): Promise<Answer | undefined> {
    if (fault?.delayMs !== undefined) await delay(fault.delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    if (fault?.status === undefined) return undefined;
    const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    const body = 'body' in fault ? fault.body : standardBody(fault.status);
    return answered(entry, fault.status, body, headers);
  }

  /** Counts the request, applies the rate limit, then answers what `serve` decides. */
  async function apiCall(
    response: ServerResponse,
    kind: ApiRequestKind,
    processId: string | undefined,
    serve: (entry: LoggedRequest) => Promise<Answer>,
  ): Promise<void> {
    const { entry, inSameSecond } = stats.arrived(kind, processId);
    const limit = options.rateLimitPerSecond;
    const answer = limit !== undefined && inSameSecond > limit
      ? answered(entry, 429, { error: { code: 429, message: 'too many requests' } }, { 'retry-after': '1' })
      : await serve(entry);
    reply(response, answer.status, answer.body, answer.headers);
  }

  async function admin(request: IncomingMessage, response: ServerResponse, method: string, path: string, tokens: TokenIssuer): Promise<void> {
    if (path === '/stats') {
      if (method === 'GET') {
        return reply(response, 200, {
          ...stats.snapshot(),
          processes: processes.size,
          faultsPending: faults.getProcess.pending + faults.token.pending,
          tokenFaultsPending: faults.token.pending,
        });
      }
      if (method === 'DELETE') {
        stats.reset();
        return reply(response, 204);
      }
      return reply(response, 405, { error: 'method not allowed' }, { allow: 'GET, DELETE' });
    }
    if (path === '/requests' && method === 'GET') return reply(response, 200, { requests: stats.requests() });
    if (path === '/tokens' && method === 'DELETE') return reply(response, 200, { revoked: tokens.revokeAll() });
    if (path === '/faults') {
      if (method === 'DELETE') {
        faults.getProcess.clear();
        faults.token.clear();
        return reply(response, 204);
      }
      if (method !== 'POST') return reply(response, 405, { error: 'method not allowed' }, { allow: 'POST, DELETE' });
      const spec = parseFaultSpec(await readJson(request));
      if (typeof spec === 'string') return reply(response, 400, { error: spec });
      const { target, ...fault } = spec;
      faults[target].add(fault);
      return reply(response, 204);
    }

    const match = /^\/processes\/([^/]+)(?:\/(webhook|finish))?$/.exec(path);
    if (match === null) return reply(response, 404, { error: 'not found' });
    const processId = decodeURIComponent(match[1] ?? '').toLowerCase();
    if (!isProcessId(processId)) return reply(response, 400, { error: 'the process id must be a UUID' });
    const action = match[2];

    if (action === undefined) {
      switch (method) {
        case 'PUT': {
          const body = await readJson(request, MAX_PROCESS_BYTES);
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            return reply(response, 400, { error: `the body must be the process as GetProcess returns it (${contract === 'web-sdk' ? 'the object inside "process"' : 'the whole answer'})` });
          }
          processes.put(processId, body as Record<string, unknown>);
          return reply(response, 204);
        }
        case 'GET': {
          const found = processes.get(processId);
          if (found.kind === 'found') return reply(response, 200, found.process);
          return reply(response, found.kind === 'removed' ? 410 : 404, { error: found.kind === 'removed' ? 'removed' : 'not found' });
        }
        case 'DELETE':
          return processes.remove(processId) ? reply(response, 204) : reply(response, 404, { error: 'not found' });
        default:
          return reply(response, 405, { error: 'method not allowed' }, { allow: 'PUT, GET, DELETE' });
      }
    }

    if (method !== 'POST') return reply(response, 405, { error: 'method not allowed' }, { allow: 'POST' });
    const overrides = webhookOverrides(await readJson(request));
    if (typeof overrides === 'string') return reply(response, 400, { error: overrides });

    if (action === 'finish') {
      processes.finish(processId, new Date(now()));
      const notification = processes.webhookFor(processId, overrides);
      if (notification === undefined) return reply(response, 404, { error: 'not found' });
      if (webhooks === undefined) return reply(response, 202, { ...notification, webhook: 'no_receiver' });
      if (drops.next()) {
        stats.webhook('dropped');
        return reply(response, 202, { ...notification, webhook: 'dropped' });
      }
      sendWebhook(notification);
      return reply(response, 202, { ...notification, webhook: 'sending' });
    }

    const notification = processes.webhookFor(processId, overrides);
    if (notification === undefined) return reply(response, 404, { error: 'not found: PUT the process first' });
    if (webhooks === undefined) return reply(response, 409, { error: 'no receiver configured (--receiver-url)' });
    sendWebhook(notification);
    return reply(response, 202, { ...notification, webhook: 'sending' });
  }

  return {
    apiBaseUrl: base,
    identityUrl,
    tokenUrl: `${identityUrl}/oauth2/token`,
    adminUrl: `${base}/admin`,
    contract,
    serviceAccount,
    privateKeyPem,
    apiKey,
    stop: async () => {
      stopping.abort();
      server.closeIdleConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await webhooks?.stop();
      server.closeAllConnections();
      await closed;
    },
  };
}

function webhookReceiver(options: UnicoSimulatorOptions) {
  if (options.receiverUrl === undefined) return undefined;
  const auth = typeof options.receiverAuth === 'string' ? parseAuthSpec(options.receiverAuth) : options.receiverAuth ?? { mode: 'none' as const };
  const oauth2 = options.receiverOAuth2;
  if (auth.mode === 'oauth2' && oauth2 === undefined) {
    throw new RangeError('receiver auth oauth2 needs receiverOAuth2 (token URL, client id and secret)');
  }
  return {
    url: options.receiverUrl,
    auth,
    ...(oauth2 === undefined ? {} : { oauth2: { clientAuth: 'basic' as const, timeoutMs: 5_000, ...oauth2 } }),
  };
}

/** lastEvent, lastEventDescription and state given for this webhook, or what is wrong with them. */
function webhookOverrides(body: unknown): Partial<Pick<UnicoNotification, 'state' | 'lastEvent' | 'lastEventDescription'>> | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body, when given, must be a JSON object';
  const overrides: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!['state', 'lastEvent', 'lastEventDescription'].includes(name)) {
      return `unknown field ${name}: use state, lastEvent, lastEventDescription`;
    }
    if (typeof value !== 'string') return `${name} must be a string`;
    overrides[name] = value;
  }
  return overrides;
}

/**
 * What `PUT {admin}/processes/{id}` accepts: Unico's answers carry documents and photos, so a
 * rehearsed outcome may be several megabytes, more than any other request needs.
 */
export const MAX_PROCESS_BYTES = 5 * 1024 * 1024;

/** A request body over the limit: answered 413. */
class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`body over ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

async function readBody(request: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<string | undefined> {
  const body = await readRequestBody(request, limitBytes);
  if (body === undefined) throw new BodyTooLargeError(limitBytes);
  return body.length === 0 ? undefined : body.toString('utf8');
}

/** The body as JSON; undefined when empty; a marker object that fails every check when it is not JSON. */
async function readJson(request: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(request, limitBytes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return Symbol('not JSON');
  }
}

function reply(response: ServerResponse, status: number, body?: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}
