import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { KeySetUnavailableError } from '../../lambdas/core/auth/json-web-key-set.ts';
import { JwtAuthenticator } from '../../lambdas/core/auth/jwt-authenticator.ts';
import { DependencyUnavailableError } from '../../lambdas/core/errors.ts';
import { startOAuth2Provider, type RunningOAuth2Provider } from '../../tools/local-stack/oauth2-provider.ts';
import { fetchAccessToken } from '../support/oauth2-client.ts';
import { lambdaContext, notificationBody, webhookEvent } from '../support/unit/intake-events.ts';

/**
 * The JWT authenticator against real HTTP key-set servers that fail: a small node:http provider
 * switched between a good key set and 5xx, redirects, HTML and silence, and the local OAuth2
 * provider (discovery document) stopped mid-test. Time as the cache sees it is a fake clock;
 * the network is real.
 */
const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'unico-webhooks';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KEY_FETCH_TIMEOUT_MS = 300;

type Mode = 'keys' | '500' | '503' | 'redirect' | 'html' | 'silent';

/** A key-set server on 127.0.0.1 whose behaviour the test switches. */
class FlakyKeySetServer {
  mode: Mode = 'keys';
  readonly requests: string[] = [];
  readonly #silent: ServerResponse[] = [];
  readonly #server: Server;
  readonly #keySet: string;

