import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A DynamoDB-compatible store that answers a failed condition without the item it saw, in front
 * of the DynamoDB emulator (which, as DynamoDB, includes it when asked for
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`): every answer passes through, with `Item` taken
 * out of a ConditionalCheckFailedException. It is the case the claim store meets with a read.
 */
export interface DynamoDbNoOldItemFront {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Headers that belong to one connection (fetch sets its own). */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export async function startNoOldItemFront(emulatorEndpoint: string): Promise<DynamoDbNoOldItemFront> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && !HOP_BY_HOP.has(entry[0]),
        ),
      );
      const answer = await fetch(emulatorEndpoint, { method: request.method ?? 'POST', headers, body: await readBody(request) });
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
      response.end(withoutOldItem(await answer.text()));
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function withoutOldItem(text: string): string {
  if (!text.includes('ConditionalCheckFailedException')) return text;
  const { Item: _left, ...error } = JSON.parse(text) as { Item?: unknown };
  return JSON.stringify(error);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
