/**
 * `npm run bench`: what the receiver costs on top of plain HTTP, on this machine.
 *
 * The targets run in this process, on loopback, loaded in turn by the real `unico-sim deliver`
 * in a child process (so the load generator does not share their event loop):
 * - baseline: a bare node:http server that reads the body and answers 202, nothing else;
 * - reference: the same HTTP work with one claim in memory and one SendMessage to fauxqs, in one
 *   thread with fauxqs in-process (bench/reference-server.ts): the least a local receiver can do;
 * - receiver: the local stack (intake handler with Basic auth, claim in dynalite, enqueue in
 *   fauxqs, the processor and the local Unico beside them), i.e. everything `npm start` runs.
 * Part 1: baseline and receiver at BENCH_CONCURRENCY in flight.
 * Part 2: reference and receiver at Unico's maximum of 500 in flight, one attempt per delivery
 * (no retries hide a failure), in BENCH_PEAK_ROUNDS rounds whose order alternates. Targets: no
 * first attempt answered other than 2xx, and the receiver's throughput at least 0.6 times the
 * reference's (the median of the rounds' ratios). A missed target sets exit code 1.
 * Figures are reported as ratios against the baseline or reference measured in the same run.
 * Settings: BENCH_COUNT (default 3000), BENCH_CONCURRENCY (default 100), BENCH_PEAK_COUNT
 * (notifications per round at 500 in flight, default 2000, plus 20% sent twice),
 * BENCH_PEAK_ROUNDS (default 5).
 *
 * It starts with the cold-start table of bench/cold-start.ts (`npm run bench:cold-start` alone),
 * measured before the targets start, while this process is idle.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { parseAuthSpec } from '../lambdas/contracts/auth-notation.ts';
import { startLocalStack } from '../tools/local-stack/local-stack.ts';
import { coldStartBench } from './cold-start.ts';
import { startReferenceServer } from './reference-server.ts';
import { listenOnLoopback } from './loopback-server.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const COUNT = Number(process.env.BENCH_COUNT ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const AUTH = 'basic:bench:bench-password';
const SIM = new URL('../bin/unico-sim.ts', import.meta.url).pathname;
const PEAK_CONCURRENCY = 500;
const PEAK_COUNT = Number(process.env.BENCH_PEAK_COUNT ?? 2000);
const PEAK_ROUNDS = Number(process.env.BENCH_PEAK_ROUNDS ?? 5);
/** The receiver's throughput at 500 in flight over the reference's, at the least. */
const PEAK_THROUGHPUT_TARGET = 0.6;

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
  return listenOnLoopback(server);
}

await coldStartBench();
console.log();
await import('./budget-contention.ts'); // the shared Unico budget under contention, over dynalite

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
  console.log();
  if (!(await peakLoad(receiver.endpoints.webhookUrl))) process.exitCode = 1;
} finally {
  await receiver.stop();
  await baseline.stop();
}

/** One run at 500 in flight, one attempt per delivery, as `deliver --json` sums it up. */
interface PeakFigures {
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** First attempts answered other than 2xx (or not answered): with one attempt, every failure. */
  readonly notFirstTry: number;
  /** CPU time of this process (every thread: the targets, not the load generator) per delivery. */
  readonly cpuMsPerDelivery: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

async function peakRun(url: string, count: number): Promise<PeakFigures> {
  const cpuBefore = process.cpuUsage();
  const args = [SIM, 'deliver', '--url', url, '--auth', AUTH, '--count', String(count), '--duplicates', '0.2'];
  args.push('--concurrency', String(PEAK_CONCURRENCY), '--max-attempts', '1', '--timeout', '5', '--json', '--no-progress');
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }).catch(
    // deliver exits 1 when a delivery failed; its JSON still says what happened.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const summary = JSON.parse(stdout) as {
    deliveries: number;
    firstTrySuccesses: number;
    deliveriesPerSecond: number;
    byStatus: Record<string, number>;
    latencyMs: { p50: number; p99: number } | null;
  };
  return {
    deliveries: summary.deliveries,
    deliveriesPerSecond: summary.deliveriesPerSecond,
    p50: summary.latencyMs?.p50 ?? Number.NaN,
    p99: summary.latencyMs?.p99 ?? Number.NaN,
    notFirstTry: summary.deliveries - summary.firstTrySuccesses,
    cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / Math.max(1, summary.deliveries),
    byStatus: summary.byStatus,
  };
}

