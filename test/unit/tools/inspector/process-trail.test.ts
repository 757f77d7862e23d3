import { describe, expect, test } from '@jest/globals';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ProcessTrail } from '../../../../tools/inspector/process-trail.ts';

const QUEUES = { intakeQueueUrl: 'http://sqs/intake.fifo', resultsQueueUrl: 'http://sqs/results.fifo' };
const PROCESS_ID = '0b5c8e2a-1c1d-4e3f-9a8b-7c6d5e4f3a2b';

type Middleware = (next: (args: unknown) => Promise<unknown>, context: { commandName: string }) => (args: unknown) => Promise<unknown>;

/** A client whose middleware stack only remembers the middleware: the test plays the SDK. */
function fakeClient() {
  const added: Middleware[] = [];
  const client = { middlewareStack: { add: (middleware: Middleware) => added.push(middleware) } } as unknown as SQSClient;
  const call = async (commandName: string, input: unknown, output: unknown) => {
    const middleware = added[0];
    if (middleware === undefined) throw new Error('no middleware added');
    return middleware(async () => ({ output }), { commandName })({ input });
  };
  return { client, call };
}

describe('ProcessTrail', () => {
  test('records intake messages the processor receives and results events it sends, by processId', async () => {
    const trail = new ProcessTrail(10, () => 0);
    const { client, call } = fakeClient();
    const heard: string[] = [];
    trail.subscribe((processId) => heard.push(processId));
    trail.watch(client, QUEUES);
    const intake = { processId: PROCESS_ID.toUpperCase(), state: 'PROCESS_STATE_FINISHED', detectedBy: 'webhook' };
    const event = { id: `${PROCESS_ID}:PROCESS_STATE_FINISHED`, subject: PROCESS_ID, data: { detectedBy: 'webhook' } };

    const result = await call('ReceiveMessageCommand', { QueueUrl: QUEUES.intakeQueueUrl }, { Messages: [{ Body: JSON.stringify(intake) }] });
    await call('SendMessageCommand', { QueueUrl: QUEUES.resultsQueueUrl, MessageBody: JSON.stringify(event) }, {});

    expect(result).toEqual({ output: { Messages: [{ Body: JSON.stringify(intake) }] } });
    expect(trail.get(PROCESS_ID)).toEqual({
      intakeMessages: [{ at: new Date(0).toISOString(), body: intake }],
      resultsEvents: [{ at: new Date(0).toISOString(), body: event }],
    });
    expect(heard).toEqual([PROCESS_ID, PROCESS_ID]);
  });

  test('ignores other queues and commands, and bodies it cannot read, without failing the call', async () => {
    const trail = new ProcessTrail();
    const { client, call } = fakeClient();
    trail.watch(client, QUEUES);

    await call('SendMessageCommand', { QueueUrl: QUEUES.intakeQueueUrl, MessageBody: JSON.stringify({ processId: PROCESS_ID }) }, {});
    await call('ReceiveMessageCommand', { QueueUrl: QUEUES.resultsQueueUrl }, { Messages: [{ Body: JSON.stringify({ subject: PROCESS_ID }) }] });
    await expect(call('ReceiveMessageCommand', { QueueUrl: QUEUES.intakeQueueUrl }, { Messages: 'not a list' })).resolves.toBeDefined();
    await call('ReceiveMessageCommand', { QueueUrl: QUEUES.intakeQueueUrl }, { Messages: [{ Body: 'not json' }] });

    expect(trail.get(PROCESS_ID)).toEqual({ intakeMessages: [], resultsEvents: [] });
  });

  test('forgets the least recently seen process beyond its limit', () => {
    const trail = new ProcessTrail(2);
    const ids = ['a', 'b', 'c'].map((letter) => `${letter.repeat(8)}-0000-4000-8000-000000000000`);

    trail.record('intake', JSON.stringify({ processId: ids[0] }));
    trail.record('intake', JSON.stringify({ processId: ids[1] }));
    trail.record('intake', JSON.stringify({ processId: ids[0] }));
    trail.record('intake', JSON.stringify({ processId: ids[2] }));

    expect(trail.get(ids[0] as string).intakeMessages).toHaveLength(2);
    expect(trail.get(ids[1] as string).intakeMessages).toHaveLength(0);
    expect(trail.get(ids[2] as string).intakeMessages).toHaveLength(1);
  });
});
