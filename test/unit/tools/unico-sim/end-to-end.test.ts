/**
 * unico-sim run in-process (`main`) against loopback servers started by the tests: the real
 * fetch, real sockets, real timeouts; only the sleep between retries is recorded instead of waited.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { main, type CliIo } from '../../../../tools/unico-sim/cli.ts';
import type { DeliverSummary } from '../../../../tools/unico-sim/summary.ts';
import { recordingSleep } from './fakes.ts';
import { closedPort, contractReceiver, startLoopback, tokenEndpoint, type Handler, type Loopback } from './loopback-server.ts';

const PATH = '/webhooks/unico';
const servers: Loopback[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler): Promise<Loopback> {
  const server = await startLoopback(handler);
  servers.push(server);
  return server;
}

async function sim(argv: string[], sleep = recordingSleep().sleep) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty: false, env: {} };
  const code = await main(argv, io, { sleep });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function checkLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
}

describe('deliver, end to end', () => {
  it('delivers with basic auth, duplicates included, and reports the processIds sent', async () => {
    const receiver = contractReceiver({ auth: 'basic:unico:s3cret:x' });
    const server = await serve(receiver.handler);
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'basic:unico:s3cret:x',
      '--count', '30', '--duplicates', '0.2', '--concurrency', '5', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DeliverSummary;
    expect(summary).toMatchObject({
      ok: true, notifications: 30, duplicates: 6, deliveries: 36, firstTrySuccesses: 36, retries: 0,
      permanentFailures: 0, distinctProcessIds: 30, byStatus: { 200: 6, 202: 30 },
    });
    expect(summary.processIds).toHaveLength(30);
    expect(new Set(summary.processIds)).toEqual(new Set([...receiver.accepted].map((key) => key.split(':')[0])));
    expect(server.received).toHaveLength(36);
    expect(server.received.every((r) => r.method === 'POST' && r.path === PATH
      && r.headers['content-type'] === 'application/json')).toBe(true);
    expect(server.maxInFlight()).toBeLessThanOrEqual(5);
    expect(summary.maxInFlight).toBeLessThanOrEqual(5);
  });

  it('keeps at most C deliveries in flight, and does reach C', async () => {
    const limit = 5;
    const total = 23;
    let inFlight = 0;
    let arrived = 0;
    const held: Array<() => void> = [];
    // Hold each request until `limit` are in flight at once (or all have arrived).
    const server = await serve(async () => {
      inFlight += 1;
      arrived += 1;
      if (inFlight >= limit || arrived === total) {
        held.splice(0).forEach((release) => release());
      } else {
        await new Promise<void>((resolve) => {
          held.push(resolve);
          setTimeout(resolve, 3000).unref();
        });
      }
      inFlight -= 1;
      return { status: 202 };
    });
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none',
      '--count', String(total), '--concurrency', String(limit), '--json']);
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(total);
    expect(server.maxInFlight()).toBe(limit);
    expect((JSON.parse(run.stdout) as DeliverSummary).maxInFlight).toBe(limit);
  });

  it('retries 503s with the backoff schedule and succeeds', async () => {
    const seen = new Map<string, number>();
    const server = await serve((request) => {
      const id = (JSON.parse(request.body) as { processId: string }).processId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return { status: (seen.get(id) ?? 0) <= 2 ? 503 : 202 };
    });
    const sleeper = recordingSleep();
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none', '--count', '4',
      '--max-attempts', '3', '--interval', '0.5', '--json'], sleeper.sleep);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DeliverSummary;
    expect(summary).toMatchObject({ deliveries: 4, firstTrySuccesses: 0, retries: 8, permanentFailures: 0, byStatus: { 202: 4, 503: 8 } });
    expect(sleeper.waits.sort((a, b) => a - b)).toEqual([500, 500, 500, 500, 1000, 1000, 1000, 1000]);
  });

  it('exits 1 and lists permanent failures', async () => {
    const server = await serve(() => ({ status: 500 }));
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none', '--count', '2', '--max-attempts', '2']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/permanent failures +2/);
    expect(run.stdout).toMatch(/answers by status +500: 4/);
    expect(run.stdout).toContain('after 2 attempts, last: HTTP 500');
  });

  it('counts a request that outlives --timeout as a timeout (AbortSignal)', async () => {
    const server = await serve(() => new Promise<never>(() => undefined));
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none',
      '--timeout', '0.2', '--max-attempts', '2', '--json']);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as DeliverSummary;
    expect(summary.byStatus).toEqual({ timeout: 2 });
    expect(summary.timeoutMs).toBe(200);
  });

  it('fetches one OAuth2 token for all deliveries and presents it', async () => {
    const idp = tokenEndpoint('unico-client', 'p@ss word');
    const receiver = contractReceiver({ auth: 'oauth2', issuedTokens: idp.issued });
    const server = await serve((request) => (request.path === '/token' ? idp.handler(request) : receiver.handler(request)));
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'oauth2',
      '--oauth2-token-url', `${server.baseUrl}/token`, '--client-id', 'unico-client', '--client-secret', 'p@ss word',
      '--client-auth', 'post', '--count', '40', '--concurrency', '20', '--json']);
    expect(run.code).toBe(0);
    expect(idp.requests()).toBe(1);
    expect((JSON.parse(run.stdout) as DeliverSummary).tokenRequests).toBe(1);
    expect(receiver.accepted.size).toBe(40);
  });
});

describe('check, end to end', () => {
  it('passes every expectation against a receiver that checks basic credentials', async () => {
    const server = await serve(contractReceiver({ auth: 'basic:unico:s3cret' }).handler);
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'basic:unico:s3cret']);
    expect(run.code).toBe(0);
    const lines = checkLines(run.stdout);
    expect(lines).toHaveLength(7);
    expect(lines.every((line) => line.startsWith('PASS'))).toBe(true);
    expect(lines[0]).toMatch(/^PASS {2}1\. .*: 202 in [\d.]+ ms$/);
    expect(lines[1]).toMatch(/: 200 in /);
    expect(lines[2]).toContain('20/20 answered 2xx (202: 1, 200: 19)');
    expect(lines[3]).toMatch(/401 in .*right user, wrong password/);
    expect(lines[4]).toMatch(/401 in .*no credentials/);
    expect(lines[5]).toMatch(/400 in /);
    expect(server.received.some((r) => JSON.parse(r.body.startsWith('{') && r.body.endsWith('}') ? r.body : '{}').state
      === 'PROCESS_STATE_SOMETHING_NEW')).toBe(true);
  });

  it('passes with an API key in a named header', async () => {
    const server = await serve(contractReceiver({ auth: 'apikey:x-api-key:k3y' }).handler);
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'apikey:x-api-key:k3y']);
    expect(run.code).toBe(0);
    expect(checkLines(run.stdout)[3]).toContain('wrong value in x-api-key');
  });

  it('passes with OAuth2 and refuses a forged token', async () => {
    const idp = tokenEndpoint('unico-client', 'secret');
    const receiver = contractReceiver({ auth: 'oauth2', issuedTokens: idp.issued });
    const server = await serve((request) => (request.path === '/token' ? idp.handler(request) : receiver.handler(request)));
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'oauth2',
      '--oauth2-token-url', `${server.baseUrl}/token`, '--client-id', 'unico-client', '--client-secret', 'secret']);
    expect(run.code).toBe(0);
    expect(checkLines(run.stdout)[3]).toMatch(/^PASS .*401 .*garbage bearer token/);
  });

  it('skips the credential lines for auth none', async () => {
    const server = await serve(contractReceiver({ auth: 'none' }).handler);
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { results: Array<{ status: string }>; skipped: number };
    expect(report.results.map((r) => r.status)).toEqual(['PASS', 'PASS', 'PASS', 'SKIP', 'SKIP', 'PASS', 'PASS']);
    expect(report.skipped).toBe(2);
  });

  it('fails with clear lines against a server that answers 500', async () => {
    const server = await serve(() => ({ status: 500, body: '{"error":"boom"}' }));
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'apikey:k3y']);
    expect(run.code).toBe(1);
    const lines = checkLines(run.stdout);
    expect(lines[0]).toMatch(/^FAIL {2}1\. a valid delivery is answered 2xx .*: 500 in [\d.]+ ms, body \{"error":"boom"\}$/);
    expect(lines[2]).toContain('0/20 answered 2xx (500: 20)');
    expect(lines[5]).toMatch(/^FAIL {2}6\. a malformed body .*: 500 in /);
    expect(lines[6]).toMatch(/^FAIL {2}7\. /);
    expect(run.stdout).toMatch(/^FAILED: 2 passed, 5 failed, 0 skipped/m);
  });

  it('fails the credential and malformed-body lines against a server that accepts anything', async () => {
    const server = await serve(() => ({ status: 200 }));
    const run = await sim(['check', '--url', `${server.baseUrl}${PATH}`, '--auth', 'basic:u:p']);
    expect(run.code).toBe(1);
    expect(checkLines(run.stdout).map((line) => line.slice(0, 4))).toEqual(['PASS', 'PASS', 'PASS', 'FAIL', 'FAIL', 'FAIL', 'PASS']);
  });

  it('fails every line with "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    const run = await sim(['check', '--url', `http://127.0.0.1:${port}${PATH}`, '--auth', 'basic:u:p']);
    expect(run.code).toBe(1);
    const lines = checkLines(run.stdout);
    expect(lines).toHaveLength(7);
    expect(lines.every((line) => line.startsWith('FAIL') && line.includes('connection refused (ECONNREFUSED'))).toBe(true);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stderr).toBe('');
  });
});

describe('command line', () => {
  it.each([
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--count', '-3'], '--count must be a whole number of at least 1, got "-3"'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--count', '2.5'], '--count must be a whole number'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--duplicates', '1.5'], '--duplicates must be a number from 0 to 1'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--duplicates', '-0.1'], '--duplicates must be a number from 0 to 1'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--concurrency', '501'], "above Unico's maximum of 500"],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--timeout', '0'], '--timeout must be a number'],
    [['deliver', '--url', 'not a url', '--auth', 'none'], '--url must be an http(s) URL'],
    [['check', '--url', 'ftp://x/', '--auth', 'none'], '--url must be an http(s) URL'],
    [['check', '--url', 'http://x/', '--auth', 'bearer:abc'], '--auth: auth must be one of'],
    [['check', '--url', 'http://x/', '--auth', 'basic:nopassword'], '--auth: basic auth needs'],
    [['check', '--url', 'http://x/', '--auth', 'oauth2'], '--auth oauth2 needs --oauth2-token-url'],
    [['check', '--url', 'http://x/', '--auth', 'none', '--client-id', 'a'], '--client-id is only for --auth oauth2'],
    [['check', '--url', 'http://x/', '--auth', 'none', '--count', '3'], 'unknown option --count'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--bogus'], 'unknown option --bogus'],
    [['check', '--auth', 'none'], '--url is required'],
    [['deliver', '--url', 'http://x/'], '--auth is required'],
    [['deliver', '--url', 'http://x/', '--auth', 'none', '--process-id', 'nope'], '--process-id must be a UUID'],
    [['launch'], 'unknown command "launch"'],
    [[], 'missing command'],
  ])('%j gives one line and exit code 2', async (argv, message) => {
    const run = await sim(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--help'], 'unico-sim deliver --url URL'],
    [['deliver', '--help'], '--duplicates RATIO'],
    [['check', '-h'], 'PROCESS_STATE_SOMETHING_NEW'],
    [['help', 'check'], 'missing credentials are refused'],
  ])('%j prints help and exits 0', async (argv, text) => {
    const run = await sim(argv);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(text);
  });

  it('sends the given processIds', async () => {
    const receiver = contractReceiver({ auth: 'none' });
    const server = await serve(receiver.handler);
    const ids = ['8263a268-5388-492a-bca2-28e1ff4a69f0', '9263a268-5388-492a-bca2-28e1ff4a69f0'];
    const run = await sim(['deliver', '--url', `${server.baseUrl}${PATH}`, '--auth', 'none',
      '--process-id', ids[0] ?? '', '--process-id', ids[1] ?? '', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as DeliverSummary).processIds).toEqual(ids);
  });
});