  constructor(jwk: JWK) {
    this.#keySet = JSON.stringify({ keys: [jwk] });
    this.#server = createServer((request, response) => {
      this.requests.push(request.url ?? '');
      if (request.url === '/moved') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(this.#keySet);
        return;
      }
      switch (this.mode) {
        case 'keys':
          response.writeHead(200, { 'content-type': 'application/json' }).end(this.#keySet);
          return;
        case '500':
        case '503':
          response.writeHead(Number(this.mode), { 'content-type': 'text/plain' }).end('upstream trouble');
          return;
        case 'redirect':
          response.writeHead(302, { location: '/moved' }).end();
          return;
        case 'html':
          response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Maintenance</title>');
          return;
        case 'silent':
          this.#silent.push(response);
          return;
      }
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  get jwksUri(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/keys`;
  }

  keySetRequests(): number {
    return this.requests.filter((url) => url === '/keys').length;
  }

  async stop(): Promise<void> {
    for (const response of this.#silent.splice(0)) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

class FakeClock {
  now = Date.now();
  readonly read = () => this.now;
  advance(milliseconds: number): void {
    this.now += milliseconds;
  }
}

let privateKey: CryptoKey;
let server: FlakyKeySetServer;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  server = new FlakyKeySetServer({ ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' });
  await server.start();
});

afterAll(async () => {
  await server?.stop();
});

async function token(audience = AUDIENCE): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setExpirationTime('5m')
    .sign(privateKey);
}

function authenticatorFor(clock: FakeClock, failures: string[] = []): JwtAuthenticator {
  return new JwtAuthenticator(
    { issuer: ISSUER, jwksUri: server.jwksUri, audiences: [AUDIENCE], clientIds: [], requiredScopes: [] },
    {
      keyFetchTimeoutMs: KEY_FETCH_TIMEOUT_MS,
      keySet: { clock: clock.read, onRefreshFailure: (error) => failures.push(error.reason) },
    },
  );
}

/** Polls `condition` until it holds, for at most `timeoutMs` (background work over real HTTP). */
async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function outcome(subject: JwtAuthenticator, jwt: string): Promise<'accepted' | unknown> {
  return subject.authenticate({ authorization: `Bearer ${jwt}` }).then(
    () => 'accepted',
    (error: unknown) => error,
  );
}

function keySetFailure(error: unknown): string {
  expect(error).toBeInstanceOf(DependencyUnavailableError);
  const cause = (error as DependencyUnavailableError).cause;
  expect(cause).toBeInstanceOf(KeySetUnavailableError);
  return (cause as KeySetUnavailableError).reason;
}

describe('JWT authenticator against a key-set server that fails', () => {
  test.each([
    ['500', 'status'],
    ['503', 'status'],
    ['redirect', 'redirect'],
    ['html', 'not_json'],
    ['silent', 'timeout'],
  ] as Array<[Mode, string]>)('a provider answering %s before any key was read gives 503, not 401', async (mode, reason) => {
    // Prepare
    server.mode = mode;
    const before = server.requests.length;

    // Act
    const error = await outcome(authenticatorFor(new FakeClock()), await token());

    // Assess
    expect(keySetFailure(error)).toBe(reason);
    expect(server.requests.slice(before)).toEqual(['/keys']); // a redirect is not followed
  });

  test('keys read once outlive an outage of any kind up to the stale limit, and the provider is used again when back', async () => {
    // Prepare
    server.mode = 'keys';
    const clock = new FakeClock();
    const failures: string[] = [];
    const subject = authenticatorFor(clock, failures);
    const jwt = await token();
    expect(await outcome(subject, jwt)).toBe('accepted');

    // Act: the provider fails in every way while the keys age; each time they are due, the
    // request is answered with them and a refresh runs in the background (and fails).
    const during: unknown[] = [];
    for (const [mode, wait] of [
      ['500', 10 * MINUTE + 1],
      ['redirect', HOUR],
      ['html', 6 * HOUR],
      ['503', 6 * HOUR],
      ['silent', 11 * HOUR - 10 * MINUTE - 1],
    ] as Array<[Mode, number]>) {
      server.mode = mode;
      clock.advance(wait);
      const failed = failures.length;
      during.push(await outcome(subject, jwt));
      await eventually(() => failures.length > failed);
    }
    clock.advance(HOUR);
    const pastTheLimit = await outcome(subject, jwt);
    server.mode = 'keys';
    clock.advance(30_000);
    const recovered = await outcome(subject, jwt);

    // Assess
    expect(during).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    expect(failures.slice(0, 5)).toEqual(['status', 'redirect', 'not_json', 'status', 'timeout']);
    keySetFailure(pastTheLimit);
    expect(recovered).toBe('accepted');
  });

  describe('through the intake handler', () => {
    // Authentication fails before the claim store or the queue is used: these are never called.
    const handler = (authenticator: JwtAuthenticator) =>
      composeIntakeHandler({
        dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
        sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
        claimsTableName: 'claims',
        claimRetentionDays: 90,
        intakeQueueUrl: 'http://127.0.0.1:9/000000000000/intake.fifo',
        authenticator,
        responseDeadlineMs: 5000,
        logger: new Logger({ logLevel: 'SILENT' }),
      });
    const deliver = async (subject: JwtAuthenticator, jwt: string) =>
      (await handler(subject)(
        webhookEvent({ body: JSON.stringify(notificationBody()), headers: { authorization: `Bearer ${jwt}` } }),
        lambdaContext(),
      )) as APIGatewayProxyStructuredResultV2;

    test('an unreadable key set is answered 503 with Retry-After, so Unico retries', async () => {
      // Prepare
      server.mode = '500';

      // Act
      const response = await deliver(authenticatorFor(new FakeClock()), await token());

      // Assess
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'retry-after': '1' });
      expect(JSON.parse(String(response.body))).toEqual({ error: 'unavailable' });
    });

    test('during an outage, a token the kept keys can judge is still refused with 401', async () => {
      // Prepare
      server.mode = 'keys';
      const clock = new FakeClock();
      const subject = authenticatorFor(clock);
      await outcome(subject, await token());
      server.mode = '503';
      clock.advance(HOUR);

      // Act
      const response = await deliver(subject, await token('someone-else'));

      // Assess
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['www-authenticate']).toContain('invalid_token');
    });
  });
});

describe('JWT authenticator on the local OAuth2 provider, by OpenID discovery', () => {
  let provider: RunningOAuth2Provider;
  let running = false;

  beforeAll(async () => {
    provider = await startOAuth2Provider({ audience: AUDIENCE });
    running = true;
  });

  afterAll(async () => {
    if (running) await provider.stop();
  });

  const discovering = (issuer: string, clock: FakeClock) =>
    new JwtAuthenticator(
      { issuer, audiences: [AUDIENCE], clientIds: [provider.clientId], requiredScopes: [] },
      { keyFetchTimeoutMs: 1000, keySet: { clock: clock.read } },
    );

  test('a discovery document for another issuer is refused (503), its keys unused', async () => {
    // Prepare: the same document, configured under a different spelling of the issuer.
    const { token: jwt } = await fetchAccessToken(provider.tokenUrl, provider.clientId, provider.clientSecret);

    // Act
    const error = await outcome(discovering(`${provider.issuer}/`, new FakeClock()), String(jwt));

    // Assess
    expect(keySetFailure(error)).toBe('issuer_mismatch');
  });

  test('finds the keys through discovery, keeps them while the provider is down, and stops at the stale limit', async () => {
    // Prepare
    const clock = new FakeClock();
    const subject = discovering(provider.issuer, clock);
    const { token: jwt } = await fetchAccessToken(provider.tokenUrl, provider.clientId, provider.clientSecret);
    const stranger = await token();

    // Act
    const whileUp = await outcome(subject, String(jwt));
    await provider.stop();
    running = false;
    clock.advance(10 * MINUTE + 1);
    const afterRefreshAge = await outcome(subject, String(jwt));
    const unknownKeyWhileDown = await outcome(subject, stranger);
    clock.advance(24 * HOUR);
    const pastTheLimit = await outcome(subject, String(jwt));

    // Assess
    expect(whileUp).toBe('accepted');
    expect(afterRefreshAge).toBe('accepted');
    // A key the kept set does not hold cannot be checked while the provider is down.
    expect(keySetFailure(unknownKeyWhileDown)).toBe('unreachable');
    expect(keySetFailure(pastTheLimit)).toBe('unreachable');
  });
});
