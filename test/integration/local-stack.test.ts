import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { createServer, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicAuthorization, parseAuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { startLocalStack, type RunningLocalStack } from '../../tools/local-stack/local-stack.ts';
import { newNotification } from '../support/notifications.ts';

/** The whole local stack in-process (threads included), spoken to over HTTP. */
let stack: RunningLocalStack;
const lines: string[] = [];
const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  stack = await startLocalStack({
    port: 0,
    auth: parseAuthSpec('basic:unico:secret'),
    responseDeadlineMs: 5000,
    endpointsFile: null,
    logFormat: 'text',
    writeLine: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await stack?.stop();
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
});

/** A POST whose headers go out as given: an array value is sent as that many header lines. */
function post(url: string, headers: Record<string, string | string[]>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } as OutgoingHttpHeaders }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the local stack', () => {
  const right = basicAuthorization('unico', 'secret');
  const wrong = basicAuthorization('unico', 'wrong');

  test('two Authorization headers, the right one first, get 401 as in AWS (API Gateway joins them into one value)', async () => {
    const body = JSON.stringify(newNotification());

    const both = await post(stack.endpoints.webhookUrl, { authorization: [right, wrong] }, body);
    const alone = await post(stack.endpoints.webhookUrl, { authorization: right }, body);

    expect(both).toBe(401);
    expect(alone).toBe(202);
  });

  test('the intake, on its own thread, prints one text line per delivery through the stack', async () => {
    const notification = newNotification();
    const before = lines.length;

    await post(stack.endpoints.webhookUrl, { authorization: right }, JSON.stringify(notification));

    // Delivery lines only (the processor's lines name the processId too).
    const printed = lines.slice(before).filter((line) => /^\d\d:\d\d:\d\d \d{3} /.test(line) && line.includes(notification.processId));
    expect(printed).toEqual([expect.stringMatching(/ 202 accepted [0-9a-f-]{36} PROCESS_STATE_FINISHED \d+ ms$/)]);
  });

  test('a port in use stops the start with what to do: another port, or PORT=0', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;

    const failure = await startLocalStack({ port, auth: parseAuthSpec('none'), responseDeadlineMs: 5000, endpointsFile: null }).then(
      (started) => started.stop().then(() => undefined),
      (error: unknown) => error,
    );
    blocker.close();

    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toContain(`PORT: ${port} is already in use on 127.0.0.1`);
    expect((failure as Error).message).toContain('PORT=0');
  });
});
