import { describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startFunctionThreads } from '../../tools/local-stack/function-thread.ts';

const MODULE = new URL('../support/thread-id-function.ts', import.meta.url);

const event = (delayMs: number) => ({ body: String(delayMs) }) as APIGatewayProxyEventV2;

async function threadOf(invocation: Promise<{ body?: string } | undefined>): Promise<number> {
  const result = await invocation;
  return (JSON.parse(result?.body ?? '{}') as { threadId: number }).threadId;
}

describe('startFunctionThreads: a function on several threads, as Lambda runs instances side by side', () => {
  test('concurrent invocations are spread over every thread, each to the one with the fewest in flight', async () => {
    const threads = await startFunctionThreads(MODULE, { label: 'pool' }, () => undefined, 3);
    try {
      // Six slow invocations at once: two on each of the three threads.
      const busy = await Promise.all(Array.from({ length: 6 }, () => threadOf(threads.invoke(event(200)))));
      const perThread = new Map<number, number>();
      for (const id of busy) perThread.set(id, (perThread.get(id) ?? 0) + 1);
      expect([...perThread.values()]).toEqual([2, 2, 2]);

      // One thread kept busy, one invocation done elsewhere meanwhile: the next two go to the two
      // idle threads (taking turns would send the second to the busy one).
      const long = threadOf(threads.invoke(event(400)));
      const longThread = await Promise.race([long, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 0))]);
      await threadOf(threads.invoke(event(10)));
      const next = await Promise.all([threadOf(threads.invoke(event(50))), threadOf(threads.invoke(event(50)))]);
      const busyThread = await long;
      expect(longThread).toBe(-1);
      expect(next).not.toContain(busyThread);
      expect(new Set(next).size).toBe(2);
    } finally {
      await threads.stop();
    }
  });

  test('a function that cannot start fails the start with its reason, and a module that cannot load too', async () => {
    await expect(startFunctionThreads(MODULE, { label: 'x', failToStart: true }, () => undefined, 2)).rejects.toThrow(
      'the function did not start: this instance cannot start',
    );
    const missing = new URL('../support/no-such-function.ts', import.meta.url);
    await expect(startFunctionThreads(missing, {}, () => undefined, 2)).rejects.toThrow(/did not start.*Cannot find module/);
  });
});
