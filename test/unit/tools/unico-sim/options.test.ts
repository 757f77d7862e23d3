import { describe, expect, it } from '@jest/globals';
import { forgeJwt, wrongCredentials } from '../../../../tools/unico-sim/check.ts';
import { runDeliver } from '../../../../tools/unico-sim/deliver.ts';
import { endpointsTarget } from '../../../../tools/unico-sim/endpoints-file.ts';
import type { HttpRequest } from '../../../../tools/unico-sim/http-sender.ts';
import { parseCommandLine } from '../../../../tools/unico-sim/options.ts';
import { answer, cyclingRandom, recordingSleep, sequentialUuids, settableClock } from './fakes.ts';

const parse = (argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) =>
  parseCommandLine(argv, { env, readFile: (path) => {
    const text = files[path];
    if (text === undefined) {
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    }
    return text;
  } });

describe('deliver options', () => {
  it('has the documented defaults', () => {
    const command = parse(['deliver', '--url', 'http://localhost:3000/webhooks/unico', '--auth', 'none']);
    expect(command).toMatchObject({
      kind: 'deliver', json: false, progress: true,
      config: {
        count: 1, concurrency: 10, duplicates: 0, expiredRatio: 0.1, state: 'PROCESS_STATE_FINISHED',
        policy: { maxAttempts: 3, intervalMs: 1000, maxIntervalMs: 60_000, jitter: false, timeoutMs: 5000 },
      },
    });
  });

  it('reads every option', () => {
    const command = parse(['deliver', '--url', 'https://example.com/hook', '--auth', 'apikey:x-key:v', '--count', '100',
      '--concurrency', '500', '--duplicates', '0.25', '--timeout', '2.5', '--max-attempts', '5', '--interval', '0.5',
      '--max-interval', '3', '--jitter', '--json', '--no-progress', '--expired-ratio', '0']);
    expect(command).toMatchObject({
      kind: 'deliver', json: true, progress: false,
      config: {
        url: 'https://example.com/hook', auth: { mode: 'apikey', header: 'x-key', value: 'v' }, count: 100,
        concurrency: 500, duplicates: 0.25, expiredRatio: 0,
        policy: { maxAttempts: 5, intervalMs: 500, maxIntervalMs: 3000, jitter: true, timeoutMs: 2500 },
      },
    });
  });

  it('takes the OAuth2 client settings, the secret also from the environment', () => {
    const command = parse(['check', '--url', 'http://x/', '--auth', 'oauth2', '--oauth2-token-url', 'http://idp/token',
      '--client-id', 'id'], { UNICO_SIM_CLIENT_SECRET: 'from-env' });
    expect(command).toMatchObject({
      kind: 'check',
      config: { oauth2: { tokenUrl: 'http://idp/token', clientId: 'id', clientSecret: 'from-env', clientAuth: 'basic', timeoutMs: 5000 } },
    });
  });

  it('takes url and auth from the local stack endpoints file, explicit options winning', () => {
    const files = {
      'e.json': JSON.stringify({
        webhookUrl: 'http://127.0.0.1:3000/webhooks/unico',
        auth: { mode: 'oauth2', unico: {}, tokenUrl: 'http://127.0.0.1:3001/token', clientId: 'cid', clientSecret: 'cs' },
      }),
    };
    expect(parse(['check', '--endpoints', 'e.json'], {}, files)).toMatchObject({
      config: { url: 'http://127.0.0.1:3000/webhooks/unico', auth: { mode: 'oauth2' }, oauth2: { clientId: 'cid', clientSecret: 'cs' } },
    });
    expect(parse(['check', '--endpoints', 'e.json', '--url', 'http://other/'], {}, files)).toMatchObject({ config: { url: 'http://other/' } });
    expect(() => parse(['check', '--endpoints', 'missing.json'], {}, files)).toThrow('cannot read --endpoints missing.json (ENOENT)');
  });

  it('turns the endpoints file auth into Unico notation', () => {
    expect(endpointsTarget({ auth: { mode: 'basic', unico: 'user:pass' } }).auth).toBe('basic:user:pass');
    expect(endpointsTarget({ auth: { mode: 'apikey', unico: 'x-api-key:abc' } }).auth).toBe('apikey:x-api-key:abc');
    expect(endpointsTarget({ auth: { mode: 'apikey', unico: 'apikey:abc' } }).auth).toBe('apikey:abc');
    expect(endpointsTarget({ auth: { mode: 'none' } }).auth).toBe('none');
  });
});

describe('wrong credentials for check', () => {
  it('forges a JWT: same claims, another signature', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url');
    const claims = Buffer.from(JSON.stringify({ iss: 'https://idp', aud: 'webhook', exp: 9_999_999_999 })).toString('base64url');
    const forged = await forgeJwt(`${header}.${claims}.c2lnbmF0dXJl`);
    const [forgedHeader, forgedClaims, signature] = forged?.split('.') ?? [];
    expect(JSON.parse(Buffer.from(forgedHeader ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
    expect(JSON.parse(Buffer.from(forgedClaims ?? '', 'base64url').toString())).toEqual({ iss: 'https://idp', aud: 'webhook', exp: 9_999_999_999 });
    expect(signature).toMatch(/^[\w-]{43}$/);
    expect(signature).not.toBe('c2lnbmF0dXJl');
    expect(await forgeJwt('opaque-token')).toBeUndefined();
  });

  it('keeps the scheme and header but changes the secret', async () => {
    const basic = await wrongCredentials({ mode: 'basic', username: 'u', password: 'p' }, {});
    const decoded = Buffer.from((basic.headers.Authorization ?? '').replace('Basic ', ''), 'base64').toString();
    expect(decoded.startsWith('u:p-wrong-')).toBe(true);
    const apikey = await wrongCredentials({ mode: 'apikey', header: 'x-api-key', value: 'k' }, {});
    expect(Object.keys(apikey.headers)).toEqual(['x-api-key']);
    expect(apikey.headers['x-api-key']).not.toBe('k');
  });
});

describe('duplicates in a deliver run', () => {
  it('sends concurrent copies beside their original and later copies after it', async () => {
    const requests: HttpRequest[] = [];
    const summary = await runDeliver({
      url: 'http://endpoint/', auth: { mode: 'none' }, oauth2: undefined, count: 4, processIds: [], concurrency: 1,
      duplicates: 1, expiredRatio: 0, state: 'PROCESS_STATE_FINISHED',
      policy: { maxAttempts: 1, intervalMs: 0, maxIntervalMs: 0, jitter: false, timeoutMs: 1000 },
    }, {
      send: async (request) => { requests.push(request); return answer(202); },
      clock: settableClock().clock, sleep: recordingSleep().sleep,
      // 0 makes the shuffle keep the order: copies of 0 (concurrent), 1 (later), 2 (concurrent), 3 (later).
      random: cyclingRandom([0]), source: { random: cyclingRandom([0]), uuid: sequentialUuids() }, progress: undefined,
    });
    const order = requests.map((r) => Number((JSON.parse(r.body) as { processId: string }).processId.slice(-1)) - 1);
    expect(order).toEqual([0, 0, 1, 2, 2, 3, 1, 3]);
    expect(new Set(requests.map((r) => r.body)).size).toBe(4);
    expect(summary).toMatchObject({ notifications: 4, duplicates: 4, deliveries: 8, distinctProcessIds: 4, maxInFlight: 1 });
  });
});
