/**
 * `npm run bench`: what the receiver costs, on this machine, as ratios measured in the same run.
 *
 * 1. Cold start: each function's bundle beside the floor (bench/cold-start.ts).
 * 2. Warm intake, in this process: our handler against a Powertools idempotency + middy baseline
 *    doing the same job (bench/baseline/powertools-intake.ts), both on real SDK clients answered
 *    in memory (bench/in-memory-aws.ts), same payloads, rounds alternating, median of the ratios.
 *    Targets: ours at least 1.5 times the baseline's deliveries per second; AWS requests, counted
 *    at the SDK, 2 per first delivery and 1 per copy of a confirmed one (bench/warm-intake.ts).
 * 3. The local stack at BENCH_CONCURRENCY in flight against a bare node:http server (baseline):
 *    the full receiver, processor and local Unico included, i.e. everything `npm start` runs.
 * 4. At Unico's maximum of 500 in flight, one attempt per delivery (no retries hide a failure):
 *    the local stack's intake against a reference server (bench/reference-server.ts: the least
 *    a receiver can do, one claim in memory and one SendMessage to fauxqs, one thread), loaded by
 *    two generators in turn, each in a process of its own: the real `unico-sim deliver` (node:http
 *    agent) and a plain-fetch generator (bench/fetch-generator.ts: undici, as an outsider would
 *    write it). BENCH_PEAK_ROUNDS rounds per generator, the order alternating. The local stack runs
 *    with the processor off here, as the reference has none: in AWS the processor runs on Lambda
 *    instances of its own and takes no CPU from the intake; on one machine it would (about 7% of
 *    the receiver's CPU per delivery at this load, measured with it on). Targets per generator: no
 *    first attempt answered other than 2xx, and the median of the rounds' ratios at least 0.6.
 *    Each row also shows where the target's CPU went per delivery, by thread (Linux).
 * A missed target sets exit code 1. Figures and ratios go to bench/results/latest.json as well.
 * Settings: BENCH_COUNT (default 3000), BENCH_CONCURRENCY (default 100), BENCH_PEAK_COUNT
 * (notifications per round at 500 in flight, default 2000, plus 20% sent twice),
 * BENCH_PEAK_ROUNDS (default 5), BENCH_WARM_COUNT (notifications per warm round, default 3000),
 * BENCH_WARM_ROUNDS (default 9), BENCH_RESULTS (where the JSON goes; "none" for nowhere),
 * BENCH_PEAK_ONLY=1 (part 4 alone: the local stack at 500 in flight, both generators).
 * Logs are silenced (POWERTOOLS_LOG_LEVEL=SILENT) unless set: `npm start` logs one line per
 * delivery at INFO, which costs the local stack about a tenth of its throughput at 500 in flight.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, relative } from 'node:path';
import { promisify } from 'node:util';
import { credentialHeaders, parseAuthSpec } from '../lambdas/contracts/auth-notation.ts';
import { startLocalStack } from '../tools/local-stack/local-stack.ts';
import { coldStartBench } from './cold-start.ts';
import type { FetchGeneratorSummary } from './fetch-generator.ts';
import { startReferenceServer } from './reference-server.ts';
import { listenOnLoopback } from './loopback-server.ts';
import { median, requestsPerDelivery, warmThroughput, type RequestCounts } from './warm-intake.ts';

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
const WARM_COUNT = Number(process.env.BENCH_WARM_COUNT ?? 3000);
const WARM_ROUNDS = Number(process.env.BENCH_WARM_ROUNDS ?? 9);
/** Our warm intake's deliveries per second over the Powertools baseline's, at the least. */
const WARM_THROUGHPUT_TARGET = 1.5;
const FETCH_GENERATOR = new URL('./fetch-generator.ts', import.meta.url).pathname;
const GENERATORS: readonly Generator[] = ['deliver', 'fetch'];
const RESULTS_FILE = process.env.BENCH_RESULTS ?? new URL('./results/latest.json', import.meta.url).pathname;
const PEAK_ONLY = process.env.BENCH_PEAK_ONLY === '1';

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

const results: Record<string, unknown> = {
  command: 'npm run bench',
  startedAt: new Date().toISOString(),
  machine: { node: process.version, cpus: availableParallelism(), loadAverageAtStart: loadavg()[0] },
  settings: { COUNT, CONCURRENCY, PEAK_COUNT, PEAK_ROUNDS, WARM_COUNT, WARM_ROUNDS },
};
const targets: Record<string, boolean> = {};

