import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  chooseNode,
  exitStatus,
  installReason,
  isNewEnough,
  minimumNode,
  nodePackage,
} from '../../../bin/launch.mjs';

const LAUNCHER = new URL('../../../bin/launch.mjs', import.meta.url).pathname;

describe('install before running', () => {
  it('is needed when node_modules is missing', () => {
    expect(installReason({ nodeModulesExists: false, installedMtimeMs: undefined, lockMtimeMs: 1000 }))
      .toBe('node_modules is missing');
  });

  it('is needed when npm left no record of an install', () => {
    expect(installReason({ nodeModulesExists: true, installedMtimeMs: undefined, lockMtimeMs: 1000 }))
      .toMatch(/not installed by npm/);
  });

  it('is needed when package-lock.json is newer than the last install', () => {
    expect(installReason({ nodeModulesExists: true, installedMtimeMs: 1000, lockMtimeMs: 2000 }))
      .toBe('package-lock.json is newer than node_modules');
  });

  it('is not needed when the last install is as new as package-lock.json or newer', () => {
    expect(installReason({ nodeModulesExists: true, installedMtimeMs: 2000, lockMtimeMs: 1000 })).toBeNull();
    expect(installReason({ nodeModulesExists: true, installedMtimeMs: 1000, lockMtimeMs: 1000 })).toBeNull();
  });

  it('is left to the enclosing launch, so a launch inside a test run never reinstalls under it', () => {
    expect(installReason({ nodeModulesExists: true, installedMtimeMs: 1000, lockMtimeMs: 2000, insideLaunch: true }))
      .toBeNull();
  });
});

describe('which Node runs the command', () => {
  it.each([
    ['v18.20.8', false],
    ['v20.20.2', false],
    ['v22.22.0', false],
    ['v24.0.0', true],
    ['v24.21.0', true],
    ['v25.2.1', true],
  ])('Node %s is new enough for >=24: %s', (version, expected) => {
    expect(isNewEnough(version, '>=24')).toBe(expected);
  });

  it('compares minor and patch versions too', () => {
    expect(isNewEnough('24.3.0', '>=24.3.1')).toBe(false);
    expect(isNewEnough('24.3.1', '>=24.3.1')).toBe(true);
    expect(isNewEnough('24.4.0', '>= 24.3.1')).toBe(true);
  });

  it('accepts any Node when engines names none', () => {
    expect(isNewEnough('18.0.0', undefined)).toBe(true);
  });

  it('refuses an engines range it does not understand rather than guess', () => {
    expect(() => minimumNode('^24 || ^26')).toThrow(/engines.node/);
  });

  it('runs on the machine\'s Node when it is new enough, whatever is cached', () => {
    expect(chooseNode({ runningVersion: '24.21.0', enginesNode: '>=24', cachedVersion: undefined })).toBe('running');
    expect(chooseNode({ runningVersion: '25.0.0', enginesNode: '>=24', cachedVersion: '24.1.0' })).toBe('running');
  });

  it('uses the cached Node on an older machine, and fetches one when none is cached or it is too old', () => {
    expect(chooseNode({ runningVersion: '20.20.2', enginesNode: '>=24', cachedVersion: '24.21.0' })).toBe('cached');
    expect(chooseNode({ runningVersion: '20.20.2', enginesNode: '>=24', cachedVersion: undefined })).toBe('fetch');
    expect(chooseNode({ runningVersion: '22.1.0', enginesNode: '>=24.5', cachedVersion: '24.1.0' })).toBe('fetch');
  });

  it('fetches the newest release of the major engines names, into a folder named after it', () => {
    expect(nodePackage('>=24')).toEqual({ spec: 'node@^24.0.0', folder: 'node-24' });
    expect(nodePackage('>=24.3.1')).toEqual({ spec: 'node@^24.3.1', folder: 'node-24' });
  });

  it('ends as the command ended', () => {
    expect(exitStatus({ code: 0, signal: null })).toEqual({ code: 0 });
    expect(exitStatus({ code: 3, signal: null })).toEqual({ code: 3 });
    expect(exitStatus({ code: null, signal: 'SIGTERM' })).toEqual({ signal: 'SIGTERM' });
  });
});

