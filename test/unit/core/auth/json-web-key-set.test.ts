import { beforeAll, describe, expect, test } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
  discoveryUrl,
  JsonWebKeySet,
  KeySetUnavailableError,
  type JsonWebKeySetOptions,
} from '../../../../lambdas/core/auth/json-web-key-set.ts';
import { JwtAuthenticator, type OAuth2Settings } from '../../../../lambdas/core/auth/jwt-authenticator.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../../../lambdas/core/errors.ts';

/**
 * The JWT authenticator over the provider's key set, with a fake clock and a fake fetch: the
 * provider is a table of answers the test changes, and every request it receives is recorded.
 */
const ISSUER = 'https://idp.example.com/oauth2';
const JWKS_URI = 'https://idp.example.com/oauth2/keys';
const DISCOVERY_URI = 'https://idp.example.com/oauth2/.well-known/openid-configuration';
const AUDIENCE = 'unico-webhooks';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

let first: SigningKey;
let second: SigningKey;

async function signingKey(kid: string): Promise<SigningKey> {
  const pair = await generateKeyPair('RS256');
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

beforeAll(async () => {
  [first, second] = await Promise.all([signingKey('key-1'), signingKey('key-2')]);
});

async function token(key: SigningKey = first, issuer = ISSUER): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

type Answer = (init: RequestInit | undefined) => Response | Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const keySetOf = (...keys: SigningKey[]): Answer => () => json({ keys: keys.map((key) => key.jwk) });
const statusOf = (status: number, headers: Record<string, string> = {}): Answer => () => new Response('nope', { status, headers });
const discoveryOf = (document: Record<string, unknown>): Answer => () => json(document);
const validDiscovery = discoveryOf({ issuer: ISSUER, jwks_uri: JWKS_URI, token_endpoint: `${ISSUER}/token` });

/** Resolves once released; lets a test hold a request in flight while others arrive. */
function heldAnswer(answer: Answer): { readonly answer: Answer; readonly release: () => void } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const answerWhenReleased: Answer = async (init) => {
    await released;
    return answer(init);
  };
  return { answer: answerWhenReleased, release };
}

/** Lets every pending promise chain run, so that all requests of a burst are waiting on the provider. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

class FakeProvider {
  readonly answers = new Map<string, Answer>();
  readonly requests: string[] = [];
  readonly redirectModes: Array<RequestInit['redirect']> = [];
  readonly acceptHeaders: Array<string | null> = [];

  readonly fetch: typeof fetch = async (input, init) => {
    const url = String(input);
    this.requests.push(url);
    this.redirectModes.push(init?.redirect);
    this.acceptHeaders.push(new Headers(init?.headers).get('accept'));
    const answer = this.answers.get(url);
    if (answer === undefined) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    return answer(init);
  };

  serve(url: string, answer: Answer): this {
    this.answers.set(url, answer);
    return this;
  }

  requestsTo(url: string): number {
    return this.requests.filter((request) => request === url).length;
  }
}

class FakeClock {
  now = Date.now();
  readonly read = () => this.now;
  advance(milliseconds: number): void {
    this.now += milliseconds;
  }
}

function setting(overrides: Partial<OAuth2Settings> = {}): OAuth2Settings {
  return { issuer: ISSUER, jwksUri: JWKS_URI, audiences: [AUDIENCE], clientIds: [], requiredScopes: [], ...overrides };
}

function authenticatorOver(
  provider: FakeProvider,
  clock: FakeClock,
  overrides: Partial<OAuth2Settings> = {},
  keySet: Partial<JsonWebKeySetOptions> = {},
): JwtAuthenticator {
  return new JwtAuthenticator(setting(overrides), {
    keyFetchTimeoutMs: 1000,
    keySet: { clock: clock.read, fetch: provider.fetch, ...keySet },
  });
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

/** What authenticate ended with: 'accepted', or the error it was refused with. */
async function outcome(subject: JwtAuthenticator, jwt: string): Promise<'accepted' | unknown> {
  return subject.authenticate(bearer(jwt)).then(
    () => 'accepted',
    (error: unknown) => error,
  );
}

