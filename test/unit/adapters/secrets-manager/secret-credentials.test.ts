import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { failureKind } from '../../../../lambdas/adapters/aws/failure-kind.ts';
import { SecretsManagerJsonSecrets, type JsonSecrets } from '../../../../lambdas/adapters/secrets-manager/json-secrets.ts';
import {
  CredentialSecretError,
  credentialsFromSecret,
  secretCredentialSource,
} from '../../../../lambdas/adapters/secrets-manager/secret-credentials.ts';

describe('credentialsFromSecret', () => {
  test('basic: the current credential first, then the previous ones', () => {
    // Act
    const credentials = credentialsFromSecret(
      'basic',
      { username: 'unico', password: 'new', previous: [{ username: 'unico', password: 'old' }] },
      'Authorization',
    );

    // Assess
    expect(credentials).toEqual([
      { kind: 'basic', username: 'unico', password: 'new' },
      { kind: 'basic', username: 'unico', password: 'old' },
    ]);
  });

  test('basic without previous gives the current credential only', () => {
    // Act
    const credentials = credentialsFromSecret('basic', { username: 'unico', password: 'pw' }, 'Authorization');

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'pw' }]);
  });

  test('apikey: a key without a header gets the default header, one with a header keeps it', () => {
    // Act
    const credentials = credentialsFromSecret(
      'apikey',
      { value: 'new', previous: [{ value: 'old', header: 'X-Old-Key' }] },
      'X-Api-Key',
    );

    // Assess
    expect(credentials).toEqual([
      { kind: 'apikey', header: 'X-Api-Key', value: 'new' },
      { kind: 'apikey', header: 'X-Old-Key', value: 'old' },
    ]);
  });

  test.each([
    ['basic', { username: 'unico' }],
    ['basic', { username: '', password: 'pw' }],
    ['basic', { username: 'u', password: 'p', previous: [{ username: 'u' }] }],
    ['apikey', { value: '' }],
    ['apikey', { header: 'X-Api-Key' }],
    ['apikey', 'plain-string-secret'],
  ] as const)('refuses a %s secret shaped %j', (mode, secret) => {
    // Act + Assess
    expect(() => credentialsFromSecret(mode, secret, 'Authorization')).toThrow();
  });
});

type GetCall = [string, unknown];

function fakeProvider(answers: Array<() => unknown>) {
  const calls: GetCall[] = [];
  const provider = {
    get: async (name: string, options: unknown) => {
      calls.push([name, options]);
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      return next();
    },
  };
  return { provider: provider as JsonSecrets, calls };
}

const basicSecret = (password: string) => ({ username: 'unico', password });

class FakeClock {
  now = Date.now();
  readonly read = () => this.now;
  advance(milliseconds: number): void {
    this.now += milliseconds;
  }
}

/** A basic-mode source over a fake provider, with the usual settings. */
const basicSource = (
  provider: JsonSecrets,
  onStaleUse: (error: unknown, retryInMs: number) => void = () => undefined,
  clock: FakeClock = new FakeClock(),
) =>
  secretCredentialSource({
    secrets: provider,
    secretId: 's',
    mode: 'basic',
    defaultApiKeyHeader: 'Authorization',
    maxAgeSeconds: 300,
    onStaleUse,
    clock: clock.read,
  });

