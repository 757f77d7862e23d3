/**
 * The bench's reference for the local stack at Unico's 500 deliveries in flight: the least a
 * receiver on this machine can do and still be one. A node:http server that reads the body,
 * compares the Authorization header, parses the JSON, claims (processId, state) in a Map in
 * memory and sends one SendMessage to fauxqs (a FIFO queue, the same deduplication id as the
 * intake), then answers 202 (200 for a copy). No handler, logger, schema or DynamoDB.
 *
 * It is written as anyone would write such a server: one process, one thread, fauxqs started
 * in-process, an SQS client with the SDK's defaults. The local stack runs its emulators and its
 * intake on threads of their own; the bench's CPU column shows what each costs per delivery.
 */
import { createServer } from 'node:http';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { credentialHeaders, type AuthSpec } from '../lambdas/contracts/auth-notation.ts';
import { startSqsEmulator } from '../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../tools/local-stack/local-clients.ts';
import { listenOnLoopback } from './loopback-server.ts';

export interface RunningReferenceServer {
  readonly url: string;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;

export async function startReferenceServer(auth: AuthSpec): Promise<RunningReferenceServer> {
  const fauxqs = await startSqsEmulator(0);
  const sqs = new SQSClient(emulatorClientConfig(fauxqs));
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'bench-reference.fifo', Attributes: { FifoQueue: 'true' } }),
  );
  const expectedAuthorization = Object.values(credentialHeaders(auth))[0];
  const claims = new Set<string>();

  const server = createServer((request, response) => {
    const answer = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (expectedAuthorization !== undefined && request.headers.authorization !== expectedAuthorization) {
        answer(401, { error: 'unauthorized' });
        return;
      }
      if (size > MAX_BODY_BYTES) {
        answer(413, { error: 'payload_too_large' });
        return;
      }
      let notification: { processId?: unknown; state?: unknown };
      try {
        notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof notification;
      } catch {
        answer(400, { error: 'invalid_json' });
        return;
      }
      const processId = String(notification.processId);
      const key = `${processId}:${String(notification.state)}`;
      const isNew = !claims.has(key);
      claims.add(key);
      sqs
        .send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: JSON.stringify(notification),
            MessageGroupId: processId,
            MessageDeduplicationId: key,
          }),
        )
        .then(
          () => answer(isNew ? 202 : 200, { status: isNew ? 'accepted' : 'duplicate', processId }),
          () => answer(503, { error: 'unavailable' }),
        );
    });
  });
  server.keepAliveTimeout = 65_000;
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    stop: async () => {
      await listening.stop();
      sqs.destroy();
      await fauxqs.stop();
    },
  };
}
