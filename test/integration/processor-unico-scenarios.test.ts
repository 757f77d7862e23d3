/**
 * The real processor against a misbehaving Unico: composeProcessorHandler, fed by the local SQS
 * event source (function timeout and maxConcurrency enforced), against fauxqs, dynalite and the
 * Unico simulator with injected faults. The rules are the production ones on a shorter clock: a
 * 6 s function, retries pausing 1 s doubling to 4 s, and an intake queue whose dead-letter limit
 * is sized from that schedule as the CDK sizes it, so "nothing dead-lettered" is a real check.
 *
 * Every scenario ends with the same proof: each process has exactly one results event, the
 * intake queue is empty, and both dead-letter queues are empty.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { safeParse } from 'valibot';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import { DynamoDbClaimLedger } from '../../lambdas/adapters/dynamodb/dynamodb-claim-ledger.ts';
import { SqsIntakeQueue } from '../../lambdas/adapters/sqs/sqs-intake-queue.ts';
import { REFUSAL_BACKOFF } from '../../lambdas/adapters/unico/unico-token-source.ts';
import { backoffPauseMs } from '../../lambdas/core/backoff.ts';
import { PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { intakeMaxReceiveCount, type RetryDelaySchedule } from '../../lambdas/contracts/outcome-retries.ts';
import { RESULTS_QUEUE } from '../../lambdas/contracts/queues.ts';
import { resultsEventSchema, type ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { processorTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import type { UnicoContractName } from '../../lambdas/contracts/unico-api.ts';
import type { IntakeMessage } from '../../lambdas/core/acceptance/ports.ts';
import { composeProcessorHandler } from '../../lambdas/processor/compose.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig, LOCAL_REGION } from '../../tools/local-stack/local-stack.ts';
import { SinkLogger, type LogAttributes } from '../../tools/local-stack/log-output.ts';
import { ensureClaimsTable } from '../../tools/local-stack/resources.ts';
import { startSqsEventSource, type RunningSqsEventSource } from '../../tools/local-stack/sqs-event-source.ts';
import { startUnicoSimulator, type RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';
import { simulatorFetcher } from '../support/simulator-fetcher.ts';
import { eventually } from '../support/eventually.ts';
import { drainQueue, EMPTY_QUEUE, isQueueEmpty, queueCounts } from '../support/queues.ts';

/** The short clock: a 6 s function, and failed receives pausing 1 s, 2 s, then 4 s. */
const FUNCTION_TIMEOUT_SECONDS = 6;
const RETRY_DELAY: RetryDelaySchedule = { initialMs: 1000, maxMs: 4000 };
/** Long enough that every scenario but the last gets its outcomes within the period. */
const RETRY_PERIOD_SECONDS = 120;
/** Unico calls per second across the processor (the shared budget in the claims table). */
const MAX_RPS = 5;
/** Above the function timeout, so messages taken by a killed invocation come back soon after. */
const INTAKE_VISIBILITY_SECONDS = FUNCTION_TIMEOUT_SECONDS + 2;

let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let claimsTableName: string;
let claimStore: DynamoDbClaimLedger;
let queueNumber = 0;
/** What the running scenario started, stopped after each test. */
const stoppers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  claimsTableName = await ensureClaimsTable(dynamodb);
  claimStore = new DynamoDbClaimLedger({ client: dynamodb, tableName: claimsTableName, retentionDays: 90 });
}, 60_000);

afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
});

