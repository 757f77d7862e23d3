/**
 * How every function of this project is bundled and started, in one place: the CDK's
 * NodejsFunction takes FUNCTION_BUNDLING and FUNCTION_NODE_ENVIRONMENT, and `npm run bench` builds
 * the same bundles with esbuildBuildOptions() and starts them with the same environment, so the
 * cold-start figures are those of what deploys.
 */
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  // The map is written next to the bundle (index.mjs.map, without the sources), but Node does not
  // read it: see FUNCTION_NODE_ENVIRONMENT.
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Ship the SDK version the tests ran against (deadline-aware request handler options and
  // ReturnValuesOnConditionCheckFailure), not whichever one the runtime carries.
  bundleAwsSDK: true,
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // Comments esbuild keeps (`/*! ... */`, `@preserve`) go to index.mjs.LEGAL.txt beside the bundle:
  // shipped with it, never parsed at a cold start.
  esbuildArgs: { '--legal-comments': 'external' },
};

/**
 * What the functions' environment says about how Node runs the bundle: nothing, on purpose.
 *
 * No `NODE_OPTIONS=--enable-source-maps`. With it, Node reads and parses the bundle's source map
 * (about 800 KB for the intake) at every cold start before the module runs: about 15% more work
 * than the floor's whole load, and the intake loads in about 1.3× the floor's time instead of
 * about 1.1× (`COLD_START_SOURCE_MAPS=1 npm run bench:cold-start` measures the four combinations;
 * figures in docs/figures.md). What it buys is readable stack frames in the log lines that carry an
 * error; what failed is told by the error's name, message and the line's own fields, which a map
 * does not change. The map is still written next to the bundle, where it costs no load time (Node
 * leaves it unread, and the flag alone, without a map, measures no different), so a minified
 * `index.mjs:1:<column>` in a stack can be looked up in the deployment package's `index.mjs.map`.
 */
export const FUNCTION_NODE_ENVIRONMENT: Readonly<Record<string, string>> = {};

/** The bundling options esbuildBuildOptions() knows how to translate; any other one throws. */
const TRANSLATED = new Set<keyof BundlingOptions>([
  'format',
  'target',
  'minify',
  'sourceMap',
  'sourcesContent',
  'mainFields',
  'bundleAwsSDK',
  'externalModules',
  'banner',
  'esbuildArgs',
]);

/** The esbuild flags esbuildBuildOptions() translates from `esbuildArgs`, to esbuild's option values. */
const TRANSLATED_ARGS = {
  '--legal-comments': (value: string | boolean | readonly string[]) => {
    if (value !== 'none' && value !== 'inline' && value !== 'eof' && value !== 'linked' && value !== 'external') {
      throw new Error(`esbuildBuildOptions: --legal-comments=${String(value)} is not one of esbuild's values`);
    }
    return { legalComments: value } as const;
  },
} as const;

/**
 * esbuild's build options for what the CDK runs for `bundling` (aws-lambda-nodejs builds an
 * `esbuild --bundle <entry> --platform=node --outfile=<dir>/index.mjs ...` command line from
 * them). An option not translated here throws, so that the bench never measures a bundle other
 * than the one that deploys: translate it the way aws-lambda-nodejs does, then use it.
 */
export function esbuildBuildOptions(
  bundling: BundlingOptions,
  build: { readonly entry: string; readonly outfile: string; readonly projectRoot: string },
): BuildOptions & { metafile: true } {
  const untranslated = (Object.keys(bundling) as Array<keyof BundlingOptions>).filter(
    (option) => bundling[option] !== undefined && !TRANSLATED.has(option),
  );
  if (untranslated.length > 0) {
    throw new Error(`esbuildBuildOptions does not translate the bundling option(s) ${untranslated.join(', ')}`);
  }
  const args = Object.entries(bundling.esbuildArgs ?? {});
  const unknownArgs = args.filter(([flag]) => !(flag in TRANSLATED_ARGS)).map(([flag]) => flag);
  if (unknownArgs.length > 0) throw new Error(`esbuildBuildOptions does not translate the esbuild argument(s) ${unknownArgs.join(', ')}`);
  const fromArgs = Object.assign({}, ...args.map(([flag, value]) => TRANSLATED_ARGS[flag as keyof typeof TRANSLATED_ARGS](value)));
  if (bundling.target === undefined) throw new Error('bundling.target must be set (the CDK derives it from the runtime)');
  return {
    absWorkingDir: build.projectRoot,
    entryPoints: [build.entry],
    outfile: build.outfile,
    bundle: true,
    platform: 'node',
    target: bundling.target,
    ...(bundling.format === undefined ? {} : { format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs' }),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    // The CDK's default: the runtime's SDK stays out of the bundle unless bundleAwsSDK is set.
    external: bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ['@aws-sdk/*']),
    ...(bundling.mainFields === undefined ? {} : { mainFields: bundling.mainFields }),
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    ...fromArgs,
    metafile: true,
    logLevel: 'warning',
  };
}
