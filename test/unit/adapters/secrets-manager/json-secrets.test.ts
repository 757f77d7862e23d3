import { describe, expect, test } from '@jest/globals';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretNotJsonError, SecretsManagerJsonSecrets } from '../../../../lambdas/adapters/secrets-manager/json-secrets.ts';

const ID = 'arn:aws:secretsmanager:sa-east-1:123456789012:secret:webhook-AbCdEf';

function secretsOver(answers: Array<() => Promise<{ SecretString?: string }>>) {
  const client = new SecretsManagerClient({ region: 'sa-east-1' });
  const stub = mockClient(client);
  stub.on(GetSecretValueCommand).callsFake(() => {
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    return next();
  });
  const clock = { now: 1_000_000 };
  const secrets = new SecretsManagerJsonSecrets(client, () => clock.now);
  const reads = () => stub.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);
  return { secrets, clock, reads };
}

const answer = (value: unknown) => async () => ({ SecretString: JSON.stringify(value) });

describe('SecretsManagerJsonSecrets', () => {
  test('serves the same parsed object until the max age has passed, then reads again', async () => {
    // Prepare
    const { secrets, clock, reads } = secretsOver([answer({ v: 1 }), answer({ v: 2 })]);

    // Act
    const first = await secrets.get(ID, { maxAgeSeconds: 300 });
    clock.now += 299_999;
    const cached = await secrets.get(ID, { maxAgeSeconds: 300 });
    clock.now += 1;
    const fresh = await secrets.get(ID, { maxAgeSeconds: 300 });

    // Assess
    expect(first).toEqual({ v: 1 });
    expect(cached).toBe(first);
    expect(fresh).toEqual({ v: 2 });
    expect(reads()).toEqual([ID, ID]);
  });

  test('callers arriving while a read runs share it', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { secrets, reads } = secretsOver([async () => (await held, { SecretString: '{"v":1}' })]);

    // Act
    const both = Promise.all([secrets.get(ID, { maxAgeSeconds: 60 }), secrets.get(ID, { maxAgeSeconds: 60 })]);
    release();
    const [one, two] = await both;

    // Assess
    expect(one).toBe(two);
    expect(reads()).toEqual([ID]);
  });

  test('a failed read keeps nothing: the next call reads again', async () => {
    // Prepare
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    const { secrets, reads } = secretsOver([() => Promise.reject(denied), answer({ v: 1 })]);

    // Act
    const failed = await secrets.get(ID, { maxAgeSeconds: 60 }).catch((error: unknown) => error);
    const next = await secrets.get(ID, { maxAgeSeconds: 60 });

    // Assess
    expect(failed).toBe(denied);
    expect(next).toEqual({ v: 1 });
    expect(reads()).toEqual([ID, ID]);
  });

  test.each([
    ['a string that is not JSON', { SecretString: 'plain-text-pass' }, 'is not JSON'],
    ['a binary secret (no string)', {}, 'holds no string'],
  ])('%s is a SecretNotJsonError that names the secret, does not quote it, and is not cached', async (_case, output, says) => {
    // Prepare
    const { secrets, reads } = secretsOver([async () => output, async () => output]);

    // Act
    const first = await secrets.get(ID, { maxAgeSeconds: 60 }).catch((error: unknown) => error);
    const second = await secrets.get(ID, { maxAgeSeconds: 60 }).catch((error: unknown) => error);

    // Assess
    expect(first).toBeInstanceOf(SecretNotJsonError);
    expect(first).toMatchObject({ name: 'SecretNotJsonError', message: `secret ${ID} ${says}${says === 'holds no string' ? ' (a binary secret?)' : ''}` });
    expect((first as Error).message).not.toContain('plain-text-pass');
    expect(second).toBeInstanceOf(SecretNotJsonError);
    expect(reads()).toEqual([ID, ID]);
  });

  test('each secret has its own cache entry', async () => {
    // Prepare
    const { secrets, reads } = secretsOver([answer({ v: 'a' }), answer({ v: 'b' })]);

    // Act
    const a = await secrets.get('a', { maxAgeSeconds: 60 });
    const b = await secrets.get('b', { maxAgeSeconds: 60 });
    const aAgain = await secrets.get('a', { maxAgeSeconds: 60 });

    // Assess
    expect([a, b, aAgain]).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'a' }]);
    expect(reads()).toEqual(['a', 'b']);
  });
});
