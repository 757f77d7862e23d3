/**
 * Rotating the webhook credential with two active at once (docs/security.md, "Rotating the
 * webhook credential"), walked over the real reading code: the JSON secret reader and its
 * cache, secretCredentialSource and the authenticator, with Secrets Manager faked by
 * aws-sdk-client-mock and the secret's value changed at each step. Every 10 seconds of the walk,
 * the credential in Unico's form (what Unico presents) must be accepted.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { basicAuthorization } from '../../../../lambdas/contracts/auth-notation.ts';
import { SecretsManagerJsonSecrets } from '../../../../lambdas/adapters/secrets-manager/json-secrets.ts';
import { secretCredentialSource } from '../../../../lambdas/adapters/secrets-manager/secret-credentials.ts';
import { StaticCredentialAuthenticator } from '../../../../lambdas/core/auth/static-credentials.ts';
import { UnauthorizedError } from '../../../../lambdas/core/errors.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf';
const OLD = 'Old0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0';
const NEW = 'New1New1New1New1New1New1New1New1New1New1';
/** The intake's cache time (WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS' default). */
const MAX_AGE_SECONDS = 300;
const START = Date.parse('2025-06-15T12:00:00.000Z');

/** One container of the intake: its own provider (and cache), source and authenticator. */
function intakeContainer(secretsManager: SecretsManagerClient): StaticCredentialAuthenticator {
  const credentials = secretCredentialSource({
    secrets: new SecretsManagerJsonSecrets(secretsManager),
    secretId: SECRET_ARN,
    mode: 'basic',
    defaultApiKeyHeader: 'Authorization',
    maxAgeSeconds: MAX_AGE_SECONDS,
    onStaleUse: () => undefined,
  });
  return new StaticCredentialAuthenticator('basic', credentials);
}

async function accepts(authenticator: StaticCredentialAuthenticator, password: string): Promise<boolean> {
  try {
    await authenticator.authenticate({ authorization: basicAuthorization('unico', password) });
    return true;
  } catch (error) {
    if (error instanceof UnauthorizedError) return false;
    throw error;
  }
}

interface Step {
  /** Seconds from the start of the walk. */
  readonly at: number;
  readonly secret?: Record<string, unknown>;
  /** The credential Unico presents from then on (its form). */
  readonly form?: string;
}

/**
 * Walks `steps` in 10-second ticks over two containers (one started before the walk, one that
 * reads the secret for the first time midway), recording what Unico's current credential and the
 * old one get at each tick.
 */
async function walk(steps: readonly Step[], untilSeconds: number) {
  const secretsManager = new SecretsManagerClient({ region: 'sa-east-1' });
  let secret: Record<string, unknown> = { username: 'unico', password: OLD };
  let versions = 0;
  mockClient(secretsManager)
    .on(GetSecretValueCommand)
    .callsFake(() => ({ ARN: SECRET_ARN, Name: 'unico/webhook', VersionId: `v${versions}`, SecretString: JSON.stringify(secret) }));
  let form = OLD;
  const warm = intakeContainer(secretsManager);
  let late: StaticCredentialAuthenticator | undefined;
  const timeline: Array<{ at: number; unicoAccepted: boolean; oldAccepted: boolean }> = [];

  for (let at = 0; at <= untilSeconds; at += 10) {
    jest.setSystemTime(START + at * 1000);
    for (const step of steps.filter((candidate) => candidate.at === at)) {
      if (step.secret) {
        secret = step.secret;
        versions += 1;
      }
      if (step.form) form = step.form;
    }
    if (at === 400) late = intakeContainer(secretsManager);
    for (const container of late ? [warm, late] : [warm]) {
      timeline.push({ at, unicoAccepted: await accepts(container, form), oldAccepted: await accepts(container, OLD) });
    }
  }
  return timeline;
}

beforeEach(() => {
  // Only the clock: the secret cache reads Date.now(); the SDK's and the source's timers stay real.
  jest.useFakeTimers({ doNotFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask', 'hrtime', 'performance'] });
  jest.setSystemTime(START);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('rotating the webhook credential with two active', () => {
  test("the documented steps: Unico's credential is never refused, the old one is refused once dropped and the cache has expired", async () => {
    // Prepare: 1. new credential on top, old one in previous; 2. after the cache time, Unico's
    // form gets the new one; 3. later, previous is dropped.
    const steps: Step[] = [
      { at: 60, secret: { username: 'unico', password: NEW, previous: [{ username: 'unico', password: OLD }] } },
      { at: 60 + MAX_AGE_SECONDS + 10, form: NEW },
      { at: 900, secret: { username: 'unico', password: NEW } },
    ];

    // Act
    const timeline = await walk(steps, 900 + MAX_AGE_SECONDS + 60);

    // Assess
    expect(timeline.filter((tick) => !tick.unicoAccepted)).toEqual([]);
    // The old credential keeps working while previous holds it, and at most one cache time after.
    expect(timeline.filter((tick) => tick.at < 900).every((tick) => tick.oldAccepted)).toBe(true);
    const oldAcceptedAfterDrop = timeline.filter((tick) => tick.at >= 900 && tick.oldAccepted).map((tick) => tick.at);
    expect(Math.max(...oldAcceptedAfterDrop)).toBeLessThan(900 + MAX_AGE_SECONDS);
    expect(timeline.filter((tick) => tick.at >= 900 + MAX_AGE_SECONDS).every((tick) => !tick.oldAccepted)).toBe(true);
  });

  test("changing Unico's form before the cache time has passed refuses its deliveries: why step 2 waits", async () => {
    const steps: Step[] = [
      { at: 60, secret: { username: 'unico', password: NEW, previous: [{ username: 'unico', password: OLD }] } },
      { at: 70, form: NEW },
    ];

    const timeline = await walk(steps, 600);

    const refused = timeline.filter((tick) => !tick.unicoAccepted).map((tick) => tick.at);
    expect(refused.length).toBeGreaterThan(0);
    expect(Math.max(...refused)).toBeLessThan(MAX_AGE_SECONDS + 10);
  });

  test('replacing the credential without keeping the old one in previous refuses Unico until its form changes', async () => {
    const timeline = await walk([{ at: 60, secret: { username: 'unico', password: NEW } }], 600);

    expect(timeline.some((tick) => tick.at > 60 + MAX_AGE_SECONDS && !tick.unicoAccepted)).toBe(true);
  });
});
