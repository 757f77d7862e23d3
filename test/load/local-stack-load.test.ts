import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue } from '../support/queues.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';

/**
 * Load, sustained: `npm start` (intake, processor and the local Unico) under Unico's maximum of
 * 500 deliveries in flight, 20% of the notifications sent twice (half of the copies together with
 * the original, half after it), retried as Unico retries (3 attempts). Every delivery
 * must end 2xx (first-attempt successes are reported), and every process must end as exactly one results event. The latency
 * percentiles are written to reports/load.json and printed, never asserted: speed is for
 * `npm run bench`.
 */
const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
const NOTIFICATIONS = 1500;
const AUTH = 'basic:load:load-password';

interface DeliverSummary {
  readonly deliveries: number;
  readonly firstTrySuccesses: number;
  readonly permanentFailures: number;
  readonly byStatus: Record<string, number>;
  readonly deliveriesPerSecond: number;
  readonly latencyMs: Record<string, number>;
  readonly processIds: readonly string[];
}

let stack: LocalStackProcess;
let sqs: SQSClient;

beforeAll(async () => {
  // The processor's calls to the local Unico are not what is loaded here: a budget they never wait on.
  stack = await startLocalStackProcess({ WEBHOOK_AUTH: AUTH, UNICO_MAX_RPS: '1000' });
  sqs = new SQSClient({
    endpoint: stack.endpoints.sqs.endpoint,
    region: stack.endpoints.sqs.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

async function deliver(): Promise<DeliverSummary> {
  const args = ['bin/unico-sim.ts', 'deliver', '--endpoints', stack.endpointsFile, '--count', String(NOTIFICATIONS)];
  args.push('--duplicates', '0.2', '--concurrency', '500', '--max-attempts', '3', '--interval', '0.5', '--json', '--no-progress');
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
    // deliver exits 1 when a delivery failed; its JSON still says what happened, and the test shows it.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
  );
  return JSON.parse(stdout) as DeliverSummary;
}

/** The subject (processId) of every results event, until `expected` arrived and 3 s passed with no more. */
async function resultsFor(expected: number): Promise<string[]> {
  const subjects: string[] = [];
  const giveUpAt = Date.now() + 120_000;
  let quietSince = Date.now();
  while (Date.now() < giveUpAt && (subjects.length < expected || Date.now() - quietSince < 3000)) {
    const messages = await drainQueue(sqs, stack.endpoints.sqs.resultsQueueUrl);
    if (messages.length > 0) quietSince = Date.now();
    subjects.push(...messages.map((message) => (JSON.parse(message.Body ?? '{}') as { subject: string }).subject));
    await sleep(250);
  }
  return subjects;
}

describe('npm start at 500 deliveries in flight with 20% copies', () => {
  test('every delivery ends 2xx, and exactly one results event per process', async () => {
    const summary = await deliver();
    const figures = {
      notifications: NOTIFICATIONS,
      deliveries: summary.deliveries,
      firstTrySuccesses: summary.firstTrySuccesses,
      deliveriesPerSecond: Math.round(summary.deliveriesPerSecond),
      latencyMs: summary.latencyMs,
    };
    await mkdir(`${PROJECT_ROOT}reports`, { recursive: true });
    await writeFile(`${PROJECT_ROOT}reports/load.json`, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`load: ${JSON.stringify(figures)}\n`);

    expect(summary.deliveries).toBe(Math.round(NOTIFICATIONS * 1.2));
    // Every delivery ends 2xx with Unico's own retries; first attempts answered otherwise (503
    // when the machine is busier than the deadline allows) are reported in reports/load.json.
    expect(summary.permanentFailures).toBe(0);

    const subjects = await resultsFor(NOTIFICATIONS);
    const perProcess = new Map<string, number>();
    for (const subject of subjects) perProcess.set(subject, (perProcess.get(subject) ?? 0) + 1);
    expect([...perProcess.values()].filter((count) => count > 1)).toEqual([]);
    expect(new Set(subjects)).toEqual(new Set(summary.processIds));
  }, 240_000);
});
