import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import type { DeliverSummary } from '../../tools/unico-sim/summary.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';
import { drainQueue } from '../support/queues.ts';

/**
 * `unico-sim deliver` against `npm start`, as the README's rehearsal runs it: the local Unico
 * knows every processId deliver made up, so each results event carries an outcome, and an
 * outcome set through the admin API afterwards arrives within what the budget needs for the
 * events queued before it (deliver's summary says how long). Counted on the results queue.
 */
const run = promisify(execFile);
const SIM = new URL('../../bin/unico-sim.ts', import.meta.url).pathname;
const MAX_RPS = 20;
let stack: LocalStackProcess;
let sqs: SQSClient;

beforeAll(async () => {
  stack = await startLocalStackProcess({ WEBHOOK_AUTH: 'basic:unico:s3cret', UNICO_MAX_RPS: String(MAX_RPS) });
  sqs = new SQSClient({
    endpoint: stack.endpoints.sqs.endpoint, region: stack.endpoints.sqs.region, credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

describe('deliver against npm start, then an outcome set through the admin API', () => {
  test('every one of the 200 events carries an outcome, and the one set afterwards comes within the budget\'s time', async () => {
    const { stdout } = await run(process.execPath, [SIM, 'deliver', '--endpoints', stack.endpointsFile, '--count', '200', '--concurrency', '50', '--json'], { timeout: 120_000 });
    const summary = JSON.parse(stdout) as DeliverSummary;
    expect(summary.resultsQueue).toEqual({ registered: 200, events: 200, fetches: 200, unicoMaxRps: MAX_RPS, seconds: 200 / MAX_RPS });

    const admin = stack.endpoints.unicoSimulator?.adminUrl ?? '';
    const id = crypto.randomUUID();
    const set = { id, flow: 'idunicosign', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_INVALID_IDENTITY' };
    expect((await fetch(`${admin}/processes/${id}`, { method: 'PUT', body: JSON.stringify(set) })).status).toBe(204);
    expect((await fetch(`${admin}/processes/${id}/webhook`, { method: 'POST' })).status).toBe(202);

    // Bounded by what the summary says the budget needs, with room for the machine; the processor
    // takes several processes at once, so the one set last may come before some of the others.
    const events = new Map<string, ResultsEvent>();
    const giveUpAt = Date.now() + (summary.resultsQueue?.seconds ?? 0) * 1000 + 30_000;
    const wanted = [...summary.processIds, id];
    while (!wanted.every((processId) => events.has(processId)) && Date.now() < giveUpAt) {
      for (const message of await drainQueue(sqs, stack.endpoints.sqs.resultsQueueUrl)) {
        const event = JSON.parse(message.Body ?? '{}') as ResultsEvent;
        events.set(event.subject, event);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    expect(events.get(id)?.data.outcome?.process).toEqual(set);
    const delivered = summary.processIds.map((processId) => events.get(processId));
    expect(delivered.filter((event) => event === undefined)).toHaveLength(0);
    expect(delivered.filter((event) => event?.data.outcome === null || event?.data.outcomeError !== undefined)).toEqual([]);
    expect(delivered.every((event) => event?.data.outcome?.process.clientReference === 'unico-sim-deliver')).toBe(true);
  }, 180_000);
});