afterAll(async () => {
  dynamodb?.destroy();
  sqs?.destroy();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

interface FaultSpec {
  readonly status?: number;
  readonly retryAfter?: number;
  readonly count: number;
  readonly delayMs?: number;
  readonly target?: 'token' | 'getProcess';
  readonly body?: unknown;
}

interface UnicoStats {
  readonly tokenRequests: number;
  readonly getProcessRequests: number;
  readonly peakRequestsInAnySecond: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly tokenByStatus: Readonly<Record<string, number>>;
}

interface Scenario {
  readonly unico: RunningUnicoSimulator;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly resultsDlqUrl: string;
  /** Every line the processor logged, as Powertools built it. */
  readonly logs: LogAttributes[];
  /** Every results event received so far (the results queue is drained into it). */
  readonly events: ResultsEvent[];
}

/**
 * Fresh queues and a fresh simulator, then the processor as `npm start` wires it, on the short
 * clock. Each scenario gets its own fetcher, hence its own token: nothing cached carries over.
 */
async function startScenario(options: { periodSeconds?: number; contract?: UnicoContractName } = {}): Promise<Scenario> {
  const periodSeconds = options.periodSeconds ?? RETRY_PERIOD_SECONDS;
  queueNumber += 1;
  const intake = await fifoQueueWithDlq(`scenario-intake-${queueNumber}`, INTAKE_VISIBILITY_SECONDS, intakeMaxReceiveCount(periodSeconds, RETRY_DELAY));
  const results = await fifoQueueWithDlq(`scenario-results-${queueNumber}`, RESULTS_QUEUE.visibilityTimeoutSeconds, RESULTS_QUEUE.maxReceiveCount);

  const unico = await startUnicoSimulator({ contract: options.contract ?? 'web-sdk' });
  stoppers.push(unico.stop);

  const logs: LogAttributes[] = [];
  const logger = new SinkLogger(PROCESSOR_FUNCTION.serviceName, (attributes) => logs.push(attributes));
  // The tests' setup silences Powertools; these lines are captured, not printed.
  logger.setLogLevel('INFO');
  const time = processorTimeBudget(FUNCTION_TIMEOUT_SECONDS);
  const processorDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...awsClientOptions(time.awsCalls) });
  const processorSqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...awsClientOptions(time.awsCalls) });
  const handler = composeProcessorHandler({
    dynamodb: processorDynamodb,
    sqs: processorSqs,
    claimsTableName,
    claimRetentionDays: 90,
    intakeQueueUrl: intake.queueUrl,
    resultsQueueUrl: results.queueUrl,
    eventSource: 'unico-webhook-scenarios',
    outcomeRetryPeriodSeconds: periodSeconds,
    retryDelay: RETRY_DELAY,
    time,
    fetcher: simulatorFetcher(unico, {
      dynamodb: processorDynamodb,
      claimsTableName,
      maxRequestsPerSecond: MAX_RPS,
      onCredentialsUnusable: (reason) => logger.error('Unico credentials are not usable', { reason, unicoCredentials: 'unusable' }),
    }),
    logger,
  });
  const source: RunningSqsEventSource = await startSqsEventSource({
    sqs: processorSqs,
    queueUrl: intake.queueUrl,
    region: LOCAL_REGION,
    handler,
    functionName: PROCESSOR_FUNCTION.serviceName,
    functionTimeoutMs: FUNCTION_TIMEOUT_SECONDS * 1000,
    maxConcurrency: PROCESSOR_FUNCTION.defaultMaxConcurrency,
  });
  // Stopped before the simulator (reverse order), so no invocation outlives Unico.
  stoppers.push(async () => {
    await source.stop();
    processorDynamodb.destroy();
    processorSqs.destroy();
  });

  return {
    unico,
    intakeQueueUrl: intake.queueUrl,
    intakeDlqUrl: intake.dlqUrl,
    resultsQueueUrl: results.queueUrl,
    resultsDlqUrl: results.dlqUrl,
    logs,
    events: [],
  };
}

