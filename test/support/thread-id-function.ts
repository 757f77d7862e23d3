/**
 * A function for the function-thread tests: served on a worker thread, it answers each
 * invocation with the thread it ran on, after the delay the event's body names (in ms), or fails
 * to start when its configuration says so.
 */
import { threadId } from 'node:worker_threads';
import { serveFunction } from '../../tools/local-stack/function-thread.ts';

await serveFunction<{ readonly label: string; readonly failToStart?: boolean }>(async (config) => {
  if (config.failToStart) throw new Error('this instance cannot start');
  return {
    target: {
      invoke: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, Number(event.body ?? 0)));
        return { statusCode: 200, body: JSON.stringify({ label: config.label, threadId }) };
      },
    },
    stop: async () => undefined,
  };
});
