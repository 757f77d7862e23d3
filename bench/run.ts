/**
 * `npm run bench`: what the receiver costs on top of plain HTTP, on this machine.
 *
 * Two targets in this process, both on loopback, loaded in turn by the real `unico-sim deliver`
 * in a child process (so the load generator does not share their event loop):
 * - baseline: a bare node:http server that reads the body and answers 202, nothing else;
 * - receiver: the local stack (intake handler with Basic auth, claim in dynalite, enqueue in
 *   fauxqs), i.e. everything `npm start` runs.
 * Figures are reported as ratios against the baseline measured in the same run.
 * Settings: BENCH_COUNT (default 3000), BENCH_CONCURRENCY (default 100).
 *
 * It starts with the cold-start table of bench/cold-start.ts (`npm run bench:cold-start` alone),
 * measured before the targets start, while this process is idle.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { parseAuthSpec } from '../lambdas/contracts/auth-notation.ts';
import { startLocalStack } from '../tools/local-stack/local-stack.ts';
import { coldStartBench } from './cold-start.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const COUNT = Number(process.env.BENCH_COUNT ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const AUTH = 'basic:bench:bench-password';
const SIM = new URL('../bin/unico-sim.ts', import.meta.url).pathname;

interface Figures {
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly permanentFailures: number;
  readonly rssGrowthMiB: number;
}

async function load(url: string, count: number): Promise<Figures> {
  const rssBefore = process.memoryUsage().rss;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [SIM, 'deliver', '--url', url, '--auth', AUTH, '--count', String(count), '--concurrency', String(CONCURRENCY), '--json', '--no-progress'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const summary = JSON.parse(stdout) as {
    deliveriesPerSecond: number;
    permanentFailures: number;
    latencyMs: { p50: number; p99: number };
  };
  return {
    deliveriesPerSecond: summary.deliveriesPerSecond,
    p50: summary.latencyMs.p50,
    p99: summary.latencyMs.p99,
    permanentFailures: summary.permanentFailures,
    rssGrowthMiB: (process.memoryUsage().rss - rssBefore) / 2 ** 20,
  };
}

async function startBaseline(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"status":"accepted"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/unico`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

await coldStartBench();
console.log();

const baseline = await startBaseline();
const receiver = await startLocalStack({
  port: 0,
  auth: parseAuthSpec(AUTH),
  responseDeadlineMs: 5000,
  endpointsFile: null,
});
try {
  // Warm both up (JIT, connection pools, emulator tables), then measure.
  await load(baseline.url, 200);
  await load(receiver.endpoints.webhookUrl, 200);
  const base = await load(baseline.url, COUNT);
  const full = await load(receiver.endpoints.webhookUrl, COUNT);

  const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
  const row = (name: string, f: Figures) =>
    `${name.padEnd(10)} ${f.deliveriesPerSecond.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(9)} ${f.p99.toFixed(1).padStart(9)} ${f.rssGrowthMiB.toFixed(1).padStart(10)} ${String(f.permanentFailures).padStart(9)}`;
  console.log(`unico webhook receiver bench: ${COUNT} deliveries, ${CONCURRENCY} in flight, node ${process.version}`);
  console.log(`${'target'.padEnd(10)} ${'per s'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'RSS +MiB'.padStart(10)} ${'failures'.padStart(9)}`);
  console.log(row('baseline', base));
  console.log(row('receiver', full));
  console.log(
    `receiver / baseline: throughput ${ratio(full.deliveriesPerSecond, base.deliveriesPerSecond)}, ` +
      `p50 ${ratio(full.p50, base.p50)}, p99 ${ratio(full.p99, base.p99)}`,
  );
  if (base.permanentFailures + full.permanentFailures > 0) process.exitCode = 1;
} finally {
  await receiver.stop();
  await baseline.stop();
}
