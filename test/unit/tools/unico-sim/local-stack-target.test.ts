/**
 * unico-sim against a local stack described by an endpoints file: the made-up processIds are
 * registered in its Unico before anything is sent, the summaries say how many results events come
 * and how long the budget needs, check judges only from answers that test it, `--auth` given
 * Unico's form value suggests the notation, and `results` reads the results queue.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { main, type CliDeps, type CliIo } from '../../../../tools/unico-sim/cli.ts';
import type { CheckReport } from '../../../../tools/unico-sim/check.ts';
import { finishedProcess } from '../../../../tools/unico-sim/local-unico.ts';
import { formValueHint } from '../../../../tools/unico-sim/options.ts';
import { readResults, type QueueMessage, type ResultsQueue } from '../../../../tools/unico-sim/results.ts';
import type { DeliverSummary } from '../../../../tools/unico-sim/summary.ts';
import { answer, recordingSleep, scriptedSender } from './fakes.ts';
import { contractReceiver, startLoopback, type Handler, type Loopback, type Received } from './loopback-server.ts';

const servers: Loopback[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function sim(argv: string[], overrides: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty: false, env: {} };
  const code = await main(argv, io, { sleep: recordingSleep().sleep, ...overrides });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A receiver on /webhooks/unico and a Unico admin API on /admin, as the local stack has. */
async function localStack(auth: string, adminAnswer = 204) {
  const receiver = contractReceiver({ auth });
  const registered = new Map<string, Record<string, unknown>>();
  const order: string[] = [];
  const handler: Handler = (request: Received) => {
    const admin = /^\/admin\/processes\/([0-9a-f-]{36})$/.exec(request.path);
    if (admin !== null && request.method === 'PUT') {
      order.push(`register ${admin[1]}`);
      registered.set(admin[1] ?? '', JSON.parse(request.body) as Record<string, unknown>);
      return { status: adminAnswer };
    }
    const processId = /"processId":"([0-9a-f-]{36})"/.exec(request.body)?.[1];
    if (processId !== undefined) order.push(`deliver ${processId}`);
    return receiver.handler(request);
  };
  const server = await startLoopback(handler);
  servers.push(server);
  const file = JSON.stringify({
    webhookUrl: `${server.baseUrl}/webhooks/unico`,
    auth: { mode: auth.split(':')[0], unico: auth.split(':').slice(1).join(':') || auth },
    sqs: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', resultsQueueUrl: 'http://127.0.0.1:9/000000000000/unico-results.fifo' },
    unicoSimulator: { apiBaseUrl: server.baseUrl, identityUrl: `${server.baseUrl}/identity`, adminUrl: `${server.baseUrl}/admin`, contract: 'web-sdk' },
    processor: { unicoMaxRps: 5 },
    pid: 1,
  });
  return { server, receiver, registered, order, readFile: (path: string) => (path === 'endpoints.json' ? file : '') };
}