describe('secretCredentialSource', () => {
  test('reads through the cache on every call with the max age', async () => {
    // Prepare
    const { provider, calls } = fakeProvider([() => basicSecret('one'), () => basicSecret('two')]);
    const source = secretCredentialSource({
      secrets: provider,
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook',
      mode: 'basic',
      defaultApiKeyHeader: 'Authorization',
      maxAgeSeconds: 120,
      onStaleUse: () => undefined,
    });

    // Act
    const first = await source();
    const second = await source();

    // Assess
    expect(first).toEqual([{ kind: 'basic', username: 'unico', password: 'one' }]);
    expect(second).toEqual([{ kind: 'basic', username: 'unico', password: 'two' }]);
    expect(calls).toEqual([
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook', { maxAgeSeconds: 120 }],
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook', { maxAgeSeconds: 120 }],
    ]);
  });

  test('apikey secrets get the configured default header', async () => {
    // Prepare
    const { provider } = fakeProvider([() => ({ value: 'k' })]);
    const source = secretCredentialSource({
      secrets: provider,
      secretId: 's',
      mode: 'apikey',
      defaultApiKeyHeader: 'X-Api-Key',
      maxAgeSeconds: 300,
      onStaleUse: () => undefined,
    });

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'apikey', header: 'X-Api-Key', value: 'k' }]);
  });

  test('a failed refresh after a good read keeps the last good credentials and says so', async () => {
    // Prepare
    const outage = new Error('GetSecretValue timed out');
    const { provider } = fakeProvider([
      () => basicSecret('good'),
      () => {
        throw outage;
      },
    ]);
    const onStaleUse = jest.fn<(error: unknown, retryInMs: number) => void>();
    const source = basicSource(provider, onStaleUse);
    await source();

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'good' }]);
    expect(onStaleUse).toHaveBeenCalledTimes(1);
    // Passed on under its name only: messages about a secret may quote the secret.
    expect(onStaleUse).toHaveBeenCalledWith(expect.objectContaining({ name: 'CredentialSecretError' }), 5000);
    expect(String(onStaleUse.mock.calls[0]?.[0])).not.toContain(outage.message);
  });

  test('a secret rewritten into a broken shape keeps the last good credentials too', async () => {
    // Prepare
    const { provider } = fakeProvider([() => basicSecret('good'), () => ({ username: 'unico' })]);
    const onStaleUse = jest.fn<(error: unknown) => void>();
    const source = basicSource(provider, onStaleUse);
    await source();

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'good' }]);
    expect(onStaleUse).toHaveBeenCalledTimes(1);
  });

  test('a failure before any good read is thrown, not hidden', async () => {
    // Prepare
    const outage = Object.assign(new Error('User is not authorized to read secret s'), {
      name: 'AccessDeniedException',
    });
    const { provider } = fakeProvider([
      () => {
        throw outage;
      },
    ]);
    const onStaleUse = jest.fn<(error: unknown) => void>();
    const source = basicSource(provider, onStaleUse);

    // Act
    const result = source();

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'CredentialSecretError',
      message: expect.stringContaining('AccessDeniedException'),
    });
    expect(onStaleUse).not.toHaveBeenCalled();
  });

  test('after a stale use, a successful refresh gives the new credentials', async () => {
    // Prepare
    const { provider } = fakeProvider([
      () => basicSecret('old'),
      () => {
        throw new Error('blip');
      },
      () => basicSecret('rotated'),
    ]);
    const clock = new FakeClock();
    const source = basicSource(provider, () => undefined, clock);
    await source();
    await source();
    clock.advance(5000); // the pause after the failed refresh

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'rotated' }]);
  });
});

/**
 * A provider whose answer the test sets, and whose answers can be held back: `get` is what
 * Secrets Manager does on a read the cache does not serve.
 */
class ScriptedProvider {
  calls = 0;
  answer: () => unknown = () => basicSecret('good');
  #held: Array<() => void> = [];

