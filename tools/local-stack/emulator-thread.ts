/**
 * An emulator on a thread of its own (see startEmulatorThread in emulators.ts, which starts one
 * for DynamoDB and one for SQS): it answers on its own event loop, so a burst of deliveries
 * keeping the handlers' loop (or the other emulator) busy does not also hold up its answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startDynamoDbEmulator, startSqsEmulator, type EmulatorThreadReply, type EmulatorThreadRequest } from './emulators.ts';

const request = workerData as EmulatorThreadRequest;
const port = parentPort;
if (port === null) throw new Error('emulator-thread.ts runs as a worker thread');

try {
  const [dynamodb, sqs] = await Promise.all([
    request.dynamodbPort === undefined ? undefined : startDynamoDbEmulator(request.dynamodbPort),
    request.sqsPort === undefined ? undefined : startSqsEmulator(request.sqsPort),
  ]);
  port.once('message', () => {
    void Promise.all([dynamodb?.stop(), sqs?.stop()]).finally(() => port.postMessage({ kind: 'stopped' } satisfies EmulatorThreadReply));
  });
  port.postMessage({
    kind: 'ready',
    ...(dynamodb ? { dynamodbEndpoint: dynamodb.endpoint } : {}),
    ...(sqs ? { sqsEndpoint: sqs.endpoint } : {}),
  } satisfies EmulatorThreadReply);
} catch (error) {
  port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies EmulatorThreadReply);
}
