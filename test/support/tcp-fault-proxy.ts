import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of an emulator that a test can break on purpose:
 * - `pass`: forwards bytes both ways;
 * - `refuse`: drops every connection at once (the service is unreachable);
 * - `stall`: accepts connections and never answers (the service is slower than any deadline);
 * - `slow`: forwards, but holds each request chunk for `setMode('slow', delayMs)` first: the
 *   service applies the request late, after a caller with a shorter deadline has given up.
 * Switching mode drops the connections already open, so pooled keep-alive sockets feel it too.
 *
 * Independently of the mode, `loseAnswers(n)` makes the next n answers vanish: the request
 * reaches the service and is applied, then the connection is reset before the answer gets back,
 * which is what a caller sees when a network or a timeout eats an answer.
 */
export type ProxyMode = 'pass' | 'refuse' | 'stall' | 'slow';

export interface FaultProxy {
  readonly endpoint: string;
  /** `delayMs` is only read for `slow` (@default 2000). */
  setMode(mode: ProxyMode, delayMs?: number): void;
  loseAnswers(count: number): void;
  /** How many answers were lost so far. */
  readonly lostAnswers: number;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = 'pass';
  let slowDelayMs = 2000;
  let answersToLose = 0;
  let lostAnswers = 0;
  const open = new Set<Socket>();

  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    if (mode === 'stall') return;
    const upstream = connect(Number(port), hostname);
    const slow = mode === 'slow';
    // A slow connection's upstream outlives its caller and mode switches: the held request still
    // reaches the service, late, and is applied, as a slow service does after its caller gave up.
    if (!slow) open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    if (slow) {
      const delayMs = slowDelayMs;
      client.on('data', (chunk: Buffer) => {
        setTimeout(() => upstream.write(chunk), delayMs).unref();
      });
      client.on('close', () => setTimeout(() => upstream.end(), delayMs + 500).unref());
    } else {
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
    }
    upstream.on('data', (chunk: Buffer) => {
      if (answersToLose > 0) {
        answersToLose -= 1;
        lostAnswers += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: proxyPort } = server.address() as AddressInfo;

  const dropAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    setMode(next, delayMs) {
      mode = next;
      if (next === 'slow') slowDelayMs = delayMs ?? 2000;
      dropAll();
    },
    loseAnswers(count) {
      answersToLose = count;
    },
    get lostAnswers() {
      return lostAnswers;
    },
    async stop() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
