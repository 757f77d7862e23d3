/**
 * The intake warm, in this process, against the baseline of bench/baseline/powertools-intake.ts:
 * both handlers get the same API Gateway events and real SDK clients whose requests are answered
 * in memory (bench/in-memory-aws.ts), so what is measured is the handlers' own work and the SDK's,
 * never a network or an emulator.
 *
 * - requestsPerDelivery: AWS requests (HTTP requests the SDK sent) for a first delivery and for a
 *   copy of a delivery already confirmed by the queue's consumer (for the baseline: completed).
 * - warmThroughput: deliveries per second, in rounds alternating which handler goes first; each
 *   round sends `count` new notifications, then 20% of them again once confirmed (our claims are
 *   set confirmed as the processor would; the baseline's records are completed by then).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { credentialHeaders, parseAuthSpec } from '../lambdas/contracts/auth-notation.ts';
import { CLAIMS_TABLE } from '../lambdas/contracts/claims-table.ts';
import { INTAKE_FUNCTION } from '../lambdas/contracts/functions.ts';
import { WEBHOOK_PATH } from '../lambdas/contracts/routes.ts';
import { intakeTimeBudget } from '../lambdas/contracts/time-budgets.ts';
import { credentialFromSpec, StaticCredentialAuthenticator } from '../lambdas/core/auth/static-credentials.ts';
import { composeIntakeHandler } from '../lambdas/intake/compose.ts';
import { lambdaContext } from '../tools/local-stack/api-gateway-event.ts';
import { BASELINE_TABLE_KEY, createPowertoolsIntake } from './baseline/powertools-intake.ts';
import { InMemoryAws } from './in-memory-aws.ts';

const AUTH = parseAuthSpec('basic:bench:bench-password');
const CLAIMS = 'claims';
const IDEMPOTENCY = 'idempotency';
const INTAKE_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/intake.fifo';
const RESPONSE_DEADLINE_MS = 5000;

export type IntakeName = 'ours' | 'baseline';
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface WiredIntake {
  readonly handle: Handler;
  readonly aws: InMemoryAws;
  /** Marks every accepted notification confirmed, as the intake queue's consumer would. */
  confirmAll(): void;
}

/** One handler and its own in-memory AWS. Both log at the same level (POWERTOOLS_LOG_LEVEL). */
export function wireIntake(name: IntakeName): WiredIntake {
  const aws = new InMemoryAws({
    [CLAIMS]: { partitionKey: CLAIMS_TABLE.partitionKey, sortKey: CLAIMS_TABLE.sortKey },
    [IDEMPOTENCY]: { partitionKey: BASELINE_TABLE_KEY },
  });
  const authenticator = new StaticCredentialAuthenticator('basic', async () => [credentialFromSpec(AUTH)]);
  const logger = new Logger({ serviceName: INTAKE_FUNCTION.serviceName });
  if (name === 'ours') {
    // As lambdas/intake/index.ts builds them: the intake's attempt limit on both clients.
    const { maxAttempts } = intakeTimeBudget(RESPONSE_DEADLINE_MS).awsCalls;
    const handle = composeIntakeHandler({
      dynamodb: new DynamoDBClient({ ...aws.clientConfig(), maxAttempts }),
      sqs: new SQSClient({ ...aws.clientConfig(), maxAttempts }),
      claimsTableName: CLAIMS,
      claimRetentionDays: 90,
      intakeQueueUrl: INTAKE_QUEUE_URL,
      responseDeadlineMs: RESPONSE_DEADLINE_MS,
      authenticator,
      logger,
    });
    return {
      handle,
      aws,
      confirmAll: () => {
        for (const item of aws.items(CLAIMS)) item.status = { S: 'confirmed' };
      },
    };
  }
  const handle = createPowertoolsIntake({
    dynamodb: new DynamoDBClient(aws.clientConfig()),
    sqs: new SQSClient(aws.clientConfig()),
    idempotencyTableName: IDEMPOTENCY,
    intakeQueueUrl: INTAKE_QUEUE_URL,
    authenticator,
    logger,
  });
  // The utility completes its record itself, in the same invocation.
  return { handle, aws, confirmAll: () => undefined };
}

/** A notification as Unico sends it, for a new process. */
export function newNotificationBody(): string {
  return JSON.stringify({
    processId: randomUUID(),
    state: 'PROCESS_STATE_FINISHED',
    flow: 'idcheck',
    lastEvent: 'EVENT_TYPE_PROCESS_FINISHED',
    lastEventDescription: 'Process finished',
  });
}

/** The HTTP API's event for one delivery of `body`, as API Gateway hands it to the intake. */
export function deliveryEvent(body: string, now = Date.now()): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${WEBHOOK_PATH}`,
    rawPath: WEBHOOK_PATH,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'unico-idcloud-webhook',
      ...lowerCased(credentialHeaders(AUTH)),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path: WEBHOOK_PATH, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'unico-idcloud-webhook' },
      requestId: randomUUID(),
      routeKey: `POST ${WEBHOOK_PATH}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function context(): Context {
  return lambdaContext(INTAKE_FUNCTION.serviceName, 10_000);
}

