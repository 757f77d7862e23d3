/**
 * The receiver as a system, one fault at a time: the real intake handler behind the local API
 * Gateway and the real processor fed by the local SQS event source (function timeout and
 * maxConcurrency enforced), wired as tools/local-stack wires them, over dynalite and fauxqs behind
 * fault proxies, against the Unico simulator. A sender that retries as Unico does (exponential
 * back-off, every non-2xx repeated) delivers; the fault is lifted; everything drains. Then, for
 * every case: what the sender saw, and exactly one results event per finished process (none
 * repeated, by process and by CloudEvent id), its claim confirmed, nothing dead-lettered.
 *
 * The clock is the production rules on a shorter dial, as in processor-unico-scenarios: a 6 s
 * processor, retries pausing 1 s doubling to 4 s, and an intake queue whose dead-letter limit is
 * sized from that schedule as the CDK sizes it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { intakeMaxReceiveCount, type RetryDelaySchedule } from '../../lambdas/contracts/outcome-retries.ts';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { intakeTimeBudget, processorTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { StaticCredentialAuthenticator } from '../../lambdas/core/auth/static-credentials.ts';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { FunctionInstances, startLocalApi, type RunningLocalApi } from '../../tools/local-stack/local-api.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { startLocalProcessor } from '../../tools/local-stack/local-functions.ts';
import { ensureLocalResources, type LocalResources } from '../../tools/local-stack/resources.ts';
import type { RunningSqsEventSource } from '../../tools/local-stack/sqs-event-source.ts';
import { StaticCredentials } from '../../tools/unico-sim/credentials.ts';
import { createHttpSender } from '../../tools/unico-sim/http-sender.ts';
import { deliverWithRetry, realSleep, type RetryPolicy } from '../../tools/unico-sim/retry.ts';
import { startUnicoSimulator, type RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';
import { claimStatus } from '../support/claims.ts';
import { simulatorFetcher } from '../support/simulator-fetcher.ts';
import { eventually } from '../support/eventually.ts';
import { drainQueue, EMPTY_QUEUE, isQueueEmpty, queueCounts } from '../support/queues.ts';
import { startFaultProxy, type FaultProxy } from '../support/tcp-fault-proxy.ts';

const RESPONSE_DEADLINE_MS = 1500;
const FUNCTION_TIMEOUT_SECONDS = 6;
const RETRY_DELAY: RetryDelaySchedule = { initialMs: 1000, maxMs: 4000 };
const RETRY_PERIOD_SECONDS = 120;
/** Above the function timeout, so a batch abandoned by a cut invocation comes back soon after. */
const INTAKE_VISIBILITY_SECONDS = FUNCTION_TIMEOUT_SECONDS + 2;
const AUTH: AuthSpec = { mode: 'basic', username: 'unico', password: 'correct horse' };
/** Unico's retries on a short dial: 250 ms doubling to 2 s, every non-2xx repeated. */
const SENDER: RetryPolicy = { maxAttempts: 8, intervalMs: 250, maxIntervalMs: 2000, jitter: false, timeoutMs: 5000 };

let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
/** The intake's DynamoDB and SQS, and the processor's SQS (results queue and its visibility changes). */
let intakeDynamodbProxy: FaultProxy;
let intakeSqsProxy: FaultProxy;
let processorSqsProxy: FaultProxy;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let resources: LocalResources;
let unico: RunningUnicoSimulator;
let api: RunningLocalApi;
let eventSource: RunningSqsEventSource;
let webhookUrl: string;
const destroyers: Array<() => void> = [];

/**
 * The crash seam: the processor's confirm of a claim (the UpdateItem that sets it `confirmed`,
 * after the event is published) can be made to never return, as if the process died there. The
 * invocation then runs into the event source's function timeout and its batch is abandoned.
 */
const crash = { confirmsToPass: 0, confirmsToKill: 0, killed: 0 };