describe('deliver against the local stack', () => {
  it('registers every made-up processId as a finished process before sending it, and says how long the results take', async () => {
    const stack = await localStack('basic:unico:s3cret');

    const run = await sim(['deliver', '--endpoints', 'endpoints.json', '--count', '12', '--expired-ratio', '0', '--json'], { readFile: stack.readFile });

    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DeliverSummary;
    expect(new Set(stack.registered.keys())).toEqual(new Set(summary.processIds));
    for (const [id, process] of stack.registered) {
      expect(process).toMatchObject({ id, state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', clientReference: 'unico-sim-deliver' });
    }
    const lastRegistration = stack.order.findLastIndex((step) => step.startsWith('register'));
    const firstDelivery = stack.order.findIndex((step) => step.startsWith('deliver'));
    expect(lastRegistration).toBeLessThan(firstDelivery);
    expect(summary.resultsQueue).toEqual({ registered: 12, events: 12, fetches: 12, unicoMaxRps: 5, seconds: 3 });
  });

  it('prints the pace in its text summary', async () => {
    const stack = await localStack('none');

    const run = await sim(['deliver', '--endpoints', 'endpoints.json', '--count', '11'], { readFile: stack.readFile });

    expect(run.stdout).toMatch(/^results +11 results events to come \(the 11 finished with an outcome from the local Unico\): .* budget of 5\/s \(UNICO_MAX_RPS\) takes about 3 s/m);
  });

  it('leaves processes given with --process-id alone: they are the user\'s', async () => {
    const stack = await localStack('none');
    const mine = '6f1c2b9a-0000-4000-8000-000000000001';

    const run = await sim(['deliver', '--endpoints', 'endpoints.json', '--process-id', mine, '--json'], { readFile: stack.readFile });

    expect(run.code).toBe(0);
    expect(stack.registered.size).toBe(0);
    expect((JSON.parse(run.stdout) as DeliverSummary).resultsQueue).toMatchObject({ registered: 0, events: 1, fetches: 1 });
  });

  it('registers nothing when --url sends the traffic somewhere else than the file\'s stack', async () => {
    const stack = await localStack('none');
    const elsewhere = await startLoopback(contractReceiver({ auth: 'none' }).handler);
    servers.push(elsewhere);

    const run = await sim(['deliver', '--endpoints', 'endpoints.json', '--url', `${elsewhere.baseUrl}/webhooks/unico`, '--json'], { readFile: stack.readFile });

    expect(run.code).toBe(0);
    expect(stack.registered.size).toBe(0);
    expect((JSON.parse(run.stdout) as DeliverSummary).resultsQueue).toBeUndefined();
  });

  it('stops before delivering anything when the local Unico does not take the processes', async () => {
    const stack = await localStack('none', 500);

    const run = await sim(['deliver', '--endpoints', 'endpoints.json', '--count', '3'], { readFile: stack.readFile });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^unico-sim: the local Unico at http:\/\/127\.0\.0\.1:\d+\/admin did not take 3 of the 3 processes \(answered 500\); nothing was delivered/);
    expect(stack.order.some((step) => step.startsWith('deliver'))).toBe(false);
  });
});

describe('check against the local stack', () => {
  it('registers its finished notifications first and counts what was accepted', async () => {
    const stack = await localStack('basic:unico:s3cret');

    const run = await sim(['check', '--endpoints', 'endpoints.json', '--json'], { readFile: stack.readFile });

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CheckReport;
    const finished = report.notifications.filter((notification) => notification.state === 'PROCESS_STATE_FINISHED');
    expect(new Set(stack.registered.keys())).toEqual(new Set(finished.map((notification) => notification.processId)));
    expect(report.notifications.map((notification) => [notification.expectation, notification.accepted])).toEqual([
      [1, true], [3, true], [4, false], [5, false], [7, true],
    ]);
    expect(report.resultsQueue).toEqual({ registered: 4, events: 3, fetches: 2, unicoMaxRps: 5, seconds: 1 });
  });
});

describe('check judges each expectation only from answers that test it', () => {
  it('with credentials the endpoint refuses: the refusals and the body check are SKIP, not PASS, and nothing was accepted', async () => {
    const server = await startLoopback(contractReceiver({ auth: 'basic:unico:s3cret' }).handler);
    servers.push(server);

    const run = await sim(['check', '--url', `${server.baseUrl}/webhooks/unico`, '--auth', 'basic:unico:wrong']);

    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
    expect(lines.map((line) => line.slice(0, 4))).toEqual(['FAIL', 'FAIL', 'FAIL', 'SKIP', 'SKIP', 'SKIP', 'FAIL']);
    expect(lines[3]).toMatch(/401 in .*valid credentials were refused too \(1\. answered 401\)/);
    expect(lines[5]).toMatch(/401 in .*the credentials were refused, the body never judged/);
    expect(run.stdout).toMatch(/^sent 5 notifications with flow "unico-sim-check" .*: none was accepted, so none reached the target's queue$/m);
  });

  it('a 400 for the malformed body with accepted credentials still passes', async () => {
    const { send } = scriptedSender([answer(202), answer(200), ...Array.from({ length: 20 }, () => answer(200)), answer(401), answer(401), answer(400), answer(202)]);

    const run = await sim(['check', '--url', 'http://receiver.test/webhooks/unico', '--auth', 'basic:u:p'], { send });

    expect(run.stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line)).map((line) => line.slice(0, 4)))
      .toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
    expect(run.stdout).toMatch(/: 3 accepted, now on the target's queue/);
  });
});

describe('--auth given what Unico\'s form holds', () => {
  it.each([
    ['unico:s3cret', undefined, '; "unico:…" looks like what Unico\'s form holds: did you mean basic:unico:…? (or apikey:unico:… for an API key HEADER:VALUE)'],
    ['X-Api-Key:k3y', 'apikey:X-Api-Key:other', '; "X-Api-Key:…" looks like what Unico\'s form holds: did you mean apikey:X-Api-Key:…?'],
    ['k3y', undefined, '; "…" looks like what Unico\'s form holds for an API key: did you mean apikey:…?'],
    ['basic:nopassword', undefined, ''],
  ])('%s (endpoints file auth %s)', (text, fromFile, hint) => {
    expect(formValueHint(text, fromFile)).toBe(hint);
  });

  it('the command line says it, without repeating the secret', async () => {
    const run = await sim(['check', '--url', 'http://x/', '--auth', 'unico:s3cret']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean basic:unico:…?');
    expect(run.stderr).not.toContain('s3cret');
  });
});

describe('the processes registered', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const notification = { processId: '6f1c2b9a-0000-4000-8000-000000000001', state: 'PROCESS_STATE_FINISHED', flow: 'idtoken' };

  it('Web & SDK: the object inside process, with the notification\'s flow; an expired one is PROCESS_RESULT_EXPIRED', () => {
    expect(finishedProcess('web-sdk', notification, 'unico-sim-check', now)).toMatchObject({
      id: notification.processId, flow: 'idtoken', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', clientReference: 'unico-sim-check',
    });
    expect(finishedProcess('web-sdk', { ...notification, lastEvent: 'EVENT_TYPE_QR_CODE_READ', lastEventDescription: 'QR code was read' }, 'x', now))
      .toMatchObject({ result: 'PROCESS_RESULT_EXPIRED', lastEvent: 'EVENT_TYPE_QR_CODE_READ' });
  });

  it('API contract: the whole answer, status 3 (finished ok), or 4 (canceled) when expired', () => {
    expect(finishedProcess('api', notification, 'x', now)).toMatchObject({ id: notification.processId, status: 3 });
    expect(finishedProcess('api', { ...notification, lastEvent: 'EVENT_TYPE_SESSION_ENDED' }, 'x', now)).toEqual({ id: notification.processId, status: 4 });
  });
});

describe('results', () => {
  const event = (processId: string) => JSON.stringify({ specversion: '1.0', subject: processId, data: { processId, outcome: null } });

  /** A queue that hands out the given bodies in batches and records what was done with them. */
  function fakeQueue(batches: string[][]) {
    const removed: string[] = [];
    const released: string[] = [];
    let closed = false;
    let n = 0;
    const queue: ResultsQueue = {
      receive: async () => (batches.shift() ?? []).map((body): QueueMessage => ({ body, receiptHandle: `h${n++}` })),
      remove: async (message) => { removed.push(message.body); },
      release: async (messages) => { released.push(...messages.map((message) => message.body)); },
      close: () => { closed = true; },
    };
    return { queue, removed, released, closed: () => closed };
  }
  const sqs = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', resultsQueueUrl: 'http://127.0.0.1:9/0/q.fifo' };
  const A = 'aaaaaaaa-0000-4000-8000-000000000001';
  const B = 'bbbbbbbb-0000-4000-8000-000000000002';

  it('takes the asked-for process\'s event, puts the others back, and closes the client', async () => {
    const fake = fakeQueue([[event(B)], [event(A), event(B.replace('b', 'c'))]]);

    const report = await readResults({ sqs, processIds: [A], count: 1, waitMs: 10_000 }, fake.queue);

    expect(report.events).toEqual([JSON.parse(event(A))]);
    expect(fake.removed).toEqual([event(A)]);
    expect(fake.released).toEqual([event(B), event(B.replace('b', 'c'))]);
    expect(fake.closed()).toBe(true);
  });

  it('gives up when the wait ends, and the command exits 1 saying how many came', async () => {
    let now = 0;
    const fake = fakeQueue([]);
    const queue: ResultsQueue = { ...fake.queue, receive: async (waitSeconds) => { now += waitSeconds * 1000; return []; } };
    const file = JSON.stringify({ sqs });

    const run = await sim(['results', '--endpoints', 'e.json', '--process-id', A, '--wait', '3'], {
      readFile: () => file, resultsQueue: () => queue, clock: () => now,
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^unico-sim: 0 of 1 results event within 3 s /);
  });

  it('prints each event as JSON and exits 0 once --count came', async () => {
    const fake = fakeQueue([[event(A), event(B)]]);

    const run = await sim(['results', '--endpoints', 'e.json', '--count', '2'], {
      readFile: () => JSON.stringify({ sqs }), resultsQueue: () => fake.queue,
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${JSON.stringify(JSON.parse(event(A)), null, 2)}\n${JSON.stringify(JSON.parse(event(B)), null, 2)}\n`);
  });

  it.each([
    [['results'], '--endpoints is required'],
    [['results', '--endpoints', 'e.json', '--process-id', 'nope'], '--process-id must be a UUID'],
  ])('%j is refused', async (argv, message) => {
    const run = await sim(argv, { readFile: () => JSON.stringify({ sqs }) });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('an endpoints file without a results queue is refused', async () => {
    const run = await sim(['results', '--endpoints', 'e.json'], { readFile: () => '{}' });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('names no results queue');
  });
});
