import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';
import { drainQueue } from '../support/queues.ts';

/**
 * `npm start` as a user runs it: Unico in a box finishes processes and sends their webhooks, the
 * intake accepts them, the processor fetches each outcome from the simulator and publishes one
 * CloudEvent per process on the results queue. Counted from outside: the results queue and the
 * simulator's own statistics.
 */
const MAX_RPS = 10;
/** A minute of 429s with Retry-After: 1 (each pauses every caller for a second): every message refused waits its back-off (30 s) and comes back. */
const STORM = 60;
let stack: LocalStackProcess;
let sqs: SQSClient;
let admin: string;

beforeAll(async () => {
  stack = await startLocalStackProcess({ UNICO_MAX_RPS: String(MAX_RPS) });
  const { sqs: queues, unicoSimulator } = stack.endpoints;
  if (unicoSimulator === null) throw new Error('the local stack runs no Unico simulator');
  admin = unicoSimulator.adminUrl;
  sqs = new SQSClient({ endpoint: queues.endpoint, region: queues.region, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${admin}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.text();
  return response.status;
}

/** Results events until `count` arrived and then no more for a while, or the bounded wait ends. */
async function collectResults(count: number, withinMs: number): Promise<ResultsEvent[]> {
  const events: ResultsEvent[] = [];
  const giveUpAt = Date.now() + withinMs;
  let quietSince = 0;
  while (Date.now() < giveUpAt) {
    const batch = await drainQueue(sqs, stack.endpoints.sqs.resultsQueueUrl);
    events.push(...batch.map((message) => JSON.parse(message.Body ?? '{}') as ResultsEvent));
    if (batch.length > 0) quietSince = Date.now();
    if (events.length >= count && Date.now() - quietSince > 3000) return events;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return events;
}

describe('npm start: from Unico finishing a process to the results queue', () => {
  test('200 finished processes, 30% of their webhooks sent twice, a storm of 429s: 200 events with outcomes, one token, no sliding second over the budget', async () => {
    const processes = Array.from({ length: 200 }, (_, index) => ({
      id: crypto.randomUUID(),
      flow: 'idunicosign',
      state: 'PROCESS_STATE_FINISHED',
      result: index % 7 === 0 ? 'PROCESS_RESULT_INVALID_IDENTITY' : 'PROCESS_RESULT_OK',
      person: { duiValue: '12345678909', friendlyName: `Pessoa ${index}` },
    }));
    expect(await call('POST', '/faults', { status: 429, retryAfter: 1, count: STORM })).toBe(204);
    for (const process of processes) expect(await call('PUT', `/processes/${process.id}`, process)).toBe(204);

    const sent = await Promise.all(
      processes.map(async (process, index) => {
        const first = await call('POST', `/processes/${process.id}/webhook`);
        const again = index % 10 < 3 ? await call('POST', `/processes/${process.id}/webhook`) : 202;
        return [first, again];
      }),
    );
    const events = await collectResults(200, 120_000);
    const stats = (await (await fetch(`${admin}/stats`)).json()) as {
      tokenRequests: number;
      peakRequestsPerSecond: number;
      peakRequestsInAnySecond: number;
      byStatus: Record<string, number>;
    };

    expect(sent.flat().filter((status) => status !== 202)).toEqual([]);
    expect(events).toHaveLength(200);
    const byProcess = new Map(events.map((event) => [event.subject, event]));
    expect(byProcess.size).toBe(200);
    for (const process of processes) {
      expect(byProcess.get(process.id)?.data.outcome?.process).toEqual(process);
    }
    expect(stats.tokenRequests).toBe(1);
    expect(stats.byStatus['429']).toBe(STORM);
    expect(stats.peakRequestsPerSecond).toBeLessThanOrEqual(MAX_RPS);
    expect(stats.peakRequestsInAnySecond).toBeLessThanOrEqual(MAX_RPS);
    const deadLettered = await drainQueue(sqs, stack.endpoints.sqs.intakeDlqUrl);
    expect(deadLettered).toEqual([]);
  }, 180_000);
});
