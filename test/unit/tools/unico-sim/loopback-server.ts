/**
 * Loopback HTTP servers for unico-sim's end-to-end tests: a webhook receiver that follows
 * contract 1 (auth, 400 for bad JSON, 202 new / 200 duplicate) and an OAuth2 token endpoint.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicAuthorization, credentialHeaders, parseAuthSpec } from '../../../../lambdas/contracts/auth-notation.ts';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (request: Received) => Reply | Promise<Reply>;

export interface Loopback {
  readonly baseUrl: string;
  readonly received: Received[];
  /** Most requests being handled at once. */
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

export async function startLoopback(handler: Handler): Promise<Loopback> {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const leave = (): void => {
      if (counted) {
        counted = false;
        inFlight -= 1;
      }
    };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      Promise.resolve(handler(request)).then((reply) => {
        leave();
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '');
      }, (error: unknown) => {
        leave();
        res.writeHead(500).end(String(error));
      });
    });
    res.on('close', leave);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A free port with nothing listening: for "endpoint unreachable". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ReceiverOptions {
  /** Unico's notation; for oauth2 the tokens come from `issuedTokens`. */
  readonly auth: string;
  readonly issuedTokens?: ReadonlySet<string>;
}

/** A webhook receiver that behaves as contract 1 says, with an in-memory claim set. */
export function contractReceiver(options: ReceiverOptions): { handler: Handler; accepted: Set<string> } {
  const spec = parseAuthSpec(options.auth);
  const expected = Object.entries(credentialHeaders(spec)).map(([name, value]) => [name.toLowerCase(), value] as const);
  const accepted = new Set<string>();
  const authorised = (request: Received): boolean => {
    if (spec.mode === 'oauth2') {
      const header = request.headers.authorization;
      return header?.startsWith('Bearer ') === true && options.issuedTokens?.has(header.slice(7)) === true;
    }
    return expected.every(([name, value]) => request.headers[name] === value);
  };
  const handler: Handler = (request) => {
    if (!authorised(request)) {
      return { status: 401, body: '{"error":"unauthorized"}', headers: { 'www-authenticate': 'Basic' } };
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return { status: 400, body: '{"error":"invalid_json"}' };
    }
    const { processId, state } = (body ?? {}) as { processId?: unknown; state?: unknown };
    if (typeof processId !== 'string' || !UUID.test(processId) || typeof state !== 'string'
      || !/^PROCESS_STATE_[A-Z0-9_]+$/.test(state)) {
      return { status: 400, body: '{"error":"invalid_payload"}' };
    }
    const key = `${processId.toLowerCase()}:${state}`;
    if (accepted.has(key)) {
      return { status: 200, body: JSON.stringify({ status: 'duplicate', processId }) };
    }
    accepted.add(key);
    return { status: 202, body: JSON.stringify({ status: 'accepted', processId }) };
  };
  return { handler, accepted };
}

/** An OAuth2 token endpoint (client credentials, client_secret_basic or _post). */
export function tokenEndpoint(clientId: string, clientSecret: string): { handler: Handler; issued: Set<string>; requests: () => number } {
  const issued = new Set<string>();
  let requests = 0;
  const handler: Handler = (request) => {
    requests += 1;
    const form = new URLSearchParams(request.body);
    const viaBasic = request.headers.authorization === basicAuthorization(clientId, clientSecret);
    const viaPost = form.get('client_id') === clientId && form.get('client_secret') === clientSecret;
    if (form.get('grant_type') !== 'client_credentials' || !(viaBasic || viaPost)) {
      return { status: 401, body: '{"error":"invalid_client"}' };
    }
    const token = `tok-${requests}-${Math.random().toString(36).slice(2)}`;
    issued.add(token);
    return { status: 200, body: JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }) };
  };
  return { handler, issued, requests: () => requests };
}
