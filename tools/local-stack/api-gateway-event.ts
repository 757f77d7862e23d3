import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/**
 * Builds the event API Gateway (HTTP API, payload format 2.0) hands to a Lambda, so the local
 * stack runs the handlers on what AWS sends. A test validates these events against Powertools'
 * APIGatewayProxyEventV2Schema.
 */
export interface RouteMatch {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

export function apiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  route: RouteMatch,
  receivedAt: number,
  // The local API has parsed it already to match the route.
  url: URL = requestUrl(request),
): APIGatewayProxyEventV2 {
  const headers = joinedHeaders(request);
  const cookies = headers.cookie?.split(';').map((cookie) => cookie.trim()).filter(Boolean);
  const textual = isTextual(headers['content-type']);
  const host = headers.host ?? 'localhost';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: sourceIp(request),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(new Date(receivedAt)),
      timeEpoch: receivedAt,
    },
    isBase64Encoded: body.length > 0 && !textual,
  };
  if (body.length > 0) event.body = textual ? body.toString('utf8') : body.toString('base64');
  if (cookies && cookies.length > 0) event.cookies = cookies;
  if (url.searchParams.size > 0) event.queryStringParameters = joinedQuery(url.searchParams);
  if (route.pathParameters) event.pathParameters = route.pathParameters;
  return event;
}

/**
 * A Lambda context for one local invocation, its remaining time counting down to `startedAt` +
 * the function's timeout (a caller that enforces the timeout passes its own start, so both agree).
 */
export function lambdaContext(functionName: string, timeoutMs: number, startedAt = Date.now()): Context {
  const endsAt = startedAt + timeoutMs;
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** The request's URL, its path and query as sent, against a placeholder origin. */
export function requestUrl(request: Pick<IncomingMessage, 'url'>): URL {
  return new URL(request.url ?? '/', 'http://localhost');
}

/**
 * API Gateway lower-cases header names and joins repeated headers with commas, every header
 * alike: two `Authorization` lines arrive as one "right,wrong" value. Node's `request.headers`
 * keeps only the first of some repeated headers (Authorization among them) and joins others with
 * ", ", so the headers are read from `rawHeaders`, which has every line as sent (name, value, ...),
 * without the arrays `headersDistinct` would build for each request.
 */
export function joinedHeaders(request: Pick<IncomingMessage, 'rawHeaders'>): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase();
    const value = raw[index + 1]!;
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : `${earlier},${value}`;
  }
  return headers;
}

/** Repeated query parameters are joined with commas too (`a=1&a=2` arrives as `{ a: '1,2' }`). */
function joinedQuery(parameters: URLSearchParams): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const name of new Set(parameters.keys())) joined[name] = parameters.getAll(name).join(',');
  return joined;
}

/** Content types API Gateway passes as text; everything else arrives base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded'
  );
}

function sourceIp(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The last second formatted, and its text: hundreds of requests a second share one. */
let formattedSecond = { second: Number.NaN, text: '' };

/** API Gateway's own time format: 12/Mar/2020:19:03:58 +0000. */
function apiGatewayTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second === formattedSecond.second) return formattedSecond.text;
  const two = (value: number) => String(value).padStart(2, '0');
  const text =
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
  formattedSecond = { second, text };
  return text;
}
