/**
 * `npm run bench:durability`: the receiver's first promise checked from outside, under load.
 *
 * Starts the local stack as `npm start` does (its own process), then, RUNS times in a row, has the
 * real `unico-sim deliver` send COUNT notifications with 20% sent twice, 500 in flight (Unico's
 * maximum) and a retry 400 ms after any non-2xx. The local stack's processor takes each intake
 * message and publishes one event per notification (fetching from the local Unico, which does
 * not know these processes and answers 404: the event carries that as `outcomeError`). After each
 * run it reads the results queue and checks: every process that got a 2xx has its event, and
 * none has two.
 * Settings: DURABILITY_RUNS (default 5), DURABILITY_COUNT (default 2000), DURABILITY_AUTH
 * (default basic:durability:durability-password). Exits 1 on any loss or double.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEndpoints } from '../tools/local-stack/local-stack.ts';

const RUNS = Number(process.env.DURABILITY_RUNS ?? 5);
const COUNT = Number(process.env.DURABILITY_COUNT ?? 2000);
const AUTH = process.env.DURABILITY_AUTH ?? 'basic:durability:durability-password';
const ROOT = new URL('..', import.meta.url).pathname;

interface DeliverSummary {
  readonly deliveries: number;
  readonly firstTrySuccesses: number;
  readonly retries: number;
  readonly permanentFailures: number;
  readonly processIds: readonly string[];
  readonly failures: ReadonlyArray<{ readonly processId: string }>;
  readonly byStatus: Record<string, number>;
}

const folder = await mkdtemp(join(tmpdir(), 'unico-durability-'));
const endpointsFile = join(folder, 'endpoints.json');
const stack = spawn(process.execPath, ['bin/local-stack.ts'], {
  cwd: ROOT,
  env: {
    ...process.env,
    PORT: '0',
    WEBHOOK_AUTH: AUTH,
    LOCAL_ENDPOINTS_FILE: endpointsFile,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // The processor's calls to the local Unico are not what is measured here.
    UNICO_MAX_RPS: '1000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stackClosed = once(stack, 'close');

try {
  const endpoints = await waitForEndpoints();
  const sqs = new SQSClient({
    endpoint: endpoints.sqs.endpoint,
    region: endpoints.sqs.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  console.log(`durability: ${RUNS} runs of ${COUNT} notifications, 20% sent twice, 500 in flight, retry 400 ms after any non-2xx`);
  console.log(['run', 'deliveries', '1st-try 2xx', 'retries', 'failed', 'got 2xx', 'events', 'missing', 'twice'].map((h) => h.padStart(12)).join(''));
  let broken = 0;
  for (let run = 1; run <= RUNS; run++) {
    const summary = await deliver();
    // deliver lists at most 20 failed deliveries: with more, which processes got a 2xx is unknown.
    if (summary.permanentFailures > summary.failures.length) throw new Error('too many failed deliveries to check');
    const failed = new Set(summary.failures.map((failure) => failure.processId));
    const answered2xx = summary.processIds.filter((processId) => !failed.has(processId));
    const onQueue = await drainResults(sqs, endpoints.sqs.resultsQueueUrl, answered2xx.length);
    const counts = new Map<string, number>();
    for (const processId of onQueue) counts.set(processId, (counts.get(processId) ?? 0) + 1);
    const missing = answered2xx.filter((processId) => !counts.has(processId));
    const twice = [...counts.values()].filter((count) => count > 1).length;
    broken += missing.length + twice;
    console.log(
      [run, summary.deliveries, summary.firstTrySuccesses, summary.retries, summary.permanentFailures, answered2xx.length, counts.size, missing.length, twice]
        .map((value) => String(value).padStart(12))
        .join(''),
    );
    for (const processId of missing.slice(0, 5)) console.log(`  missing from the queue: ${processId}`);
  }
  sqs.destroy();
  console.log(broken === 0 ? 'every process answered 2xx has its results event, none has two' : `${broken} violations`);
  if (broken > 0) process.exitCode = 1;
} finally {
  stack.kill('SIGTERM');
  await stackClosed;
  await rm(folder, { recursive: true, force: true });
}

async function waitForEndpoints(): Promise<LocalEndpoints> {
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (stack.exitCode !== null) throw new Error(`the local stack exited with ${stack.exitCode}`);
    try {
      return JSON.parse(await readFile(endpointsFile, 'utf8')) as LocalEndpoints;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('the local stack did not become ready within 60 s');
}

async function deliver(): Promise<DeliverSummary> {
  const args = ['bin/unico-sim.ts', 'deliver', '--endpoints', endpointsFile, '--count', String(COUNT), '--duplicates', '0.2'];
  args.push('--concurrency', '500', '--interval', '0.4', '--max-interval', '0.4', '--max-attempts', '5', '--json', '--no-progress');
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
    // deliver exits 1 when a delivery failed for good; its JSON still tells what happened.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
  );
  return JSON.parse(stdout) as DeliverSummary;
}

/**
 * The processId of every event on the results queue, taking them off, until at least `expected`
 * arrived and none came for 5 s (or 120 s passed). FIFO hands out groups a few at a time.
 */
async function drainResults(sqs: SQSClient, queueUrl: string, expected: number): Promise<string[]> {
  const processIds: string[] = [];
  const giveUpAt = Date.now() + 120_000;
  let lastArrival = Date.now();
  while (Date.now() < giveUpAt && (processIds.length < expected || Date.now() - lastArrival < 5000)) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    lastArrival = Date.now();
    for (const message of Messages) processIds.push((JSON.parse(message.Body ?? '{}') as { subject: string }).subject);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }
  return processIds;
}
