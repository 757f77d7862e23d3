#!/usr/bin/env node
/**
 * `npm start` and `npm test` on any machine with npm and Node.js 18 or newer, as the first command
 * after `git clone`:   node bin/launch.mjs <command> [args...]
 *
 * 1. When the running Node is older than package.json `engines.node` (24: the Lambda runtime's),
 *    it runs the command on Node from the npm registry's `node` package, fetched once into
 *    `.cache/node-<major>/`, with that Node first on the command's PATH (nested `node`, `npm` and
 *    `npx` use it too). A Node that is new enough runs the command directly.
 * 2. When node_modules is missing or older than package-lock.json (npm writes
 *    node_modules/.package-lock.json at every install), it runs `npm ci` first. Launches inside
 *    the command (the end-to-end tests' `npm start`) do not check again: mid-run they must not
 *    reinstall under the running tests.
 * 3. It passes SIGINT, SIGTERM and SIGHUP on to the command and exits as the command did. The
 *    package.json scripts start it with `exec`: npm runs a script through `sh -c`, and sh would
 *    die of the SIGTERM npm passes on without passing it further.
 *
 * Plain JavaScript with no dependencies: it runs before anything is installed, on the old Node.
 * POSIX only, like the package.json scripts.
 * The decisions are the exported functions; test/unit/launch/launch.test.ts covers them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Set for the command to the project's folder: launches inside it skip the install check. */
const LAUNCHED = 'PROJECT_LAUNCHED_FROM';

/** `v24.1.0`, `24.1`, `24` as [major, minor, patch]; undefined when it is not a version. */
export function parseVersion(text) {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(text).trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** The lowest Node an `engines.node` of the form `>=X[.Y[.Z]]` allows; undefined when there is none. */
export function minimumNode(enginesNode) {
  if (enginesNode === undefined || enginesNode === null || String(enginesNode).trim() === '') return undefined;
  const match = /^>=\s*(\S+)$/.exec(String(enginesNode).trim());
  const version = match ? parseVersion(match[1]) : undefined;
  if (!version) throw new Error(`package.json engines.node "${enginesNode}": the launcher understands ">=X.Y.Z"`);
  return version;
}

/** Whether a Node `version` (`v20.20.2`, `24`) satisfies `engines.node`. */
export function isNewEnough(version, enginesNode) {
  const minimum = minimumNode(enginesNode);
  if (!minimum) return true;
  const running = parseVersion(version);
  if (!running) throw new Error(`not a Node version: "${version}"`);
  for (let i = 0; i < 3; i += 1) {
    if (running[i] !== minimum[i]) return running[i] > minimum[i];
  }
  return true;
}

/**
 * Which Node runs the command: `running` (the one running this file), `cached` (the one fetched
 * before; `cachedVersion` is its version or undefined when there is none) or `fetch`.
 */
export function chooseNode({ runningVersion, enginesNode, cachedVersion }) {
  if (isNewEnough(runningVersion, enginesNode)) return 'running';
  if (cachedVersion !== undefined && isNewEnough(cachedVersion, enginesNode)) return 'cached';
  return 'fetch';
}

/**
 * Why dependencies must be installed before the command runs, or null when they are up to date.
 * `installedMtimeMs` is node_modules/.package-lock.json's, undefined when that file is missing;
 * `insideLaunch` is true when an enclosing launch of this project checked them already.
 */
export function installReason({ nodeModulesExists, installedMtimeMs, lockMtimeMs, insideLaunch = false }) {
  if (insideLaunch) return null;
  if (!nodeModulesExists) return 'node_modules is missing';
  if (installedMtimeMs === undefined) return 'node_modules was not installed by npm from package-lock.json';
  if (lockMtimeMs > installedMtimeMs) return 'package-lock.json is newer than node_modules';
  return null;
}

/** The npm package spec and cache folder name for the Node `engines.node` asks for. */
export function nodePackage(enginesNode) {
  const [major, minor, patch] = minimumNode(enginesNode);
  return { spec: `node@^${major}.${minor}.${patch}`, folder: `node-${major}` };
}

/** The exit status a process should end with to report how its child ended. */
export function exitStatus({ code, signal }) {
  if (signal) return { signal };
  return { code: code ?? 1 };
}

function mtimeMs(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Runs a command with the terminal's stdio, passing signals on; resolves with how it ended. */
function run(command, args, { env, stdio = 'inherit' }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio });
    const forward = (signal) => {
      child.kill(signal);
    };
    const stopForwarding = () => FORWARDED_SIGNALS.forEach((signal) => process.removeListener(signal, forward));
    FORWARDED_SIGNALS.forEach((signal) => process.on(signal, forward));
    child.once('error', (error) => {
      stopForwarding();
      reject(error);
    });
    child.once('exit', (code, signal) => {
      stopForwarding();
      resolve({ code, signal });
    });
  });
}

