import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHttpSender } from '../../../../tools/unico-sim/http-sender.ts';

/** The one real sender, against loopback servers: what an answer, a timeout and a refusal look like. */
let server: Server | undefined;
let connections = 0;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  connections = 0;
  server = createServer(handler);
  server.on('connection', (socket: Socket) => {
    connections += 1;
    socket.unref();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/unico`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const post = (url: string, timeoutMs = 2000) =>
  ({ url, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic eDp5' }, body: '{"n":"ç"}', timeoutMs }) as const;

describe('createHttpSender', () => {
  test('sends the method, headers and body, and returns the status, headers (repeated ones joined) and body', async () => {
    let seen: { method?: string; authorization?: string; length?: string; body: string } = { body: '' };
    const url = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen = { method: request.method, authorization: request.headers.authorization, length: request.headers['content-length'], body };
        response.writeHead(202, [['content-type', 'application/json'], ['x-note', 'a'], ['x-note', 'b']]);
        response.end('{"status":"accepted"}');
      });
    });
    const outcome = await createHttpSender()(post(url));
    expect(seen).toEqual({ method: 'POST', authorization: 'Basic eDp5', length: String(Buffer.byteLength('{"n":"ç"}')), body: '{"n":"ç"}' });
    expect(outcome).toMatchObject({ kind: 'answer', status: 202, body: '{"status":"accepted"}' });
    expect(outcome.kind === 'answer' && outcome.headers['x-note']).toBe('a, b');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  });

  test('reuses one connection for deliveries one after another', async () => {
    const url = await serve((request, response) => {
      request.resume();
      request.on('end', () => response.end('{}'));
    });
    const send = createHttpSender();
    for (let index = 0; index < 5; index++) expect((await send(post(url))).kind).toBe('answer');
    expect(connections).toBe(1);
  });

  test('keeps only the start of a long body', async () => {
    const url = await serve((request, response) => {
      request.resume();
      response.end('x'.repeat(100_000));
    });
    const outcome = await createHttpSender()(post(url));
    expect(outcome.kind === 'answer' && outcome.body.length).toBe(4096);
  });

  test('an answer that does not come before the timeout is a timeout, also when the body stalls', async () => {
    const noAnswer = await serve((request) => request.resume());
    expect(await createHttpSender()(post(noAnswer, 100))).toMatchObject({ kind: 'timeout' });
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    const stalledBody = await serve((request, response) => {
      request.resume();
      response.writeHead(200);
      response.write('{"partial":');
    });
    expect(await createHttpSender()(post(stalledBody, 100))).toMatchObject({ kind: 'timeout' });
  });

  test('nothing listening is a network error that says so; a URL it cannot send to as well', async () => {
    const url = await serve(() => undefined);
    server?.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await createHttpSender()(post(url));
    expect(refused).toMatchObject({ kind: 'network_error' });
    expect(refused.kind === 'network_error' && refused.reason).toMatch(/^connection refused \(ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
    const otherScheme = await createHttpSender()(post('ftp://127.0.0.1/x'));
    expect(otherScheme).toMatchObject({ kind: 'network_error' });
  });
});
