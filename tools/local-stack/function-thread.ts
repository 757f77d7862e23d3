/**
 * A local function on a worker thread of its own: the local API (on the main thread) parses HTTP
 * and builds the events; the function's instances run on the thread, with their own SDK clients
 * and event loop. In AWS every Lambda instance has its CPU to itself; on one event loop, the
 * HTTP front, the handlers and their SDK calls for 500 deliveries in flight queue behind one
 * another until deadlines pass, failures AWS does not have. Threads let them use every core while
 * the local stack stays one process that one signal stops.
 *
 * The thread's module calls `serveFunction` with a function that builds the LocalFunction from
 * a configuration (plain data: it is copied to the thread); the main thread calls
 * `startFunctionThread` with that module and configuration.
 */
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalFunction } from './local-api.ts';
import type { LineWriter } from './log-output.ts';

type ToThread = { readonly kind: 'invoke'; readonly id: number; readonly event: APIGatewayProxyEventV2 } | { readonly kind: 'stop' };

type FromThread =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly result: APIGatewayProxyStructuredResultV2 | undefined }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
  | { readonly kind: 'line'; readonly line: string }
  | { readonly kind: 'stopped' };

/**
 * A young generation much larger than V8's default: at 500 deliveries in flight a request lives
 * for hundreds of milliseconds, so with a small one most of what a delivery allocates is still
 * alive at a scavenge, gets copied, then promoted to the old generation, which then needs full
 * collections. 192 MiB lets most of it die young: about 8% less CPU per delivery than 64 MiB in
 * alternating runs at 500 in flight on a 2-core machine, for about 130 MiB more resident memory.
 * (Lambda sizes the heap from the function's memory; this only concerns the local stack's threads.)
 */
export const THREAD_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 192 } as const;

export interface RunningFunctionThread extends LocalFunction {
  stop(): Promise<void>;
}

/**
 * Starts `module` on a worker thread with `config` and waits until its function is ready. Text
 * lines the function writes (log-output.ts's `text` format) come back to `writeLine`; Powertools'
 * JSON goes to the thread's stdout, which Node passes to the process's.
 */
export async function startFunctionThread(module: URL, config: unknown, writeLine: LineWriter): Promise<RunningFunctionThread> {
  // The environment as this module sees it (POWERTOOLS_LOG_LEVEL and the like).
  const worker = new Worker(module, { workerData: config, env: process.env, resourceLimits: THREAD_RESOURCE_LIMITS });
  const pending = new Map<number, { resolve: (result: APIGatewayProxyStructuredResultV2 | undefined) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let settleStart: (outcome: FromThread) => void = () => undefined;
  const started = new Promise<FromThread>((resolve) => (settleStart = resolve));
  let settleStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (settleStop = resolve));
  const failAll = (message: string) => {
    for (const { reject } of pending.values()) reject(new Error(message));
    pending.clear();
  };

  worker.on('message', (message: FromThread) => {
    switch (message.kind) {
      case 'ready':
      case 'failed':
        settleStart(message);
        return;
      case 'line':
        writeLine(message.line);
        return;
      case 'result':
        pending.get(message.id)?.resolve(message.result);
        pending.delete(message.id);
        return;
      case 'error':
        pending.get(message.id)?.reject(new Error(message.message));
        pending.delete(message.id);
        return;
      case 'stopped':
        settleStop();
        return;
    }
  });
  worker.on('error', (error) => {
    settleStart({ kind: 'failed', message: String(error) });
    failAll(`the function thread failed: ${String(error)}`);
  });
  // once() rejects when the thread emits 'error' first (a module that cannot load): that case is
  // the 'error' listener's, and the thread has exited all the same.
  const exited = once(worker, 'exit').catch(() => undefined).then(() => {
    settleStop();
    failAll('the function thread exited');
  });

  const outcome = await started;
  if (outcome.kind !== 'ready') {
    await worker.terminate();
    throw new Error(`the function did not start: ${outcome.kind === 'failed' ? outcome.message : outcome.kind}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    invoke: (event) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: 'invoke', id, event } satisfies ToThread);
      }),
    stop: () =>
      (stopping ??= (async () => {
        worker.postMessage({ kind: 'stop' } satisfies ToThread);
        await Promise.race([stopped, exited]);
        await worker.terminate();
      })()),
  };
}

/**
 * How many threads run a function: one per core the machine offers, at most four. In AWS a
 * function's instances run side by side, each on a CPU of its own; on one thread, the SDK work of
 * 500 deliveries in flight would queue behind one another on a single core while the others idle.
 */
export const FUNCTION_THREADS = Math.min(4, Math.max(1, availableParallelism()));

/**
 * `count` threads of one function (each with its own instances, SDK clients and authenticator,
 * as separate containers have), behind one LocalFunction: an invocation goes to the thread with
 * the fewest invocations in flight.
 */
export async function startFunctionThreads(
  module: URL,
  config: unknown,
  writeLine: LineWriter,
  count: number = FUNCTION_THREADS,
): Promise<RunningFunctionThread> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startFunctionThread(module, config, writeLine)));
  const threads = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(threads.map((thread) => thread.stop()));
    throw failure.reason;
  }
  const inFlight = threads.map(() => 0);
  return {
    invoke: async (event) => {
      let chosen = 0;
      for (let index = 1; index < threads.length; index++) if (inFlight[index]! < inFlight[chosen]!) chosen = index;
      inFlight[chosen]! += 1;
      try {
        return await threads[chosen]!.invoke(event);
      } finally {
        inFlight[chosen]! -= 1;
      }
    },
    stop: async () => {
      await Promise.all(threads.map((thread) => thread.stop()));
    },
  };
}

/** A function the thread serves, and what to release when the local stack stops. */
export interface ThreadFunction {
  readonly target: LocalFunction;
  stop(): Promise<void>;
}

/**
 * The thread's side: builds the function from the configuration the main thread passed, then
 * answers invocations until told to stop. `writeLine` sends a text line to the main thread.
 */
export async function serveFunction<C>(start: (config: C, writeLine: LineWriter) => Promise<ThreadFunction>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('serveFunction runs on a worker thread');
  const send = (message: FromThread) => port.postMessage(message);
  let served: ThreadFunction;
  try {
    served = await start(workerData as C, (line) => send({ kind: 'line', line }));
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  port.on('message', (message: ToThread) => {
    if (message.kind === 'stop') {
      void served.stop().finally(() => {
        send({ kind: 'stopped' });
        port.close();
      });
      return;
    }
    served.target.invoke(message.event).then(
      (result) => send({ kind: 'result', id: message.id, result }),
      (error: unknown) => send({ kind: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ kind: 'ready' });
}