export interface RequestCounts {
  /** AWS requests per first delivery, and the operations they were. */
  readonly accepted: { readonly perDelivery: number; readonly operations: Readonly<Record<string, number>> };
  /** AWS requests per copy of a confirmed delivery. */
  readonly duplicate: { readonly perDelivery: number; readonly operations: Readonly<Record<string, number>> };
  /** Status codes answered to the first deliveries and to the copies. */
  readonly statuses: { readonly accepted: readonly number[]; readonly duplicate: readonly number[] };
}

/** Sends `count` new notifications one after another, confirms them, then sends each again. */
export async function requestsPerDelivery(name: IntakeName, count = 10): Promise<RequestCounts> {
  const intake = wireIntake(name);
  const bodies = Array.from({ length: count }, newNotificationBody);
  const measure = async () => {
    const before = new Map(intake.aws.requests);
    const statuses: number[] = [];
    for (const body of bodies) statuses.push((await intake.handle(deliveryEvent(body), context())).statusCode ?? 0);
    const operations: Record<string, number> = {};
    let total = 0;
    for (const [operation, n] of intake.aws.requests) {
      const added = n - (before.get(operation) ?? 0);
      if (added === 0) continue;
      operations[operation] = added / count;
      total += added;
    }
    return { perDelivery: total / count, operations, statuses };
  };
  const accepted = await measure();
  intake.confirmAll();
  const duplicate = await measure();
  return {
    accepted: { perDelivery: accepted.perDelivery, operations: accepted.operations },
    duplicate: { perDelivery: duplicate.perDelivery, operations: duplicate.operations },
    statuses: { accepted: accepted.statuses, duplicate: duplicate.statuses },
  };
}

/** One round of one handler: deliveries per second over new notifications and 20% copies, and over the new ones alone. */
async function throughputRound(name: IntakeName, count: number, concurrency: number): Promise<{ all: number; firsts: number }> {
  const intake = wireIntake(name);
  const bodies = Array.from({ length: count }, newNotificationBody);
  const copies = bodies.slice(0, Math.round(count * 0.2));
  // The events are built before the clock starts: in Lambda the runtime hands them over parsed.
  const firsts = bodies.map((body) => deliveryEvent(body));
  const seconds = copies.map((body) => deliveryEvent(body));
  const run = async (events: readonly APIGatewayProxyEventV2[]) => {
    let next = 0;
    let failures = 0;
    const worker = async () => {
      while (next < events.length) {
        const event = events[next++]!;
        const status = (await intake.handle(event, context())).statusCode ?? 0;
        if (status >= 300) failures++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failures > 0) throw new Error(`${name}: ${failures} deliveries not answered 2xx in the warm bench`);
    return performance.now() - started;
  };
  const firstMs = await run(firsts);
  intake.confirmAll();
  const copyMs = await run(seconds);
  return { all: ((firsts.length + seconds.length) * 1000) / (firstMs + copyMs), firsts: (firsts.length * 1000) / firstMs };
}

export interface WarmThroughput {
  readonly rounds: ReadonlyArray<{ readonly ours: number; readonly baseline: number; readonly ratio: number; readonly firstsRatio: number }>;
  /** The median of the rounds' ratios (ours over baseline), copies included. */
  readonly medianRatio: number;
  /** The same over the new notifications alone (each round's first phase). */
  readonly medianFirstsRatio: number;
  readonly count: number;
  readonly concurrency: number;
}

/**
 * Rounds in pairs, alternating which handler goes first, after unmeasured pairs that warm both
 * up (JIT, the SDK's lazy loading).
 */
export async function warmThroughput(rounds: number, count: number, concurrency = 50): Promise<WarmThroughput> {
  // Two pairs not counted: the first rounds run partly unoptimised (V8 tiers up over thousands of calls).
  for (let warmUp = 0; warmUp < 2; warmUp++) {
    await throughputRound('ours', count, concurrency);
    await throughputRound('baseline', count, concurrency);
  }
  const results: Array<{ ours: number; baseline: number; ratio: number; firstsRatio: number }> = [];
  for (let round = 0; round < rounds; round++) {
    let ours: { all: number; firsts: number };
    let baseline: { all: number; firsts: number };
    if (round % 2 === 0) {
      ours = await throughputRound('ours', count, concurrency);
      baseline = await throughputRound('baseline', count, concurrency);
    } else {
      baseline = await throughputRound('baseline', count, concurrency);
      ours = await throughputRound('ours', count, concurrency);
    }
    results.push({ ours: ours.all, baseline: baseline.all, ratio: ours.all / baseline.all, firstsRatio: ours.firsts / baseline.firsts });
  }
  return {
    rounds: results,
    medianRatio: median(results.map((r) => r.ratio)),
    medianFirstsRatio: median(results.map((r) => r.firstsRatio)),
    count,
    concurrency,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