/** Asserts an outage answer (503) caused by the key set, and returns the key-set failure. */
function expectKeySetOutage(error: unknown): KeySetUnavailableError {
  expect(error).toBeInstanceOf(DependencyUnavailableError);
  expect((error as DependencyUnavailableError).dependency).toBe('oauth2 key set');
  const cause = (error as DependencyUnavailableError).cause;
  expect(cause).toBeInstanceOf(KeySetUnavailableError);
  return cause as KeySetUnavailableError;
}

describe('JwtAuthenticator over the provider key set', () => {
  describe('a key set that cannot be read is an outage (503), never a 401', () => {
    test.each([
      ['500', statusOf(500), 'status'],
      ['503', statusOf(503), 'status'],
      ['404', statusOf(404), 'status'],
      ['302 to a login page', statusOf(302, { location: 'https://idp.example.com/login' }), 'redirect'],
      ['an HTML page', () => new Response('<html><body>Maintenance</body></html>', { headers: { 'content-type': 'text/html' } }), 'not_json'],
      ['invalid JSON', () => new Response('{"keys": [', { headers: { 'content-type': 'application/json' } }), 'not_json'],
      ['JSON that is not a key set', () => json({ error: 'maintenance' }), 'not_a_jwks'],
      ['a key set without keys', () => json({ keys: [] }), 'not_a_jwks'],
      ['keys without a key type', () => json({ keys: [{ kid: 'key-1' }] }), 'not_a_jwks'],
    ] as Array<[string, Answer, string]>)('the provider answering %s', async (_, answer, reason) => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, answer);

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess: the message names the URL (and never the body), for the warning in the logs.
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe(reason);
      expect(failure.message).toContain(JWKS_URI);
      expect(failure.message).not.toContain('Maintenance');
    });

    test('a redirect is not followed', async () => {
      // Prepare
      const provider = new FakeProvider()
        .serve(JWKS_URI, statusOf(301, { location: 'https://idp.example.com/moved' }))
        .serve('https://idp.example.com/moved', keySetOf(first));

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      expectKeySetOutage(error);
      expect(provider.redirectModes).toEqual(['manual']);
      expect(provider.acceptHeaders).toEqual(['application/json']);
      expect(provider.requests).toEqual([JWKS_URI]);
    });

    test('a provider that does not answer within the fetch timeout', async () => {
      // Prepare: the answer comes only when the request is aborted, as a hung socket does.
      const provider = new FakeProvider().serve(
        JWKS_URI,
        (init) =>
          new Promise<Response>((_, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          }),
      );
      const subject = new JwtAuthenticator(setting(), {
        keyFetchTimeoutMs: 5,
        keySet: { clock: new FakeClock().read, fetch: provider.fetch },
      });

      // Act
      const error = await outcome(subject, await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe('timeout');
      expect(failure.message).toBe(`oauth2 key set unavailable (timeout): ${JWKS_URI} did not answer in time`);
    });

    test('a refused connection', async () => {
      // Prepare: nothing served at the key set URL.
      const provider = new FakeProvider();

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe('unreachable');
      expect(failure.message).toContain('ECONNREFUSED');
    });

    test('the failure is reported by reason, without the token', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, statusOf(500));
      const reported: KeySetUnavailableError[] = [];
      const jwt = await token();

      // Act
      await outcome(authenticatorOver(provider, new FakeClock(), {}, { onRefreshFailure: (error) => reported.push(error) }), jwt);

      // Assess
      expect(reported.map((error) => error.reason)).toEqual(['status']);
      expect(reported[0]?.message).toContain('500');
      expect(reported[0]?.message).not.toContain(jwt.split('.')[2]);
    });
  });

  describe('keys already read outlive a provider outage', () => {
    test('verify past the refresh age and up to the stale limit, then no longer', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token();
      await expect(outcome(subject, jwt)).resolves.toBe('accepted');
      provider.serve(JWKS_URI, statusOf(503));

      // Act
      clock.advance(10 * MINUTE + 1);
      const afterRefreshAge = await outcome(subject, jwt);
      clock.advance(12 * HOUR);
      const halfADay = await outcome(subject, jwt);
      clock.advance(12 * HOUR - 10 * MINUTE - 2);
      const justBeforeTheLimit = await outcome(subject, jwt);
      clock.advance(2);
      const pastTheLimit = await outcome(subject, jwt);

      // Assess
      expect([afterRefreshAge, halfADay, justBeforeTheLimit]).toEqual(['accepted', 'accepted', 'accepted']);
      expectKeySetOutage(pastTheLimit);
      // The stale keys were re-read in the background each time they were due.
      expect(provider.requestsTo(JWKS_URI)).toBeGreaterThanOrEqual(3);
    });

    test('the stale limit is configurable', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock, {}, { maxStaleMs: HOUR });
      const jwt = await token();
      await outcome(subject, jwt);
      provider.serve(JWKS_URI, statusOf(500));

      // Act
      clock.advance(HOUR - 1);
      const within = await outcome(subject, jwt);
      clock.advance(1);
      const atTheLimit = await outcome(subject, jwt);
      clock.advance(1);
      const beyond = await outcome(subject, jwt);

      // Assess: the limit itself is still within.
      expect([within, atTheLimit]).toEqual(['accepted', 'accepted']);
      expectKeySetOutage(beyond);
    });

    test('keys due for a refresh are re-read in the background: the request does not wait for it', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token();
      await outcome(subject, jwt);
      const hung = heldAnswer(keySetOf(first));
      provider.serve(JWKS_URI, hung.answer);
      clock.advance(10 * MINUTE + 1);

      // Act
      const result = await outcome(subject, jwt);

      // Assess
      expect(result).toBe('accepted');
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
      hung.release();
    });

    test('recovers when the provider comes back, after the back-off pause', async () => {
      // Prepare: the keys are lost to age during a long outage.
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token();
      await outcome(subject, jwt);
      provider.serve(JWKS_URI, statusOf(500));
      clock.advance(25 * HOUR);
      expectKeySetOutage(await outcome(subject, jwt));

      // Act
      provider.serve(JWKS_URI, keySetOf(first));
      const duringThePause = await outcome(subject, jwt);
      clock.advance(5000);
      const afterThePause = await outcome(subject, jwt);

      // Assess
      expectKeySetOutage(duringThePause);
      expect(afterThePause).toBe('accepted');
    });

    test('a refresh after the provider recovered brings in its new keys', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      await outcome(subject, await token(first));
      provider.serve(JWKS_URI, keySetOf(second));
      clock.advance(10 * MINUTE + 1);
      await outcome(subject, await token(first)); // due: read again in the background

      // Act
      const rotated = await outcome(subject, await token(second));
      const retired = await outcome(subject, await token(first));

      // Assess
      expect(rotated).toBe('accepted');
      expect(retired).toBeInstanceOf(UnauthorizedError);
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });
  });

  describe('a token whose key is not in the set', () => {
    test('is looked up again at most once per cool-down, and refused when still unknown', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      await outcome(subject, await token(first));
      const stranger = await token(second);

      // Act
      const rightAfterTheRead = await outcome(subject, stranger);
      const readsRightAfter = provider.requestsTo(JWKS_URI);
      clock.advance(30_000);
      const afterTheCooldown = await outcome(subject, stranger);
      const readsAfterCooldown = provider.requestsTo(JWKS_URI);
      const again = await Promise.all([outcome(subject, stranger), outcome(subject, stranger), outcome(subject, stranger)]);

      // Assess
      expect(rightAfterTheRead).toBeInstanceOf(UnauthorizedError);
      expect(readsRightAfter).toBe(1);
      expect(afterTheCooldown).toBeInstanceOf(UnauthorizedError);
      expect(readsAfterCooldown).toBe(2);
      for (const result of again) expect(result).toBeInstanceOf(UnauthorizedError);
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });

    test('is accepted once the provider publishes its key (rotation)', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      await outcome(subject, await token(first));
      provider.serve(JWKS_URI, keySetOf(first, second));
      clock.advance(30_000);

      // Act
      const result = await outcome(subject, await token(second));

      // Assess
      expect(result).toBe('accepted');
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });

    test('while the provider fails is an outage (we cannot tell), and known keys keep working', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      await outcome(subject, await token(first));
      provider.serve(JWKS_URI, statusOf(500));
      clock.advance(30_000);

      // Act
      const unknownKey = await outcome(subject, await token(second));
      const unknownKeyDuringPause = await outcome(subject, await token(second));
      const knownKey = await outcome(subject, await token(first));

      // Assess
      expect(expectKeySetOutage(unknownKey).reason).toBe('status');
      expectKeySetOutage(unknownKeyDuringPause);
      expect(knownKey).toBe('accepted');
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });
  });

  describe('one read at a time', () => {
    test('a burst of first requests makes one fetch', async () => {
      // Prepare
      const held = heldAnswer(keySetOf(first));
      const provider = new FakeProvider().serve(JWKS_URI, held.answer);
      const subject = authenticatorOver(provider, new FakeClock());
      const jwt = await token();

      // Act
      const burst = Array.from({ length: 25 }, () => outcome(subject, jwt));
      await settle();
      held.release();
      const results = await Promise.all(burst);

      // Assess
      expect(results).toEqual(Array.from({ length: 25 }, () => 'accepted'));
      expect(provider.requestsTo(JWKS_URI)).toBe(1);
    });

    test('a burst during an outage makes one fetch, and nothing more until the back-off pause ends', async () => {
      // Prepare
      const held = heldAnswer(statusOf(500));
      const provider = new FakeProvider().serve(JWKS_URI, held.answer);
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token();

      // Act
      const burst = Array.from({ length: 25 }, () => outcome(subject, jwt));
      await settle();
      held.release();
      const results = await Promise.all(burst);
      clock.advance(4999);
      const duringThePause = await outcome(subject, jwt);
      const readsDuringThePause = provider.requestsTo(JWKS_URI);
      clock.advance(1);
      const afterThePause = await outcome(subject, jwt);

      // Assess
      for (const result of [...results, duringThePause, afterThePause]) expectKeySetOutage(result);
      expect(readsDuringThePause).toBe(1);
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });

    test('the pause after failures grows, and a good read resets it', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, statusOf(500));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token();
      const readsAfter = async (milliseconds: number) => {
        clock.advance(milliseconds);
        await outcome(subject, jwt);
        return provider.requestsTo(JWKS_URI);
      };
      await outcome(subject, jwt); // read 1 fails: pause 5 s

      // Act
      const reads = [
        await readsAfter(5000), // read 2 fails: pause 10 s
        await readsAfter(9999), // still paused
        await readsAfter(1), // read 3 fails: pause 20 s
        await readsAfter(20_000), // read 4 fails: pause 30 s (the cap)
        await readsAfter(29_999), // still paused
        await readsAfter(1), // read 5 fails: pause 30 s
      ];
      provider.serve(JWKS_URI, keySetOf(first));
      const recovered = await readsAfter(30_000); // read 6 succeeds
      provider.serve(JWKS_URI, statusOf(500));
      const afterReset = [
        await readsAfter(10 * MINUTE), // read 7 (refresh due) fails: pause 5 s again
        await readsAfter(4999), // still paused
        await readsAfter(1), // read 8
      ];

      // Assess
      expect(reads).toEqual([2, 2, 3, 4, 4, 5]);
      expect(recovered).toBe(6);
      expect(afterReset).toEqual([7, 7, 8]);
    });
  });

  describe('the key set URL from OpenID discovery', () => {
    const discovering = (provider: FakeProvider, clock = new FakeClock()) =>
      authenticatorOver(provider, clock, { jwksUri: undefined });

    test('without a jwksUri, the jwks_uri of the issuer discovery document is used, read once', async () => {
      // Prepare
      const provider = new FakeProvider().serve(DISCOVERY_URI, validDiscovery).serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = discovering(provider, clock);
      const jwt = await token();

      // Act
      const firstResult = await outcome(subject, jwt);
      clock.advance(10 * MINUTE + 1);
      const afterRefresh = await outcome(subject, jwt);

      // Assess
      expect([firstResult, afterRefresh]).toEqual(['accepted', 'accepted']);
      expect(provider.requests).toEqual([DISCOVERY_URI, JWKS_URI, JWKS_URI]);
    });

    test('an issuer written with a trailing slash finds the same document', async () => {
      // Prepare
      const issuer = `${ISSUER}/`;
      const provider = new FakeProvider()
        .serve(DISCOVERY_URI, discoveryOf({ issuer, jwks_uri: JWKS_URI }))
        .serve(JWKS_URI, keySetOf(first));
      const subject = authenticatorOver(provider, new FakeClock(), { issuer, jwksUri: undefined });
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: first.kid })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(first.privateKey);

      // Act
      const result = await outcome(subject, jwt);

      // Assess
      expect(result).toBe('accepted');
      expect(provider.requestsTo(DISCOVERY_URI)).toBe(1);
    });

    test('a discovery document that cannot be read is an outage, retried on a later request', async () => {
      // Prepare
      const provider = new FakeProvider().serve(DISCOVERY_URI, statusOf(500)).serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = discovering(provider, clock);
      const jwt = await token();

      // Act
      const whileDown = await outcome(subject, jwt);
      provider.serve(DISCOVERY_URI, validDiscovery);
      clock.advance(5000);
      const afterwards = await outcome(subject, jwt);

      // Assess
      expect(expectKeySetOutage(whileDown).reason).toBe('status');
      expect(afterwards).toBe('accepted');
      expect(provider.requests).toEqual([DISCOVERY_URI, DISCOVERY_URI, JWKS_URI]);
    });

    test.each([
      ['HTML', () => new Response('<html></html>'), 'not_json'],
      ['without a jwks_uri', discoveryOf({ issuer: ISSUER }), 'discovery_invalid'],
      ['with a jwks_uri that is not a URL', discoveryOf({ issuer: ISSUER, jwks_uri: 'keys' }), 'discovery_invalid'],
      ['with an http jwks_uri for an https issuer', discoveryOf({ issuer: ISSUER, jwks_uri: 'http://idp.example.com/keys' }), 'discovery_invalid'],
      // A list holding the URL reads as that URL once made a string: only a string is a jwks_uri.
      ['with a jwks_uri that is a list', discoveryOf({ issuer: ISSUER, jwks_uri: [JWKS_URI] }), 'discovery_invalid'],
      ['that is a list', () => json([{ issuer: ISSUER, jwks_uri: JWKS_URI }]), 'discovery_invalid'],
      ['that is a string', () => json(ISSUER), 'discovery_invalid'],
      ['that is a number', () => json(42), 'discovery_invalid'],
      ['that is null', () => json(null), 'discovery_invalid'],
    ] as Array<[string, Answer, string]>)('a discovery document %s is an outage', async (_, answer, reason) => {
      // Prepare
      const provider = new FakeProvider().serve(DISCOVERY_URI, answer).serve(JWKS_URI, keySetOf(first));

      // Act
      const error = await outcome(discovering(provider), await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe(reason);
      expect(failure.message).toContain(DISCOVERY_URI);
      expect(provider.requestsTo(JWKS_URI)).toBe(0);
    });

    test('a discovery document that speaks for another issuer is refused: its keys are never read', async () => {
      // Prepare
      const provider = new FakeProvider()
        .serve(DISCOVERY_URI, discoveryOf({ issuer: 'https://evil.example.com', jwks_uri: 'https://evil.example.com/keys' }))
        .serve('https://evil.example.com/keys', keySetOf(first));

      // Act
      const error = await outcome(discovering(provider), await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe('issuer_mismatch');
      expect(failure.message).toBe(`oauth2 key set unavailable (issuer_mismatch): ${DISCOVERY_URI} names another issuer than ${ISSUER}`);
      expect(provider.requests).toEqual([DISCOVERY_URI]);
    });
  });

  describe('what counts as a redirect, a refusal or a key set', () => {
    test.each([
      ['300', 300, 'redirect'],
      ['399', 399, 'redirect'],
      ['400', 400, 'status'],
      ['299 (not ok)', 299, 'status'],
    ] as Array<[string, number, string]>)('an answer %s is a failed read of reason %s', async (_, status, reason) => {
      // Prepare: 299 is in the 2xx range but not `ok`; the bounds of the 3xx range are exact.
      const provider = new FakeProvider().serve(JWKS_URI, status === 299 ? statusOf(599) : statusOf(status));

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      expect(expectKeySetOutage(error).reason).toBe(reason);
    });

    test("fetch's opaque redirect (what redirect: 'manual' gives for a 3xx, status 0) is a redirect", async () => {
      // Prepare: a Response cannot be built with status 0, so the fake gives one's shape.
      const opaque = { type: 'opaqueredirect', status: 0, ok: false, body: null } as unknown as Response;
      const provider = new FakeProvider().serve(JWKS_URI, () => opaque);

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe('redirect');
      expect(failure.message).toBe(`oauth2 key set unavailable (redirect): ${JWKS_URI} answered 0 (a redirect)`);
    });

    test.each([
      ['a refusal', 500, 'status'],
      ['a redirect', 302, 'redirect'],
    ] as Array<[string, number, string]>)('the body of %s is cancelled, not left open', async (_, status, reason) => {
      // Prepare
      let cancelled = false;
      const body = new ReadableStream({
        cancel: () => {
          cancelled = true;
        },
      });
      const provider = new FakeProvider().serve(JWKS_URI, () => new Response(body, { status }));

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      expect(expectKeySetOutage(error).reason).toBe(reason);
      expect(cancelled).toBe(true);
    });

    test('a refusal without a body is still a refusal', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, () => new Response(null, { status: 500 }));

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      expect(expectKeySetOutage(error).reason).toBe('status');
    });

    test('a set with one key lacking a key type is refused whole, even beside a good key', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, () => json({ keys: [first.jwk, { kid: 'key-3' }] }));

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      expect(expectKeySetOutage(error).reason).toBe('not_a_jwks');
    });

    test('two keys under one kid: the token is refused, and that is no reason to read the set again', async () => {
      // Prepare
      const twin: SigningKey = { ...second, jwk: { ...second.jwk, kid: first.kid } };
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first, twin));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock);
      const jwt = await token(first);

      // Act
      const rightAway = await outcome(subject, jwt);
      clock.advance(30_000);
      const afterTheCooldown = await outcome(subject, jwt);

      // Assess
      for (const result of [rightAway, afterTheCooldown]) {
        expect(result).toBeInstanceOf(UnauthorizedError);
        expect((result as UnauthorizedError).reason).toBe('ERR_JWKS_MULTIPLE_MATCHING_KEYS');
      }
      expect(provider.requestsTo(JWKS_URI)).toBe(1);
    });
  });

  describe('transport failures are named by their socket code, else their kind', () => {
    test.each([
      // Named as fetch names it (a DOMException), but made here: Jest's module sandbox has its own Error.
      ['a TimeoutError before the signal fires', Object.assign(new Error('headers timeout'), { name: 'TimeoutError' }), 'timeout', 'did not answer in time'],
      ['a TypeError without a cause', new TypeError('fetch failed'), 'unreachable', 'could not be reached (TypeError)'],
      ['a cause whose code is not a string', new TypeError('fetch failed', { cause: { code: 111 } }), 'unreachable', 'could not be reached (TypeError)'],
      ['a cause with a socket code', new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }), 'unreachable', 'could not be reached (ENOTFOUND)'],
      ['something thrown that is not an Error', 'boom', 'unreachable', 'could not be reached (error)'],
    ] as Array<[string, unknown, string, string]>)('%s', async (_, thrown, reason, detail) => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, () => {
        throw thrown;
      });

      // Act
      const error = await outcome(authenticatorOver(provider, new FakeClock()), await token());

      // Assess
      const failure = expectKeySetOutage(error);
      expect(failure.reason).toBe(reason);
      expect(failure.message).toBe(`oauth2 key set unavailable (${reason}): ${JWKS_URI} ${detail}`);
    });

    test('a failure outside the transport is still a KeySetUnavailableError, named by its kind', async () => {
      // Prepare: AbortSignal.timeout refuses a negative bound.
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const keySet = new JsonWebKeySet({ issuer: ISSUER, jwksUri: JWKS_URI, fetchTimeoutMs: -1, fetch: provider.fetch });

      // Act
      const error = await keySet.getKey({ alg: 'RS256', kid: first.kid }, { payload: '', signature: '' }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(KeySetUnavailableError);
      expect((error as KeySetUnavailableError).name).toBe('KeySetUnavailableError');
      expect((error as KeySetUnavailableError).reason).toBe('unreachable');
      // "(RangeError)" in production; Jest's module sandbox does not see Node's own errors as its Error's.
      expect((error as KeySetUnavailableError).message).toMatch(/^oauth2 key set unavailable \(unreachable\): key set read failed \((RangeError|object)\)$/);
    });
  });

  describe('the scheme of a discovered jwks_uri', () => {
    test.each([
      ['an http issuer (a local provider) accepts an http jwks_uri', 'http://localhost:8080/realms/dev', 'http://localhost:8080/realms/dev/keys'],
      ['an http issuer accepts an https jwks_uri', 'http://localhost:8080/realms/dev', 'https://idp.example.com/keys'],
      ['an issuer that is not a URL (the configuration refuses those) puts no rule on it', 'dev-issuer', 'http://localhost:8080/keys'],
    ])('%s', async (_, issuer, jwksUri) => {
      // Prepare
      const provider = new FakeProvider()
        .serve(discoveryUrl(issuer), discoveryOf({ issuer, jwks_uri: jwksUri }))
        .serve(jwksUri, keySetOf(first));
      const subject = authenticatorOver(provider, new FakeClock(), { issuer, jwksUri: undefined });

      // Act
      const result = await outcome(subject, await token(first, issuer));

      // Assess
      expect(result).toBe('accepted');
      expect(provider.requests).toEqual([discoveryUrl(issuer), jwksUri]);
    });

    test('the discovery URL drops every trailing slash of the issuer', () => {
      expect(discoveryUrl('https://idp.example.com/oauth2//')).toBe(DISCOVERY_URI);
      expect(discoveryUrl(ISSUER)).toBe(DISCOVERY_URI);
    });
  });

  describe('a refresh age shorter than the unknown-key cool-down', () => {
    const options = { refreshAfterMs: 1000 };

    test('an unknown key waits for the refresh already in flight, which may bring it', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock, {}, options);
      await outcome(subject, await token(first));
      const held = heldAnswer(keySetOf(first, second));
      provider.serve(JWKS_URI, held.answer);
      clock.advance(1000);

      // Act: the refresh is due, so this request starts it, then finds its key missing.
      const pending = outcome(subject, await token(second));
      await settle();
      held.release();
      const result = await pending;

      // Assess
      expect(result).toBe('accepted');
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });

    test('an unknown key right after a failed refresh is an outage, even within the cool-down', async () => {
      // Prepare
      const provider = new FakeProvider().serve(JWKS_URI, keySetOf(first));
      const clock = new FakeClock();
      const subject = authenticatorOver(provider, clock, {}, options);
      await outcome(subject, await token(first));
      provider.serve(JWKS_URI, statusOf(500));
      clock.advance(1000);
      await outcome(subject, await token(first)); // starts the refresh, which fails
      await settle();

      // Act
      const unknownKey = await outcome(subject, await token(second));

      // Assess
      expect(expectKeySetOutage(unknownKey).reason).toBe('status');
      expect(provider.requestsTo(JWKS_URI)).toBe(2);
    });
  });

  describe('options', () => {
    test('a stale limit shorter than the refresh age is refused; an equal one is not', () => {
      const options = { issuer: ISSUER, fetchTimeoutMs: 1000, refreshAfterMs: HOUR };
      expect(() => new JsonWebKeySet({ ...options, maxStaleMs: HOUR - 1 })).toThrow(
        new Error('maxStaleMs must not be shorter than refreshAfterMs'),
      );
      expect(() => new JsonWebKeySet({ ...options, maxStaleMs: HOUR })).not.toThrow();
    });
  });
});
