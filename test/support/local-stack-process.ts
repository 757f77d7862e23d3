import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEndpoints } from '../../tools/local-stack/local-stack.ts';

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;

export interface LocalStackProcess {
  readonly endpoints: LocalEndpoints;
  readonly endpointsFile: string;
  readonly output: () => string;
  /**
   * Sends SIGTERM to `npm start`'s process group, as a terminal's Ctrl+C or a service manager
   * does (npm itself does not pass signals on), and waits until every process in it has closed.
   */
  stop(): Promise<void>;
  /**
   * SIGTERM to npm's own process only, as a CI system or a process manager signals the command it
   * started, and waits until npm has exited (the rest of the group is not signalled).
   */
  terminateNpm(): Promise<void>;
  /** SIGKILL to the whole group: the machine dies mid-flight, nothing gets to clean up. */
  kill(): Promise<void>;
}

/** Runs the README's `npm start` on a free port and waits (bounded) for its endpoints file. */
export async function startLocalStackProcess(env: Record<string, string>): Promise<LocalStackProcess> {
  const folder = await mkdtemp(join(tmpdir(), 'unico-local-'));
  const endpointsFile = join(folder, 'endpoints.json');
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '0', LOCAL_ENDPOINTS_FILE: endpointsFile, POWERTOOLS_LOG_LEVEL: 'SILENT', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const closed = once(child, 'close');
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const endpoints = await waitForEndpoints(child, endpointsFile, () => output);
  return {
    endpoints,
    endpointsFile,
    output: () => output,
    stop: async () => {
      signalGroup(child, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000);
      await closed;
      clearTimeout(killer);
      await rm(folder, { recursive: true, force: true });
    },
    terminateNpm: async () => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      // Anything left behind is killed after the test has looked (the group outlives npm).
      await closed;
    },
    kill: async () => {
      signalGroup(child, 'SIGKILL');
      await closed;
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function waitForEndpoints(child: ChildProcess, file: string, output: () => string): Promise<LocalEndpoints> {
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output()}`);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as LocalEndpoints;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  signalGroup(child, 'SIGKILL');
  throw new Error(`npm start did not become ready within 60 s:\n${output()}`);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
