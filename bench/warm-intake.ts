/**
 * The intake warm, in this process, against the baseline of bench/baseline/powertools-intake.ts:
 * both handlers get the same API Gateway events and real SDK clients whose requests are answered
 * in memory (bench/in-memory-aws.ts), so what is measured is the handlers' own work and the SDK's,
 * never a network or an emulator.
 *
 * - requestsPerDelivery: AWS requests (HTTP requests the SDK sent) for a first delivery and for a
 *   copy of a delivery already confirmed by the queue's consumer (for the baseline: completed).
 * - warmThroughput: deliveries per second. Each round sends both handlers the same `count` new
 *   notifications, then 20% of them again once confirmed (our claims are set confirmed as the
 *   processor would; the baseline's records are completed by then), in slices taken in turns so
 *   that the machine's other work lands on both alike; the figure is the median of the rounds'
 *   ratios, with their spread, on the wall clock and per CPU-second of this process.
 *
 * Neither handler writes metrics here: ours is wired without Powertools Metrics (as the local stack
 * wires it), the baseline has none. In AWS the intake also writes one EMF line per invocation
 * (lambdas/intake/index.ts), which a Powertools user counting deliveries would write too: about 8 µs
 * of CPU per invocation measured alone (logMetrics, one addMetric, the flush), against some 450 µs
 * for the whole warm delivery here.
 *
 * One delivery at a time, as a Lambda execution environment runs invocations (it takes the next
 * only once it has answered the last); with 50 at once in one process, a way no intake runs, the
 * ratio on the mix was 1.39 to 1.49 on the same machine.
 *
 * What bounds the ratio (`WARM_ROUNDS=3 node --cpu-prof bench/warm-intake.ts`, shared 2-core
 * machine): about three quarters of either handler's CPU is the SDK's, some 235 µs per request
 * with the in-memory answer; our handler's own work (middy, logger, auth, parse, deadlines) is
 * about 20 µs per delivery. Ours makes 2 requests for a new notification and 1 for a copy, the
 * baseline 3 and 1: that difference is most of the ratio.
 *
 * `node bench/warm-intake.ts` runs the throughput part alone (WARM_ROUNDS, default 7; WARM_COUNT,
 * default 3000), as `npm run bench` runs it in its part 2.
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

/** What one handler's deliveries took: wall clock, and this process's CPU time (every thread). */
interface Spent {
  wallMs: number;
  cpuMs: number;
}

/** The two handlers compared: ours and the baseline, or two versions of one for a before/after. */
export interface IntakePair {
  readonly ours: () => WiredIntake;
  readonly baseline: () => WiredIntake;
}

/** One handler's share of a round: its own AWS, its own copies of the events. */
interface Lane {
  readonly name: string;
  readonly intake: WiredIntake;
  readonly firsts: readonly APIGatewayProxyEventV2[];
  readonly copies: readonly APIGatewayProxyEventV2[];
  readonly spent: { readonly firsts: Spent; readonly copies: Spent };
}

/** Both handlers' deliveries per second in one round, and ours over the baseline's. */
export interface RoundFigures {
  /** New notifications and copies together. */
  readonly ours: number;
  readonly baseline: number;
  readonly ratio: number;
  /** The same ratio over the new notifications alone. */
  readonly firstsRatio: number;
}

/** A round on the wall clock (the fields), and the same per CPU-second of this process (`cpu`). */
export interface PairedRound extends RoundFigures {
  readonly cpu: RoundFigures;
}

/**
 * One round: both handlers get the same `count` new notifications, then 20% of them again once
 * confirmed, in slices of `slice` deliveries taken in turns (first, second, second, first, ...),
 * so that a burst of other work on a shared machine lands on both alike instead of on one round
 * of one handler.
 */
async function pairedRound(pair: IntakePair, count: number, concurrency: number, slice: number, oursFirst: boolean): Promise<PairedRound> {
  const bodies = Array.from({ length: count }, newNotificationBody);
  const copies = bodies.slice(0, Math.round(count * 0.2));
  const lane = (name: string, wire: () => WiredIntake): Lane => ({
    name,
    intake: wire(),
    // The events are built before any clock starts: in Lambda the runtime hands them over parsed.
    firsts: bodies.map((body) => deliveryEvent(body)),
    copies: copies.map((body) => deliveryEvent(body)),
    spent: { firsts: { wallMs: 0, cpuMs: 0 }, copies: { wallMs: 0, cpuMs: 0 } },
  });
  // Built in the order they first run, so that neither is always the older one.
  const lanes = oursFirst
    ? [lane('ours', pair.ours), lane('baseline', pair.baseline)]
    : [lane('baseline', pair.baseline), lane('ours', pair.ours)];
  const [ours, baseline] = lanes[0]!.name === 'ours' ? [lanes[0]!, lanes[1]!] : [lanes[1]!, lanes[0]!];

  const phase = async (which: 'firsts' | 'copies') => {
    const total = ours[which].length;
    for (let from = 0, turn = 0; from < total; from += slice, turn++) {
      for (const current of turn % 2 === 0 ? lanes : [...lanes].reverse()) {
        await timedSlice(current, which, from, Math.min(total, from + slice), concurrency);
      }
    }
  };
  await phase('firsts');
  ours.intake.confirmAll();
  baseline.intake.confirmAll();
  await phase('copies');

  const figures = (time: keyof Spent): RoundFigures => {
    const perSecond = (current: Lane) => {
      const { firsts, copies: seconds } = current.spent;
      return {
        all: ((current.firsts.length + current.copies.length) * 1000) / (firsts[time] + seconds[time]),
        firsts: (current.firsts.length * 1000) / firsts[time],
      };
    };
    const [a, b] = [perSecond(ours), perSecond(baseline)];
    return { ours: a.all, baseline: b.all, ratio: a.all / b.all, firstsRatio: a.firsts / b.firsts };
  };
  return { ...figures('wallMs'), cpu: figures('cpuMs') };
}

