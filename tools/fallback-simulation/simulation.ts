/**
 * The fallback under a simulated day: thousands of tracked processes with random finish times
 * (some never finish and expire), webhooks delivered through the real intake for a share of them
 * and dropped for the rest, journey-finished for a share, and the real fallback function run
 * every simulated minute against the emulators (dynalite, fauxqs) and the Unico simulator. Time
 * is a fake clock: the request budget's waits move it instead of sleeping, so a day takes seconds
 * and the requests per second it reports are per simulated second.
 */
import { DynamoDbNotificationLedger } from '../../lambdas/adapters/dynamodb/dynamodb-notification-ledger.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent } from 'aws-lambda';
import { createDynamoDbRequestBudget } from '../../lambdas/adapters/dynamodb/dynamodb-rate-window-store.ts';
import { UnicoApiClient } from '../../lambdas/adapters/unico/unico-api-client.ts';
import { DEFAULT_FALLBACK_SCHEDULE, type FallbackSchedule } from '../../lambdas/contracts/fallback-schedule.ts';
import { WEBHOOK_PATH } from '../../lambdas/contracts/routes.ts';
import { fallbackTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { FALLBACK_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { OpenAuthenticator } from '../../lambdas/core/auth/authenticator.ts';
import type { IntakeMessage } from '../../lambdas/core/acceptance/ports.ts';
import type { NotificationLedger } from '../../lambdas/core/tracking/ports.ts';
import type { RequestBudget } from '../../lambdas/core/unico/request-budget.ts';
import type { FallbackRunSummary } from '../../lambdas/core/tracking/fallback-run.ts';
import type { ProcessFetcher } from '../../lambdas/core/unico/process-fetcher.ts';
import { composeFallbackHandler } from '../../lambdas/fallback/compose.ts';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { startDynamoDbEmulator, startSqsEmulator } from '../local-stack/emulators.ts';
import { emulatorClientConfig } from '../local-stack/local-clients.ts';
import { ensureLocalResources } from '../local-stack/resources.ts';
import { startUnicoSimulator } from '../unico-sim/serve/simulator.ts';
import { InMemoryTrackingStore } from './in-memory-tracking-store.ts';

export interface SimulationOptions {
  readonly processes: number;
  /** Seeds the random plan, so a run can be repeated. */
  readonly seed: number;
  /** Share of finished processes whose webhook reaches the intake. */
  readonly webhookShare: number;
  /** Share of finished processes whose journey-finished call comes. */
  readonly journeyFinishedShare: number;
  /** Share of processes that never finish (and expire). */
  readonly neverFinishShare: number;
  /** Processes start over this many minutes. */
  readonly spreadMinutes: number;
  readonly schedule: FallbackSchedule;
  readonly maxRequestsPerSecond: number;
  /** Told of progress, a line at a time. */
  readonly progress?: (line: string) => void;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  processes: 2000,
  seed: 15,
  webhookShare: 0.7,
  journeyFinishedShare: 0.5,
  neverFinishShare: 0.1,
  spreadMinutes: 120,
  schedule: DEFAULT_FALLBACK_SCHEDULE,
  maxRequestsPerSecond: 5,
};

export interface SimulationFigures {
  readonly processes: number;
  readonly finished: number;
  readonly webhooksDelivered: number;
  readonly recoveredByFallback: number;
  readonly notifiedByWebhook: number;
  readonly expired: number;
  /** Finished and tracked, yet neither notified nor recovered by the end. */
  readonly lost: number;
  /** Processes with more than one claim, or more than one intake message. */
  readonly duplicatedClaims: number;
  readonly duplicatedIntakeMessages: number;
  readonly getProcessCalls: number;
  /** GetProcess calls made for the processes the fallback recovered, per recovered process. */
  readonly callsPerRecovered: number;
  readonly maxCallsForOneRecovered: number;
  /** GetProcess calls for a process whose webhook had come by then (before its first check, or any later one). */
  readonly callsAfterWebhook: number;
  /** The most calls to Unico (token and GetProcess) in any sliding simulated second. */
  readonly peakRequestsPerSecond: number;
  readonly runs: number;
  readonly runsStoppedEarly: number;
  readonly simulatedHours: number;
}

interface PlannedProcess {
  readonly processId: string;
  readonly createdAt: number;
  /** Undefined: never finishes. */
  readonly finishesAt?: number;
  readonly webhookAt?: number;
  readonly journeyFinishedAt?: number;
  readonly expiresAt: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FINISHED = 'PROCESS_STATE_FINISHED';

/** A small seeded generator (mulberry32): the same seed, the same plan. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Most journeys end within minutes; a few take hours; some never end. */
function plan(options: SimulationOptions, start: number): PlannedProcess[] {
  const next = random(options.seed);
  // At most 6 digits a draw: the generator has 32 bits.
  const hex = (n: number): string => (n > 6 ? hex(6) + hex(n - 6) : Math.floor(next() * 16 ** n).toString(16).padStart(n, '0'));
  return Array.from({ length: options.processes }, () => {
    const processId = `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
    const createdAt = start + Math.floor(next() * options.spreadMinutes * MINUTE);
    if (next() < options.neverFinishShare) return { processId, createdAt, expiresAt: createdAt + 2 * HOUR };
    const band = next();
    const minutes = band < 0.75 ? 1 + next() * 13 : band < 0.95 ? 15 + next() * 45 : 60 + next() * 120;
    const finishesAt = createdAt + Math.floor(minutes * MINUTE);
    return {
      processId,
      createdAt,
      finishesAt,
      expiresAt: createdAt + 7 * 24 * HOUR,
      ...(next() < options.webhookShare ? { webhookAt: finishesAt + Math.floor(next() * 2 * MINUTE) } : {}),
      ...(next() < options.journeyFinishedShare ? { journeyFinishedAt: finishesAt + Math.floor(next() * 30_000) } : {}),
    };
  });
}

/** The most timestamps within any 1,000 ms window. */
export function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

function webhookEvent(body: string, receivedAt: number): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${WEBHOOK_PATH}`,
    rawPath: WEBHOOK_PATH,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'simulation',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: WEBHOOK_PATH, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unico-simulation' },
      requestId: crypto.randomUUID(),
      routeKey: `POST ${WEBHOOK_PATH}`,
      stage: '$default',
      time: new Date(receivedAt).toISOString(),
      timeEpoch: receivedAt,
    },
    body,
    isBase64Encoded: false,
  };
}

function contextUntil(clock: () => number, endsAt: number): Context {
  return {
    functionName: FALLBACK_FUNCTION.serviceName,
    awsRequestId: crypto.randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, endsAt - clock()),
  } as unknown as Context;
}

export async function runFallbackSimulation(options: SimulationOptions): Promise<SimulationFigures> {
  const say = options.progress ?? (() => undefined);
  const start = Date.parse('2026-01-05T09:00:00.000Z');
  let now = start;
  const clock = () => now;

  const [dynamodbEmulator, sqsEmulator, unico] = await Promise.all([
    startDynamoDbEmulator(),
    startSqsEmulator(),
    startUnicoSimulator({ contract: 'web-sdk', now: clock }),
  ]);
  const dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  const sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  try {
    const resources = await ensureLocalResources(dynamodb, sqs, sqsEmulator.endpoint);
    const quiet = new Logger({ serviceName: 'fallback-simulation', logLevel: process.env['SIMULATION_LOG_LEVEL'] === 'DEBUG' ? 'DEBUG' : 'SILENT' });
    const tracking = new InMemoryTrackingStore();
    const ledger: NotificationLedger = new DynamoDbNotificationLedger({ client: dynamodb, tableName: resources.claimsTableName });

    // Calls to Unico: the real client and the shared budget in the claims table, on the fake clock.
    const grants: number[] = [];
    const budget = createDynamoDbRequestBudget({
      client: dynamodb,
      tableName: resources.claimsTableName,
      maxPerSecond: options.maxRequestsPerSecond,
      time: {
        now: clock,
        sleep: async (ms) => {
          now += Math.max(0, ms);
        },
      },
    });
    const countedBudget: RequestBudget = {
      acquire: async (signal, notAfterMs) => {
        await budget.acquire(signal, notAfterMs);
        grants.push(now);
      },
      pauseUntil: (epochMs) => budget.pauseUntil(epochMs),
    };
    const client = new UnicoApiClient({
      contract: unico.contract,
      apiBaseUrl: unico.apiBaseUrl,
      identityUrl: unico.identityUrl,
      tokenUrl: unico.tokenUrl,
      serviceAccount: unico.serviceAccount,
      privateKeyPem: unico.privateKeyPem,
      budget: countedBudget,
      now: clock,
      // Tokens renewed when they run out, never in the background: on a fake clock a background
      // renewal's budget wait would move time under a call still on its way.
      tokenRefreshMarginMs: 0,
    });
    const calls: Array<{ processId: string; at: number }> = [];
    const fetcher: ProcessFetcher = {
      getProcess: (processId, signal, notAfterMs) => {
        calls.push({ processId, at: now });
        return client.getProcess(processId, signal, notAfterMs);
      },
    };

    const intake = composeIntakeHandler({
      dynamodb,
      sqs,
      claimsTableName: resources.claimsTableName,
      claimRetentionDays: 90,
      intakeQueueUrl: resources.intakeQueueUrl,
      authenticator: new OpenAuthenticator(),
      responseDeadlineMs: 5000,
      logger: quiet,
      clock,
    });
    const time = fallbackTimeBudget(FALLBACK_FUNCTION.timeoutSeconds);
    const fallback = composeFallbackHandler({
      dynamodb,
      sqs,
      claimsTableName: resources.claimsTableName,
      claimRetentionDays: 90,
      intakeQueueUrl: resources.intakeQueueUrl,
      tracking,
      ledger,
      fetcher,
      schedule: options.schedule,
      time,
      logger: quiet,
      clock,
    });

    const processes = plan(options, start);
    type Step = { at: number; order: number; act: () => Promise<void> };
    const steps: Step[] = [];
    const webhookAcceptedAt = new Map<string, number>();
    const setProcess = async (processId: string, body: Record<string, unknown>) => {
      const answer = await fetch(`${unico.adminUrl}/processes/${processId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (answer.status !== 204) throw new Error(`the Unico simulator refused a process: ${answer.status}`);
    };
    for (const process of processes) {
      const { processId, createdAt, expiresAt } = process;
      const unicoProcess = { id: processId, flow: 'idtoken', createdAt: new Date(createdAt).toISOString(), expiresAt: new Date(expiresAt).toISOString() };
      steps.push({
        at: createdAt,
        order: 0,
        act: async () => {
          await setProcess(processId, { ...unicoProcess, state: 'PROCESS_STATE_CREATED' });
          await tracking.track({
            processId,
            expiresAt: new Date(expiresAt).toISOString(),
            trackedAt: new Date(now).toISOString(),
            firstCheckAt: now + options.schedule.firstCheckSeconds * 1000,
          });
        },
      });
      if (process.finishesAt !== undefined) {
        const finishedAt = process.finishesAt;
        steps.push({
          at: finishedAt,
          order: 1,
          act: () =>
            setProcess(processId, { ...unicoProcess, state: FINISHED, result: 'PROCESS_RESULT_OK', finishedAt: new Date(finishedAt).toISOString() }),
        });
      }
      if (process.journeyFinishedAt !== undefined) {
        steps.push({
          at: process.journeyFinishedAt,
          order: 2,
          act: async () => {
            await tracking.journeyFinished(processId, new Date(now).toISOString(), now + options.schedule.journeyFinishedCheckSeconds * 1000);
          },
        });
      }
      if (process.webhookAt !== undefined) {
        steps.push({
          at: process.webhookAt,
          order: 3,
          act: async () => {
            const answer = await intake(webhookEvent(JSON.stringify({ processId, state: FINISHED, flow: 'idtoken' }), now), contextUntil(clock, now + 5000));
            if (answer.statusCode === undefined || answer.statusCode >= 300) throw new Error(`the intake answered ${answer.statusCode} to a webhook: ${String(answer.body)}`);
            webhookAcceptedAt.set(processId, now);
          },
        });
      }
    }
    steps.sort((a, b) => a.at - b.at || a.order - b.order);

    // Runs every simulated minute, one at a time, until nothing is tracked and nothing is left to happen.
    const summaries: FallbackRunSummary[] = [];
    let nextRunAt = start;
    let stepIndex = 0;
    const stillTracked = () => tracking.all().some((item) => item.status === 'tracking');
    while (stepIndex < steps.length || stillTracked()) {
      for (; stepIndex < steps.length && (steps[stepIndex]?.at ?? Infinity) <= nextRunAt; stepIndex += 1) {
        const step = steps[stepIndex] as Step;
        now = Math.max(now, step.at);
        await step.act();
      }
      now = Math.max(now, nextRunAt);
      const runStartedAt = now;
      const summary = await fallback({} as ScheduledEvent, contextUntil(clock, runStartedAt + FALLBACK_FUNCTION.timeoutSeconds * 1000));
      summaries.push(summary);
      nextRunAt += MINUTE;
      if (summaries.length % 60 === 0) {
        say(`  ${summaries.length / 60} h simulated: ${calls.length} GetProcess calls, ${tracking.all().filter((item) => item.status === 'tracking').length} still tracked`);
      }
      if (summaries.length > 14 * 24 * 60) throw new Error('the simulation did not settle within 14 simulated days');
    }

    // The claims table: every claim, counted per process.
    const claimsPerProcess = new Map<string, number>();
    let lastKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: resources.claimsTableName, ...(lastKey ? { ExclusiveStartKey: lastKey } : {}) }));
      for (const item of page.Items ?? []) {
        const processId = item['processId']?.S;
        // The budget's own item lives in the table too.
        if (processId !== undefined && item['state']?.S !== undefined) claimsPerProcess.set(processId, (claimsPerProcess.get(processId) ?? 0) + 1);
      }
      lastKey = page.LastEvaluatedKey;
    } while (lastKey !== undefined);
    const messagesPerProcess = await drainIntakeQueue(sqs, resources.intakeQueueUrl);

    const byId = new Map(tracking.all().map((item) => [item.processId, item]));
    const finished = processes.filter((process) => process.finishesAt !== undefined);
    const recovered = tracking.all().filter((item) => item.status === 'recovered');
    const callsPer = new Map<string, number>();
    for (const call of calls) callsPer.set(call.processId, (callsPer.get(call.processId) ?? 0) + 1);
    const recoveredCalls = recovered.map((item) => callsPer.get(item.processId) ?? 0);
    return {
      processes: processes.length,
      finished: finished.length,
      webhooksDelivered: webhookAcceptedAt.size,
      recoveredByFallback: recovered.length,
      notifiedByWebhook: tracking.all().filter((item) => item.status === 'notified' && item.detectedBy === 'webhook').length,
      expired: tracking.all().filter((item) => item.status === 'expired').length,
      lost: finished.filter((process) => {
        const status = byId.get(process.processId)?.status;
        return status !== 'notified' && status !== 'recovered';
      }).length,
      duplicatedClaims: [...claimsPerProcess.values()].filter((count) => count > 1).length,
      duplicatedIntakeMessages: [...messagesPerProcess.values()].filter((count) => count > 1).length,
      getProcessCalls: calls.length,
      callsPerRecovered: recovered.length === 0 ? 0 : recoveredCalls.reduce((sum, count) => sum + count, 0) / recovered.length,
      maxCallsForOneRecovered: Math.max(0, ...recoveredCalls),
      // The fallback reads the ledger right before each call: once a webhook is in, no call follows.
      callsAfterWebhook: calls.filter((call) => call.at >= (webhookAcceptedAt.get(call.processId) ?? Infinity)).length,
      peakRequestsPerSecond: peakPerSecond(grants),
      runs: summaries.length,
      runsStoppedEarly: summaries.filter((summary) => summary.stoppedEarly).length,
      simulatedHours: Math.round(((now - start) / HOUR) * 10) / 10,
    };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    await Promise.all([unico.stop(), dynamodbEmulator.stop(), sqsEmulator.stop()]);
  }
}

/** Every message on the intake queue, counted per process (the processor does not run here). */
async function drainIntakeQueue(sqs: SQSClient, queueUrl: string): Promise<Map<string, number>> {
  const perProcess = new Map<string, number>();
  for (;;) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    if (messages.length === 0) return perProcess;
    for (const message of messages) {
      const { processId } = JSON.parse(message.Body ?? '{}') as IntakeMessage;
      perProcess.set(processId, (perProcess.get(processId) ?? 0) + 1);
    }
  }
}

/** The figures as printed by `npm run simulate:fallback`. */
export function describeFigures(figures: SimulationFigures): string {
  return [
    `processes tracked                         ${figures.processes}`,
    `processes finished                        ${figures.finished}`,
    `  webhooks delivered (the rest dropped)   ${figures.webhooksDelivered}`,
    `  notified by webhook                     ${figures.notifiedByWebhook}`,
    `  recovered by the fallback               ${figures.recoveredByFallback}`,
    `  lost                                    ${figures.lost}`,
    `expired without a result                  ${figures.expired}`,
    `duplicated claims                         ${figures.duplicatedClaims}`,
    `duplicated intake messages                ${figures.duplicatedIntakeMessages}`,
    `GetProcess calls                          ${figures.getProcessCalls}`,
    `  per recovered process                   ${figures.callsPerRecovered.toFixed(2)} (at most ${figures.maxCallsForOneRecovered} for one)`,
    `  after the process's webhook came        ${figures.callsAfterWebhook}`,
    `peak requests per second (simulated)      ${figures.peakRequestsPerSecond}`,
    `fallback runs                             ${figures.runs} (${figures.runsStoppedEarly} stopped early), ${figures.simulatedHours} h simulated`,
  ].join('\n');
}
