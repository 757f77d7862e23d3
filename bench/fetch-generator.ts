/**
 * A load generator as someone outside the project would write one: plain `fetch` (undici's
 * global dispatcher, its default pool and keep-alive), a fixed number of requests in flight, one
 * attempt each. `npm run bench` runs it in a process of its own beside `unico-sim deliver`, so
 * the figures do not depend on one generator's HTTP client.
 *
 *   node bench/fetch-generator.ts <url> <authorization header> <notifications> <copies share> <in flight>
 *
 * It prints one JSON line: deliveries, per second, latency p50/p99 (ms), answers by status, and
 * the CPU time it spent itself per delivery (the share of the machine the receiver did not get).
 */
import { randomUUID } from 'node:crypto';

export interface FetchGeneratorSummary {
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly byStatus: Readonly<Record<string, number>>;
  /** Deliveries answered other than 2xx, or not answered. */
  readonly failures: number;
  readonly generatorCpuMsPerDelivery: number;
}

/** Bodies in sending order: each notification, and a share of them again a little later. */
export function deliveryBodies(notifications: number, copyShare: number, random: () => number = Math.random): string[] {
  const bodies = Array.from({ length: notifications }, () =>
    JSON.stringify({
      processId: randomUUID(),
      state: 'PROCESS_STATE_FINISHED',
      flow: 'idcheck',
      lastEvent: 'EVENT_TYPE_PROCESS_FINISHED',
      lastEventDescription: 'Process finished',
    }),
  );
  const copies = Math.round(notifications * copyShare);
  for (let index = 0; index < copies; index++) {
    // A copy of an earlier notification, placed after it: Unico's retry or a duplicate send.
    const of = Math.floor(random() * notifications);
    const original = bodies.indexOf(bodies[of]!);
    const at = original + 1 + Math.floor(random() * (bodies.length - original));
    bodies.splice(at, 0, bodies[of]!);
  }
  return bodies;
}

export async function generate(
  url: string,
  authorization: string,
  bodies: readonly string[],
  inFlight: number,
): Promise<FetchGeneratorSummary> {
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const sent = performance.now();
      let status: string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body,
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        status = String(response.status);
      } catch (error) {
        status = error instanceof Error ? error.name : 'error';
      }
      latencies.push(performance.now() - sent);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, sender));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const failures = Object.entries(byStatus).reduce((sum, [status, n]) => (/^2\d\d$/.test(status) ? sum : sum + n), 0);
  return {
    deliveries: bodies.length,
    deliveriesPerSecond: (bodies.length * 1000) / elapsedMs,
    latencyMs: { p50: at(0.5), p99: at(0.99) },
    byStatus,
    failures,
    generatorCpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / bodies.length,
  };
}

if (import.meta.main) {
  const [url, authorization, notifications, copyShare, inFlight] = process.argv.slice(2);
  if (url === undefined || authorization === undefined) {
    console.error('usage: node bench/fetch-generator.ts <url> <authorization header> [notifications=2000] [copies share=0.2] [in flight=500]');
    process.exit(2);
  }
  const bodies = deliveryBodies(Number(notifications ?? 2000), Number(copyShare ?? 0.2));
  console.log(JSON.stringify(await generate(url, authorization, bodies, Number(inFlight ?? 500))));
}
