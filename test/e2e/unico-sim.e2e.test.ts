import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue, processIdsOf } from '../support/queues.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';

/**
 * The unico-sim command, run as a user runs it, against `npm start` in every auth mode: `check`
 * passes every line, fails clearly on wrong credentials, and `deliver` with duplicates leaves
 * exactly one intake message per distinct processId (the processor is off, so the intake queue
 * keeps them).
 */
const run = promisify(execFile);
const SIM = new URL('../../bin/unico-sim.ts', import.meta.url).pathname;

interface SimRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function unicoSim(...args: string[]): Promise<SimRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SIM, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe.each(['basic:u:p', 'apikey:X-Api-Key:secret', 'apikey:secret', 'oauth2', 'none'])(
  'unico-sim against npm start with WEBHOOK_AUTH=%s',
  (auth) => {
    let stack: LocalStackProcess;
    let sqs: SQSClient;

    beforeAll(async () => {
      // No processor: the intake queue keeps its messages for the test to count.
      stack = await startLocalStackProcess({ WEBHOOK_AUTH: auth, RUN_PROCESSOR: 'false' });
      sqs = new SQSClient({
        endpoint: stack.endpoints.sqs.endpoint,
        region: stack.endpoints.sqs.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    });

    afterAll(async () => {
      sqs?.destroy();
      await stack?.stop();
    });

    test('check passes every expectation', async () => {
      const result = await unicoSim('check', '--endpoints', stack.endpointsFile);

      expect(result.stdout).not.toMatch(/^FAIL/m);
      expect(result.stdout.match(/^PASS/gm)).toHaveLength(auth === 'none' ? 5 : 7);
      expect(result.code).toBe(0);
    }, 30_000);

    test('deliver with duplicates: no permanent failure, one intake message per distinct processId', async () => {
      await drainQueue(sqs, stack.endpoints.sqs.intakeQueueUrl);

      const result = await unicoSim(
        'deliver', '--endpoints', stack.endpointsFile,
        '--count', '300', '--concurrency', '100', '--duplicates', '0.2', '--json',
      );

      const summary = JSON.parse(result.stdout) as {
        permanentFailures: number;
        deliveries: number;
        processIds: string[];
        byStatus: Record<string, number>;
      };
      expect(result.code).toBe(0);
      expect(summary.permanentFailures).toBe(0);
      expect(summary.deliveries).toBe(360);
      expect(summary.byStatus).toEqual({ '202': 300, '200': 60 });
      const enqueued = processIdsOf(await drainQueue(sqs, stack.endpoints.sqs.intakeQueueUrl));
      expect(enqueued).toHaveLength(300);
      expect(new Set(enqueued)).toEqual(new Set(summary.processIds));
    }, 60_000);

    if (auth !== 'none' && auth !== 'oauth2') {
      test('check fails with a clear line when given wrong credentials', async () => {
        const result = await unicoSim('check', '--url', stack.endpoints.webhookUrl, '--auth', `${auth}-wrong`);

        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/^FAIL +1\. .*401/m);
        // Behind refused credentials the malformed body was never judged: not a PASS.
        expect(result.stdout).toMatch(/^SKIP +6\. .*401/m);
        expect(result.stdout).toMatch(/none was accepted, so none reached the target's queue/);
      });
    }

    if (auth === 'oauth2') {
      test('check stops with one clear line, before sending anything, when given a wrong client secret', async () => {
        const { tokenUrl = '', clientId = '' } = stack.endpoints.auth;
        const result = await unicoSim(
          'check', '--url', stack.endpoints.webhookUrl, '--auth', 'oauth2',
          '--oauth2-token-url', tokenUrl, '--client-id', clientId, '--client-secret', 'wrong',
        );

        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr.trimEnd().split('\n')).toEqual([
          expect.stringMatching(/^unico-sim: no token from the OAuth2 provider .*: token endpoint answered 401.*; nothing was sent to /),
        ]);
      });
    }
  },
);

describe('unico-sim check against an endpoint that answers 500', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/unico`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('fails, each broken expectation on its own line with the status', async () => {
    const result = await unicoSim('check', '--url', url, '--auth', 'basic:u:p');

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +1\. .*500/m);
    expect(result.stdout).toMatch(/^FAIL +6\. .*500/m);
  });
});
