import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { basicAuthorization, parseAuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { localIntake, type LocalIntakeConfig } from '../../tools/local-stack/intake-thread.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-clients.ts';
import type { ThreadFunction } from '../../tools/local-stack/function-thread.ts';
import { ensureLocalResources } from '../../tools/local-stack/resources.ts';
import { webhookEvent } from '../support/unit/intake-events.ts';

/**
 * The intake as the local stack runs it (tools/local-stack/intake-thread.ts), called in-process:
 * concurrent invocations keep their own log context, and the terminal format prints one line per
 * delivery.
 */
let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let config: Omit<LocalIntakeConfig, 'logFormat' | 'auth'>;
const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  const dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  const sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  const resources = await ensureLocalResources(dynamodb, sqs);
  dynamodb.destroy();
  sqs.destroy();
  config = {
    responseDeadlineMs: 5000,
    dynamodbEndpoint: dynamodbEmulator.endpoint,
    sqsEndpoint: sqsEmulator.endpoint,
    claimsTableName: resources.claimsTableName,
    claimRetentionDays: 90,
    intakeQueueUrl: resources.intakeQueueUrl,
  };
});

afterAll(async () => {
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

/** A delivery of a new process, with a request id of its own. */
function delivery(headers: Record<string, string> = {}): { event: APIGatewayProxyEventV2; processId: string; requestId: string } {
  const processId = randomUUID();
  const requestId = randomUUID();
  const event = webhookEvent({ body: JSON.stringify({ processId, state: 'PROCESS_STATE_FINISHED', flow: 'id' }), headers });
  return { event: { ...event, requestContext: { ...event.requestContext, requestId } }, processId, requestId };
}

describe('the local intake', () => {
  let written: string[];
  let intake: ThreadFunction | undefined;

  beforeEach(() => {
    written = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await intake?.stop();
    intake = undefined;
  });

  test('concurrent invocations each log with their own request id, correlation id and processId, as in AWS', async () => {
    intake = await localIntake({ ...config, auth: parseAuthSpec('none'), logFormat: 'json' }, () => undefined);
    const deliveries = Array.from({ length: 20 }, () => delivery());

    const results = await Promise.all(deliveries.map(({ event }) => intake?.target.invoke(event)));

    expect(results.map((result) => result?.statusCode)).toEqual(deliveries.map(() => 202));
    const lines = written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'notification accepted');
    expect(lines).toHaveLength(deliveries.length);
    const processIdByRequest = new Map(deliveries.map(({ requestId, processId }) => [requestId, processId]));
    for (const line of lines) {
      // The correlation id is API Gateway's request id: the line must carry that request's processId.
      expect(line.processId).toBe(processIdByRequest.get(String(line.correlation_id)));
    }
    expect(new Set(lines.map((line) => line.correlation_id)).size).toBe(deliveries.length);
    expect(new Set(lines.map((line) => line.function_request_id)).size).toBe(deliveries.length);
  });

  test('in the text format, each delivery is one short line: status, outcome, processId, state, latency, and why when refused', async () => {
    const lines: string[] = [];
    intake = await localIntake({ ...config, auth: parseAuthSpec('basic:unico:secret'), logFormat: 'text' }, (line) => lines.push(line));
    const accepted = delivery({ authorization: basicAuthorization('unico', 'secret') });
    const refused = delivery({ authorization: basicAuthorization('unico', 'wrong') });

    await intake.target.invoke(accepted.event);
    await intake.target.invoke(refused.event);

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d 202 accepted ${accepted.processId} PROCESS_STATE_FINISHED \\d+ ms$`));
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d 401 refused - - \d+ ms \(.*UnauthorizedError.*\)$/);
    expect(lines.every((line) => line.length < 200)).toBe(true);
    expect(written.join('')).toBe('');
  });
});
