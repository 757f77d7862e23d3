import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';

/** A protocol-speaking stand-in for an AWS service, listening on loopback. */
export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB: dynalite, in memory. (No transactions and no TTL: nothing here relies on either.) */
export async function startDynamoDbEmulator(port = 0): Promise<RunningEmulator> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** SQS: fauxqs, in memory, FIFO deduplication included. */
export async function startSqsEmulator(port = 0): Promise<RunningEmulator> {
  // fauxqs binds every interface; its queue URLs name localhost, and clients use this endpoint.
  const server = await startFauxqs({ port, logger: false });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(),
  };
}