/**
 * Part 2: the reference and the receiver at 500 in flight, in alternating order, round after
 * round. True when both targets are met.
 */
async function peakLoad(receiverUrl: string): Promise<boolean> {
  const reference = await startReferenceServer(parseAuthSpec(AUTH));
  try {
    // One full round each, not counted: JIT, function instances, sockets to the emulators.
    await peakRun(reference.url, PEAK_COUNT);
    await peakRun(receiverUrl, PEAK_COUNT);
    const rounds: Array<{ reference: PeakFigures; receiver: PeakFigures }> = [];
    for (let round = 0; round < PEAK_ROUNDS; round++) {
      if (round % 2 === 0) {
        const ref = await peakRun(reference.url, PEAK_COUNT);
        rounds.push({ reference: ref, receiver: await peakRun(receiverUrl, PEAK_COUNT) });
      } else {
        const rec = await peakRun(receiverUrl, PEAK_COUNT);
        rounds.push({ reference: await peakRun(reference.url, PEAK_COUNT), receiver: rec });
      }
    }

    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
    };
    const ratios = rounds.map((r) => r.receiver.deliveriesPerSecond / r.reference.deliveriesPerSecond);
    const throughputRatio = median(ratios);
    const receiverRuns = rounds.map((r) => r.receiver);
    const notFirstTry = receiverRuns.reduce((sum, run) => sum + run.notFirstTry, 0);
    const deliveries = receiverRuns.reduce((sum, run) => sum + run.deliveries, 0);

    const deliveriesPerRound = rounds[0]?.receiver.deliveries ?? 0;
    console.log(
      `at Unico's maximum: ${PEAK_CONCURRENCY} in flight, ${deliveriesPerRound} deliveries a round ` +
        `(${PEAK_COUNT} notifications, 20% sent twice), one attempt each, ${PEAK_ROUNDS} rounds`,
    );
    const head = ['round', 'target', 'per s', 'p50 ms', 'p99 ms', 'CPU ms', 'not 2xx', 'answers'];
    console.log(`${head[0]?.padEnd(6)}${head[1]?.padEnd(11)}${head.slice(2, 7).map((h) => h.padStart(9)).join('')}  ${head[7]}`);
    const line = (round: number, name: string, f: PeakFigures) =>
      `${String(round).padEnd(6)}${name.padEnd(11)}${f.deliveriesPerSecond.toFixed(0).padStart(9)}${f.p50.toFixed(1).padStart(9)}` +
      `${f.p99.toFixed(1).padStart(9)}${f.cpuMsPerDelivery.toFixed(2).padStart(9)}${String(f.notFirstTry).padStart(9)}  ` +
      Object.entries(f.byStatus).map(([k, n]) => `${k}: ${n}`).join(', ');
    rounds.forEach((r, index) => {
      console.log(line(index + 1, 'reference', r.reference));
      console.log(line(index + 1, 'receiver', r.receiver));
    });
    console.log('(CPU ms: CPU time of the targets\' process, all threads, per delivery; the load generator runs apart)');
    const throughputMet = throughputRatio >= PEAK_THROUGHPUT_TARGET;
    const busy = busyNote(rounds.flatMap((r) => [r.reference.deliveriesPerSecond / r.receiver.deliveriesPerSecond]));
    if (busy !== undefined) console.log(busy);
    const failuresMet = notFirstTry === 0;
    console.log(
      `receiver / reference: throughput ${throughputRatio.toFixed(2)}× (median of ${ratios.map((r) => r.toFixed(2)).join(', ')}; ` +
        `target at least ${PEAK_THROUGHPUT_TARGET}×: ${throughputMet ? 'met' : 'NOT MET'})`,
    );
    console.log(
      `receiver first attempts not answered 2xx: ${notFirstTry} of ${deliveries} (target 0: ${failuresMet ? 'met' : 'NOT MET'})`,
    );
    return throughputMet && failuresMet;
  } finally {
    await reference.stop();
  }
}

/**
 * A warning when the rounds disagree much (the largest per-round ratio over the smallest beyond
 * 1.3): another load on the machine moved the figures, and the ratio is rough.
 */
function busyNote(ratios: readonly number[]): string | undefined {
  const spread = Math.max(...ratios) / Math.min(...ratios);
  return spread > 1.3
    ? `note: the rounds' ratios spread by ${spread.toFixed(2)}×: something else kept this machine busy; run it again when it is quiet`
    : undefined;
}
