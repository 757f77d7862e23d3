import { afterAll, describe, expect, test } from '@jest/globals';
import { access } from 'node:fs/promises';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';

/**
 * A CI system or a process manager signals the process it started: `npm start`'s npm, not its
 * children. SIGTERM to npm alone must stop the whole local stack, as Ctrl+C does.
 */
describe('npm start and SIGTERM to the npm process', () => {
  let stack: LocalStackProcess | undefined;

  afterAll(async () => {
    // Whatever outlived npm (the failure this test is about) is killed with the group.
    await stack?.kill();
  });

  test('stops the local stack cleanly: it stops answering and removes its endpoints file', async () => {
    stack = await startLocalStackProcess({ WEBHOOK_AUTH: 'none' });
    const answering = await fetch(stack.endpoints.webhookUrl, { method: 'POST', body: '{}' });
    expect(answering.status).toBe(400);

    await stack.terminateNpm();

    expect(stack.output()).toMatch(/SIGTERM: stopping the local stack\n.*local stack stopped/s);
    await expect(access(stack.endpointsFile)).rejects.toThrow();
    await expect(fetch(stack.endpoints.webhookUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  }, 90_000);
});
