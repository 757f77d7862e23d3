import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import type { LocalEndpoints } from '../../tools/local-stack/local-stack.ts';

/**
 * The commands a new user pastes: taken from README.md and docs/consumers.md themselves (each fenced block
 * after a `<!-- tested: NAME [FILE] -->` line), run by bash in a folder laid out as a fresh clone
 * (the project's files linked in, no `.local`), against `npm start` started in that folder.
 * The one change made to them: the quick start's port 3000 becomes the port the stack got.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const SIM = join(ROOT, 'bin/unico-sim.ts');
/** Never linked: what a fresh clone does not have, or must not share. */
const NOT_IN_A_CLONE = new Set(['.local', '.git', '.cache', '.stryker-tmp']);

interface ReadmeBlock {
  readonly code: string;
  /** The file the block is to be saved as, when it is code rather than commands. */
  readonly file: string | undefined;
}

/** The pages a new user pastes from: the README's quick start, and the consumer recipes beside it. */
const PAGES = ['README.md', 'docs/consumers.md'];

async function readmeBlock(name: string): Promise<ReadmeBlock> {
  const pattern = new RegExp(`<!-- tested: ${name}(?: (\\S+))? -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``);
  for (const page of PAGES) {
    const match = pattern.exec(await readFile(join(ROOT, page), 'utf8'));
    if (match !== null) return { code: match[2] ?? '', file: match[1] };
  }
  throw new Error(`no block marked <!-- tested: ${name} --> in ${PAGES.join(' or ')}`);
}

let clone: string;
let stack: ChildProcess;
let stackClosed: Promise<unknown>;
let output = '';
let endpoints: LocalEndpoints;

async function bash(script: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: clone, env: { ...process.env, ...env }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function admin(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${endpoints.unicoSimulator?.adminUrl}${path}`, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.text();
  return response.status;
}

/** A finished process set in the local Unico and its webhook sent, as the README's block does. */
async function finishProcess(result: string): Promise<string> {
  const id = crypto.randomUUID();
  expect(await admin('PUT', `/processes/${id}`, { id, flow: 'id', state: 'PROCESS_STATE_FINISHED', result })).toBe(204);
  expect(await admin('POST', `/processes/${id}/webhook`)).toBe(202);
  return id;
}

beforeAll(async () => {
  clone = await mkdtemp(join(tmpdir(), 'unico-clone-'));
  for (const entry of await readdir(ROOT)) {
    if (!NOT_IN_A_CLONE.has(entry)) await symlink(join(ROOT, entry), join(clone, entry));
  }
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // The install check is done (this test runs on the installed project): never `npm ci` through the linked node_modules.
    PROJECT_LAUNCHED_FROM: await realpath(ROOT),
  };
  delete env.LOCAL_ENDPOINTS_FILE;
  stack = spawn('npm', ['start', '--silent'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  stackClosed = once(stack, 'close');
  stack.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stack.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const file = join(clone, '.local/endpoints.json');
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    if (stack.exitCode !== null) throw new Error(`npm start exited with ${stack.exitCode}:\n${output}`);
    try {
      endpoints = JSON.parse(await readFile(file, 'utf8')) as LocalEndpoints;
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`npm start did not write .local/endpoints.json within 60 s:\n${output}`);
}, 90_000);

afterAll(async () => {
  if (stack?.pid !== undefined) {
    try {
      process.kill(-stack.pid, 'SIGTERM');
    } catch {
      // Gone already.
    }
    await stackClosed;
  }
  if (clone !== undefined) await rm(clone, { recursive: true, force: true });
});

describe('the README, run as pasted in a fresh clone with npm start running', () => {
  test('quick start: the curl is answered 202 accepted, and the same again 200 duplicate', async () => {
    const { code } = await readmeBlock('quick-start-curl');
    const script = code.replaceAll('http://127.0.0.1:3000', new URL(endpoints.webhookUrl).origin);

    const first = await bash(script);
    const again = await bash(script);

    expect(first.stdout).toMatch(/^HTTP\/1\.1 202 /);
    expect(first.stdout).toContain('"status":"accepted"');
    expect(again.stdout).toMatch(/^HTTP\/1\.1 200 /);
    expect(again.stdout).toContain('"status":"duplicate"');
  });

  test('its processId, unknown to the local Unico, gets outcome null and outcomeError 404 process_not_found, as the README says', async () => {
    const { code } = await readmeBlock('quick-start-curl');
    const processId = /"processId":"([0-9a-f-]{36})"/.exec(code)?.[1] ?? '';

    const { stdout } = await run(process.execPath, [SIM, 'results', '--endpoints', '.local/endpoints.json', '--process-id', processId], { cwd: clone });

    const event = JSON.parse(stdout) as ResultsEvent;
    expect(event.subject).toBe(processId);
    expect(event.data.outcome).toBeNull();
    expect(event.data.outcomeError).toMatchObject({ status: 404, code: 'process_not_found' });
  }, 30_000);

  test('see it end to end: one results event, carrying the outcome the block set', async () => {
    const { code } = await readmeBlock('end-to-end');

    const result = await bash(code);

    expect(result.stderr).not.toMatch(/unico-sim:/);
    expect(result.code).toBe(0);
    const start = result.stdout.indexOf('{\n  "specversion"');
    expect(start).toBeGreaterThanOrEqual(0);
    const event = JSON.parse(result.stdout.slice(start)) as ResultsEvent;
    expect(event.data.outcome?.process).toEqual({ id: event.subject, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' });
    expect(event.data.outcomeError).toBeUndefined();
  }, 60_000);

  test('consumer, AWS CLI: receive-message returns the results event', async () => {
    const { code } = await readmeBlock('consumer-cli');
    const id = await finishProcess('PROCESS_RESULT_INVALID_IDENTITY');
    const hasAws = (await bash('command -v aws')).code === 0;

    // Without the AWS CLI, an `aws` that prints its arguments shows what the substitutions gave.
    const result = await bash(hasAws ? code : `aws() { printf '%s\\n' "$@"; }\n${code}`);

    expect(result.code).toBe(0);
    if (!hasAws) {
      const args = result.stdout.trim().split('\n');
      expect(args).toEqual(expect.arrayContaining([endpoints.sqs.endpoint, endpoints.sqs.resultsQueueUrl]));
      return;
    }
    const { Messages = [] } = JSON.parse(result.stdout) as { Messages?: Array<{ Body: string }> };
    expect(Messages.length).toBeGreaterThan(0);
    const events = Messages.map((message) => JSON.parse(message.Body) as ResultsEvent);
    // The queue may hand out an earlier event first; each is a whole results event.
    for (const event of events) expect(event.specversion).toBe('1.0');
    if (events.some((event) => event.subject === id)) {
      expect(events.find((event) => event.subject === id)?.data.outcome?.process.result).toBe('PROCESS_RESULT_INVALID_IDENTITY');
    }
  }, 60_000);

  test('consumer, SDK: the few lines print each event\'s processId and result, and take it off the queue', async () => {
    const { code, file } = await readmeBlock('consumer-sdk');
    expect(file).toBe('consumer.mjs');
    await writeFile(join(clone, file ?? ''), code);
    const id = await finishProcess('PROCESS_RESULT_OK');

    const consumer = spawn(process.execPath, [file ?? ''], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    consumer.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    consumer.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const giveUpAt = Date.now() + 30_000;
    while (!printed.includes(`${id} PROCESS_RESULT_OK`) && Date.now() < giveUpAt && consumer.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    consumer.kill('SIGTERM');
    await once(consumer, 'close');

    expect(printed).toContain(`${id} PROCESS_RESULT_OK`);
    // Taken off the queue: nothing is left to read for that process.
    const again = await run(process.execPath, [SIM, 'results', '--endpoints', '.local/endpoints.json', '--process-id', id, '--wait', '1'], { cwd: clone })
      .then(() => 0, (error: { code?: number }) => error.code);
    expect(again).toBe(1);
  }, 60_000);
});
