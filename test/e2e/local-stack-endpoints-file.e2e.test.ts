import { afterEach, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Two `npm start` from the same folder, one after the other, on the same endpoints file: a stack
 * that runs keeps its file (the second one refuses, naming LOCAL_ENDPOINTS_FILE), a stack that was
 * killed leaves a file the next one takes over, and a stop removes only the file its stack wrote.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const SIM = join(ROOT, 'bin/unico-sim.ts');

interface Started {
  readonly child: ChildProcess;
  readonly closed: Promise<unknown>;
  readonly output: () => string;
}

const started: Started[] = [];
let folder: string | undefined;

afterEach(async () => {
  for (const stack of started.splice(0)) {
    signal(stack.child, 'SIGKILL');
    await stack.closed;
  }
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

function npmStart(endpointsFile: string): Started {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOCAL_ENDPOINTS_FILE: endpointsFile, POWERTOOLS_LOG_LEVEL: 'SILENT', WEBHOOK_AUTH: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stack = { child, closed: once(child, 'close'), output: () => output };
  started.push(stack);
  return stack;
}

function signal(child: ChildProcess, name: NodeJS.Signals) {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, name);
  } catch {
    // Gone already.
  }
}

/** The endpoints file once it names a webhook URL, and the pid in it. */
async function readyFile(stack: Started, file: string): Promise<{ webhookUrl: string; pid: number; text: string }> {
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (stack.child.exitCode !== null) throw new Error(`npm start exited with ${stack.child.exitCode}:\n${stack.output()}`);
    if (stack.output().includes('local stack ready')) {
      const text = await readFile(file, 'utf8');
      return { ...(JSON.parse(text) as { webhookUrl: string; pid: number }), text };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm start did not become ready within 60 s:\n${stack.output()}`);
}

/** Until the killed stack's process is gone for good (its parent may reap it a moment after the npm process closed). */
async function pidGone(pid: number): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  while (Date.now() < giveUpAt) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pid ${pid} still runs 10 s after SIGKILL`);
}

async function checkExitCode(file: string): Promise<number> {
  return run(process.execPath, [SIM, 'check', '--endpoints', file], { timeout: 60_000 }).then(() => 0, (error: { code?: number }) => error.code ?? -1);
}

describe('npm start and the endpoints file of another npm start', () => {
  test('while the first runs, the second refuses its file, naming LOCAL_ENDPOINTS_FILE; the first keeps it and is still reached through it', async () => {
    folder = await mkdtemp(join(tmpdir(), 'unico-owner-'));
    const file = join(folder, 'endpoints.json');
    const first = npmStart(file);
    const owned = await readyFile(first, file);

    const second = npmStart(file);
    const [code] = (await second.closed) as [number];

    expect(code).toBe(1);
    expect(second.output()).toMatch(new RegExp(`LOCAL_ENDPOINTS_FILE: ${file} belongs to a local stack that is still running \\(pid ${owned.pid}, serving ${owned.webhookUrl}\\)`));
    expect(await readFile(file, 'utf8')).toBe(owned.text);
    expect(await checkExitCode(file)).toBe(0);

    signal(first.child, 'SIGTERM');
    await first.closed;
    await expect(access(file)).rejects.toThrow();
  }, 120_000);

  test('after the first was killed, the second takes the leftover file over, and its stop removes it', async () => {
    folder = await mkdtemp(join(tmpdir(), 'unico-owner-'));
    const file = join(folder, 'endpoints.json');
    const first = npmStart(file);
    const left = await readyFile(first, file);
    signal(first.child, 'SIGKILL');
    await first.closed;
    await pidGone(left.pid);
    expect(await readFile(file, 'utf8')).toBe(left.text);

    const second = npmStart(file);
    const taken = await readyFile(second, file);

    expect(taken.pid).not.toBe(left.pid);
    expect(await checkExitCode(file)).toBe(0);
    signal(second.child, 'SIGTERM');
    await second.closed;
    await expect(access(file)).rejects.toThrow();
  }, 120_000);
});