if (!PEAK_ONLY) {
  const coldStart = await coldStartBench();
  results.coldStart = coldStart.rows;
  targets.coldStart = coldStart.targetsMet;
  console.log();
  await import('./budget-contention.ts'); // the shared Unico budget under contention, over dynalite
  console.log();
  await warmIntake();
  console.log();
  await fullStack();
  console.log();
}

// The intake alone at 500 in flight (see the header: the processor would share this machine's CPU).
const intakeOnly = await startLocalStack({
  port: 0,
  auth: parseAuthSpec(AUTH),
  responseDeadlineMs: 5000,
  endpointsFile: null,
  runProcessor: false,
});
try {
  await peakLoad(intakeOnly.endpoints.webhookUrl);
} finally {
  await intakeOnly.stop();
}

const missed = Object.entries(targets).filter(([, met]) => !met).map(([name]) => name);
results.targets = targets;
results.finishedAt = new Date().toISOString();
results.loadAverageAtEnd = loadavg()[0];
if (RESULTS_FILE !== 'none') {
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nfigures written to ${relative(process.cwd(), RESULTS_FILE)}`);
}
console.log(missed.length === 0 ? 'every target met' : `targets NOT MET: ${missed.join(', ')}`);
if (missed.length > 0) process.exitCode = 1;

/** Part 3: the whole local stack, processor included, against a bare node:http server. */
async function fullStack(): Promise<void> {
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
    console.log(`the local stack, processor included: ${COUNT} deliveries, ${CONCURRENCY} in flight (unico-sim deliver), node ${process.version}`);
    console.log(`${'target'.padEnd(10)} ${'per s'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'RSS +MiB'.padStart(10)} ${'failures'.padStart(9)}`);
    console.log(row('baseline', base));
    console.log(row('receiver', full));
    console.log(
      `receiver / baseline: throughput ${ratio(full.deliveriesPerSecond, base.deliveriesPerSecond)}, ` +
        `p50 ${ratio(full.p50, base.p50)}, p99 ${ratio(full.p99, base.p99)}`,
    );
    results.fullStack = { baseline: base, receiver: full, throughputRatio: full.deliveriesPerSecond / base.deliveriesPerSecond };
    targets.fullStackNoFailures = base.permanentFailures + full.permanentFailures === 0;
  } finally {
    await receiver.stop();
    await baseline.stop();
  }
}

/** Part 2: the warm intake against the Powertools baseline, and the AWS requests of each. */
async function warmIntake(): Promise<void> {
  const ours = await requestsPerDelivery('ours');
  const powertools = await requestsPerDelivery('baseline');
  const warm = await warmThroughput(WARM_ROUNDS, WARM_COUNT);
  console.log(
    `warm intake in this process, AWS answered in memory below the SDK: ${warm.count} new notifications a round ` +
      `+ 20% sent again once confirmed, ${warm.concurrency} at once, ${WARM_ROUNDS} rounds alternating`,
  );
  console.log(`${'round'.padEnd(6)}${'ours /s'.padStart(10)}${'Powertools /s'.padStart(15)}${'ratio'.padStart(8)}${'new only'.padStart(10)}`);
  warm.rounds.forEach((r, index) =>
    console.log(
      `${String(index + 1).padEnd(6)}${r.ours.toFixed(0).padStart(10)}${r.baseline.toFixed(0).padStart(15)}${r.ratio.toFixed(2).padStart(8)}` +
        `${r.firstsRatio.toFixed(2).padStart(10)}`,
    ),
  );
  const ratios = warm.rounds.map((r) => r.ratio);
  const warmMet = warm.medianRatio >= WARM_THROUGHPUT_TARGET;
  console.log(
    `ours / Powertools idempotency + middy: ${warm.medianRatio.toFixed(2)}× (median; rounds from ${Math.min(...ratios).toFixed(2)} ` +
      `to ${Math.max(...ratios).toFixed(2)}, quartiles ${warm.spread.wall.q1.toFixed(2)} and ${warm.spread.wall.q3.toFixed(2)}; ` +
      `per CPU-second ${warm.spread.cpu.median.toFixed(2)}×; target at least ${WARM_THROUGHPUT_TARGET}×: ${warmMet ? 'met' : 'NOT MET'}); ` +
      `new notifications alone ${warm.medianFirstsRatio.toFixed(2)}× (copies cost both one request, so they pull the ratio toward 1)`,
  );
  const describe = (counts: RequestCounts['accepted']) =>
    `${counts.perDelivery} (${Object.entries(counts.operations).map(([op, n]) => `${op} ${n}`).join(', ')})`;
  console.log('AWS requests, counted at the SDK:');
  console.log(`  per first delivery:             ours ${describe(ours.accepted)}; Powertools ${describe(powertools.accepted)}`);
  console.log(`  per copy of a confirmed one:    ours ${describe(ours.duplicate)}; Powertools ${describe(powertools.duplicate)}`);
  const requestsMet = ours.accepted.perDelivery === 2 && ours.duplicate.perDelivery === 1;
  console.log(`  target ours 2 and 1: ${requestsMet ? 'met' : 'NOT MET'}`);
  results.warmIntake = { ...warm, target: WARM_THROUGHPUT_TARGET };
  results.awsRequests = { ours, powertools };
  targets.warmThroughput = warmMet;
  targets.awsRequests = requestsMet;
}

/** The two load generators of part 4, each run in a process of its own. */
type Generator = 'deliver' | 'fetch';

/** One run at 500 in flight, one attempt per delivery, as the generator sums it up. */
interface PeakFigures {
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** First attempts answered other than 2xx (or not answered): with one attempt, every failure. */
  readonly notFirstTry: number;
  /** CPU time of this process (every thread: the targets, not the load generator) per delivery. */
  readonly cpuMsPerDelivery: number;
  /** The same, by kind of thread (main, worker threads, V8's helpers), where Linux tells it. */
  readonly cpuByThread: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
}

async function peakRun(generator: Generator, url: string, count: number): Promise<PeakFigures> {
  const cpuBefore = process.cpuUsage();
  const threadsBefore = threadTicks();
  const summary = generator === 'deliver' ? await deliverRun(url, count) : await fetchRun(url, count);
  const cpu = process.cpuUsage(cpuBefore);
  const deliveries = Math.max(1, summary.deliveries);
  const cpuByThread: Record<string, number> = {};
  for (const [tid, { name, ticks }] of threadTicks()) {
    const ms = (ticks - (threadsBefore.get(tid)?.ticks ?? 0)) * 10;
    if (ms > 0) cpuByThread[name] = (cpuByThread[name] ?? 0) + ms / deliveries;
  }
  return { ...summary, cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / deliveries, cpuByThread };
}

type GeneratorFigures = Omit<PeakFigures, 'cpuMsPerDelivery' | 'cpuByThread'>;

async function deliverRun(url: string, count: number): Promise<GeneratorFigures> {
  const args = [SIM, 'deliver', '--url', url, '--auth', AUTH, '--count', String(count), '--duplicates', '0.2'];
  args.push('--concurrency', String(PEAK_CONCURRENCY), '--max-attempts', '1', '--timeout', '5', '--json', '--no-progress');
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }).catch(
    // deliver exits 1 when a delivery failed; its JSON still says what happened.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
  );
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
    byStatus: summary.byStatus,
  };
}

async function fetchRun(url: string, count: number): Promise<GeneratorFigures> {
  const authorization = Object.values(credentialHeaders(parseAuthSpec(AUTH)))[0] ?? '';
  const args = [FETCH_GENERATOR, url, authorization, String(count), '0.2', String(PEAK_CONCURRENCY)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const summary = JSON.parse(stdout) as FetchGeneratorSummary;
  return {
    deliveries: summary.deliveries,
    deliveriesPerSecond: summary.deliveriesPerSecond,
    p50: summary.latencyMs.p50,
    p99: summary.latencyMs.p99,
    notFirstTry: summary.failures,
    byStatus: summary.byStatus,
  };
}

/** CPU ticks (1/100 s) of each of this process's threads, by thread id, with the thread's name. */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const threads = new Map<string, { name: string; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads; // not Linux: the column stays empty
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return threads;
}

interface PeakRound {
  readonly reference: PeakFigures;
  readonly receiver: PeakFigures;
}

/**
 * Part 4: the reference and the receiver's intake at 500 in flight, under each generator, in
 * alternating order, round after round. Sets the targets per generator.
 */
async function peakLoad(receiverUrl: string): Promise<void> {
  const reference = await startReferenceServer(parseAuthSpec(AUTH));
  try {
    const rounds = new Map<Generator, PeakRound[]>(GENERATORS.map((generator) => [generator, []]));
    for (const generator of GENERATORS) {
      // One full round each, not counted: JIT, function instances, sockets to the emulators.
      await peakRun(generator, reference.url, PEAK_COUNT);
      await peakRun(generator, receiverUrl, PEAK_COUNT);
    }
    for (let round = 0; round < PEAK_ROUNDS; round++) {
      for (const generator of GENERATORS) {
        const pair = async (first: string) => {
          const a = await peakRun(generator, first, PEAK_COUNT);
          const b = await peakRun(generator, first === reference.url ? receiverUrl : reference.url, PEAK_COUNT);
          return first === reference.url ? { reference: a, receiver: b } : { reference: b, receiver: a };
        };
        rounds.get(generator)!.push(await pair(round % 2 === 0 ? reference.url : receiverUrl));
      }
    }

    console.log(
      `the intake at Unico's maximum: ${PEAK_CONCURRENCY} in flight, ${PEAK_COUNT} notifications a round + 20% sent again, ` +
        `one attempt each, ${PEAK_ROUNDS} rounds per generator (processor off, as the reference has none)`,
    );
    const head = ['round', 'generator', 'target', 'per s', 'p50 ms', 'p99 ms', 'CPU ms', 'not 2xx'];
    console.log(`${head[0]!.padEnd(6)}${head[1]!.padEnd(10)}${head[2]!.padEnd(11)}${head.slice(3).map((h) => h.padStart(9)).join('')}  CPU ms by thread`);
    const line = (round: number, generator: string, name: string, f: PeakFigures) =>
      `${String(round).padEnd(6)}${generator.padEnd(10)}${name.padEnd(11)}${f.deliveriesPerSecond.toFixed(0).padStart(9)}${f.p50.toFixed(1).padStart(9)}` +
      `${f.p99.toFixed(1).padStart(9)}${f.cpuMsPerDelivery.toFixed(2).padStart(9)}${String(f.notFirstTry).padStart(9)}  ` +
      Object.entries(f.cpuByThread).map(([thread, ms]) => `${thread} ${ms.toFixed(2)}`).join(', ');
    for (const generator of GENERATORS) {
      rounds.get(generator)!.forEach((r, index) => {
        console.log(line(index + 1, generator, 'reference', r.reference));
        console.log(line(index + 1, generator, 'receiver', r.receiver));
      });
    }
    console.log("(CPU ms: CPU time of the targets' process per delivery, all threads; the generator runs apart)");
    const summary: Record<string, unknown> = {};
    for (const generator of GENERATORS) {
      const generatorRounds = rounds.get(generator)!;
      const ratios = generatorRounds.map((r) => r.receiver.deliveriesPerSecond / r.reference.deliveriesPerSecond);
      const throughputRatio = median(ratios);
      const notFirstTry = generatorRounds.reduce((sum, r) => sum + r.receiver.notFirstTry, 0);
      const deliveries = generatorRounds.reduce((sum, r) => sum + r.receiver.deliveries, 0);
      const throughputMet = throughputRatio >= PEAK_THROUGHPUT_TARGET;
      const failuresMet = notFirstTry === 0;
      console.log(
        `${generator}: receiver / reference ${throughputRatio.toFixed(2)}× (median of ${ratios.map((r) => r.toFixed(2)).join(', ')}; ` +
          `target at least ${PEAK_THROUGHPUT_TARGET}×: ${throughputMet ? 'met' : 'NOT MET'}); ` +
          `first attempts not answered 2xx: ${notFirstTry} of ${deliveries} (target 0: ${failuresMet ? 'met' : 'NOT MET'})`,
      );
      const busy = busyNote(ratios);
      if (busy !== undefined) console.log(`  ${busy}`);
      summary[generator] = { rounds: generatorRounds, ratios, medianRatio: throughputRatio, notFirstTry, deliveries };
      targets[`peak ${generator} throughput`] = throughputMet;
      targets[`peak ${generator} no failures`] = failuresMet;
    }
    results.peak = { inFlight: PEAK_CONCURRENCY, notificationsPerRound: PEAK_COUNT, copies: 0.2, target: PEAK_THROUGHPUT_TARGET, ...summary };
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
