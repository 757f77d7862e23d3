/**
 * The one place that talks HTTP. Everything else takes an `HttpSender`, so tests can pass a fake
 * and the delivery logic never sees a socket.
 *
 * Node's fetch (undici) keeps connections alive and reuses them across deliveries, as Unico's
 * sender does; the timeout covers the whole exchange (answer and body) through an AbortSignal.
 */

export interface HttpRequest {
  readonly url: string;
  readonly method: 'POST';
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

export function createFetchSender(clock: Clock = monotonicClock): HttpSender {
  return async (request) => {
    const started = clock();
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(request.timeoutMs),
      });
      const body = await response.text();
      return {
        kind: 'answer',
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body,
        latencyMs: clock() - started,
      };
    } catch (error) {
      const latencyMs = clock() - started;
      if (isTimeout(error)) {
        return { kind: 'timeout', latencyMs };
      }
      return { kind: 'network_error', reason: describeNetworkError(error), latencyMs };
    }
  };
}

// Errors from Node's own fetch may come from another realm (a test VM): read fields, no instanceof.
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
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

/**
 * One short human reason for a failed fetch, such as "connection refused (ECONNREFUSED
 * 127.0.0.1:3000)". fetch wraps the socket error in `cause`, sometimes inside an AggregateError
 * (one per address tried), so the first coded error found wins.
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
