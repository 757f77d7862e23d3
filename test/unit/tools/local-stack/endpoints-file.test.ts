import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAuthSpec } from '../../../../lambdas/contracts/auth-notation.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import {
  assertEndpointsFileFree,
  isProcessAlive,
  liveOwnerOf,
  unicoFormValue,
  writeOwnedEndpointsFile,
} from '../../../../tools/local-stack/endpoints-file.ts';

const LIVE = 1111;
const DEAD = 2222;
const alive = (pid: number) => pid === LIVE;

let folder: string;
let file: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'endpoints-file-'));
  file = join(folder, '.local', 'endpoints.json');
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const read = async () => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

describe('the endpoints file and the stack that owns it', () => {
  test('the file carries the endpoints and the pid of the stack that wrote it, and nothing else is left beside it', async () => {
    // Act
    await writeOwnedEndpointsFile(file, { webhookUrl: 'http://127.0.0.1:3000/webhooks/unico' }, LIVE, alive);

    // Assess
    expect(await read()).toEqual({ webhookUrl: 'http://127.0.0.1:3000/webhooks/unico', pid: LIVE });
    expect(await readdir(join(folder, '.local'))).toEqual(['endpoints.json']);
  });

  test('a second stack refuses a file whose writer still runs, naming LOCAL_ENDPOINTS_FILE, and leaves it as it was', async () => {
    // Prepare
    await writeOwnedEndpointsFile(file, { webhookUrl: 'http://127.0.0.1:3000/webhooks/unico' }, LIVE, alive);
    const before = await readFile(file, 'utf8');

    // Act
    const early = assertEndpointsFileFree(file, alive);
    const late = writeOwnedEndpointsFile(file, { webhookUrl: 'http://127.0.0.1:4000/webhooks/unico' }, 3333, alive);

    // Assess
    for (const attempt of [early, late]) {
      await expect(attempt).rejects.toThrow(ConfigurationError);
      await expect(attempt).rejects.toThrow(
        /LOCAL_ENDPOINTS_FILE: .*endpoints\.json belongs to a local stack that is still running \(pid 1111, serving http:\/\/127\.0\.0\.1:3000\/webhooks\/unico\).*LOCAL_ENDPOINTS_FILE=.* PORT=0 npm start/,
      );
    }
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  test('a leftover of a stack that is gone (or a file without a pid, or not JSON) is replaced', async () => {
    for (const leftover of [JSON.stringify({ webhookUrl: 'x', pid: DEAD }), JSON.stringify({ webhookUrl: 'x' }), '{"webhookUrl":']) {
      // Prepare
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, leftover);

      // Act
      await assertEndpointsFileFree(file, alive);
      await writeOwnedEndpointsFile(file, { webhookUrl: 'new' }, LIVE, alive);

      // Assess
      expect(await read()).toEqual({ webhookUrl: 'new', pid: LIVE });
    }
  });

  test('stopping removes the file only while it still holds what this stack wrote', async () => {
    // Prepare: the first stack's file is replaced by a second stack once the first one is gone.
    const first = await writeOwnedEndpointsFile(file, { webhookUrl: 'first' }, DEAD, () => true);
    const second = await writeOwnedEndpointsFile(file, { webhookUrl: 'second' }, LIVE, alive);

    // Act
    await first.release();

    // Assess: the second stack's file stays; its own stop removes it.
    expect(await read()).toEqual({ webhookUrl: 'second', pid: LIVE });
    await second.release();
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  test('the pid is trusted only as a positive whole number', async () => {
    for (const pid of ['1111', 0, -1, 1.5, null]) {
      await writeFile(join(folder, 'odd.json'), JSON.stringify({ pid }));
      expect(await liveOwnerOf(join(folder, 'odd.json'), () => true)).toBeUndefined();
    }
    await writeFile(join(folder, 'live.json'), JSON.stringify({ pid: LIVE }));
    expect(await liveOwnerOf(join(folder, 'live.json'), alive)).toEqual({ pid: LIVE, webhookUrl: undefined });
  });

  test('by default a pid is alive when the process runs: this one is, a pid no process has is not', async () => {
    await writeFile(join(folder, 'mine.json'), JSON.stringify({ pid: process.pid }));
    await writeFile(join(folder, 'none.json'), JSON.stringify({ pid: 2 ** 22 + 12_345 }));

    expect(await liveOwnerOf(join(folder, 'mine.json'))).toMatchObject({ pid: process.pid });
    expect(await liveOwnerOf(join(folder, 'none.json'))).toBeUndefined();
  });
});

describe('what to type in Unico\'s form (auth.unico)', () => {
  test.each([
    ['basic:unico:s3cret', 'unico:s3cret'],
    ['apikey:X-Api-Key:k3y', 'X-Api-Key:k3y'],
    ['apikey:k3y', 'k3y'],
    ['apikey:Authorization:a:b', 'Authorization:a:b'],
    ['none', 'none'],
    ['oauth2', 'oauth2'],
  ])('%s gives %s', (notation, formValue) => {
    expect(unicoFormValue(parseAuthSpec(notation))).toBe(formValue);
  });
});

describe('isProcessAlive', () => {
  test('this process runs; a pid no process has does not', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 17)).toBe(false);
  });

  (process.platform === 'linux' ? test : test.skip)('a killed process nobody has reaped yet (a zombie) does not run', async () => {
    // `sleep 0.1` exits under a parent that never waits for it (exec sleep 5): a zombie until then.
    const parent = spawn('bash', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombiePid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    await new Promise((resolve) => setTimeout(resolve, 400));
    try {
      expect(readFileSync(`/proc/${zombiePid}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(isProcessAlive(zombiePid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
