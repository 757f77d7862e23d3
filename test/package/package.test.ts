/**
 * The package another project installs: `npm pack` (its prepack builds dist/), the tarball
 * installed into a fresh folder, a second CDK app there (consumer-app/) synthesised with
 * non-default props, and `npx unico-sim --help` run from it. Offline: the package's own runtime
 * dependencies (jose, valibot) are linked from this repo's node_modules with `file:`, and the peers
 * (aws-cdk-lib, constructs) are linked in as a monorepo would, so no registry is asked.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { PROJECT_ROOT } from '../../lib/constructs/project-function.ts';
import { UnicoWebhookReceiver } from '../../lib/unico-webhook-receiver.ts';
// @ts-expect-error: a JavaScript module of the consumer app, without declarations of its own.
import { consumerStack } from './consumer-app/stack.mjs';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: unknown };
type Template = { Resources: Record<string, Resource> } & Record<string, unknown>;

const APP = path.join(PROJECT_ROOT, 'test/package/consumer-app');
const REPO_MODULES = path.join(PROJECT_ROOT, 'node_modules');
let folder: string;
let installed: string;
let template: Template;
let resources: Resource[];
let typecheck: { status: number; output: string };
let outdir: string;
let helpText: string;

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'unico-package-'));
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', folder], PROJECT_ROOT)) as Array<{ filename: string }>;
  const tarball = path.join(folder, packed[0]!.filename);
  const app = path.join(folder, 'app');
  execFileSync('mkdir', [app]);
  for (const file of ['package.json', 'app.mjs', 'stack.mjs']) copyFileSync(path.join(APP, file), path.join(app, file));
  run(
    'npm',
    ['install', tarball, `file:${REPO_MODULES}/jose`, `file:${REPO_MODULES}/valibot`,
      '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--no-package-lock'],
    app,
  );
  for (const peer of ['aws-cdk-lib', 'constructs']) symlinkSync(path.join(REPO_MODULES, peer), path.join(app, 'node_modules', peer));
  installed = path.join(app, 'node_modules/unico-webhook-receiver');
  outdir = path.join(folder, 'cdk.out');
  run(process.execPath, ['app.mjs', outdir], app);
  template = JSON.parse(readFileSync(path.join(outdir, 'ConsumerStack.template.json'), 'utf8')) as Template;
  resources = Object.values(template.Resources);
  // The app's JSDoc types checked against the installed declarations, as a TypeScript consumer's
  // compiler sees them (the package's exports, with this repo's @types/node for `process`).
  writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
        allowJs: true, checkJs: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(REPO_MODULES, '@types')],
      },
      files: ['app.mjs'],
    }),
  );
  try {
    typecheck = { status: 0, output: run(path.join(REPO_MODULES, '.bin/tsc'), ['-p', '.'], app) };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    typecheck = { status: failed.status, output: failed.stdout };
  }
  helpText = run('npx', ['--offline', 'unico-sim', '--help'], app);
}, 120_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the packed package, installed elsewhere', () => {
  test('ships compiled JS and declarations, not the sources', () => {
    expect(existsSync(path.join(installed, 'dist/lib/unico-webhook-receiver.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist/lib/unico-webhook-receiver.d.ts'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist/lambdas/contracts/results-event.d.ts'))).toBe(true);
    expect(existsSync(path.join(installed, 'lib'))).toBe(false);
    expect(existsSync(path.join(installed, 'lambdas'))).toBe(false);
  });

  test('npx unico-sim --help runs from the consumer folder', () => {
    expect(helpText).toContain('Usage:');
    expect(helpText).toContain('unico-sim deliver');
  });

  test('the consumer app synthesises the four functions on nodejs24.x, arm64', () => {
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
  });

  test('the non-default props reach the functions and log groups', () => {
    const environments = JSON.stringify(resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Environment));
    expect(environments).toContain('X-Unico-Key');
    expect(environments).toContain('receiver@tenant.iam.acesso.io');
    expect(environments).toContain('https://api.id.unico.app');
    expect(environments).toContain('"RESPONSE_DEADLINE_MS":"3000"');
    const retentions = resources.filter((r) => r.Type === 'AWS::Logs::LogGroup').map((r) => r.Properties.RetentionInDays);
    expect(retentions.length).toBeGreaterThanOrEqual(4);
    expect(retentions).toContain(14);
  });

  test("the functions' code assets are the pre-built bundles shipped in the package", () => {
    const shipped = readdirSync(path.join(installed, 'dist/functions')).map((name) => sha(path.join(installed, 'dist/functions', name, 'index.mjs')));
    const deployed = resources
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => String(r.Properties.Code.S3Key).replace(/\.zip$/, ''))
      .map((hash) => sha(path.join(outdir, `asset.${hash}`, 'index.mjs')));
    expect(shipped).toHaveLength(4);
    expect(new Set(deployed)).toEqual(new Set(shipped));
  });
  test('the app typechecks against the installed declarations, which refuse a wrong prop', () => {
    // stack.mjs holds one object the declarations must refuse (@ts-expect-error): missing or
    // untyped declarations make that directive unused, and tsc fails.
    expect(typecheck).toEqual({ status: 0, output: '' });
  });

  test("the same template as this repo's construct makes from source, but for the functions' code", () => {
    // Pre-built bundles or NodejsFunction: the same runtime, handler, environment, roles and grants.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    consumerStack(app, UnicoWebhookReceiver);
    const here = app.synth().getStackByName('ConsumerStack').template as Template;
    const withoutCode = (of: Template): Template => ({
      ...of,
      Resources: Object.fromEntries(
        Object.entries(of.Resources).map(([id, { Metadata: _assetPath, ...resource }]) => [
          id,
          resource.Type === 'AWS::Lambda::Function'
            ? { ...resource, Properties: { ...resource.Properties, Code: 'the bundle' } }
            : resource,
        ]),
      ),
    });
    expect(Object.keys(template.Resources).length).toBeGreaterThan(40);
    expect(withoutCode(template)).toEqual(withoutCode(here));
  }, 30_000);
});
