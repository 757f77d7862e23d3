import { describe, expect, test } from '@jest/globals';
import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { InvalidMessageContents, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { failureKind } from '../../../../lambdas/adapters/aws/failure-kind.ts';
import { DeadlineExceededError, DependencyUnavailableError } from '../../../../lambdas/core/errors.ts';

/** An error shaped as the AWS SDK deserialises a service's answer. */
const serviceError = (name: string, fault: 'client' | 'server', httpStatusCode: number, retryable?: object) =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode }, ...(retryable ? { $retryable: retryable } : {}) });

const metadata = { $metadata: { httpStatusCode: 400 } };

describe('failureKind', () => {
  test.each([
    ['throttling', serviceError('ThrottlingException', 'client', 400, { throttling: true })],
    ['DynamoDB throughput exceeded', serviceError('ProvisionedThroughputExceededException', 'client', 400)],
    ['SQS throttled', serviceError('RequestThrottled', 'client', 403)],
    ['KMS throttled', serviceError('KmsThrottled', 'client', 400)],
    ['a 500', serviceError('InternalServerError', 'server', 500)],
    ['a 503', serviceError('ServiceUnavailable', 'server', 503)],
    ['a 429 of any name', serviceError('SlowDown', 'client', 429)],
    ['expired session credentials', serviceError('ExpiredTokenException', 'client', 400)],
    ['a 502', serviceError('BadGateway', 'server', 502)],
    ['a server fault of no known status', serviceError('InternalFailure', 'server', 418)],
    ['a DynamoDB transaction conflict', serviceError('TransactionConflictException', 'client', 400)],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['an abort', new DOMException('aborted', 'AbortError')],
    ['the deadline', new DeadlineExceededError('claim store')],
    ['a thrown string', 'boom'],
  ])('%s is transient', (_name, error) => {
    expect(failureKind(error)).toBe('transient');
    expect(failureKind(new DependencyUnavailableError('intake queue', error))).toBe('transient');
  });

  test.each([
    ['a missing queue', new QueueDoesNotExist({ message: 'The specified queue does not exist.', ...metadata })],
    ['refused contents', new InvalidMessageContents({ message: 'Invalid characters found.', ...metadata })],
    ['a missing table', new ResourceNotFoundException({ message: 'Requested resource not found', ...metadata })],
    ['access denied', serviceError('AccessDeniedException', 'client', 400)],
    ['a validation error', serviceError('ValidationException', 'client', 400)],
    ['an unexpected condition failure', new ConditionalCheckFailedException({ message: 'failed', ...metadata })],
  ])('%s is permanent', (_name, error) => {
    expect(failureKind(error)).toBe('permanent');
    expect(failureKind(new DependencyUnavailableError('claim store', error))).toBe('permanent');
  });

  test('an error may say its kind itself', () => {
    expect(failureKind(Object.assign(new Error('secret has the wrong shape'), { failureKind: 'permanent' }))).toBe('permanent');
    expect(failureKind(Object.assign(serviceError('AccessDeniedException', 'client', 400), { failureKind: 'transient' }))).toBe(
      'transient',
    );
  });
});
