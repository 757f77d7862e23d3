import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/** What API Gateway hands a function: an HTTP API (payload 2.0) or a REST API proxy (1.0) event. */
export type ApiGatewayEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

/**
 * The event in the HTTP API's shape, whichever front sent it: the handlers read only this one.
 * A REST API event's headers are lower-cased, and a header sent several times is joined with
 * commas, as the HTTP API does; its route key is `METHOD resource`; its receive time becomes
 * `timeEpoch`. The body and its base64 flag pass unchanged.
 */
export function httpApiEvent(event: ApiGatewayEvent): APIGatewayProxyEventV2 {
  if (!isRestApiEvent(event)) return event;
  const context = event.requestContext;
  const routeKey = `${event.httpMethod} ${event.resource}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: event.path,
    rawQueryString: '',
    headers: joinedHeaders(event),
    isBase64Encoded: event.isBase64Encoded,
    ...(event.body === null ? {} : { body: event.body }),
    ...(event.pathParameters ? { pathParameters: definedValues(event.pathParameters) } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName: context.domainName ?? '',
      domainPrefix: context.domainPrefix ?? '',
      http: {
        method: event.httpMethod,
        path: event.path,
        protocol: context.protocol,
        sourceIp: context.identity.sourceIp,
        userAgent: context.identity.userAgent ?? '',
      },
      requestId: context.requestId,
      routeKey,
      stage: context.stage,
      time: context.requestTime ?? new Date(context.requestTimeEpoch).toISOString(),
      timeEpoch: context.requestTimeEpoch,
    },
  };
}

const isRestApiEvent = (event: ApiGatewayEvent): event is APIGatewayProxyEvent =>
  typeof (event as Partial<APIGatewayProxyEvent>).httpMethod === 'string';

/**
 * Every header once, its name in lower case; several values (or spellings) joined with ",", as
 * the HTTP API joins them.
 */
function joinedHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const values = new Map<string, string[]>();
  const add = (name: string, value: string | undefined): void => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    values.set(key, [...(values.get(key) ?? []), value]);
  };
  // multiValueHeaders holds every value; headers holds only the last one of each.
  if (event.multiValueHeaders) {
    for (const [name, list] of Object.entries(event.multiValueHeaders)) for (const value of list ?? []) add(name, value);
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) add(name, value);
  }
  return Object.fromEntries([...values].map(([name, list]) => [name, list.join(',')]));
}

function definedValues(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
