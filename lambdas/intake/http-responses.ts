import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  DeadlineExceededError,
  DependencyUnavailableError,
  InvalidJsonError,
  InvalidPayloadError,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../core/errors.ts';

/**
 * Every answer the endpoint gives, in one place (contract 1). Bodies never echo credentials,
 * request content beyond the processId, or stack traces.
 */
export function jsonResponse(
  statusCode: number,
  body: object,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export const acceptedResponse = (processId: string) => jsonResponse(202, { status: 'accepted', processId });
export const duplicateResponse = (processId: string) => jsonResponse(200, { status: 'duplicate', processId });

export interface ErrorAnswer {
  readonly response: APIGatewayProxyStructuredResultV2;
  /** Whether the failure is ours (5xx: worth an error log) or the caller's (4xx). */
  readonly serverSide: boolean;
}

export function errorResponse(error: unknown): ErrorAnswer {
  if (error instanceof UnauthorizedError) {
    return clientError(jsonResponse(401, { error: 'unauthorized' }, { 'www-authenticate': error.challenge }));
  }
  if (error instanceof PayloadTooLargeError) return clientError(jsonResponse(413, { error: 'payload_too_large' }));
  if (error instanceof InvalidJsonError) return clientError(jsonResponse(400, { error: 'invalid_json' }));
  if (error instanceof InvalidPayloadError) {
    return clientError(jsonResponse(400, { error: 'invalid_payload', issues: error.issues }));
  }
  if (error instanceof DependencyUnavailableError || error instanceof DeadlineExceededError) {
    // Unico retries 5xx; Retry-After hints that a short pause is enough.
    return serverError(jsonResponse(503, { error: 'unavailable' }, { 'retry-after': '1' }));
  }
  return serverError(jsonResponse(500, { error: 'internal_error' }));
}

const clientError = (response: APIGatewayProxyStructuredResultV2): ErrorAnswer => ({ response, serverSide: false });
const serverError = (response: APIGatewayProxyStructuredResultV2): ErrorAnswer => ({ response, serverSide: true });
