/**
 * The one place that talks HTTP. Everything else takes an `HttpSender`, so tests can pass a fake
 * and the delivery logic never sees a socket.
 *
 * node:http and node:https with keep-alive agents: connections are reused across deliveries, as
 * Unico's sender reuses them, and kept open between bursts. Not fetch: at 500 deliveries in
 * flight, fetch's web streams and request objects cost the sender about as much CPU as the whole
 * receiver it loads, on the same machine. The timeout covers the whole exchange (answer and
 * body) through an AbortSignal.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpRequest {
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export type HttpOutcome =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      /** The answer's body, cut to a few KiB: evidence, not data. */
      readonly body: string;
      readonly latencyMs: number;
    }
  | { readonly kind: 'timeout'; readonly latencyMs: number }
  | { readonly kind: 'network_error'; readonly reason: string; readonly latencyMs: number };

export type HttpSender = (request: HttpRequest) => Promise<HttpOutcome>;

/** Milliseconds from an arbitrary origin; only differences are used. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

const MAX_BODY_CHARS = 4096;

export function createHttpSender(clock: Clock = monotonicClock): HttpSender {
  // No socket limit (the caller's concurrency is the limit), and every idle socket kept: Node's
  // default of 256 idle sockets would close half of a 500-delivery burst's and reopen them.
  const agentOptions = { keepAlive: true, maxFreeSockets: Number.POSITIVE_INFINITY };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  return (request) =>
    new Promise<HttpOutcome>((resolve) => {
      const started = clock();
      const fail = (error: unknown) => {
        const latencyMs = clock() - started;
        resolve(isTimeout(error) ? { kind: 'timeout', latencyMs } : { kind: 'network_error', reason: describeNetworkError(error), latencyMs });
      };
      const url = URL.parse(request.url);
      const secure = url?.protocol === 'https:';
      try {
        // The URL as parsed above (text it could not parse is left to node:http to refuse).
        const outgoing = (secure ? httpsRequest : httpRequest)(
          url ?? request.url,
          {
            method: request.method,
            headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
            agent: secure ? agents.https : agents.http,
            signal: AbortSignal.timeout(request.timeoutMs),
          },
          (response) => {
            const chunks: Buffer[] = [];
            let kept = 0;
            response.on('data', (chunk: Buffer) => {
              // Read the whole body (the connection is reused), keep the start of it.
              if (kept < MAX_BODY_CHARS * 4) {
                chunks.push(chunk);
                kept += chunk.length;
              }
            });
            response.on('error', fail);
            response.on('end', () => {
              const body = Buffer.concat(chunks).toString('utf8');
              resolve({
                kind: 'answer',
                status: response.statusCode ?? 0,
                headers: flatHeaders(response.headers),
                body: body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body,
                latencyMs: clock() - started,
              });
            });
          },
        );
        outgoing.on('error', fail);
        outgoing.end(request.body);
      } catch (error) {
        // A URL node:http cannot take (another scheme, a bad port): said as a network error.
        fail(error);
      }
    });
}

/** Repeated headers joined with ", ", as fetch's Headers joins them. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

// Errors may come from another realm (a test VM): read fields, no instanceof.
function isTimeout(error: unknown): boolean {
  const name = fieldOf(error, 'name');
  return name === 'TimeoutError' || name === 'AbortError';
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

const CODE_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed by the server',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

/**
 * One short human reason for a failed request, such as "connection refused (ECONNREFUSED
 * 127.0.0.1:3000)". The socket error may be wrapped in `cause`, or in an AggregateError (one per
 * address tried), so the first coded error found wins.
 */
export function describeNetworkError(error: unknown): string {
  const coded = findCodedError(error, 0);
  if (coded !== undefined) {
    const text = CODE_TEXT[coded.code] ?? 'network error';
    const where = coded.address === undefined ? '' : ` ${coded.address}${coded.port === undefined ? '' : `:${coded.port}`}`;
    return `${text} (${coded.code}${where})`;
  }
  const cause = fieldOf(error, 'cause');
  const message = fieldOf(cause, 'message') ?? fieldOf(error, 'message') ?? error;
  return `network error (${String(message)})`;
}

interface CodedError {
  readonly code: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
}

function findCodedError(error: unknown, depth: number): CodedError | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) {
    return undefined;
  }
  const record = error as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string' && record.code.length > 0) {
    return {
      code: record.code,
      address: typeof record.address === 'string' ? record.address : undefined,
      port: typeof record.port === 'number' ? record.port : undefined,
    };
  }
  if (Array.isArray(record.errors)) {
    for (const inner of record.errors) {
      const found = findCodedError(inner, depth + 1);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return findCodedError(record.cause, depth + 1);
}