/** Deliveries [from, to) of one phase, `concurrency` at once, timed into the lane's account. */
async function timedSlice(lane: Lane, which: 'firsts' | 'copies', from: number, to: number, concurrency: number): Promise<void> {
  const events = lane[which];
  let next = from;
  let failures = 0;
  const worker = async () => {
    while (next < to) {
      const event = events[next++]!;
      // API Gateway stamps the time it received the request: the deadline runs from here, not
      // from when the bench built the event (on a busy machine, seconds earlier). The context
      // likewise counts its remaining time from the invocation's start.
      event.requestContext.timeEpoch = Date.now();
      const status = (await lane.intake.handle(event, context())).statusCode ?? 0;
      if (status >= 300) failures++;
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (failures > 0) throw new Error(`${lane.name}: ${failures} deliveries not answered 2xx in the warm bench`);
  lane.spent[which].wallMs += wallMs;
  lane.spent[which].cpuMs += (cpu.user + cpu.system) / 1000;
}

/** The smallest, the quartiles and the largest of some values. */
export interface Spread {
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const quantile = (q: number) => {
    const position = (sorted.length - 1) * q;
    const below = sorted[Math.floor(position)]!;
    return below + (sorted[Math.ceil(position)]! - below) * (position - Math.floor(position));
  };
  return { min: sorted[0] ?? Number.NaN, q1: quantile(0.25), median: median(sorted), q3: quantile(0.75), max: sorted.at(-1) ?? Number.NaN };
}

export interface WarmThroughput {
  readonly rounds: readonly PairedRound[];
  /** The median of the rounds' ratios (ours over baseline, wall clock), copies included. */
  readonly medianRatio: number;
  /** The same over the new notifications alone (each round's first phase). */
  readonly medianFirstsRatio: number;
  /** The rounds' ratios, copies included: on the wall clock, and per CPU-second of this process. */
  readonly spread: { readonly wall: Spread; readonly cpu: Spread };
  readonly count: number;
  readonly concurrency: number;
  readonly slice: number;
}

/**
 * `rounds` paired rounds, alternating which handler takes the first slice, after two unmeasured
 * ones that warm both up (the first rounds run partly unoptimised: V8 tiers up over thousands of
 * calls, and the SDK loads parts of itself lazily).
 *
 * The figure is the wall clock's, as throughput is. Each round also records this process's CPU
 * time (GC and its other threads included): the handlers and the in-memory AWS wait on nothing
 * but the CPU, so the two ratios agree unless the interleaving failed to spread other tenants'
 * work evenly, which a gap between them shows.
 */
export async function warmThroughput(
  rounds: number,
  count: number,
  // One at a time, as a Lambda execution environment runs invocations: a warm intake serves the
  // next delivery only once it has answered the last one.
  concurrency = 1,
  slice = 250,
  pair: IntakePair = { ours: () => wireIntake('ours'), baseline: () => wireIntake('baseline') },
): Promise<WarmThroughput> {
  for (let warmUp = 0; warmUp < 2; warmUp++) await pairedRound(pair, count, concurrency, slice, warmUp % 2 === 0);
  const results: PairedRound[] = [];
  for (let round = 0; round < rounds; round++) results.push(await pairedRound(pair, count, concurrency, slice, round % 2 === 0));
  return {
    rounds: results,
    medianRatio: median(results.map((r) => r.ratio)),
    medianFirstsRatio: median(results.map((r) => r.firstsRatio)),
    spread: { wall: spread(results.map((r) => r.ratio)), cpu: spread(results.map((r) => r.cpu.ratio)) },
    count,
    concurrency,
    slice,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Run directly: the throughput part alone, logs silenced as `npm run bench` silences them.
if (import.meta.main) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const warm = await warmThroughput(Number(process.env.WARM_ROUNDS ?? 7), Number(process.env.WARM_COUNT ?? 3000));
  const fixed = (n: number, digits = 0) => n.toFixed(digits);
  for (const [index, r] of warm.rounds.entries()) {
    console.log(
      `round ${index + 1}: ours ${fixed(r.ours)}/s, baseline ${fixed(r.baseline)}/s, ratio ${fixed(r.ratio, 3)} (new only ${fixed(r.firstsRatio, 3)}); ` +
        `per CPU-second ${fixed(r.cpu.ours)} and ${fixed(r.cpu.baseline)}, ratio ${fixed(r.cpu.ratio, 3)}`,
    );
  }
  const show = (s: Spread) => `${fixed(s.median, 3)} (min ${fixed(s.min, 3)}, quartiles ${fixed(s.q1, 3)} and ${fixed(s.q3, 3)}, max ${fixed(s.max, 3)})`;
  console.log(`ours / baseline, wall clock: ${show(warm.spread.wall)}; new notifications alone ${fixed(warm.medianFirstsRatio, 3)}`);
  console.log(`ours / baseline, CPU time:   ${show(warm.spread.cpu)}`);
}
