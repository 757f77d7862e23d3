/**
 * What keeps unico-sim from misleading: deliver's gates for a pipeline, a token that cannot be had
 * reported once, check's own notifications marked and listed, a wrong path called out, and the
 * command line's --version and near-miss suggestions.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { main, VERSION, type CliIo } from '../../../../tools/unico-sim/cli.ts';
import { CHECK_FLOW, type CheckReport } from '../../../../tools/unico-sim/check.ts';
import type { HttpSender } from '../../../../tools/unico-sim/http-sender.ts';
import type { DeliverSummary } from '../../../../tools/unico-sim/summary.ts';
import { answer, recordingSleep, scriptedSender } from './fakes.ts';
import { contractReceiver, startLoopback, type Loopback } from './loopback-server.ts';

const URL_ = 'http://receiver.test/webhooks/unico';
const servers: Loopback[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function sim(argv: string[], send?: HttpSender) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty: false, env: {} };
  const code = await main(argv, io, { sleep: recordingSleep().sleep, ...(send === undefined ? {} : { send }) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('deliver gates', () => {
  it('--max-retries fails a run that needed retries, though every delivery ended in a 2xx', async () => {
    const { send } = scriptedSender([answer(503), answer(202), answer(202)]);

    const run = await sim(['deliver', '--url', URL_, '--auth', 'none', '--count', '2', '--concurrency', '1', '--max-retries', '0'], send);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/gate --max-retries +PASSED: 1 retries, limit 0/);
    expect(run.stdout).toMatch(/result +FAILED: --max-retries 0 passed/);
  });

  it('--max-p99-ratio fails a run whose p99 latency is too close to the timeout', async () => {
    const { send } = scriptedSender([answer(202, 4000), answer(202, 100)]);

    const run = await sim(['deliver', '--url', URL_, '--auth', 'none', '--count', '2', '--concurrency', '1',
      '--timeout', '5', '--max-p99-ratio', '0.5', '--json'], send);

    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as DeliverSummary;
    expect(summary.ok).toBe(false);
    expect(summary.permanentFailures).toBe(0);
    expect(summary.gates).toEqual([{ option: '--max-p99-ratio', limit: 0.5, actual: 0.8, ok: false }]);
  });

  it('a run within its gates exits 0 and says so', async () => {
    const { send } = scriptedSender([answer(202, 100), answer(202, 200)]);

    const run = await sim(['deliver', '--url', URL_, '--auth', 'none', '--count', '2', '--concurrency', '1',
      '--max-p99-ratio', '0.5', '--max-retries', '0'], send);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/gate --max-p99-ratio +kept: p99 is 0.04 of the timeout, limit 0.5/);
    expect(run.stdout).toMatch(/result +OK: every delivery answered 2xx, every gate kept/);
  });

  it.each([
    [['--max-p99-ratio', '0'], '--max-p99-ratio must be a number from 0.001 to 1000'],
    [['--max-retries', '-1'], '--max-retries must be a whole number of at least 0'],
  ])('%j is refused', async (option, message) => {
    const run = await sim(['deliver', '--url', URL_, '--auth', 'none', ...option]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('an OAuth2 token that cannot be had', () => {
  const oauth2 = ['--auth', 'oauth2', '--oauth2-token-url', 'http://idp.test/token', '--client-id', 'c', '--client-secret', 's'];

  it.each(['check', 'deliver'])('stops %s at once with one line, before anything is sent', async (command) => {
    const { send, requests } = scriptedSender([answer(401, 5, '{"error":"invalid_client"}')]);

    const run = await sim([command, '--url', URL_, ...oauth2], send);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `unico-sim: no token from the OAuth2 provider http://idp.test/token: token endpoint answered 401 (invalid_client); nothing was sent to ${URL_} (check --oauth2-token-url, --client-id and --client-secret)`,
    ]);
    expect(requests.map((request) => request.url)).toEqual(['http://idp.test/token']);
  });
});

describe('check', () => {
  it('marks every notification it sends with its own flow and lists them in --json', async () => {
    const server = await startLoopback(contractReceiver({ auth: 'basic:u:p' }).handler);
    servers.push(server);

    const run = await sim(['check', '--url', `${server.baseUrl}/webhooks/unico`, '--auth', 'basic:u:p', '--json']);

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CheckReport;
    const bodies = server.received.map((request) => request.body).filter((body) => body.endsWith('}'));
    const sentFlows = new Set(bodies.map((body) => (JSON.parse(body) as { flow: string }).flow));
    expect(sentFlows).toEqual(new Set([CHECK_FLOW]));
    const sentIds = new Set(bodies.map((body) => (JSON.parse(body) as { processId: string }).processId));
    expect(new Set(report.notifications.map((notification) => notification.processId))).toEqual(sentIds);
    expect(report.notifications).toContainEqual(expect.objectContaining({ state: 'PROCESS_STATE_SOMETHING_NEW', flow: CHECK_FLOW, expectation: 7 }));
    expect(report.notifications.filter((notification) => notification.credentials === 'valid')).toHaveLength(3);
  });

  it('fails against a URL that answers 404, the refusals included, with a hint about the path', async () => {
    const server = await startLoopback(() => ({ status: 404, body: '{"message":"Not Found"}' }));
    servers.push(server);

    const run = await sim(['check', '--url', `${server.baseUrl}/webhooks/unicoo`, '--auth', 'basic:u:p']);

    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
    expect(lines.map((line) => line.slice(0, 4))).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
    expect(lines[0]).toContain('nothing takes POST at this path');
    expect(lines[3]).toMatch(/404 in .*ending in \/webhooks\/unico\?\) \(right user, wrong password\)$/);
  });

  it('says in its help that the notifications are real and how they are marked', async () => {
    const run = await sim(['check', '--help']);

    expect(run.stdout).toContain(`flow "${CHECK_FLOW}"`);
    expect(run.stdout).toContain('"notifications"');
  });
});

describe('command line', () => {
  it.each([['--version'], ['-V']])('%j prints the version', async (option) => {
    const run = await sim([option]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`unico-sim ${VERSION}\n`);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['check', '--endpoint', 'x'], 'unknown option --endpoint; did you mean --endpoints?'],
    [['deliver', '--url', URL_, '--auth', 'none', '--concurency', '3'], 'did you mean --concurrency?'],
    [['deliver', '--url', URL_, '--auth', 'none', '--Count', '3'], 'did you mean --count?'],
    [['chek'], 'unknown command "chek" (did you mean check?)'],
  ])('%j suggests the option or command meant', async (argv, message) => {
    const run = await sim(argv);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('suggests nothing for an option far from any', async () => {
    const run = await sim(['deliver', '--url', URL_, '--auth', 'none', '--bogus']);

    expect(run.stderr).toContain('unknown option --bogus (see');
  });
});
