/**
 * Builds what `npm pack` ships into dist/ (npm runs it as `prepack`): tsc compiles the construct
 * and the results-event types to JS + .d.ts, esbuild bundles unico-sim into one file (Node does not strip types inside
 * node_modules), and esbuild pre-builds each function with FUNCTION_BUNDLING into
 * dist/functions/<name>/index.mjs, which the installed construct deploys with Code.fromAsset, so a
 * consumer's synth needs no esbuild.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FUNCTION_BUNDLING, esbuildBuildOptions } from '../lib/bundling.ts';
import { PROJECT_ROOT } from '../lib/constructs/project-function.ts';

const DIST = path.join(PROJECT_ROOT, 'dist');
const FUNCTIONS = ['intake', 'processor', 'tracking', 'fallback'];

rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: PROJECT_ROOT,
  stdio: 'inherit',
});
rewriteDeclarationImports(DIST);

// unico-sim as one file with its dependencies inside (the AWS SDK for `results`, jose...), so the
// package's dependencies stay those of the construct.
await build({
  absWorkingDir: PROJECT_ROOT,
  entryPoints: ['bin/unico-sim.ts'],
  outfile: path.join(DIST, 'bin/unico-sim.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  banner: { js: FUNCTION_BUNDLING.banner ?? '' },
  logLevel: 'warning',
});
chmodSync(path.join(DIST, 'bin/unico-sim.js'), 0o755);

await Promise.all(
  FUNCTIONS.map((name) =>
    build(
      esbuildBuildOptions(FUNCTION_BUNDLING, {
        entry: path.join(PROJECT_ROOT, 'lambdas', name, 'index.ts'),
        outfile: path.join(DIST, 'functions', name, 'index.mjs'),
        projectRoot: PROJECT_ROOT,
      }),
    ),
  ),
);

/** tsc keeps `./x.ts` in the declarations; a consumer's compiler resolves `./x.js` to x.d.ts everywhere. */
function rewriteDeclarationImports(directory: string): void {
  for (const entry of readdirSync(directory)) {
    const file = path.join(directory, entry);
    if (statSync(file).isDirectory()) rewriteDeclarationImports(file);
    else if (file.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(/(from '\.{1,2}\/[^']*)\.ts'/g, "$1.js'").replace(/(import\('\.{1,2}\/[^']*)\.ts'/g, "$1.js'"));
    }
  }
}
