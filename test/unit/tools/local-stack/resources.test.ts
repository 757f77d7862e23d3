import { describe, expect, test } from '@jest/globals';
import { queueUrlAt } from '../../../../tools/local-stack/resources.ts';

describe('queue URLs on the endpoint the stack reached the SQS service on', () => {
  test.each([
    ['http://127.0.0.1:4566', 'http://sqs.us-east-1.localhost:4566/000000000000/unico-intake.fifo', 'http://127.0.0.1:4566/000000000000/unico-intake.fifo'],
    ['http://127.0.0.1:4566/', 'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q.fifo', 'http://127.0.0.1:4566/000000000000/q.fifo'],
    ['http://localhost:9324', 'http://localhost:9324/000000000000/q.fifo', 'http://localhost:9324/000000000000/q.fifo'],
  ])('%s and %s give %s', (endpoint, queueUrl, expected) => {
    expect(queueUrlAt(endpoint, queueUrl)).toBe(expected);
  });
});
