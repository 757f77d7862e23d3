import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TrackingClient } from '../../lambdas/contracts/tracking-client.ts';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';
import { post } from '../support/notifications.ts';
import { drainQueue } from '../support/queues.ts';

/**
 * Contract 3 on `npm start`, as an integrator's backend uses it: track a process, let it finish
 * in the local Unico with its webhook dropped (the process is set, no webhook is sent), signal the
 * end of the journey, and the fallback recovers it: one results event with detectedBy
 * "fallback", within the local schedule's period. A webhook that comes afterwards is a duplicate
 * and adds no event.
 */
const INTERVAL_SECONDS = 2;
let stack: LocalStackProcess;
let sqs: SQSClient;
let admin: string;
let tracking: TrackingClient;

beforeAll(async () => {
  stack = await startLocalStackProcess({ FALLBACK_INTERVAL_SECONDS: String(INTERVAL_SECONDS) });
  const { sqs: queues, unicoSimulator, trackingUrl } = stack.endpoints;
  if (unicoSimulator === null || trackingUrl === null) throw new Error('the local stack runs no Unico simulator or tracking routes');
  admin = unicoSimulator.adminUrl;
  tracking = new TrackingClient({ url: trackingUrl });
  sqs = new SQSClient({ endpoint: queues.endpoint, region: queues.region, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

/** Every results event that arrives within `withinMs`, once `until` holds for what came so far. */
async function resultsUntil(until: (events: ResultsEvent[]) => boolean, withinMs: number): Promise<ResultsEvent[]> {
  const events: ResultsEvent[] = [];
  const giveUpAt = Date.now() + withinMs;
  while (Date.now() < giveUpAt && !until(events)) {
    const batch = await drainQueue(sqs, stack.endpoints.sqs.resultsQueueUrl);
    events.push(...batch.map((message) => JSON.parse(message.Body ?? '{}') as ResultsEvent));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return events;
}

describe('npm start: a tracked process whose webhook never came', () => {
  test('journey-finished brings the check forward: one fallback event; the late webhook is a duplicate and adds none', async () => {
    const processId = randomUUID();
    const process = { id: processId, flow: 'idlive', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' };

    expect(await tracking.track(processId, { clientReference: 'order-42' })).toEqual(expect.objectContaining({ status: 'tracking' }));
    const put = await fetch(`${admin}/processes/${processId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(process),
    });
    expect(put.status).toBe(204);
    const signalledAt = Date.now();
    await tracking.journeyFinished(processId);

    const events = await resultsUntil((so) => so.some((event) => event.subject === processId), 30_000);
    const recoveredWithinMs = Date.now() - signalledAt;
    const ours = events.filter((event) => event.subject === processId);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.data).toEqual(expect.objectContaining({ detectedBy: 'fallback', state: 'PROCESS_STATE_FINISHED' }));
    expect(ours[0]?.data.outcome?.process).toEqual(process);
    // The local schedule's period, plus the processor's fetch.
    expect(recoveredWithinMs).toBeLessThan((INTERVAL_SECONDS + 8) * 1000);
    expect(await tracking.status(processId)).toEqual(expect.objectContaining({ status: 'recovered', detectedBy: 'fallback' }));

    const late = await post(stack.endpoints.webhookUrl, { processId, state: 'PROCESS_STATE_FINISHED', flow: 'idlive' });
    const after = await resultsUntil(() => false, 4000);

    expect(late).toMatchObject({ status: 200, body: { status: 'duplicate', processId } });
    expect(after.filter((event) => event.subject === processId)).toEqual([]);
  }, 90_000);
});
