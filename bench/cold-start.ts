/**
 * `npm run bench:cold-start` (and the first part of `npm run bench`): what each function's bundle
 * costs at a cold start, beside the floor (bench/floor.ts: only the DynamoDB and SQS clients).
 *
 * Every bundle is built the way the CDK deploys it (lib/bundling.ts) into a temporary folder.
 * Then, in interleaved rounds (after one warm-up round that is not counted), each bundle is
 * imported in a fresh `node` process right next to a run of the floor (in turn before and after
 * it); each process reports the time from its start to the module loaded (performance.now(),
 * top-level await included). Figures are the bundle's bytes and its load time (median, min, max),
 * each also as a ratio to the floor's from the same run: bytes over the floor's bytes, and the
 * median of the ratios of the bundle's load time to the floor's run next to it.
 *
 * The children get only the environment below: a region, dummy credentials, and an endpoint that
 * refuses connections at once, so no client looks for credentials or leaves the machine at init.
 *
 * Settings: COLD_START_SAMPLES (default 31, at least 15), COLD_START_SOURCE_MAPS=1 (adds each
 * function in the four combinations of a source map written or not and --enable-source-maps or not).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';
import { WEBHOOK_AUTH_ENVIRONMENT } from '../lambdas/contracts/webhook-auth.ts';
import { esbuildBuildOptions, FUNCTION_BUNDLING, FUNCTION_NODE_ENVIRONMENT } from '../lib/bundling.ts';

const PROJECT_ROOT = new URL('..', import.meta.url).pathname;

/** Ratios each function's bundle must stay within: load time and size over the floor's. */
export const COLD_START_TARGETS = { load: 1.1, size: 1.3 } as const;

interface BundleSpec {
  readonly name: string;
  /** Relative to the project root, as the CDK construct names it. */
  readonly entry: string;
  /** What the function's config needs to load (see its config.ts). */
  readonly environment: Readonly<Record<string, string>>;
}

const FLOOR: BundleSpec = { name: 'floor', entry: 'bench/floor.ts', environment: {} };

/** The functions measured against the floor: one entry per function (its entry file and the environment its config needs). */
const FUNCTIONS: readonly BundleSpec[] = [
  {
    name: 'intake',
    entry: 'lambdas/intake/index.ts',
    environment: {
      CLAIMS_TABLE_NAME: 'bench-claims',
      INTAKE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-intake.fifo',
      // Every mode loads the same code (nothing is imported per mode); basic and apikey add a
      // Secrets Manager read at init, which is network time, not loading time.
      [WEBHOOK_AUTH_ENVIRONMENT.mode]: 'none',
    },
  },
  {
    name: 'processor',
    entry: 'lambdas/processor/index.ts',
    environment: {
      CLAIMS_TABLE_NAME: 'bench-claims',
      INTAKE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-intake.fifo',
      RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-results.fifo',
      EVENT_SOURCE: 'UnicoWebhook-bench',
      // No UNICO_SERVICE_ACCOUNT: outcome fetching off, so no secret is named (none is read at init either way).
    },
  },
  {
    name: 'fallback',
    entry: 'lambdas/fallback/index.ts',
    environment: {
      TRACKING_TABLE_NAME: 'bench-tracking',
      CLAIMS_TABLE_NAME: 'bench-claims',
      INTAKE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-intake.fifo',
      // The secret is read by the first run, not at init.
      UNICO_SERVICE_ACCOUNT: 'bench@tenant.iam.acesso.io',
      UNICO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
    },
  },
  {
    name: 'tracking',
    entry: 'lambdas/tracking/index.ts',
    environment: { TRACKING_TABLE_NAME: 'bench-tracking' },
  },
];

const CHILD_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_EC2_METADATA_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** One bundle as measured: how it was built, how it is started. */
interface Variant {
  readonly label: string;
  readonly spec: BundleSpec;
  readonly bundling: BundlingOptions;
  readonly nodeEnvironment: Readonly<Record<string, string>>;
}

