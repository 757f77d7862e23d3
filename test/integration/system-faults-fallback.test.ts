/**
 * Fault 15 of the system fault table (the others are in system-faults-recovery.test.ts): the
 * fallback killed mid-run. Webhooks for six finished processes were lost; the real fallback,
 * composed as the local stack composes it, recovers them through the intake's acceptor, and the
 * real processor (local SQS event source) publishes their results. The first run dies right after
 * its third send to the intake queue was applied, before it could record it (the send never
 * answers, as when the function is killed there); the second dies right before a send; the third
 * completes. Then: exactly one
 * results event per process (by process and state, and by CloudEvent id), every claim confirmed,
 * nothing tracked left, the intake queue empty and nothing dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import { DynamoDbTrackingStore } from '../../lambdas/adapters/dynamodb/dynamodb-tracking-store.ts';
import { FALLBACK_FUNCTION, PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { fallbackTimeBudget, processorTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import type { FallbackRunSummary } from '../../lambdas/core/tracking/fallback-run.ts';
import { lambdaContext } from '../../tools/local-stack/api-gateway-event.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig, LOCAL_FALLBACK_SCHEDULE } from '../../tools/local-stack/local-stack.ts';
import { composeLocalFallback, startLocalProcessor } from '../../tools/local-stack/local-functions.ts';
import { ensureLocalResources, type LocalResources } from '../../tools/local-stack/resources.ts';
import type { RunningSqsEventSource } from '../../tools/local-stack/sqs-event-source.ts';
import { startUnicoSimulator, type RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';
import { claimStatus } from '../support/claims.ts';
import { simulatorFetcher } from '../support/simulator-fetcher.ts';
import { eventually } from '../support/eventually.ts';
import { drainQueue, EMPTY_QUEUE, queueCounts } from '../support/queues.ts';

const PROCESSES = 6;
/** The first run dies once this many of its sends to the intake queue were applied. */
const SENDS_BEFORE_DEATH = 3;
/**
 * The killed run's function timeout: short, so the deadline timers its abandoned code still holds
 * end within the test (in Lambda the process dies with them).
 */
const KILLED_RUN_TIMEOUT_SECONDS = 8;

let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let resources: LocalResources;
let unico: RunningUnicoSimulator;
let eventSource: RunningSqsEventSource;
const destroyers: Array<() => void> = [];

/**
 * The kill seam on one run's SQS client: its `sends`-th send to the intake queue is applied and
 * then never answers (`after`), or never goes out (`before`); from then on every call of the dead
 * run hangs before it is made, as nothing runs in a killed function.
 */
interface KillSeam {
  readonly at: 'after' | 'before';
  sendsLeft: number;
  dead: boolean;
}

function hang(): Promise<never> {
  return new Promise<never>(() => undefined);
}

function fallbackClients(timeoutSeconds: number) {
  const options = awsClientOptions(fallbackTimeBudget(timeoutSeconds).awsCalls);
  const fallbackDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...options });
  const fallbackSqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...options });
  destroyers.push(() => fallbackDynamodb.destroy(), () => fallbackSqs.destroy());
  return { fallbackDynamodb, fallbackSqs };
}

/** The fallback as the local stack composes it, on its own clients (a fresh container per run). */
function composeFallback(kill: KillSeam | undefined, timeoutSeconds: number) {
  const { fallbackDynamodb, fallbackSqs } = fallbackClients(timeoutSeconds);
  if (kill) {
    const dead = () => kill.dead;
    fallbackSqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (dead()) return hang();
        if (context.commandName !== 'SendMessageCommand') return next(args);
        kill.sendsLeft -= 1;
        if (kill.sendsLeft > 0) return next(args);
        kill.dead = true;
        if (kill.at === 'after') await next(args);
        return hang();
      },
      { step: 'initialize', name: 'killAfterSend' },
    );
    // Once dead, nothing else of that run reaches DynamoDB either.
    fallbackDynamodb.middlewareStack.add((next) => async (args) => (dead() ? hang() : next(args)), { step: 'initialize', name: 'deadRun' });
  }
  const logger = new Logger({ serviceName: FALLBACK_FUNCTION.serviceName, logLevel: 'SILENT' });
  return composeLocalFallback({
    dynamodb: fallbackDynamodb,
    sqs: fallbackSqs,
    resources,
    fetcher: fetcherOn(fallbackDynamodb),
    schedule: LOCAL_FALLBACK_SCHEDULE,
    time: fallbackTimeBudget(timeoutSeconds),
    logger,
  });
}

function fetcherOn(client: DynamoDBClient) {
  return simulatorFetcher(unico, { dynamodb: client, claimsTableName: resources.claimsTableName, maxRequestsPerSecond: 20 });
}

/** One scheduled run, as EventBridge invokes it. */
function runFallback(handler: ReturnType<typeof composeFallback>, timeoutSeconds: number): Promise<FallbackRunSummary> {
  const startedAt = Date.now();
  const event = { id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date(startedAt).toISOString(), detail: {} } as ScheduledEvent;
  return handler(event, lambdaContext(FALLBACK_FUNCTION.serviceName, timeoutSeconds * 1000, startedAt));
}

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  destroyers.push(() => dynamodb.destroy(), () => sqs.destroy());
  resources = await ensureLocalResources(dynamodb, sqs);
  unico = await startUnicoSimulator({ contract: 'web-sdk' });

  const time = processorTimeBudget(PROCESSOR_FUNCTION.timeoutSeconds);
  const processorDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...awsClientOptions(time.awsCalls) });
  const processorSqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...awsClientOptions(time.awsCalls) });
  destroyers.push(() => processorDynamodb.destroy(), () => processorSqs.destroy());
  eventSource = await startLocalProcessor({
    dynamodb: processorDynamodb,
    sqs: processorSqs,
    resources,
    eventSource: 'unico-webhook-faults',
    outcomeRetryPeriodSeconds: 120,
    time,
    fetcher: fetcherOn(processorDynamodb),
    logger: new Logger({ serviceName: PROCESSOR_FUNCTION.serviceName, logLevel: 'SILENT' }),
  });
}, 60_000);

