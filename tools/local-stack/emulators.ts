import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { Worker } from 'node:worker_threads';

/** A protocol-speaking stand-in for an AWS service, listening on loopback. */
export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Connections the emulator's listener queues before its loop accepts them. Node's default (511)
 * is about what 500 deliveries in flight open at once after a start (each intake thread's client
 * opens a socket per claim in flight): past it, Linux drops the connection attempt and the client
 * tries again a second later, which the SDK's 1 s connect timeout does not wait for. The system
 * caps it (net.core.somaxconn, 4096 on current Linux).
 */
const LISTEN_BACKLOG = 4096;

/** DynamoDB: dynalite, in memory. (No transactions and no TTL: nothing here relies on either.) */
export async function startDynamoDbEmulator(port = 0): Promise<RunningEmulator> {
  // Imported here, not above: each emulator thread loads only its own emulator, the main thread neither.
  const { default: dynalite } = await import('dynalite');
  returnOldItemOnConditionFailure();
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Keep idle keep-alive connections (Node's default drops them after 5 s): clients reuse them
  // between bursts instead of connecting again, as they do with DynamoDB's endpoint.
  (server as Server & { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
  server.listen(port, '127.0.0.1', LISTEN_BACKLOG);
  await once(server, 'listening');
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** dynalite's module of item checks, as its actions call it (`db.checkConditional(data, item)`). */
interface DynaliteDb {
  checkConditional(data: { readonly ReturnValuesOnConditionCheckFailure?: string }, existingItem: object | undefined): DynaliteError | null | undefined;
  [OLD_ITEM_ON_FAILURE]?: true;
}
interface DynaliteError extends Error {
  body: Record<string, unknown>;
}
/** A write action's validation: the parameters it keeps (dynalite drops any other). */
interface DynaliteValidation {
  readonly types: Record<string, unknown>;
}
const OLD_ITEM_ON_FAILURE = Symbol.for('unico-webhook-receiver.dynalite-old-item-on-failure');

/**
 * DynamoDB's answer to a write whose condition fails, asked for
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`: the error carries the item the condition saw.
 * dynalite 4 drops the parameter, so a copy would cost the intake's claim a read it never makes in
 * AWS (where it has no permission to read). The parameter is added to what dynalite's put, update
 * and delete accept, and the item to the error their `checkConditional` returns, once per process.
 */
function returnOldItemOnConditionFailure(): void {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db/index.js') as DynaliteDb;
  if (db[OLD_ITEM_ON_FAILURE]) return;
  for (const action of ['putItem', 'updateItem', 'deleteItem']) {
    const validation = require(`dynalite/validations/${action}.js`) as DynaliteValidation;
    validation.types.ReturnValuesOnConditionCheckFailure = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const checkConditional = db.checkConditional.bind(db);
  db.checkConditional = (data, existingItem) => {
    const refusal = checkConditional(data, existingItem);
    if (refusal && existingItem !== undefined && data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') {
      refusal.body = { ...refusal.body, Item: existingItem };
    }
    return refusal;
  };
  db[OLD_ITEM_ON_FAILURE] = true;
}

/** SQS: fauxqs, in memory, FIFO deduplication included. */
export async function startSqsEmulator(port = 0): Promise<RunningEmulator> {
  const { startFauxqs } = await import('fauxqs');
  // fauxqs binds every interface; its queue URLs name localhost, and clients use this endpoint.
  const server = await startFauxqs({ port, logger: false });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(),
  };
}

/** Which emulators the thread starts (a port each; 0 picks a free one). */
export interface EmulatorThreadRequest {
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
}

export type EmulatorThreadReply =
  | { readonly kind: 'ready'; readonly dynamodbEndpoint?: string; readonly sqsEndpoint?: string }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'stopped' };

export interface EmulatorThread {
  readonly dynamodb?: RunningEmulator;
  readonly sqs?: RunningEmulator;
  /** Stops both emulators and the thread. */
  stop(): Promise<void>;
}

/**
 * Starts the emulators on worker threads of the local stack's process, one thread each. In AWS
 * every Lambda instance has the CPU to itself and DynamoDB and SQS run elsewhere; on one event
 * loop, 500 deliveries in flight keep it so busy that the emulators answer late and the handler's
 * SDK calls time out, failures AWS would not have. A thread each gives every emulator its own
 * loop (a burst of claims does not queue the sends behind it, nor the other way round) while the
 * whole stack stays one process that one signal stops.
 */
export async function startEmulatorThread(request: EmulatorThreadRequest): Promise<EmulatorThread> {
  const requests: EmulatorThreadRequest[] = [
    ...(request.dynamodbPort === undefined ? [] : [{ dynamodbPort: request.dynamodbPort }]),
    ...(request.sqsPort === undefined ? [] : [{ sqsPort: request.sqsPort }]),
  ];
  const started = await Promise.allSettled(requests.map(startOneEmulatorThread));
  const threads = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= Promise.all(threads.map((thread) => thread.stop())).then(() => undefined));
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }
  const dynamodb = threads.find((thread) => thread.dynamodb)?.dynamodb;
  const sqs = threads.find((thread) => thread.sqs)?.sqs;
  // Either emulator's stop stops both, as when they shared a thread.
  const emulator = (endpoint: string): RunningEmulator => ({ endpoint, stop });
  return {
    ...(dynamodb ? { dynamodb: emulator(dynamodb.endpoint) } : {}),
    ...(sqs ? { sqs: emulator(sqs.endpoint) } : {}),
    stop,
  };
}

/** One emulator thread (emulator-thread.ts) serving what `request` asks for. */
async function startOneEmulatorThread(request: EmulatorThreadRequest): Promise<EmulatorThread> {
  const worker = new Worker(new URL('./emulator-thread.ts', import.meta.url), {
    workerData: request,
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  const exited = once(worker, 'exit');
  const reply = (await Promise.race([
    once(worker, 'message').then(([message]) => message as EmulatorThreadReply),
    once(worker, 'error').then(([error]) => ({ kind: 'failed', message: String(error) }) as const),
  ])) as EmulatorThreadReply;
  if (reply.kind !== 'ready') {
    await worker.terminate();
    throw new Error(`the emulators did not start: ${reply.kind === 'failed' ? reply.message : reply.kind}`);
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const done = Promise.race([once(worker, 'message'), exited]);
      worker.postMessage('stop');
      await done;
      await worker.terminate();
    })());
  const emulator = (endpoint: string): RunningEmulator => ({ endpoint, stop });
  return {
    ...(reply.dynamodbEndpoint !== undefined ? { dynamodb: emulator(reply.dynamodbEndpoint) } : {}),
    ...(reply.sqsEndpoint !== undefined ? { sqs: emulator(reply.sqsEndpoint) } : {}),
    stop,
  };
}
