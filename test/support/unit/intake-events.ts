import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';

/** A notification as Unico sends it; override or add fields per test. */
export function notificationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    processId: PROCESS_ID,
    state: 'PROCESS_STATE_FINISHED',
    flow: 'idlive',
    lastEvent: 'EVENT_TYPE_FINISHED',
    lastEventDescription: 'The process finished',
    ...overrides,
  };
}

export function bodyBuffer(body: unknown): Buffer {
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

/** An HTTP API (payload 2.0) event for POST /webhooks/unico, as API Gateway hands it over. */
export function webhookEvent(
  options: {
    readonly body?: string;
    readonly headers?: Record<string, string>;
    readonly isBase64Encoded?: boolean;
    readonly timeEpoch?: number;
  } = {},
): APIGatewayProxyEventV2 {
  const timeEpoch = options.timeEpoch ?? Date.now();
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/unico',
    rawPath: '/webhooks/unico',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    isBase64Encoded: options.isBase64Encoded ?? false,
    ...(options.body === undefined ? {} : { body: options.body }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'api-id.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api-id',
      http: { method: 'POST', path: '/webhooks/unico', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'unico' },
      requestId: 'request-1',
      routeKey: 'POST /webhooks/unico',
      stage: '$default',
      time: new Date(timeEpoch).toISOString(),
      timeEpoch,
    },
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'intake',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:intake',
    memoryLimitInMB: '256',
    awsRequestId: 'aws-request-1',
    logGroupName: '/aws/lambda/intake',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
