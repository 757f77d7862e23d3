/**
 * No personal data in any log or metric line. A GetProcess answer full of personal data (names,
 * CPF, birth date, e-mail, phone, document images in base64, face match scores) goes through every
 * path that could write it: the processor publishing it, finding it too large, not final, a 409,
 * Unico errors that carry that body; the fallback recovering it; the intake refusing a body that
 * holds it. Real Powertools Logger (DEBUG) and Metrics write to stdout and stderr as in Lambda;
 * every line is captured and searched for each personal value.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { composeProcessorHandler } from '../../lambdas/processor/compose.ts';
import { composeFallbackHandler } from '../../lambdas/fallback/compose.ts';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { OpenAuthenticator } from '../../lambdas/core/auth/authenticator.ts';
import { StaticCredentialAuthenticator } from '../../lambdas/core/auth/static-credentials.ts';
import { METRIC_NAMESPACE } from '../../lambdas/adapters/metrics/metric-names.ts';
import { processorTimeBudget, fallbackTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../lambdas/contracts/fallback-schedule.ts';
import {
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../../lambdas/core/unico/process-fetcher.ts';
import type { TrackedProcess, TrackingStore } from '../../lambdas/core/tracking/ports.ts';
import { lambdaContext, webhookEvent } from '../support/unit/intake-events.ts';

const PROCESS_ID = '7d1e5a3c-2b4f-4c6d-8e9f-0a1b2c3d4e5f';
/** Each value must never be written; long enough not to occur by chance. */
const PERSONAL = {
  name: 'Mariana Albuquerque Figueiredo',
  socialName: 'Mari Figueiredo Albuquerque',
  cpf: '529.982.247-25',
  cpfDigits: '52998224725',
  birthDate: '1987-03-14',
  email: 'mariana.figueiredo@exemplo.com.br',
  phone: '+55 11 98765-4321',
  image: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk',
  faceMatch: '0.98731',
  motherName: 'Helena Albuquerque Souza',
} as const;

const unicoProcess = {
  id: PROCESS_ID,
  state: 'PROCESS_STATE_FINISHED',
  result: 'PROCESS_RESULT_OK',
  person: {
    name: PERSONAL.name,
    socialName: PERSONAL.socialName,
    duiType: 'DUI_TYPE_BR_CPF',
    duiValue: PERSONAL.cpf,
    cpf: PERSONAL.cpfDigits,
    birthDate: PERSONAL.birthDate,
    email: PERSONAL.email,
    phone: PERSONAL.phone,
    motherName: PERSONAL.motherName,
  },
  evidences: [{ type: 'selfie', image: `data:image/png;base64,${PERSONAL.image}`, faceMatch: { score: Number(PERSONAL.faceMatch) } }],
  documents: [{ type: 'RG', front: PERSONAL.image, back: PERSONAL.image }],
};
const BODY = JSON.stringify(unicoProcess);

const fetched = (final = true): FetchedProcess => ({
  contract: 'web-sdk',
  fetchedAt: new Date().toISOString(),
  process: unicoProcess,
  final,
  resultCode: 'PROCESS_RESULT_OK',
});