/** A FIFO queue with its dead-letter queue, shaped as tools/local-stack/resources.ts makes them. */
async function fifoQueueWithDlq(name: string, visibilitySeconds: number, maxReceiveCount: number) {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: String(visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', dlqUrl };
}

async function admin(scenario: Scenario, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${scenario.unico.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

const putProcess = (scenario: Scenario, process: Record<string, unknown> & { id: string }) =>
  admin(scenario, 'PUT', `/processes/${process.id}`, process);
const addFault = (scenario: Scenario, fault: FaultSpec) => admin(scenario, 'POST', '/faults', fault);
const clearFaults = (scenario: Scenario) => admin(scenario, 'DELETE', '/faults');
const unicoStats = async (scenario: Scenario) => (await (await admin(scenario, 'GET', '/stats')).json()) as UnicoStats;

/** A finished Web & SDK process as GetProcess returns it (the object inside `process`). */
function finishedProcess(): Record<string, unknown> & { id: string } {
  const id = crypto.randomUUID();
  return {
    id,
    flow: 'id',
    state: 'PROCESS_STATE_FINISHED',
    result: 'PROCESS_RESULT_OK',
    finishedAt: new Date().toISOString(),
    clientReference: `scenario-${id.slice(0, 8)}`,
  };
}

/** What the intake does with a webhook it accepts: claim, then send to the intake queue. */
async function accept(scenario: Scenario, processId: string): Promise<void> {
  const notification: IntakeMessage = {
    processId,
    state: 'PROCESS_STATE_FINISHED',
    flow: 'id',
    detectedBy: 'webhook',
    receivedAt: new Date().toISOString(),
  };
  await claimStore.claim(
    { notification, detectedBy: notification.detectedBy, receivedAt: notification.receivedAt, claimToken: 'intake' },
    AbortSignal.timeout(2000),
  );
  await new SqsIntakeQueue({ client: sqs, queueUrl: scenario.intakeQueueUrl }).enqueue(notification, AbortSignal.timeout(2000));
}

/** Moves whatever is on the results queue into `scenario.events`. */
async function collect(scenario: Scenario): Promise<void> {
  const batch = await drainQueue(sqs, scenario.resultsQueueUrl);
  scenario.events.push(...batch.map((message) => JSON.parse(message.Body ?? '{}') as ResultsEvent));
}

/**
 * Collects results events until every process in `processIds` has one (bounded), then until the
 * intake queue is empty: with no message left, no second event can come, so one last collect
 * sees every event there will be.
 */
async function eventsFor(scenario: Scenario, processIds: readonly string[], withinMs: number): Promise<ResultsEvent[]> {
  await eventually(async () => {
    await collect(scenario);
    const seen = new Set(scenario.events.map((event) => event.subject));
    return processIds.every((id) => seen.has(id));
  }, withinMs);
  await eventually(() => isQueueEmpty(sqs, scenario.intakeQueueUrl), 10_000);
  await collect(scenario);
  return scenario.events;
}

/** The events grouped by process: each must hold exactly one. */
function byProcess(events: readonly ResultsEvent[]): Map<string, ResultsEvent[]> {
  const grouped = new Map<string, ResultsEvent[]>();
  for (const event of events) grouped.set(event.subject, [...(grouped.get(event.subject) ?? []), event]);
  return grouped;
}

/**
 * The end every scenario must reach: the intake queue empty (every message deleted after its
 * event; polled, as the deletion follows the answer), and nothing on either dead-letter queue.
 */
async function expectCleanEnd(scenario: Scenario): Promise<void> {
  await eventually(() => isQueueEmpty(sqs, scenario.intakeQueueUrl), 10_000);
  expect(await queueCounts(sqs, scenario.intakeQueueUrl)).toEqual(EMPTY_QUEUE);
  expect(await queueCounts(sqs, scenario.intakeDlqUrl)).toEqual(EMPTY_QUEUE);
  expect(await queueCounts(sqs, scenario.resultsDlqUrl)).toEqual(EMPTY_QUEUE);
}

/** Exactly one valid event per process, each carrying the process as Unico gave it. */
function expectOneEventWithOutcome(events: readonly ResultsEvent[], processes: ReadonlyArray<Record<string, unknown> & { id: string }>): void {
  const grouped = byProcess(events);
  expect([...grouped.keys()].sort()).toEqual(processes.map((process) => process.id).sort());
  for (const process of processes) {
    const own = grouped.get(process.id) ?? [];
    expect(own).toHaveLength(1);
    const [event] = own as [ResultsEvent];
    expect(safeParse(resultsEventSchema, event).success).toBe(true);
    expect(event.data.outcome?.process).toEqual(process);
    expect(event.data.outcomeError).toBeUndefined();
  }
}

describe('the processor against a misbehaving Unico', () => {
  test('a storm of 429s with Retry-After: 1: every process gets one event with its outcome, within the request budget, nothing dead-lettered', async () => {
    const scenario = await startScenario();
    const processes = Array.from({ length: 20 }, () => finishedProcess());
    for (const process of processes) await putProcess(scenario, process);
    // More 429s than the storm can use: it ends when the faults are cleared, 20 s on.
    await addFault(scenario, { status: 429, retryAfter: 1, count: 100_000 });
    for (const process of processes) await accept(scenario, process.id);

    const stormEndsAt = Date.now() + 20_000;
    await eventually(async () => {
      await collect(scenario);
      return Date.now() >= stormEndsAt;
    }, 25_000);
    const duringStorm = scenario.events.length;
    const afterStorm = await unicoStats(scenario);
    await clearFaults(scenario);
    const events = await eventsFor(scenario, processes.map((process) => process.id), 40_000);

    // Nothing could be fetched in the storm, so nothing was published without its outcome.
    expect(duringStorm).toBe(0);
    expect(afterStorm.byStatus['429']).toBeGreaterThan(0);
    expectOneEventWithOutcome(events, processes);
    expect((await unicoStats(scenario)).peakRequestsInAnySecond).toBeLessThanOrEqual(MAX_RPS);
    await expectCleanEnd(scenario);
  }, 90_000);

  test('GetProcess hanging past the function timeout three times: no process lost, none published twice', async () => {
    const scenario = await startScenario();
    const processes = Array.from({ length: 5 }, () => finishedProcess());
    for (const process of processes) await putProcess(scenario, process);
    // Answers held 8 s, past the 6 s function: the client's request timeout (5 s) and the
    // invocation's own end cut the call first, so the record is given back with its pause; an
    // invocation that still overran would be abandoned by the event source, its batch left on the queue.
    await addFault(scenario, { delayMs: (FUNCTION_TIMEOUT_SECONDS + 2) * 1000, count: 3 });

    for (const process of processes) await accept(scenario, process.id);
    const events = await eventsFor(scenario, processes.map((process) => process.id), 40_000);

    expectOneEventWithOutcome(events, processes);
    // The hanging answers were really asked for (and abandoned).
    expect((await unicoStats(scenario)).getProcessRequests).toBeGreaterThanOrEqual(processes.length + 3);
    await expectCleanEnd(scenario);
  }, 70_000);

  test('409 twice, then 200: the outcome is published, once', async () => {
    const scenario = await startScenario();
    const process = finishedProcess();
    await putProcess(scenario, process);
    await addFault(scenario, { status: 409, count: 2 });

    await accept(scenario, process.id);
    const events = await eventsFor(scenario, [process.id], 20_000);

    expectOneEventWithOutcome(events, [process]);
    expect((await unicoStats(scenario)).byStatus).toMatchObject({ '409': 2, '200': 1 });
    await expectCleanEnd(scenario);
  }, 40_000);

  test('API contract: a process at status 1 is not published while it stays 1; once at 3, its event carries it', async () => {
    const scenario = await startScenario({ contract: 'api' });
    const id = crypto.randomUUID();
    const running = { id, status: 1, unicoId: { result: 'yes' }, liveness: 1, score: 90 };
    await putProcess(scenario, running);

    await accept(scenario, id);
    // Three receives that found it still at 1, and nothing published meanwhile.
    const askedThrice = await eventually(async () => (await unicoStats(scenario)).getProcessRequests >= 3, 20_000);
    await collect(scenario);
    expect(askedThrice).toBe(true);
    expect(scenario.events).toEqual([]);

    const finished = { ...running, status: 3 };
    await putProcess(scenario, finished);
    const events = await eventsFor(scenario, [id], 20_000);

    expectOneEventWithOutcome(events, [finished]);
    await expectCleanEnd(scenario);
  }, 60_000);

  test('refused credentials: an ERROR line for the alarm, a handful of token requests, and every outcome once they are accepted again', async () => {
    const scenario = await startScenario();
    const processes = Array.from({ length: 3 }, () => finishedProcess());
    for (const process of processes) await putProcess(scenario, process);
    const refusedFor = 20_000;
    await addFault(scenario, { target: 'token', status: 400, body: { error: 'invalid_grant' }, count: 1000 });

    const refusedSince = Date.now();
    for (const process of processes) await accept(scenario, process.id);
    await eventually(async () => {
      await collect(scenario);
      return Date.now() - refusedSince >= refusedFor;
    }, refusedFor + 5000);
    const duringRefusal = await unicoStats(scenario);
    const eventsDuringRefusal = scenario.events.length;
    await clearFaults(scenario);
    const events = await eventsFor(scenario, processes.map((process) => process.id), 60_000);

    expect(eventsDuringRefusal).toBe(0);
    expect(scenario.logs.filter((line) => line.level === 'ERROR')).toContainEqual(
      expect.objectContaining({ level: 'ERROR', unicoCredentials: 'refused', status: 400, unicoErrorCode: 'invalid_grant' }),
    );
    // One token source (one container) holds off after each refusal for REFUSAL_BACKOFF's pauses,
    // 10 s then 20 s: requests at about 0 s and 10 s, the next not before 30 s, so 2 in 20 s. The
    // waiting messages come back when the pause ends (its rest is their Retry-After), not sooner.
    expect(duringRefusal.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(duringRefusal.tokenRequests).toBeLessThanOrEqual(tokenRequestsWithin(refusedFor));
    expect(duringRefusal.getProcessRequests).toBe(0);
    expectOneEventWithOutcome(events, processes);
    await expectCleanEnd(scenario);
  }, 100_000);

  test('the retry period ends with Unico still failing: one event per process with outcome_unavailable, nothing dead-lettered', async () => {
    const periodSeconds = 5;
    const scenario = await startScenario({ periodSeconds });
    const processes = Array.from({ length: 3 }, () => finishedProcess());
    for (const process of processes) await putProcess(scenario, process);
    await addFault(scenario, { status: 503, count: 1_000_000 });

    for (const process of processes) await accept(scenario, process.id);
    const events = await eventsFor(scenario, processes.map((process) => process.id), 30_000);

    const grouped = byProcess(events);
    expect([...grouped.keys()].sort()).toEqual(processes.map((process) => process.id).sort());
    for (const own of grouped.values()) {
      expect(own).toHaveLength(1);
      const [event] = own as [ResultsEvent];
      expect(safeParse(resultsEventSchema, event).success).toBe(true);
      expect(event.data.outcome).toBeNull();
      expect(event.data.outcomeError).toMatchObject({ code: 'outcome_unavailable', status: 503 });
    }
    await expectCleanEnd(scenario);
  }, 50_000);
});

/** Token requests one token source sends in `windowMs` of refusals: at 0, then after each REFUSAL_BACKOFF pause. */
function tokenRequestsWithin(windowMs: number): number {
  let requests = 0;
  for (let at = 0, refusals = 0; at <= windowMs; ) {
    requests += 1;
    refusals += 1;
    at += backoffPauseMs(REFUSAL_BACKOFF, refusals);
  }
  return requests;
}
