import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { basicAuthorization } from '../../lambdas/contracts/auth-notation.ts';
import { newNotification, post } from '../support/notifications.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';

/**
 * The local inspector as a person uses it: `npm start`, the page at the API's root in headless
 * Chromium (Debian's chromium package; .ci/run installs it), traffic from unico-sim and plain
 * HTTP. One stack and one browser for the file. The last test writes the screenshot of a
 * 100-delivery run: to INSPECTOR_SCREENSHOT when set (docs/inspector.png in the repository), to a
 * temporary file otherwise.
 */
const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'inspector-secret-1';
const WRONG_PASSWORD = 'wrong-secret-2';
const run = promisify(execFile);

// Each test waits on a browser and a whole local stack, within bounds of its own.
jest.setTimeout(30_000);

describe('the local inspector (npm start, headless Chromium)', () => {
  let stack: LocalStackProcess;
  let browser: Browser;
  let page: Page;
  let sqs: SQSClient;
  let firstProcessId: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startLocalStackProcess({ WEBHOOK_AUTH: `basic:inspector:${PASSWORD}` }),
      chromium.launch({ executablePath: CHROMIUM, headless: true }),
    ]);
    sqs = new SQSClient({
      endpoint: stack.endpoints.sqs.endpoint,
      region: stack.endpoints.sqs.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(rootUrl());
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
  }, 90_000);

  afterAll(async () => {
    sqs?.destroy();
    await browser?.close();
    await stack?.stop();
  });

  const rootUrl = () => stack.endpoints.webhookUrl.replace(/\/webhooks\/unico$/, '/');
  const rowsOf = (processId: string) => page.locator(`#deliveries tbody tr[data-process-id="${processId}"]`);

  async function unicoSimDeliver(...args: string[]): Promise<string[]> {
    const { stdout } = await run('node', ['bin/unico-sim.ts', 'deliver', '--endpoints', stack.endpointsFile, '--json', '--no-progress', ...args], {
      cwd: PROJECT_ROOT,
      maxBuffer: 10 * 1024 * 1024,
    });
    return (JSON.parse(stdout) as { processIds: string[] }).processIds;
  }

  test('serves the page at the API root, on loopback', async () => {
    expect(rootUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(page.title()).resolves.toContain('Local inspector');
    await expect(page.locator('#target').textContent()).resolves.toContain(stack.endpoints.webhookUrl);
  });

  test('a delivery sent with unico-sim deliver appears within a second', async () => {
    [firstProcessId] = (await unicoSimDeliver('--count', '1', '--expired-ratio', '0')) as [string];
    const sentAt = Date.now();

    await rowsOf(firstProcessId).first().waitFor({ timeout: 1_000 });

    expect(Date.now() - sentAt).toBeLessThanOrEqual(1_000);
    const row = rowsOf(firstProcessId).first();
    await expect(row.getAttribute('data-outcome')).resolves.toBe('accepted');
    await expect(row.textContent()).resolves.toMatch(/202.*accepted.*FINISHED/);
  });

  test('a refused delivery shows why, with the credential masked', async () => {
    const notification = newNotification();

    const answer = await post(stack.endpoints.webhookUrl, notification, { authorization: basicAuthorization('inspector', WRONG_PASSWORD) });

    expect(answer.status).toBe(401);
    const row = rowsOf(notification.processId).first();
    await row.waitFor({ timeout: 2_000 });
    await expect(row.getAttribute('data-outcome')).resolves.toBe('refused');
    await expect(row.textContent()).resolves.toContain('unauthorized: wrong credentials');
    await row.click();
    await page.locator('#detail-request', { hasText: 'authorization: Basic ••••••' }).waitFor({ timeout: 2_000 });
    const html = await page.content();
    expect(html).not.toContain(WRONG_PASSWORD);
    expect(html).not.toContain(Buffer.from(`inspector:${WRONG_PASSWORD}`).toString('base64'));
    await expect(page.locator('#detail-response').textContent()).resolves.toContain('www-authenticate');
    await page.keyboard.press('Escape');
    await page.locator('#detail').waitFor({ state: 'hidden', timeout: 2_000 });
  });

  test('a process set and finished through the simulator panel shows its outcome, masked until revealed', async () => {
    const name = `Pessoa Revelada ${randomUUID().slice(0, 8)}`;
    await page.locator('#sim-new-id').click();
    const processId = await page.locator('#sim-process-id').inputValue();
    const outcome = JSON.parse(await page.locator('#sim-outcome').inputValue()) as { person: Record<string, string> };
    outcome.person.friendlyName = name;
    await page.locator('#sim-outcome').fill(JSON.stringify(outcome));

    await page.locator('#sim-set').click();
    await page.locator('#unico-message', { hasText: 'outcome set' }).waitFor({ timeout: 5_000 });
    await page.locator('#sim-finish').click();

    // The simulator's webhook arrives as a delivery; its row opens the process.
    await rowsOf(processId).first().waitFor({ timeout: 10_000 });
    await rowsOf(processId).first().click();
    const results = page.locator('#process-results');
    await page.locator('#process-results', { hasText: 'io.unico.idcloud.process.finished' }).waitFor({ timeout: 20_000 });
    await expect(results.textContent()).resolves.toContain('PROCESS_RESULT_OK');
    await expect(results.textContent()).resolves.toContain('••••••');
    expect(await page.content()).not.toContain(name);
    await expect(page.locator('#process-detected-by').textContent()).resolves.toBe('webhook');
    await expect(page.locator('#process-claims').textContent()).resolves.toContain('confirmed');

    await page.locator('#reveal').click();

    await page.locator('#process-results', { hasText: name }).waitFor({ timeout: 5_000 });
    await expect(page.locator('#process-simulator').textContent()).resolves.toContain(name);
    await page.locator('#reveal').click();
    await page.locator('#detail-close').click();
  });

  test('finish without a webhook: the simulator holds the finished process and no delivery comes', async () => {
    await page.locator('#sim-new-id').click();
    const processId = await page.locator('#sim-process-id').inputValue();

    await page.locator('#sim-finish-quiet').click();
    await page.locator('#unico-message', { hasText: 'no webhook sent' }).waitFor({ timeout: 5_000 });
    await page.locator('#sim-open').click();

    await page.locator('#process-id', { hasText: processId }).waitFor({ timeout: 5_000 });
    await page.locator('#process-simulator', { hasText: 'PROCESS_STATE_FINISHED' }).waitFor({ timeout: 5_000 });
    await expect(page.locator('#process-simulator').textContent()).resolves.toContain('••••••');
    await expect(page.locator('#process-claims').textContent()).resolves.toBe('no claim');
    await expect(rowsOf(processId).count()).resolves.toBe(0);
    await page.keyboard.press('Escape');
  });

  test('faults are injected and cleared through the admin API, and the stats show them', async () => {
    const pending = page.locator('#unico-stats .stat', { hasText: 'faults pending' }).locator('b');
    await page.locator('#fault-status').fill('503');
    await page.locator('#fault-count').fill('3');

    await page.locator('#fault-inject').click();

    await page.locator('#unico-message', { hasText: 'fault injected' }).waitFor({ timeout: 5_000 });
    await page.locator('#unico-stats .stat', { hasText: 'faults pending' }).locator('b', { hasText: /^3$/ }).waitFor({ timeout: 5_000 });
    await page.locator('#fault-clear').click();
    await page.locator('#unico-stats .stat', { hasText: 'faults pending' }).locator('b', { hasText: /^0$/ }).waitFor({ timeout: 5_000 });
    await expect(pending.textContent()).resolves.toBe('0');
    await page.locator('#fault-status').fill('');
    await page.locator('#fault-count').fill('1');
  });

  test('redrive moves a dead-lettered message back to its queue', async () => {
    const marker = randomUUID();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.endpoints.sqs.resultsDlqUrl,
        MessageBody: JSON.stringify({ marker }),
        MessageGroupId: marker,
        MessageDeduplicationId: marker,
      }),
    );
    const dlq = page.locator('[data-queue="resultsDlq"]');
    await page.locator('[data-queue="resultsDlq"] .depth', { hasText: /^1 / }).waitFor({ timeout: 5_000 });

    await dlq.locator('button', { hasText: 'Redrive' }).click();

    await page.locator('#unico-message', { hasText: 'redrive: 1 message moved back' }).waitFor({ timeout: 5_000 });
    await page.locator('[data-queue="resultsDlq"] .depth', { hasText: /^0 / }).waitFor({ timeout: 5_000 });
    expect(await receiveBodies(stack.endpoints.sqs.resultsQueueUrl, (body) => body.includes(marker))).toEqual([JSON.stringify({ marker })]);
  });

  test('replaying a delivery sends it through the endpoint again and yields a duplicate row', async () => {
    const original = rowsOf(firstProcessId).first();
    const originalId = await original.getAttribute('data-delivery-id');
    await original.click();
    await page.locator('#detail-title', { hasText: `Delivery #${originalId}` }).waitFor({ timeout: 2_000 });

    await page.locator('#replay').click();

    const duplicate = page.locator(`#deliveries tbody tr[data-process-id="${firstProcessId}"][data-outcome="duplicate"]`);
    await duplicate.waitFor({ timeout: 5_000 });
    await expect(duplicate.textContent()).resolves.toContain(`replay of #${originalId}`);
    await expect(duplicate.textContent()).resolves.toContain('200');
    await page.locator('#detail-close').click();
  });

  test('filters by processId and by status', async () => {
    await page.locator('#filter-process').fill(firstProcessId);
    const visible = page.locator('#deliveries tbody tr:visible');
    await expect(visible.count()).resolves.toBe(2);
    await page.locator('#filter-status').selectOption('duplicate');
    await expect(visible.count()).resolves.toBe(1);
    await page.locator('#filter-process').fill('');
    await page.locator('#filter-status').selectOption('');
  });

  test('after a 100-delivery run the page lists them all (screenshot)', async () => {
    const before = await page.locator('#deliveries tbody tr').count();

    const processIds = await unicoSimDeliver('--count', '100', '--concurrency', '10', '--duplicates', '0');

    expect(processIds).toHaveLength(100);
    await page.locator(`#deliveries tbody tr:nth-child(${before + 100})`).waitFor({ timeout: 5_000 });
    // A few seconds of the processor at its budget, for the queues and the rate chart to show it.
    await page.waitForTimeout(3_000);
    // Closed panels stay closed while live updates for their process arrive.
    await expect(page.locator('#detail').isHidden()).resolves.toBe(true);
    const file = process.env.INSPECTOR_SCREENSHOT ?? join(tmpdir(), `inspector-${process.pid}.png`);
    await page.screenshot({ path: file });
    expect((await stat(file)).size).toBeGreaterThan(20_000);
  }, 60_000);

  /** Bodies on the queue that `wanted` picks, received (and left to come back) within a bounded wait. */
  async function receiveBodies(queueUrl: string, wanted: (body: string) => boolean): Promise<string[]> {
    const giveUpAt = Date.now() + 10_000;
    while (Date.now() < giveUpAt) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
      const found = Messages.map((message) => message.Body ?? '').filter(wanted);
      if (found.length > 0) return found;
    }
    return [];
  }
});