let lines: string[] = [];
beforeAll(() => {
  const capture = (chunk: string | Uint8Array): boolean => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterAll(() => {
  jest.restoreAllMocks();
});

/** Every captured line holding a personal value, with the value's name. */
function leaks(): string[] {
  const written = lines.join('');
  return Object.entries(PERSONAL)
    .filter(([, value]) => written.includes(value) || written.includes(JSON.stringify(value).slice(1, -1)))
    .map(([name]) => name);
}

const logger = (service: string) => new Logger({ serviceName: service, logLevel: 'DEBUG' });
const metrics = (service: string) => new Metrics({ namespace: METRIC_NAMESPACE, serviceName: service });

function processorWith(fetcher: ProcessFetcher, options: { readonly claim?: 'absent' | 'claimed'; readonly bigLimit?: boolean } = {}) {
  const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
  const sqs = new SQSClient({ region: 'us-east-1' });
  const ddb = mockClient(dynamodb);
  ddb.on(GetItemCommand).resolves({
    Item: {
      processId: { S: PROCESS_ID },
      state: { S: 'PROCESS_STATE_FINISHED' },
      status: { S: 'claimed' },
      detectedBy: { S: 'webhook' },
      receivedAt: { S: new Date(Date.now() - 1000).toISOString() },
      claimToken: { S: 't' },
    },
  });
  ddb.on(UpdateItemCommand).resolves({});
  const sqsStub = mockClient(sqs);
  sqsStub.on(SendMessageCommand).resolves({ MessageId: 'm' });
  sqsStub.on(ChangeMessageVisibilityCommand).resolves({});
  return composeProcessorHandler({
    dynamodb,
    sqs,
    claimsTableName: 'claims',
    claimRetentionDays: 90,
    intakeQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
    resultsQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/results.fifo',
    eventSource: 'redaction-test',
    fetcher,
    logger: logger('unico-webhook-processor'),
    metrics: metrics('unico-webhook-processor'),
    outcomeRetryPeriodSeconds: 3600,
    time: processorTimeBudget(30),
  });
}

const sqsEvent = (receiveCount = 1): SQSEvent => ({
  Records: [
    {
      messageId: 'message-1',
      receiptHandle: 'receipt-1',
      body: JSON.stringify({
        processId: PROCESS_ID,
        state: 'PROCESS_STATE_FINISHED',
        flow: 'idlive',
        detectedBy: 'webhook',
        receivedAt: new Date(Date.now() - 1000).toISOString(),
      }),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(Date.now() - 1000),
        SenderId: 's',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        MessageGroupId: PROCESS_ID,
        MessageDeduplicationId: `${PROCESS_ID}:PROCESS_STATE_FINISHED`,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:intake.fifo',
      awsRegion: 'us-east-1',
    },
  ],
});

const fetcherOf = (getProcess: ProcessFetcher['getProcess']): ProcessFetcher => ({ getProcess });
/** An error the way a careless adapter would build it: Unico's whole body in its message and cause. */
const carrying = <E extends Error>(error: E): E => Object.assign(error, { cause: new Error(BODY), body: BODY });

describe('no personal data in log or metric lines', () => {
  test.each([
    ['published', fetcherOf(async () => fetched())],
    ['too large for the results queue', fetcherOf(async () => ({ ...fetched(), process: { ...unicoProcess, padding: 'x'.repeat(300_000) } }))],
    ['not final yet', fetcherOf(async () => fetched(false))],
    ['a 409 from Unico carrying the body', fetcherOf(async () => { throw carrying(new UnicoTransientError('conflict', { code: 'process_wrong_state', status: 409 })); })],
    ['a 500 from Unico carrying the body', fetcherOf(async () => { throw carrying(new UnicoTransientError('server error', { code: 'server_error', status: 500 })); })],
    ['a 404 from Unico carrying the body', fetcherOf(async () => { throw carrying(new UnicoPermanentError(404, 'process_not_found', 'not found')); })],
    ['credentials refused, with the body', fetcherOf(async () => { throw carrying(new UnicoTransientError('refused', { code: 'credentials_refused', status: 401 })); })],
  ])('the processor: %s', async (_case, fetcher) => {
    lines = [];
    await processorWith(fetcher)(sqsEvent(), lambdaContext());

    expect(lines.join('')).toContain(PROCESS_ID);
    expect(lines.join('')).toContain('"_aws"');
    expect(leaks()).toEqual([]);
  });

  test('the fallback recovering the process', async () => {
    lines = [];
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
    const sqs = new SQSClient({ region: 'us-east-1' });
    mockClient(dynamodb).on(PutItemCommand).resolves({});
    mockClient(sqs).on(SendMessageCommand).resolves({ MessageId: 'm' });
    const due: TrackedProcess = {
      processId: PROCESS_ID,
      status: 'tracking',
      trackedAt: new Date(Date.now() - 3_600_000).toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      nextCheckAt: Date.now() - 1000,
      checks: 1,
    };
    let handedOut = false;
    const tracking: TrackingStore = {
      track: async () => 'created',
      journeyFinished: async () => 'recorded',
      get: async () => due,
      due: async () => (handedOut ? [] : ((handedOut = true), [due])),
      reschedule: async () => {},
      finish: async () => {},
    };
    const handler = composeFallbackHandler({
      dynamodb,
      sqs,
      claimsTableName: 'claims',
      claimRetentionDays: 90,
      intakeQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
      tracking,
      ledger: { anyClaim: async () => undefined },
      fetcher: fetcherOf(async () => fetched()),
      schedule: DEFAULT_FALLBACK_SCHEDULE,
      time: fallbackTimeBudget(60),
      logger: logger('unico-webhook-fallback'),
      metrics: metrics('unico-webhook-fallback'),
    });

    const summary = await handler({} as never, { ...lambdaContext(), getRemainingTimeInMillis: () => 60_000 });

    expect(summary.recovered).toBe(1);
    expect(lines.join('')).toContain('FallbackRecoveries');
    expect(leaks()).toEqual([]);
  });

  test.each([
    ['an invalid payload', JSON.stringify({ ...unicoProcess, processId: PROCESS_ID }), {}],
    ['a body that is not JSON', `${BODY}}`, {}],
    ['a body too large', JSON.stringify({ processId: PROCESS_ID, state: 'PROCESS_STATE_FINISHED', flow: 'x', padding: BODY.repeat(200) }), {}],
    ['no credentials', JSON.stringify({ processId: PROCESS_ID, state: 'PROCESS_STATE_FINISHED', flow: 'idlive', person: unicoProcess.person }), { locked: 'yes' }],
  ])('the intake refusing %s', async (_case, body, options) => {
    lines = [];
    const handler = composeIntakeHandler({
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      claimsTableName: 'claims',
      claimRetentionDays: 90,
      intakeQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
      authenticator:
        'locked' in options
          ? new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: 'unico', password: 'pw-123456' }])
          : new OpenAuthenticator(),
      responseDeadlineMs: 5000,
      logger: logger('unico-webhook-intake'),
      metrics: metrics('unico-webhook-intake'),
    });

    const response = await handler(webhookEvent({ body }), lambdaContext());

    expect(typeof response === 'object' && response.statusCode).toBeGreaterThanOrEqual(400);
    expect(lines.join('')).toContain('"Refused"');
    expect(leaks()).toEqual([]);
  });
});
