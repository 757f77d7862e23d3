import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext, requestUrl, type RouteMatch } from './api-gateway-event.ts';
import { resultWithin } from '../../lambdas/core/deadline.ts';
import { readRequestBody } from '../request-body.ts';

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * A function as API Gateway invokes it: the event in, the function's result out, or undefined
 * when it ran past its timeout (API Gateway then answers 503, as in AWS).
 */
export interface LocalFunction {
  invoke(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2 | undefined>;
}

/** One API Gateway route and the function behind it, as the CDK stack defines them. */
export interface LocalRoute {
  readonly method: string;
  /** Path with `{name}` parameters, as in the route key. */
  readonly path: string;
  readonly target: LocalFunction;
}

const TIMED_OUT = Symbol('timed out');

/**
 * The instances of one function, used as Lambda uses them: each serves one invocation at a time;
 * an invocation goes to an idle instance, or to a new one when all are busy; an instance whose
 * invocation ran past the timeout is not used again. So what an invocation keeps in its instance
 * (the logger's request id, correlation id and keys) is never seen by another invocation running
 * at the same time, on this machine as in AWS.
 */
export class FunctionInstances implements LocalFunction {
  readonly #functionName: string;
  readonly #timeoutMs: number;
  readonly #create: () => LambdaHttpHandler;
  readonly #idle: LambdaHttpHandler[] = [];
  #started = 0;

  /**
   * `create` starts one instance: what the function's entry file does once per container
   * (clients, logger, handler).
   */
  constructor(functionName: string, timeoutMs: number, create: () => LambdaHttpHandler) {
    this.#functionName = functionName;
    this.#timeoutMs = timeoutMs;
    this.#create = create;
  }

  /** Instances started so far. */
  get started(): number {
    return this.#started;
  }

  async invoke(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2 | undefined> {
    const instance = this.#idle.pop() ?? this.#start();
    let timedOut = false;
    const running = instance(event, lambdaContext(this.#functionName, this.#timeoutMs)).finally(() => {
      if (!timedOut) this.#idle.push(instance);
    });
    const result = await resultWithin(running, this.#timeoutMs, TIMED_OUT);
    if (result !== TIMED_OUT) return result;
    timedOut = true;
    return undefined;
  }

  #start(): LambdaHttpHandler {
    this.#started += 1;
    return this.#create();
  }
}

/** The port asked for is taken (another `npm start`, say). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly port: number;

  constructor(port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
    this.port = port;
  }
}

/**
 * Optional hooks for dev tools beside the API (the local inspector): `onAnswered` sees each
 * routed request and what its client got; `otherRequests` answers the paths no route matches.
 */
export interface LocalApiHooks {
  onAnswered?(event: APIGatewayProxyEventV2, answer: APIGatewayProxyStructuredResultV2): void;
  otherRequests?(request: IncomingMessage, response: ServerResponse): void;
}

export interface RunningLocalApi {
  readonly url: string;
  stop(): Promise<void>;
}

/** API Gateway refuses bodies over its limit before any function runs; locally 1 MiB is plenty. */

/**
 * A stand-in for the HTTP API: matches routes, builds the v2 event, invokes the real handler and
 * writes its structured result back. Listens on loopback only.
 */
export async function startLocalApi(routes: readonly LocalRoute[], port: number, hooks: LocalApiHooks = {}): Promise<RunningLocalApi> {
  const server = createServer((request, response) => {
    serve(routes, request, response, hooks).catch(() => {
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port);
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function serve(routes: readonly LocalRoute[], request: IncomingMessage, response: ServerResponse, hooks: LocalApiHooks) {
  const receivedAt = Date.now();
  const url = requestUrl(request);
  const match = findRoute(routes, request.method ?? 'GET', url.pathname);
  if (match === undefined) {
    if (hooks.otherRequests) return hooks.otherRequests(request, response);
    request.resume();
    writeJson(response, 404, { message: 'Not Found' });
    return;
  }
  const body = await readRequestBody(request);
  if (body === undefined) {
    writeJson(response, 413, { error: 'payload_too_large' });
    return;
  }
  const event = apiGatewayEvent(request, body, match.route, receivedAt, url);
  const result = (await match.localRoute.target.invoke(event)) ?? TIMED_OUT_ANSWER;
  hooks.onAnswered?.(event, result);
  response.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
  const payload = result.body ?? '';
  response.end(result.isBase64Encoded ? Buffer.from(payload, 'base64') : payload);
}

function findRoute(routes: readonly LocalRoute[], method: string, path: string) {
  for (const localRoute of routes) {
    if (localRoute.method !== method) continue;
    const pathParameters = matchPath(localRoute.path, path);
    if (pathParameters === undefined) continue;
    const route: RouteMatch = {
      routeKey: `${localRoute.method} ${localRoute.path}`,
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    };
    return { localRoute, route };
  }
  return undefined;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index] ?? '';
    const name = segment.match(/^\{(\w+)\}$/)?.[1];
    if (name !== undefined) {
      if (value === '') return undefined;
      parameters[name] = decodeURIComponent(value);
    } else if (segment !== value) {
      return undefined;
    }
  }
  return parameters;
}

/** What API Gateway answers when the function ran past its timeout. */
const TIMED_OUT_ANSWER: APIGatewayProxyStructuredResultV2 = {
  statusCode: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Service Unavailable' }),
};

function writeJson(response: ServerResponse, status: number, body: object) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