function exitLike(ended) {
  const status = exitStatus(ended);
  if (status.signal) {
    process.kill(process.pid, status.signal);
    // Still here: the signal was ignored on this platform.
    process.exit(1);
  }
  process.exit(status.code);
}

async function main(argv) {
  const [command, ...args] = argv;
  if (!command) {
    process.stderr.write('usage: node bin/launch.mjs <command> [args...]\n');
    process.exit(2);
  }
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const quiet = process.env.npm_config_loglevel === 'silent';
  const say = (line) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const enginesNode = readJson(join(root, 'package.json'))?.engines?.node;

  let node = process.execPath;
  let env = process.env;
  const choice = chooseNode({ runningVersion: process.versions.node, enginesNode, cachedVersion: undefined });
  if (choice !== 'running') {
    const { spec, folder } = nodePackage(enginesNode);
    const prefix = join(root, '.cache', folder);
    const cachedVersion = readJson(join(prefix, 'node_modules', 'node', 'package.json'))?.version;
    const shown = relative(root, prefix);
    if (chooseNode({ runningVersion: process.versions.node, enginesNode, cachedVersion }) === 'fetch') {
      process.stderr.write(
        `Node ${process.version} is older than this project's ${enginesNode}: fetching ${spec} from the npm registry into ${shown} (once)\n`,
      );
      await fetchNode(spec, prefix);
    } else {
      say(`Running on Node v${cachedVersion} from ${shown} (this machine's is ${process.version})`);
    }
    const binDir = join(prefix, 'node_modules', 'node', 'bin');
    node = join(binDir, 'node');
    env = withNodeFirst(process.env, binDir, node);
  }

  const reason = installReason({
    insideLaunch: process.env[LAUNCHED] === root,
    nodeModulesExists: existsSync(join(root, 'node_modules')),
    installedMtimeMs: mtimeMs(join(root, 'node_modules', '.package-lock.json')),
    lockMtimeMs: mtimeMs(join(root, 'package-lock.json')) ?? 0,
  });
  if (reason) {
    process.stderr.write(`Installing dependencies from package-lock.json (${reason}): npm ci\n`);
    const installed = await run('npm', ['ci', '--no-audit', '--no-fund'], { env });
    if (installed.signal || installed.code !== 0) {
      process.stderr.write('npm ci failed; see above\n');
      exitLike(installed);
    }
  }

  exitLike(await run(command === 'node' ? node : command, args, { env: { ...env, [LAUNCHED]: root } }));
}

/** Installs the npm registry's `node` package into `prefix`, atomically: a stopped fetch leaves nothing. */
async function fetchNode(spec, prefix) {
  const partial = `${prefix}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const fetched = await run(
    'npm',
    ['install', '--prefix', partial, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', spec],
    { env: process.env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const binary = join(partial, 'node_modules', 'node', 'bin', 'node');
  if (fetched.signal || fetched.code !== 0 || !existsSync(binary)) {
    rmSync(partial, { recursive: true, force: true });
    process.stderr.write(`could not fetch ${spec} from the npm registry; see above\n`);
    exitLike(fetched.signal || fetched.code ? fetched : { code: 1 });
  }
  rmSync(prefix, { recursive: true, force: true });
  try {
    renameSync(partial, prefix);
  } catch (error) {
    // Another launcher finished the same fetch first: use its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(prefix)) throw error;
  }
}

/** The environment with `binDir` first on PATH, so nested `node`, `npm` and `npx` run on that Node. */
function withNodeFirst(environment, binDir, node) {
  const env = { ...environment, NODE: node, PATH: environment.PATH ? `${binDir}${delimiter}${environment.PATH}` : binDir };
  if (env.npm_node_execpath) env.npm_node_execpath = node;
  return env;
}

function invokedAs() {
  try {
    return pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return undefined;
  }
}

if (invokedAs() === import.meta.url) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`launch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
