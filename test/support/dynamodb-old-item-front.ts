import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';

/**
 * DynamoDB's answer to a failed condition, in front of dynalite: a PutItem asking for
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD` whose condition fails gets the existing item in
 * its error, as DynamoDB sends it (dynalite leaves it out). Everything else passes through
 * untouched. The front reads the item from dynalite itself, so a client behind it sees one
 * request where DynamoDB would answer one.
 */
export interface DynamoDbOldItemFront {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Headers that belong to one connection (fetch sets its own). */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export async function startOldItemFront(dynaliteEndpoint: string): Promise<DynamoDbOldItemFront> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && !HOP_BY_HOP.has(entry[0]),
        ),
      );
      const answer = await fetch(dynaliteEndpoint, { method: request.method ?? 'POST', headers, body });
      let text = await answer.text();
      if (headers['x-amz-target'] === 'DynamoDB_20120810.PutItem' && answer.status === 400) {
        text = await withOldItem(dynaliteEndpoint, headers, body, text);
      }
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
      response.end(text);
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

async function withOldItem(endpoint: string, headers: Record<string, string>, body: string, errorText: string): Promise<string> {
  const error = JSON.parse(errorText) as { __type?: string; Item?: unknown };
  const put = JSON.parse(body) as { TableName: string; Item: Record<string, unknown>; ReturnValuesOnConditionCheckFailure?: string };
  if (!error.__type?.endsWith('ConditionalCheckFailedException') || put.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') {
    return errorText;
  }
  const key = { [CLAIMS_TABLE.partitionKey]: put.Item[CLAIMS_TABLE.partitionKey], [CLAIMS_TABLE.sortKey]: put.Item[CLAIMS_TABLE.sortKey] };
  const read = await fetch(endpoint, {
    method: 'POST',
    headers: { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body: JSON.stringify({ TableName: put.TableName, Key: key, ConsistentRead: true }),
  });
  const { Item: item } = (await read.json()) as { Item?: unknown };
  return JSON.stringify(item === undefined ? error : { ...error, Item: item });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
