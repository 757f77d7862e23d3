import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of an emulator that a test can break on purpose:
 * - `pass`: forwards bytes both ways;
 * - `refuse`: drops every connection at once (the service is unreachable);
 * - `stall`: accepts connections and never answers (the service is slower than any deadline).
 * Switching mode drops the connections already open, so pooled keep-alive sockets feel it too.
 */
export type ProxyMode = 'pass' | 'refuse' | 'stall';

export interface FaultProxy {
  readonly endpoint: string;
  setMode(mode: ProxyMode): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = 'pass';
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
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
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
    setMode(next) {
      mode = next;
      dropAll();
    },
    async stop() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