  readonly provider = {
    get: async () => {
      this.calls += 1;
      const answer = this.answer;
      if (this.holding) await new Promise<void>((resolve) => this.#held.push(resolve));
      return answer();
    },
  } as JsonSecrets;

  holding = false;

  release(): void {
    this.holding = false;
    for (const resume of this.#held.splice(0)) resume();
  }
}

const failing = () => {
  throw new Error('GetSecretValue timed out');
};
const good = [{ kind: 'basic', username: 'unico', password: 'good' }];

describe('secretCredentialSource while Secrets Manager fails', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('the pause between refreshes grows 5 s, 10 s, 20 s … and stops growing at 5 minutes', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    const clock = new FakeClock();
    const pauses: number[] = [];
    const source = basicSource(scripted.provider, (_, retryInMs) => pauses.push(retryInMs), clock);
    await source();
    scripted.answer = failing;

    // Act: call every second for an hour and a half.
    const callsAt = new Map<number, number>();
    for (let second = 0; second <= 5400; second += 1) {
      await source();
      callsAt.set(second, scripted.calls);
      clock.advance(1000);
    }

    // Assess
    expect(pauses).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, ...pauses.slice(7).map(() => 300_000)]);
    expect(pauses.length).toBeGreaterThan(10);
    // Refreshes at 0, 5, 15, 35, 75, 155, 315, 615, 915 … seconds: never more than one per pause.
    expect([0, 4, 5, 14, 15, 34, 35, 74, 75, 154, 155, 314, 315, 614, 615, 914, 915].map((second) => callsAt.get(second))).toEqual([
      2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
    ]);
  });

  test('during the pause every call answers with the last good credentials, without asking Secrets Manager', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    const clock = new FakeClock();
    const source = basicSource(scripted.provider, () => undefined, clock);
    await source();
    scripted.answer = failing;
    await source();
    const callsAfterFailure = scripted.calls;

    // Act
    const answers = await Promise.all(Array.from({ length: 50 }, () => source()));
    clock.advance(4999);
    const justBeforeTheEnd = await source();

    // Assess
    for (const answer of [...answers, justBeforeTheEnd]) expect(answer).toEqual(good);
    expect(scripted.calls).toBe(callsAfterFailure);
  });

  test('while a refresh hangs, the calls that arrive meanwhile answer at once with the last good credentials', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    const source = basicSource(scripted.provider);
    await source();
    scripted.holding = true;
    const starter = source();

    // Act: these settle while the refresh is still held.
    const meanwhile = await Promise.all(Array.from({ length: 20 }, () => source()));

    // Assess
    for (const answer of meanwhile) expect(answer).toEqual(good);
    expect(scripted.calls).toBe(2);
    scripted.release();
    await expect(starter).resolves.toEqual(good);
  });

  test('the call that starts a hanging refresh waits only the refresh wait, then answers with the last good credentials', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const scripted = new ScriptedProvider();
    const stale = jest.fn<(error: unknown, retryInMs: number) => void>();
    const source = secretCredentialSource({
      secrets: scripted.provider,
      secretId: 's',
      mode: 'basic',
      defaultApiKeyHeader: 'Authorization',
      maxAgeSeconds: 300,
      onStaleUse: stale,
      refreshWaitMs: 800,
      clock: new FakeClock().read,
    });
    await source();
    scripted.holding = true;
    scripted.answer = failing;
    let settled: unknown;
    void source().then((answer) => {
      settled = answer;
    });

    // Act
    await jest.advanceTimersByTimeAsync(799);
    const before = settled;
    await jest.advanceTimersByTimeAsync(1);
    const after = settled;

    // Assess
    expect(before).toBeUndefined();
    expect(after).toEqual(good);
    expect(stale).not.toHaveBeenCalled(); // the refresh has not failed yet: it goes on
    scripted.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(stale).toHaveBeenCalledTimes(1);
  });

  test('a healthy refresh within the wait gives the rotated credentials to the call that started it', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    const source = basicSource(scripted.provider);
    await source();
    scripted.answer = () => basicSecret('rotated');

    // Act
    const credentials = await source();

    // Assess
    expect(credentials).toEqual([{ kind: 'basic', username: 'unico', password: 'rotated' }]);
  });

  test('a success ends the back-off: the next failure pauses 5 s again', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    const clock = new FakeClock();
    const pauses: number[] = [];
    const source = basicSource(scripted.provider, (_, retryInMs) => pauses.push(retryInMs), clock);
    await source();
    scripted.answer = failing;
    for (const wait of [0, 5000, 10_000, 20_000]) {
      clock.advance(wait);
      await source();
    }
    scripted.answer = () => basicSecret('good');
    clock.advance(40_000);
    await source();

    // Act
    scripted.answer = failing;
    await source();
    clock.advance(4999);
    await source();
    const callsDuringPause = scripted.calls;
    clock.advance(1);
    await source();

    // Assess
    expect(pauses).toEqual([5000, 10_000, 20_000, 40_000, 5000, 10_000]);
    expect(scripted.calls).toBe(callsDuringPause + 1);
  });

  test('without any good read, calls share one read, and during the pause fail at once (a 503 without the wait)', async () => {
    // Prepare
    const scripted = new ScriptedProvider();
    scripted.answer = failing;
    scripted.holding = true;
    const clock = new FakeClock();
    const source = basicSource(scripted.provider, () => undefined, clock);

    // Act
    const first = Array.from({ length: 10 }, () => source().then(() => 'credentials', (error: unknown) => error));
    scripted.release();
    const firstResults = await Promise.all(first);
    const duringThePause = await source().then(() => 'credentials', (error: unknown) => error);
    const callsDuringThePause = scripted.calls;
    clock.advance(5000);
    scripted.answer = () => basicSecret('good');
    const afterThePause = await source();

    // Assess
    for (const result of [...firstResults, duringThePause]) {
      expect(result).toMatchObject({ name: 'CredentialSecretError' });
      expect(String(result)).not.toContain('timed out');
    }
    expect(callsDuringThePause).toBe(1);
    expect(afterThePause).toEqual(good);
  });
});

