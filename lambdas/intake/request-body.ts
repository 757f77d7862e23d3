import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The raw body bytes: API Gateway base64-encodes bodies of non-text content types. */
export function requestBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}