/** Every results event seen so far, across cases (CloudEvent ids must stay unique over all). */
const allEvents: ResultsEvent[] = [];
/** What the sender saw, per case, printed at the end. */
const seenBySender: Array<{ fault: string; saw: string[] }> = [];

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  [intakeDynamodbProxy, intakeSqsProxy, processorSqsProxy] = await Promise.all([
    startFaultProxy(dynamodbEmulator.endpoint),
    startFaultProxy(sqsEmulator.endpoint),
    startFaultProxy(sqsEmulator.endpoint),
  ]);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  destroyers.push(() => dynamodb.destroy(), () => sqs.destroy());
  resources = await ensureLocalResources(dynamodb, sqs);
  await shortenIntakeQueue();
  unico = await startUnicoSimulator({ contract: 'web-sdk' });

  // The intake, as the local stack composes it, with its time limits from the deadline.
  const intakeClientOptions = awsClientOptions(intakeTimeBudget(RESPONSE_DEADLINE_MS).awsCalls);
  const intakeDynamodb = new DynamoDBClient({ ...emulatorClientConfig({ endpoint: intakeDynamodbProxy.endpoint }), ...intakeClientOptions });
  const intakeSqs = new SQSClient({ ...emulatorClientConfig({ endpoint: intakeSqsProxy.endpoint }), ...intakeClientOptions });
  destroyers.push(() => intakeDynamodb.destroy(), () => intakeSqs.destroy());
  const intake = composeIntakeHandler({
    dynamodb: intakeDynamodb,
    sqs: intakeSqs,
    claimsTableName: resources.claimsTableName,
    claimRetentionDays: 90,
    intakeQueueUrl: resources.intakeQueueUrl,
    authenticator: new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: AUTH.mode === 'basic' ? AUTH.username : '', password: 'correct horse' }]),
    responseDeadlineMs: RESPONSE_DEADLINE_MS,
    logger: new Logger({ serviceName: 'intake-faults', logLevel: 'SILENT' }),
  });
  api = await startLocalApi([{ method: 'POST', path: '/webhooks/unico', target: new FunctionInstances('intake', 3000, () => intake) }], 0);
  webhookUrl = `${api.url}/webhooks/unico`;

  // The processor, as the local stack composes it, on the short clock.
  const time = processorTimeBudget(FUNCTION_TIMEOUT_SECONDS);
  const processorDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...awsClientOptions(time.awsCalls) });
  const processorSqs = new SQSClient({ ...emulatorClientConfig({ endpoint: processorSqsProxy.endpoint }), ...awsClientOptions(time.awsCalls) });
  const pollerSqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  destroyers.push(() => processorDynamodb.destroy(), () => processorSqs.destroy(), () => pollerSqs.destroy());
  processorDynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const values = (args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> }).ExpressionAttributeValues;
      if (context.commandName === 'UpdateItemCommand' && values?.[':confirmed']?.S === 'confirmed') {
        if (crash.confirmsToPass > 0) crash.confirmsToPass -= 1;
        else if (crash.confirmsToKill > 0) {
          crash.confirmsToKill -= 1;
          crash.killed += 1;
          return new Promise<never>(() => undefined);
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'crashBeforeConfirm' },
  );
  eventSource = await startLocalProcessor({
    dynamodb: processorDynamodb,
    sqs: processorSqs,
    pollerSqs,
    resources,
    eventSource: 'unico-webhook-faults',
    outcomeRetryPeriodSeconds: RETRY_PERIOD_SECONDS,
    retryDelay: RETRY_DELAY,
    time,
    fetcher: simulatorFetcher(unico, { dynamodb: processorDynamodb, claimsTableName: resources.claimsTableName, maxRequestsPerSecond: 20 }),
    logger: new Logger({ serviceName: PROCESSOR_FUNCTION.serviceName, logLevel: 'SILENT' }),
  });
}, 60_000);

afterAll(async () => {
  const lines = seenBySender.map(({ fault, saw }) => `  ${fault}: ${[...new Set(saw)].join(' | ')}`);
  process.stdout.write(`system faults, what the sender saw per delivery:\n${lines.join('\n')}\n`);
  await eventSource?.stop();
  await api?.stop();
  await unico?.stop();
  for (const destroy of destroyers) destroy();
  await Promise.all([intakeDynamodbProxy, intakeSqsProxy, processorSqsProxy].map((proxy) => proxy?.stop()));
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

/** The intake queue on the short clock: visibility past the function, dead-letter limit from the schedule. */
async function shortenIntakeQueue(): Promise<void> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.intakeDlqUrl, AttributeNames: ['QueueArn'] }));
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: resources.intakeQueueUrl,
      Attributes: {
        VisibilityTimeout: String(INTAKE_VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: intakeMaxReceiveCount(RETRY_PERIOD_SECONDS, RETRY_DELAY),
        }),
      },
    }),
  );
}