interface Built extends Variant {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

export interface ColdStartRow {
  readonly label: string;
  readonly bytes: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly sizeRatio: number;
  readonly loadRatio: number;
}

export interface ColdStartOptions {
  /** @default COLD_START_SAMPLES, else 31 */
  readonly samples?: number;
  /** @default COLD_START_SOURCE_MAPS === '1' */
  readonly sourceMapVariants?: boolean;
}

export async function coldStartBench(options: ColdStartOptions = {}): Promise<{ rows: ColdStartRow[]; targetsMet: boolean }> {
  const samples = options.samples ?? Number(process.env.COLD_START_SAMPLES ?? 31);
  if (!Number.isInteger(samples) || samples < 15) throw new Error('cold start: at least 15 samples per bundle');
  const variants: Variant[] = [FLOOR, ...FUNCTIONS].map((spec) => ({
    label: spec.name,
    spec,
    bundling: FUNCTION_BUNDLING,
    nodeEnvironment: FUNCTION_NODE_ENVIRONMENT,
  }));
  if (options.sourceMapVariants ?? process.env.COLD_START_SOURCE_MAPS === '1') {
    // Each function once more in the four combinations of a map written or not and Node told to
    // read it or not (one of them is the deployed one: the two rows show the noise).
    for (const spec of FUNCTIONS) {
      for (const map of [true, false]) {
        for (const flag of [true, false]) {
          variants.push({
            label: `${spec.name}: ${map ? 'map' : 'no map'}, ${flag ? '--enable-source-maps' : 'no flag'}`,
            spec,
            bundling: { ...FUNCTION_BUNDLING, sourceMap: map },
            nodeEnvironment: withSourceMapFlag(flag),
          });
        }
      }
    }
  }

  const folder = await mkdtemp(join(tmpdir(), 'cold-start-'));
  try {
    const built: Built[] = [];
    for (const [index, variant] of variants.entries()) {
      const outfile = join(folder, String(index), 'index.mjs');
      const result = await build(
        esbuildBuildOptions(variant.bundling, { entry: variant.spec.entry, outfile, projectRoot: PROJECT_ROOT }),
      );
      const bytes = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('index.mjs'))?.[1].bytes ?? 0;
      built.push({ ...variant, file: outfile, bytes, metafile: result.metafile });
    }

    // Each bundle runs right next to a run of the floor (floor first in even rounds, last in odd
    // ones), and its load ratio is the median of those pairs' ratios: a stretch of load from
    // elsewhere on the machine slows both runs of a pair, and cancels out.
    const [floor, ...others] = built as [Built, ...Built[]];
    const floorTimes: number[] = [];
    const times = others.map(() => [] as number[]);
    const pairedFloorTimes = others.map(() => [] as number[]);
    for (let round = -1; round < samples; round++) {
      for (const [index, bundle] of others.entries()) {
        const floorFirst = round % 2 === 0;
        const first = await loadTime(floorFirst ? floor : bundle);
        const second = await loadTime(floorFirst ? bundle : floor);
        if (round < 0) continue;
        const [floorMs, bundleMs] = floorFirst ? [first, second] : [second, first];
        floorTimes.push(floorMs);
        pairedFloorTimes[index]!.push(floorMs);
        times[index]!.push(bundleMs);
      }
    }

    const toRow = (bundle: Built, ms: number[], loadRatio: number): ColdStartRow => ({
      label: bundle.label,
      bytes: bundle.bytes,
      medianMs: median(ms),
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      sizeRatio: bundle.bytes / floor.bytes,
      loadRatio,
    });
    const rows = [
      toRow(floor, floorTimes, 1),
      ...others.map((bundle, index) =>
        toRow(bundle, times[index]!, median(times[index]!.map((ms, pair) => ms / pairedFloorTimes[index]![pair]!))),
      ),
    ];
    const deployed = rows.slice(1, 1 + FUNCTIONS.length);
    const targetsMet = deployed.every((row) => row.loadRatio <= COLD_START_TARGETS.load && row.sizeRatio <= COLD_START_TARGETS.size);

    console.log(
      `cold start: each bundle imported in a fresh node ${process.version} process, ${samples} interleaved runs each; ` +
        `load ms = median from process start to module loaded; load × floor = median of the per-run ratios` +
        `${FUNCTION_NODE_ENVIRONMENT.NODE_OPTIONS ? `; NODE_OPTIONS=${FUNCTION_NODE_ENVIRONMENT.NODE_OPTIONS}` : ''}`,
    );
    const width = Math.max(...rows.map((row) => row.label.length), 6);
    console.log(
      `${'bundle'.padEnd(width)} ${'size KB'.padStart(8)} ${'× floor'.padStart(8)} ${'load ms'.padStart(8)} ${'min ms'.padStart(7)} ${'max ms'.padStart(7)} ${'× floor'.padStart(8)}`,
    );
    for (const row of rows) {
      console.log(
        `${row.label.padEnd(width)} ${(row.bytes / 1000).toFixed(1).padStart(8)} ${ratio(row.sizeRatio).padStart(8)} ` +
          `${row.medianMs.toFixed(1).padStart(8)} ${row.minMs.toFixed(1).padStart(7)} ${row.maxMs.toFixed(1).padStart(7)} ${ratio(row.loadRatio).padStart(8)}`,
      );
    }
    for (const bundle of others.slice(0, FUNCTIONS.length)) {
      const largest = largestBeyond(bundle.metafile, floor.metafile)
        .slice(0, 6)
        .map(([name, bytes]) => `${name} ${(bytes / 1000).toFixed(1)}`)
        .join(', ');
      const twice = duplicatedPackages(bundle.metafile);
      console.log(`${bundle.label}: KB beyond the floor's: ${largest}; packages bundled twice: ${twice.join(', ') || 'none'}`);
    }
    const spread = (quantile(floorTimes, 0.75) - quantile(floorTimes, 0.25)) / median(floorTimes);
    if (spread > 0.15) {
      console.log(
        `note: the floor's load times spread widely (interquartile range ${(spread * 100).toFixed(0)}% of the median): ` +
          'something else kept this machine busy, so the ratios are rough; run it again when the machine is quiet',
      );
    }
    console.log(
      `targets (load ≤ ${COLD_START_TARGETS.load}×, size ≤ ${COLD_START_TARGETS.size}× the floor's): ` +
        deployed
          .map((row) => {
            const met = row.loadRatio <= COLD_START_TARGETS.load && row.sizeRatio <= COLD_START_TARGETS.size;
            return `${row.label} ${met ? 'met' : 'NOT met'} (load ${row.loadRatio.toFixed(3)}×, size ${row.sizeRatio.toFixed(3)}×)`;
          })
          .join(', '),
    );
    return { rows, targetsMet };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The functions' node environment, with or without --enable-source-maps in NODE_OPTIONS. */
function withSourceMapFlag(flag: boolean): Record<string, string> {
  const others = (FUNCTION_NODE_ENVIRONMENT.NODE_OPTIONS ?? '').split(/\s+/).filter((option) => option && option !== '--enable-source-maps');
  return { ...FUNCTION_NODE_ENVIRONMENT, NODE_OPTIONS: [...others, ...(flag ? ['--enable-source-maps'] : [])].join(' ') };
}

/** Milliseconds from a fresh node process's start to the bundle loaded, as the child reports it. */
async function loadTime(bundle: Built): Promise<number> {
  const url = pathToFileURL(bundle.file).href;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now())); process.exit(0);`],
    { env: { ...CHILD_ENVIRONMENT, ...bundle.spec.environment, ...bundle.nodeEnvironment }, timeout: 30_000 },
  );
  const ms = Number(stdout);
  if (!Number.isFinite(ms)) throw new Error(`${bundle.label}: the child printed ${JSON.stringify(stdout)}`);
  return ms;
}

/** The q-quantile, interpolated between the closest ranks. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

const median = (values: readonly number[]) => quantile(values, 0.5);

const ratio = (value: number) => `${value.toFixed(2)}×`;

/** The package an input file belongs to (the innermost node_modules), or its folder in this project. */
function owner(input: string): { name: string; copy: string } {
  const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match) return { name: match[2]!, copy: match[0] };
  const name = input.split('/').slice(0, 2).join('/');
  return { name, copy: name };
}

function bytesByPackage(metafile: Metafile): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const { name } = owner(input);
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return sizes;
}

/** The packages (and project folders) that take the bytes this bundle has beyond the floor's, largest first. */
function largestBeyond(metafile: Metafile, floor: Metafile): Array<[string, number]> {
  const floorSizes = bytesByPackage(floor);
  return [...bytesByPackage(metafile)]
    .map(([name, bytes]): [string, number] => [name, bytes - (floorSizes.get(name) ?? 0)])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** Packages present in more than one copy (e.g. two versions of Powertools commons). */
function duplicatedPackages(metafile: Metafile): string[] {
  const copies = new Map<string, Set<string>>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0 || !input.includes('node_modules/')) continue;
      const { name, copy } = owner(input);
      copies.set(name, (copies.get(name) ?? new Set()).add(copy));
    }
  }
  return [...copies].filter(([, paths]) => paths.size > 1).map(([name, paths]) => `${name} (${paths.size})`);
}

if (import.meta.main) await coldStartBench();