afterAll(async () => {
  // The dead run's hung calls are abandoned promises, not sockets: nothing of it keeps jest alive.
  await eventSource?.stop();
  await unico?.stop();
  for (const destroy of destroyers) destroy();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

async function queueCount(queueUrl: string): Promise<number> {
  const counts = await queueCounts(sqs, queueUrl);
  return Object.keys(EMPTY_QUEUE).reduce((sum, name) => sum + Number(counts?.[name]), 0);
}

function statusOfClaim(processId: string): Promise<string | undefined> {
  return claimStatus(dynamodb, resources.claimsTableName, processId);
}

describe('system faults: the fallback', () => {
  test('15. the fallback killed mid-run, once after a send was applied and once before a send (no webhook came): the next run completes, one results event per process', async () => {
    const tracking = new DynamoDbTrackingStore({ client: dynamodb, tableName: resources.trackingTableName });
    const processIds: string[] = [];
    for (let index = 0; index < PROCESSES; index += 1) {
      const id = crypto.randomUUID();
      processIds.push(id);
      await fetch(`${unico.adminUrl}/processes/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', finishedAt: new Date().toISOString() }),
      });
      const now = new Date();
      await tracking.track({
        processId: id,
        trackedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
        firstCheckAt: now.getTime() - 1000,
      });
    }

    // Run 1 dies right after a send was applied (a copy must not become a second event), run 2
    // right before one (nothing may be marked recovered that was never sent); both invocations are
    // abandoned, as nothing in-process can stop them. Run 3, with no seam, completes.
    const killedRuns: Array<Promise<string>> = [];
    const killedRun = async (kill: KillSeam) => {
      const run = runFallback(composeFallback(kill, KILLED_RUN_TIMEOUT_SECONDS), KILLED_RUN_TIMEOUT_SECONDS).then(() => 'ended', () => 'failed');
      killedRuns.push(run);
      const died = await eventually(async () => kill.dead, 10_000);
      const outcome = await Promise.race([run, new Promise<string>((resolve) => setTimeout(() => resolve('killed'), 300))]);
      const tracked = (await Promise.all(processIds.map((id) => tracking.get(id)))).filter((item) => item?.status === 'tracking').length;
      return { died, outcome, tracked };
    };
    const first = await killedRun({ at: 'after', sendsLeft: SENDS_BEFORE_DEATH, dead: false });
    const second = await killedRun({ at: 'before', sendsLeft: 2, dead: false });
    const lastRun = await runFallback(composeFallback(undefined, FALLBACK_FUNCTION.timeoutSeconds), FALLBACK_FUNCTION.timeoutSeconds);

    const events: ResultsEvent[] = [];
    await eventually(async () => {
      for (const message of await drainQueue(sqs, resources.resultsQueueUrl)) events.push(JSON.parse(message.Body ?? '{}') as ResultsEvent);
      const statuses = await Promise.all(processIds.map(statusOfClaim));
      return statuses.every((status) => status === 'confirmed') && (await queueCount(resources.intakeQueueUrl)) === 0;
    }, 20_000);
    for (const message of await drainQueue(sqs, resources.resultsQueueUrl)) events.push(JSON.parse(message.Body ?? '{}') as ResultsEvent);
    process.stdout.write(
      `15. fallback killed mid-run: no webhook; run 1 ${first.outcome} as its send ${SENDS_BEFORE_DEATH} was applied (${first.tracked} of ${PROCESSES} left tracked), run 2 ${second.outcome} before its send 2 (${second.tracked} left), run 3 recovered ${lastRun.recovered} and found ${lastRun.notified} already notified; ${events.length} results events\n`,
    );

    expect([first.died, first.outcome, second.died, second.outcome]).toEqual([true, 'killed', true, 'killed']);
    // The send that was applied was never recorded: that process is still tracked after run 1.
    expect(first.tracked).toBeGreaterThanOrEqual(PROCESSES - SENDS_BEFORE_DEATH + 1);
    expect(lastRun.recovered + lastRun.notified).toBe(second.tracked);
    expect(lastRun.failed).toBe(0);
    expect(events.map((event) => event.subject).sort()).toEqual([...processIds].sort());
    expect(new Set(events.map((event) => `${event.subject}/${event.data.state}`)).size).toBe(events.length);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    for (const event of events) expect(event.data.outcome?.process).toMatchObject({ id: event.subject, state: 'PROCESS_STATE_FINISHED' });
    expect(await Promise.all(processIds.map(statusOfClaim))).toEqual(processIds.map(() => 'confirmed'));
    const left = (await Promise.all(processIds.map((id) => tracking.get(id)))).filter((item) => item?.status === 'tracking');
    expect(left).toEqual([]);
    expect(await queueCount(resources.intakeQueueUrl)).toBe(0);
    expect(await queueCount(resources.intakeDlqUrl)).toBe(0);
    expect(await queueCount(resources.resultsDlqUrl)).toBe(0);
    // The abandoned runs' deadline timers run out before the file ends (their calls stay hung).
    await Promise.all(killedRuns);
  }, 40_000);
});
