/**
 * lib/bundling.ts is the one definition of how functions are bundled: the CDK takes it as
 * NodejsFunction's `bundling`, and `npm run bench` turns it into esbuild options with
 * esbuildBuildOptions() to measure cold starts. This checks that the two give the same bytes, so
 * the bench keeps measuring what deploys.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { esbuildBuildOptions, FUNCTION_BUNDLING } from '../../lib/bundling.ts';
import { PROJECT_ROOT, projectFunction } from '../../lib/constructs/project-function.ts';

// A function with comments esbuild keeps (Powertools'), so their file is compared too.
const ENTRY = 'lambdas/tracking/index.ts';

describe('bundling', () => {
  test('esbuildBuildOptions builds byte for byte the bundle the CDK deploys', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bundling-test-'));
    try {
      // Prepare: the CDK's asset for a function built the project's way
      const app = new App({ outdir: join(folder, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
      const stack = new Stack(app, 'Bundling');
      projectFunction(stack, 'Floor', {
        entry: ENTRY,
        description: 'bundling test',
        roleDescription: 'bundling test',
        serviceName: 'bundling-test',
        timeout: Duration.seconds(3),
        environment: {},
        logRetention: RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const assembly = app.synth();
      const template = assembly.getStackByName(stack.stackName).template as {
        Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
      };
      const [lambda] = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      const assetPath = lambda?.Metadata?.['aws:asset:path'];
      expect(assetPath).toEqual(expect.any(String));

      // Act: the bench's build of the same entry
      const outfile = join(folder, 'bench', 'index.mjs');
      await build(esbuildBuildOptions(FUNCTION_BUNDLING, { entry: ENTRY, outfile, projectRoot: PROJECT_ROOT }));

      // Assess
      const deployed = await readFile(join(assembly.directory, assetPath!, 'index.mjs'));
      expect((await readFile(outfile)).equals(deployed)).toBe(true);
      const deployedLegal = await readFile(join(assembly.directory, assetPath!, 'index.mjs.LEGAL.txt'), 'utf8');
      expect(deployedLegal).toContain('@aws-lambda-powertools');
      expect(await readFile(`${outfile}.LEGAL.txt`, 'utf8')).toBe(deployedLegal);
      expect(deployed.toString('utf8')).not.toContain('@preserve');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    // A synth with its esbuild run, then a second build: seconds on a busy machine.
  }, 60_000);

  test('an option esbuildBuildOptions cannot translate is refused, not dropped', () => {
    expect(() =>
      esbuildBuildOptions({ ...FUNCTION_BUNDLING, define: { DEBUG: 'true' } }, { entry: ENTRY, outfile: 'x.mjs', projectRoot: PROJECT_ROOT }),
    ).toThrow(/define/);
    expect(() =>
      esbuildBuildOptions({ ...FUNCTION_BUNDLING, esbuildArgs: { '--log-limit': '0' } }, { entry: ENTRY, outfile: 'x.mjs', projectRoot: PROJECT_ROOT }),
    ).toThrow(/--log-limit/);
  });
});
