import { describe, expect, test } from '@jest/globals';
import {
  DeadlineExceededError,
  DependencyUnavailableError,
  InvalidJsonError,
  InvalidPayloadError,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../../../lambdas/core/errors.ts';
import { acceptedResponse, duplicateResponse, errorResponse, jsonResponse } from '../../../lambdas/intake/http-responses.ts';

/**
 * The answers of contract 1, one per error class, built directly: the intake handler's tests
 * drive them through the handler, these pin each status, body, header and side (ours or the caller's).
 */
const NO_STORE = { 'content-type': 'application/json', 'cache-control': 'no-store' };

describe('the answers of the webhook endpoint', () => {
  test('202 accepted and 200 duplicate name the processId, as JSON never cached', () => {
    expect(acceptedResponse('p-1')).toEqual({ statusCode: 202, headers: NO_STORE, body: '{"status":"accepted","processId":"p-1"}' });
    expect(duplicateResponse('p-1')).toEqual({ statusCode: 200, headers: NO_STORE, body: '{"status":"duplicate","processId":"p-1"}' });
  });

  test('extra headers join the two every answer has', () => {
    expect(jsonResponse(418, {}, { 'x-extra': 'yes' })).toEqual({ statusCode: 418, headers: { ...NO_STORE, 'x-extra': 'yes' }, body: '{}' });
  });

  test.each([
    [
      'UnauthorizedError',
      new UnauthorizedError('Basic realm="unico-webhooks"', 'mismatch'),
      401,
      { error: 'unauthorized' },
      { 'www-authenticate': 'Basic realm="unico-webhooks"' },
      false,
    ],
    ['PayloadTooLargeError', new PayloadTooLargeError(16_384), 413, { error: 'payload_too_large' }, {}, false],
    ['InvalidJsonError', new InvalidJsonError(), 400, { error: 'invalid_json' }, {}, false],
    [
      'InvalidPayloadError',
      new InvalidPayloadError([{ path: 'processId', message: 'not a UUID' }]),
      400,
      { error: 'invalid_payload', issues: [{ path: 'processId', message: 'not a UUID' }] },
      {},
      false,
    ],
    ['DependencyUnavailableError', new DependencyUnavailableError('claim store', new Error('x')), 503, { error: 'unavailable' }, { 'retry-after': '1' }, true],
    ['DeadlineExceededError', new DeadlineExceededError('claim'), 503, { error: 'unavailable' }, { 'retry-after': '1' }, true],
    ['any other error', new TypeError('secret detail'), 500, { error: 'internal_error' }, {}, true],
    ['something thrown that is not an Error', 'secret detail', 500, { error: 'internal_error' }, {}, true],
  ] as Array<[string, unknown, number, object, Record<string, string>, boolean]>)(
    '%s: its status, body, headers and side',
    (_, error, statusCode, body, headers, serverSide) => {
      // Act
      const answer = errorResponse(error);

      // Assess
      expect(answer).toEqual({ response: { statusCode, headers: { ...NO_STORE, ...headers }, body: JSON.stringify(body) }, serverSide });
    },
  );
});
