/**
 * The observability port and its adapters: Powertools Metrics' EMF lines as CloudWatch reads them
 * (namespace, `service`, the second dimension), flushed within the invocation that recorded them;
 * GetProcess timed and counted; dependency failures counted by kind; the processor's confirmation
 * lag; the fallback's recoveries and expiries.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { QueueDoesNotExist, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { composeIntakeHandler } from '../../../../lambdas/intake/compose.ts';
import { StaticCredentialAuthenticator } from '../../../../lambdas/core/auth/static-credentials.ts';
import { basicAuthorization } from '../../../../lambdas/contracts/auth-notation.ts';
import { METRIC_NAMESPACE } from '../../../../lambdas/adapters/metrics/metric-names.ts';
import { measuredFetcher } from '../../../../lambdas/adapters/metrics/measured-fetcher.ts';
import { observedDependency } from '../../../../lambdas/adapters/metrics/observed-dependency.ts';
import { recordingObservability } from '../../../../lambdas/adapters/metrics/recording-observability.ts';
import { NotificationProcessor } from '../../../../lambdas/core/processing/process-notification.ts';
import { logCheck } from '../../../../lambdas/fallback/fallback-handler.ts';
import {
  UnicoCredentialsRefusedError,
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../../../../lambdas/core/unico/process-fetcher.ts';
import { lambdaContext, notificationBody, webhookEvent } from '../../../support/unit/intake-events.ts';

interface EmfLine {
  readonly _aws: { readonly CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

let written: string[];
beforeEach(() => {
  written = [];
  // Powertools writes EMF with its own Console on stdout.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
});

const emfLines = (): EmfLine[] =>
  written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);

/** The lines that carry `metric`, with their dimension names. */
const linesOf = (metric: string) =>
  emfLines()
    .filter((line) => line._aws.CloudWatchMetrics.some((set) => set.Metrics.some((m) => m.Name === metric)))
    .map((line) => ({ line, dimensions: line._aws.CloudWatchMetrics[0]!.Dimensions[0]! }));