async function admin(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${unico.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/** A finished process, registered in the simulator as GetProcess returns it. */
async function finishedProcess(): Promise<string> {
  const id = crypto.randomUUID();
  await admin('PUT', `/processes/${id}`, {
    id,
    flow: 'id',
    state: 'PROCESS_STATE_FINISHED',
    result: 'PROCESS_RESULT_OK',
    finishedAt: new Date().toISOString(),
  });
  return id;
}

/** One delivery as Unico makes it; returns what each attempt got ("503", "timeout", "202"). */
async function deliver(processId: string, onAttempt: (attempt: number) => void = () => undefined): Promise<string[]> {
  const body = JSON.stringify({ processId, state: 'PROCESS_STATE_FINISHED', flow: 'id' });
  const result = await deliverWithRetry(webhookUrl, body, SENDER, {
    send: createHttpSender(),
    credentials: new StaticCredentials(AUTH),
    sleep: realSleep,
    random: Math.random,
    slots: undefined,
    onAttempt: (record) => onAttempt(record.attempt),
  });
  return result.attempts.map((attempt) => attempt.bucket);
}

async function collect(): Promise<void> {
  const messages = await drainQueue(sqs, resources.resultsQueueUrl);
  allEvents.push(...messages.map((message) => JSON.parse(message.Body ?? '{}') as ResultsEvent));
}

function statusOfClaim(processId: string): Promise<string | undefined> {
  return claimStatus(dynamodb, resources.claimsTableName, processId);
}

/**
 * Drains until every process has its event and its claim is confirmed, then until the intake
 * queue is empty (with no message left, no further event can come) and collects once more.
 */
async function settle(processIds: readonly string[], withinMs: number): Promise<void> {
  await eventually(async () => {
    await collect();
    const seen = new Set(allEvents.map((event) => event.subject));
    if (!processIds.every((id) => seen.has(id))) return false;
    const statuses = await Promise.all(processIds.map(statusOfClaim));
    return statuses.every((status) => status === 'confirmed');
  }, withinMs);
  await eventually(() => isQueueEmpty(sqs, resources.intakeQueueUrl), withinMs);
  await collect();
}

interface FaultCase {
  readonly fault: string;
  /** What every original delivery must have seen: a fault the sender meets, or one it never notices. */
  readonly sender: 'non-2xx then 2xx' | '2xx at once' | '2xx in the end';
  readonly processes?: number;
  /** A copy of each delivery 100 ms after its original, while the original is in flight. */
  readonly earlyCopy?: boolean;
  readonly inject: () => void | Promise<void>;
  readonly lift: () => void | Promise<void>;
  /** Lifted when every original's first attempt has its answer (intake faults), or this long after sending. */
  readonly liftAfterMs?: number;
  readonly settleWithinMs?: number;
  /** Shows the fault was really met (an answer lost, a status served, nothing published meanwhile). */
  readonly met?: (during: FaultEvidence) => void | Promise<void>;
}

/** What a case can show its fault by. */
interface FaultEvidence {
  /** Answers each proxy had lost before the case began. */
  readonly lostBefore: { readonly intakeDynamodb: number; readonly intakeSqs: number; readonly processorSqs: number };
  /** Results events for the case's processes collected at the moment the fault was lifted. */
  readonly publishedWhileFaulty: number;
}

/** GetProcess requests Unico had served when the running case began. */
let requestsBefore = 0;
const unicoStats = async () => (await (await fetch(`${unico.adminUrl}/stats`)).json()) as { byStatus: Record<string, number>; getProcessRequests: number };

const pass = (proxy: () => FaultProxy) => () => {
  proxy().setMode('pass');
  proxy().loseAnswers(0);
};

const FAULTS: readonly FaultCase[] = [
  { fault: '1. DynamoDB unreachable during intake', sender: 'non-2xx then 2xx', inject: () => intakeDynamodbProxy.setMode('refuse'), lift: pass(() => intakeDynamodbProxy) },
  {
    fault: '2. DynamoDB slower than the intake deadline',
    sender: 'non-2xx then 2xx',
    earlyCopy: true,
    inject: () => intakeDynamodbProxy.setMode('slow', RESPONSE_DEADLINE_MS + 1000),
    lift: pass(() => intakeDynamodbProxy),
  },
  {
    fault: '3. DynamoDB applies the claim and loses its answer',
    sender: '2xx in the end',
    inject: () => intakeDynamodbProxy.loseAnswers(3),
    lift: pass(() => intakeDynamodbProxy),
    met: ({ lostBefore }) => expect(intakeDynamodbProxy.lostAnswers - lostBefore.intakeDynamodb).toBeGreaterThan(0),
  },
  { fault: '4. intake queue unreachable', sender: 'non-2xx then 2xx', inject: () => intakeSqsProxy.setMode('refuse'), lift: pass(() => intakeSqsProxy) },
  {
    fault: '5. intake queue slower than the intake deadline',
    sender: 'non-2xx then 2xx',
    earlyCopy: true,
    inject: () => intakeSqsProxy.setMode('slow', RESPONSE_DEADLINE_MS + 1000),
    lift: pass(() => intakeSqsProxy),
  },
  {
    fault: '6. intake queue takes the message and loses its answer',
    sender: '2xx in the end',
    inject: () => intakeSqsProxy.loseAnswers(3),
    lift: pass(() => intakeSqsProxy),
    met: ({ lostBefore }) => expect(intakeSqsProxy.lostAnswers - lostBefore.intakeSqs).toBeGreaterThan(0),
  },
  {
    fault: '7. results queue unreachable while processing',
    sender: '2xx at once',
    liftAfterMs: 3000,
    inject: () => processorSqsProxy.setMode('refuse'),
    lift: pass(() => processorSqsProxy),
    met: ({ publishedWhileFaulty }) => expect(publishedWhileFaulty).toBe(0),
  },
  {
    fault: '8. results queue slower than the processor client timeout',
    sender: '2xx at once',
    // Held past the client's 3 s request timeout: the publish is retried, and the held one still lands.
    liftAfterMs: 3000,
    inject: () => processorSqsProxy.setMode('slow', 4500),
    lift: pass(() => processorSqsProxy),
    met: ({ publishedWhileFaulty }) => expect(publishedWhileFaulty).toBe(0),
  },
  {
    fault: '9. results queue takes the event and loses its answer',
    sender: '2xx at once',
    liftAfterMs: 3000,
    inject: () => processorSqsProxy.loseAnswers(9),
    lift: pass(() => processorSqsProxy),
    met: ({ lostBefore }) => expect(processorSqsProxy.lostAnswers - lostBefore.processorSqs).toBeGreaterThan(0),
  },
  {
    fault: '10. processor killed after publishing, before confirming',
    sender: '2xx at once',
    processes: 1,
    liftAfterMs: 0,
    inject: () => void Object.assign(crash, { confirmsToPass: 0, confirmsToKill: 1 }),
    lift: () => undefined,
    settleWithinMs: 30_000,
  },
  {
    fault: '11. Unico answers a storm of 429 with Retry-After',
    sender: '2xx at once',
    liftAfterMs: 3000,
    inject: () => admin('POST', '/faults', { status: 429, retryAfter: 1, count: 100_000 }),
    lift: () => admin('DELETE', '/faults'),
    met: async ({ publishedWhileFaulty }) => {
      expect(publishedWhileFaulty).toBe(0);
      expect((await unicoStats()).byStatus['429']).toBeGreaterThan(0);
    },
  },
  {
    fault: '12. Unico answers 503',
    sender: '2xx at once',
    liftAfterMs: 3000,
    inject: () => admin('POST', '/faults', { status: 503, count: 100_000 }),
    lift: () => admin('DELETE', '/faults'),
    met: async ({ publishedWhileFaulty }) => {
      expect(publishedWhileFaulty).toBe(0);
      expect((await unicoStats()).byStatus['503']).toBeGreaterThan(0);
    },
  },
  {
    fault: '13. Unico holds its answers past the client timeout',
    sender: '2xx at once',
    liftAfterMs: 0,
    inject: () => admin('POST', '/faults', { delayMs: FUNCTION_TIMEOUT_SECONDS * 1000, count: 3 }),
    lift: () => undefined,
    settleWithinMs: 30_000,
    // Each process was asked for more than once: the held answers were abandoned, not used.
    met: async () => expect((await unicoStats()).getProcessRequests).toBeGreaterThanOrEqual(requestsBefore + 6),
  },
  {
    fault: '14. the processor timed out mid-batch (10 processes, cut at the 5th confirm)',
    sender: '2xx at once',
    processes: 10,
    liftAfterMs: 0,
    inject: () => void Object.assign(crash, { confirmsToPass: 4, confirmsToKill: 1 }),
    lift: () => undefined,
    settleWithinMs: 30_000,
  },
];

describe('system faults: what the sender sees, and one results event per finished process after recovery', () => {
  test.each(FAULTS)('$fault (the sender sees $sender)', async (faultCase) => {
    const processIds = await Promise.all(Array.from({ length: faultCase.processes ?? 3 }, finishedProcess));
    const lostBefore = {
      intakeDynamodb: intakeDynamodbProxy.lostAnswers,
      intakeSqs: intakeSqsProxy.lostAnswers,
      processorSqs: processorSqsProxy.lostAnswers,
    };
    requestsBefore = (await unicoStats()).getProcessRequests;
    const killedBefore = crash.killed;
    let publishedWhileFaulty = 0;
    await faultCase.inject();

    const intakeFault = faultCase.liftAfterMs === undefined;
    let firstAnswers = 0;
    let lifted = false;
    const liftOnce = async () => {
      if (lifted) return;
      lifted = true;
      await faultCase.lift();
      if (!intakeFault) {
        await collect();
        publishedWhileFaulty = allEvents.filter((event) => processIds.includes(event.subject)).length;
      }
    };
    // An intake fault is lifted as soon as every original has met it once (synchronously, before any retry).
    const onOriginalAttempt = (attempt: number) => {
      if (intakeFault && attempt === 1 && (firstAnswers += 1) === processIds.length) void liftOnce();
    };
    const originals = processIds.map((id) => deliver(id, onOriginalAttempt));
    const copies = faultCase.earlyCopy ? processIds.map(async (id) => (await realSleep(100), deliver(id))) : [];
    if (!intakeFault) await realSleep(faultCase.liftAfterMs ?? 0).then(liftOnce);
    const saw = await Promise.all(originals);
    const sawCopies = await Promise.all(copies);
    await liftOnce();
    seenBySender.push({ fault: faultCase.fault, saw: [...saw, ...sawCopies].map((attempts) => attempts.join(' then ')) });

    for (const attempts of [...saw, ...sawCopies]) expect(attempts.at(-1)).toMatch(/^2\d\d$/);
    if (faultCase.sender === 'non-2xx then 2xx') for (const attempts of saw) expect(attempts[0]).not.toMatch(/^2\d\d$/);
    if (faultCase.sender === '2xx at once') for (const attempts of saw) expect(attempts).toEqual(['202']);

    await settle(processIds, faultCase.settleWithinMs ?? 20_000);
    const own = allEvents.filter((event) => processIds.includes(event.subject));
    expect(own.map((event) => event.subject).sort()).toEqual([...processIds].sort());
    for (const event of own) expect(event.data.outcome?.process).toMatchObject({ id: event.subject, state: 'PROCESS_STATE_FINISHED' });
    expect(new Set(allEvents.map((event) => event.id)).size).toBe(allEvents.length);
    expect(await Promise.all(processIds.map(statusOfClaim))).toEqual(processIds.map(() => 'confirmed'));
    expect(await queueCounts(sqs, resources.intakeDlqUrl)).toEqual(EMPTY_QUEUE);
    expect(await queueCounts(sqs, resources.resultsDlqUrl)).toEqual(EMPTY_QUEUE);
    await faultCase.met?.({ lostBefore, publishedWhileFaulty });
    if (faultCase.fault.startsWith('10.') || faultCase.fault.startsWith('14.')) expect(crash.killed).toBe(killedBefore + 1);
  }, 45_000);
});
