import { describe, expect, test } from '@jest/globals';
import { main, type CliIo } from '../../../../../tools/unico-sim/cli.ts';
import { UsageError } from '../../../../../tools/unico-sim/errors.ts';
import { parseServeCommand, SERVE_HELP } from '../../../../../tools/unico-sim/serve/serve-command.ts';

const context = { env: {} };

function parse(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  return parseServeCommand(argv, { env, readFile: (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return text;
  } });
}

function usageError(argv: string[]): string {
  try {
    parse(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('unico-sim serve: the command line', () => {
  test('no options: web-sdk, no receiver', () => {
    expect(parseServeCommand([], context)).toEqual({ kind: 'serve', options: { contract: 'web-sdk' }, json: false, keyFile: undefined });
  });

  test('every option', () => {
    const command = parse([
      '--port', '4010', '--contract', 'api', '--receiver-url', 'http://127.0.0.1:3000/webhooks/unico',
      '--receiver-auth', 'basic:unico:pa:ss', '--drop-webhooks', '0.3', '--rate-limit', '10', '--token-lifetime', '120',
      '--service-account', 'me@t.iam.acesso.io', '--webhook-timeout', '2.5', '--webhook-max-attempts', '3',
      '--key-file', '/tmp/key.pem', '--json',
    ]);
    expect(command).toEqual({
      kind: 'serve',
      json: true,
      keyFile: '/tmp/key.pem',
      options: {
        contract: 'api',
        port: 4010,
        receiverUrl: 'http://127.0.0.1:3000/webhooks/unico',
        receiverAuth: { mode: 'basic', username: 'unico', password: 'pa:ss' },
        dropWebhooks: 0.3,
        rateLimitPerSecond: 10,
        tokenLifetimeSeconds: 120,
        serviceAccount: 'me@t.iam.acesso.io',
        webhookPolicy: { timeoutMs: 2500, maxAttempts: 3 },
      },
    });
  });

  test('oauth2 receiver: token URL, client id, and the secret from the environment', () => {
    const command = parse(
      ['--receiver-url', 'http://r/webhooks/unico', '--receiver-auth', 'oauth2', '--receiver-token-url', 'http://idp/token', '--receiver-client-id', 'cid'],
      { UNICO_SIM_CLIENT_SECRET: 'shh' },
    );
    expect(command.kind === 'serve' && command.options.receiverOAuth2).toEqual({ tokenUrl: 'http://idp/token', clientId: 'cid', clientSecret: 'shh' });
  });

  test('the receiver from the local stack\'s endpoints file; explicit options win', () => {
    const file = JSON.stringify({ webhookUrl: 'http://127.0.0.1:3000/webhooks/unico', auth: { mode: 'apikey', unico: 'x-api-key:k1' } });
    const fromFile = parse(['--endpoints', 'e.json'], {}, { 'e.json': file });
    expect(fromFile.kind === 'serve' && fromFile.options).toMatchObject({
      receiverUrl: 'http://127.0.0.1:3000/webhooks/unico', receiverAuth: { mode: 'apikey', header: 'x-api-key', value: 'k1' },
    });
    const overridden = parse(['--endpoints', 'e.json', '--receiver-auth', 'none'], {}, { 'e.json': file });
    expect(overridden.kind === 'serve' && overridden.options.receiverAuth).toEqual({ mode: 'none' });
  });

  test.each([
    [['--contract', 'soap'], '--contract must be web-sdk or api, got "soap"'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, got "70000"'],
    [['--receiver-url', 'ftp://x'], '--receiver-url must be an http(s) URL, got "ftp://x"'],
    [['--receiver-auth', 'basic:x'], '--receiver-auth: basic auth needs basic:USER:PASS with a non-empty user and password'],
    [['--receiver-auth', 'none'], '--receiver-auth needs --receiver-url'],
    [['--receiver-url', 'http://r', '--receiver-auth', 'oauth2'], '--receiver-auth oauth2 needs --receiver-token-url, --receiver-client-id and --receiver-client-secret'],
    [['--receiver-url', 'http://r', '--receiver-client-id', 'x'], '--receiver-client-id is only for --receiver-auth oauth2'],
    [['--drop-webhooks', '0.5'], '--drop-webhooks needs --receiver-url'],
    [['--receiver-url', 'http://r', '--drop-webhooks', '1.5'], '--drop-webhooks must be a number from 0 to 1, got "1.5"'],
    [['--rate-limit', '0'], '--rate-limit must be a whole number from 1 to 100000, got "0"'],
    [['--endpoints', 'missing.json'], 'cannot read --endpoints missing.json (ENOENT); is the local stack running (npm start)? '
      + 'It writes the file named by its LOCAL_ENDPOINTS_FILE (default .local/endpoints.json) and removes it on stop'],
  ])('%j is refused', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });

  test('an unknown option names itself', () => {
    expect(usageError(['--bogus'])).toMatch(/bogus.*\(see unico-sim serve --help\)$/);
  });

  test('--help documents the admin API and every option', () => {
    expect(parse(['--help'])).toEqual({ kind: 'help' });
    for (const text of ['PUT    {admin}/processes/{id}', '/webhook', '/finish', '{admin}/faults', '{admin}/stats', 'peakRequestsPerSecond',
      '--port', '--receiver-url', '--receiver-auth', '--contract', '--drop-webhooks', 'unless --drop-webhooks drops it', 'SIGTERM']) {
      expect(SERVE_HELP).toContain(text);
    }
  });
});

describe('unico-sim\'s entry point knows serve', () => {
  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty: false, env: {}, untilStopped: async () => undefined };
    const code = await main(argv, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  test.each([[['serve', '--help']], [['help', 'serve']], [['--help', 'serve']]])('%j prints the serve help', async (argv) => {
    expect(await run(argv)).toEqual({ code: 0, stdout: SERVE_HELP, stderr: '' });
  });

  test('the main help lists serve beside deliver and check', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/unico-sim check .*\n {2}unico-sim serve \[options\] +Unico in a box/);
  });

  test('a bad serve command line is exit code 2 with one line', async () => {
    expect(await run(['serve', '--contract', 'x'])).toEqual({ code: 2, stdout: '', stderr: 'unico-sim: --contract must be web-sdk or api, got "x"\n' });
  });
});