describe('the intake with Powertools Metrics', () => {
  const intake = (queueFails = false) => {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
    const sqs = new SQSClient({ region: 'us-east-1' });
    mockClient(dynamodb).on(PutItemCommand).resolves({});
    const sqsStub = mockClient(sqs);
    if (queueFails) sqsStub.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'no queue', $metadata: {} }));
    else sqsStub.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    return composeIntakeHandler({
      dynamodb,
      sqs,
      claimsTableName: 'claims',
      claimRetentionDays: 90,
      intakeQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
      authenticator: new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: 'unico', password: 'pw-123456' }]),
      responseDeadlineMs: 5000,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'unico-webhook-intake' }),
    });
  };
  const authorized = { authorization: basicAuthorization('unico', 'pw-123456') };

  test('an accepted delivery is one Accepted count in the namespace, by service, flushed in its invocation', async () => {
    const response = (await intake()(webhookEvent({ body: JSON.stringify(notificationBody()), headers: authorized }), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(202);
    const [accepted, ...more] = linesOf('Accepted');
    expect(more).toHaveLength(0);
    expect(accepted!.line._aws.CloudWatchMetrics[0]!.Namespace).toBe('UnicoWebhookReceiver');
    expect(accepted!.dimensions).toEqual(['service']);
    expect(accepted!.line).toMatchObject({ service: 'unico-webhook-intake', Accepted: 1 });
  });

  test('a 401 is counted as Refused by service and by reason, within the same invocation', async () => {
    const response = (await intake()(webhookEvent({ body: JSON.stringify(notificationBody()) }), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(401);
    const refused = linesOf('Refused');
    expect(refused.map((r) => r.dimensions)).toEqual(expect.arrayContaining([['service'], ['service', 'reason']]));
    expect(refused.find((r) => r.dimensions.includes('reason'))!.line.reason).toBe('unauthorized');
    expect(linesOf('Accepted')).toHaveLength(0);
  });

  test('a queue that does not exist is a permanent dependency failure of the intake queue', async () => {
    const response = (await intake(true)(webhookEvent({ body: JSON.stringify(notificationBody()), headers: authorized }), lambdaContext())) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(503);
    expect(linesOf('PermanentDependencyFailures')).toHaveLength(1);
    expect(linesOf('TransientDependencyFailures')).toHaveLength(0);
    expect(linesOf('DependencyFailures')[0]!.line).toMatchObject({ dependency: 'intake queue', failure: 'permanent', DependencyFailures: 1 });
  });
});

describe('GetProcess measured', () => {
  const answer: FetchedProcess = { contract: 'web-sdk', fetchedAt: '2025-01-01T00:00:00.000Z', process: {}, final: true };
  const fetcherThat = (outcome: () => Promise<FetchedProcess>): ProcessFetcher => ({ getProcess: outcome });
  let now = 0;
  const clock = () => now;

  test('an answer is its latency; a failure its status (0 without an answer) and latency', async () => {
    const observed = recordingObservability();
    await measuredFetcher(fetcherThat(async () => ((now += 120), answer)), observed, clock).getProcess('p');
    await expect(
      measuredFetcher(fetcherThat(async () => { now += 30; throw new UnicoPermanentError(404, 'process_not_found', 'gone'); }), observed, clock).getProcess('p'),
    ).rejects.toThrow(UnicoPermanentError);
    await expect(
      measuredFetcher(fetcherThat(async () => { throw new UnicoTransientError('timeout', { code: 'timeout' }); }), observed, clock).getProcess('p'),
    ).rejects.toThrow(UnicoTransientError);

    expect(observed.of('outcomeFetched')).toEqual([[120]]);
    expect(observed.of('outcomeFetchFailed')).toEqual([[404, 30], [0, 0]]);
    expect(observed.of('unicoCredentialsRefused')).toEqual([]);
  });

  test('refused credentials are counted as such; a budget wait is no fetch at all', async () => {
    const observed = recordingObservability();
    await expect(
      measuredFetcher(fetcherThat(async () => { throw new UnicoCredentialsRefusedError('refused', { status: 401 }); }), observed, clock).getProcess('p'),
    ).rejects.toThrow();
    await expect(
      measuredFetcher(fetcherThat(async () => { throw new UnicoTransientError('wait', { code: 'budget_wait', retryAfterMs: 100 }); }), observed, clock).getProcess('p'),
    ).rejects.toThrow();

    expect(observed.of('unicoCredentialsRefused')).toHaveLength(1);
    expect(observed.of('outcomeFetchFailed')).toEqual([[401, 0]]);
  });
});

describe('a dependency observed', () => {
  test('its failures are counted by kind and passed on unchanged; its answers pass through', async () => {
    const observed = recordingObservability();
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' });
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' });
    let next: Error | undefined;
    const store = observedDependency(
      { read: async (key: string) => { if (next) throw next; return `value of ${key}`; }, name: 'store' },
      'claims table',
      observed,
    );

    await expect(store.read('a')).resolves.toBe('value of a');
    next = denied;
    await expect(store.read('a')).rejects.toBe(denied);
    next = throttled;
    await expect(store.read('a')).rejects.toBe(throttled);

    expect(store.name).toBe('store');
    expect(observed.of('dependencyFailed')).toEqual([['claims table', 'permanent'], ['claims table', 'transient']]);
  });
});

test('the processor tells how long after its claim a notification was confirmed (from the claim, not a later copy)', async () => {
  const observed = recordingObservability();
  const claimedAt = Date.parse('2025-06-15T11:00:00.000Z');
  const processor = new NotificationProcessor({
    claims: {
      read: async () => ({ processId: 'p', state: 'PROCESS_STATE_CREATED', status: 'claimed', detectedBy: 'webhook', receivedAt: '2025-06-15T11:00:00.000Z', claimToken: 't' }),
      confirm: async () => {},
    },
    publisher: { fits: () => true, publish: async () => {} },
    eventSource: 'test',
    retries: { periodMs: 3_600_000, conflictMaxReceives: 3 },
    clock: () => claimedAt + 2500,
    observability: observed,
  });

  await processor.process(
    // A copy re-sent two seconds after the claim: its message carries its own receipt.
    { processId: 'p', state: 'PROCESS_STATE_CREATED', flow: 'idlive', detectedBy: 'webhook', receivedAt: '2025-06-15T11:00:02.000Z' },
    { firstSentAt: claimedAt, receiveCount: 1 },
  );

  expect(observed.of('claimConfirmed')).toEqual([[2500]]);
});

test("the fallback's recoveries, expiries and failed dependencies are counted", () => {
  const observed = recordingObservability();
  const check = logCheck(new Logger({ logLevel: 'SILENT' }), observed);

  check({ processId: 'p1', outcome: 'recovered', checks: 2 });
  check({ processId: 'p2', outcome: 'expired', checks: 9 });
  check({ processId: 'p3', outcome: 'rescheduled', nextCheckAt: 0, checks: 1 });
  check({ processId: 'p4', outcome: 'failed', error: Object.assign(new Error('x'), { name: 'ResourceNotFoundException', $fault: 'client' }) });

  expect(observed.events.map((event) => event.name)).toEqual(['fallbackRecovered', 'trackingExpired', 'dependencyFailed']);
  expect(observed.of('dependencyFailed')).toEqual([['tracking or claims table', 'permanent']]);
});