/**
 * The launcher run as a process in a throwaway project whose node_modules is up to date, so it
 * neither installs nor fetches anything.
 */
describe('the launcher as a process', () => {
  let project: string;

  const makeProject = (enginesNode: string) => {
    const root = mkdtempSync(join(project, 'p-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(LAUNCHER, join(root, 'bin', 'launch.mjs'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', engines: { node: enginesNode } }));
    writeFileSync(join(root, 'package-lock.json'), '{}');
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{}');
    utimesSync(join(root, 'package-lock.json'), new Date(1_000_000), new Date(1_000_000));
    return root;
  };

  const launch = (root: string, args: string[], extraEnv: Record<string, string> = {}) => {
    const { npm_config_loglevel: _loglevel, PROJECT_LAUNCHED_FROM: _launched, ...env } = process.env;
    const child = spawn(process.execPath, [join(root, 'bin', 'launch.mjs'), ...args], {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ended = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    return { child, ended, stdout: () => stdout, stderr: () => stderr };
  };

  const waitFor = async (read: () => string, text: string) => {
    const giveUpAt = Date.now() + 10_000;
    while (!read().includes(text)) {
      if (Date.now() > giveUpAt) throw new Error(`never saw ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'launch-test-'));
  });

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('runs the command on the machine\'s Node, silently, and exits with its code', async () => {
    const run = launch(makeProject(`>=${process.versions.node}`), ['node', '-e', 'console.log(process.version); process.exit(7)']);
    expect(await run.ended).toEqual([7, null]);
    expect(run.stdout().trim()).toBe(process.version);
    expect(run.stderr()).toBe('');
  });

  it('tells the command it runs inside a launch, and a launch inside one does not install', async () => {
    const root = makeProject(`>=${process.versions.node}`);
    const outer = launch(root, ['node', '-p', 'process.env.PROJECT_LAUNCHED_FROM']);
    expect(await outer.ended).toEqual([0, null]);
    expect(outer.stdout().trim()).toBe(root);

    rmSync(join(root, 'node_modules'), { recursive: true });
    const inner = launch(root, ['node', '-e', 'process.exit(0)'], { PROJECT_LAUNCHED_FROM: root });
    expect(await inner.ended).toEqual([0, null]);
    expect(inner.stderr()).toBe('');
  });

  it('passes SIGTERM on to the command and exits as it does', async () => {
    const run = launch(makeProject(`>=${process.versions.node}`), [
      'node', '-e', "process.on('SIGTERM', () => { console.log('stopping'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);",
    ]);
    await waitFor(run.stdout, 'ready');
    run.child.kill('SIGTERM');
    expect(await run.ended).toEqual([0, null]);
    expect(run.stdout()).toContain('stopping');
  });

  it('dies of the signal that killed the command', async () => {
    const run = launch(makeProject(`>=${process.versions.node}`), ['node', '-e', "console.log('ready'); setInterval(() => {}, 1000);"]);
    await waitFor(run.stdout, 'ready');
    run.child.kill('SIGTERM');
    expect(await run.ended).toEqual([null, 'SIGTERM']);
  });

  it('runs on the cached Node, first on PATH, when the machine\'s is older than engines asks', async () => {
    const root = makeProject('>=999');
    const cached = join(root, '.cache', 'node-999', 'node_modules', 'node');
    mkdirSync(join(cached, 'bin'), { recursive: true });
    writeFileSync(join(cached, 'package.json'), JSON.stringify({ name: 'node', version: '999.0.0' }));
    symlinkSync(process.execPath, join(cached, 'bin', 'node'));

    const run = launch(root, ['node', '-e', 'console.log(process.env.PATH.split(process.argv[1])[0])', delimiter]);
    expect(await run.ended).toEqual([0, null]);
    expect(run.stdout().trim()).toBe(join(cached, 'bin'));
    expect(run.stderr()).toContain('Running on Node v999.0.0 from .cache/node-999');
  });
});