describe('secretCredentialSource: parsing what was read', () => {
  test('the same cached secret object is parsed once: its credentials come back as the same list', async () => {
    // Prepare: the cache hands back one object until its max age.
    const cached = basicSecret('good');
    const { provider } = fakeProvider([() => cached, () => cached, () => basicSecret('good')]);
    const source = basicSource(provider);

    // Act
    const first = await source();
    const again = await source();
    const reRead = await source();

    // Assess
    expect(again).toBe(first);
    expect(reRead).not.toBe(first);
    expect(reRead).toEqual(first);
  });

  test.each([
    ['no secret at all', undefined],
    ['a secret of the wrong shape', { value: 'x' }],
  ])('%s is refused as not having the mode\'s shape, named by the error kind only', async (_, secret) => {
    // Prepare
    const { provider } = fakeProvider([() => secret]);

    // Act
    const error = await basicSource(provider)().then(
      () => undefined,
      (reason: unknown) => reason,
    );

    // Assess
    expect(error).toBeInstanceOf(CredentialSecretError);
    expect((error as CredentialSecretError).message).toBe('credential secret does not have the basic shape (ValiError)');
    expect((error as CredentialSecretError).failureKind).toBe('permanent');
  });
});

describe('secretCredentialSource: what kind of failure a refused read is', () => {
  const sourceOver = (answer: (stub: ReturnType<typeof mockClient>) => void) => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    answer(mockClient(client));
    return secretCredentialSource({
      secrets: new SecretsManagerJsonSecrets(client),
      secretId: 'webhook',
      mode: 'basic',
      defaultApiKeyHeader: 'Authorization',
      maxAgeSeconds: 300,
      onStaleUse: () => undefined,
    });
  };
  const serviceError = (name: string, fault: 'client' | 'server', httpStatusCode: number) =>
    Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode } });

  test.each([
    ['access denied', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).rejects(serviceError('AccessDeniedException', 'client', 400)), 'permanent'],
    ['a missing secret', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).rejects(serviceError('ResourceNotFoundException', 'client', 400)), 'permanent'],
    ['a secret that is not JSON', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).resolves({ SecretString: 'plain-text-pass' }), 'permanent'],
    ['a secret of the wrong shape', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).resolves({ SecretString: '{"value":"x"}' }), 'permanent'],
    ['throttling', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).rejects(serviceError('ThrottlingException', 'client', 400)), 'transient'],
    ['an outage', (stub: ReturnType<typeof mockClient>) => stub.on(GetSecretValueCommand).rejects(serviceError('InternalServiceError', 'server', 500)), 'transient'],
  ] as const)('%s is %s, and the error names no secret text', async (_case, answer, kind) => {
    // Act
    const error = await sourceOver(answer)().then(
      () => undefined,
      (reason: unknown) => reason,
    );

    // Assess
    expect(error).toBeInstanceOf(CredentialSecretError);
    expect(failureKind(error)).toBe(kind);
    expect((error as Error).message).not.toContain('plain-text-pass');
    expect((error as Error).message).not.toContain('happened');
  });
});
