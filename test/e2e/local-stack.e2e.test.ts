import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { access } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { credentialHeaders, parseAuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { storedClaim } from '../support/claims.ts';
import { newNotification, post } from '../support/notifications.ts';
import { fetchAccessToken } from '../support/oauth2-client.ts';
import { drainQueue, processIdsOf } from '../support/queues.ts';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process.ts';

/**
 * `npm start` as a user runs it, one auth mode at a time, spoken to over HTTP only: the endpoint
 * answers per contract 1 and the intake queue holds what it should. The processor is off
 * (RUN_PROCESSOR=false), so the intake queue keeps its messages for the test to read;
 * processor-local-stack.e2e.test.ts covers the way on to the results queue.
 */
const MODES = ['basic:u:p', 'apikey:X-Api-Key:secret', 'apikey:secret', 'oauth2', 'none'];

describe.each(MODES)('npm start with WEBHOOK_AUTH=%s', (auth) => {
  let stack: LocalStackProcess;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let valid: Record<string, string>;
  let wrong: Record<string, string> | undefined;

  beforeAll(async () => {
    stack = await startLocalStackProcess({ WEBHOOK_AUTH: auth, RUN_PROCESSOR: 'false' });
    const { endpoints } = stack;
    const emulatorCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    sqs = new SQSClient({ endpoint: endpoints.sqs.endpoint, region: endpoints.sqs.region, credentials: emulatorCredentials });
    dynamodb = new DynamoDBClient({
      endpoint: endpoints.dynamodb.endpoint,
      region: endpoints.dynamodb.region,
      credentials: emulatorCredentials,
    });
    ({ valid, wrong } = await credentialsFor(stack));
  });

  afterAll(async () => {
    sqs?.destroy();
    dynamodb?.destroy();
    await stack?.stop();
  });

  beforeEach(async () => {
    await drainQueue(sqs, stack.endpoints.sqs.intakeQueueUrl);
  });

  const intakeMessages = async () => processIdsOf(await drainQueue(sqs, stack.endpoints.sqs.intakeQueueUrl));

  test('the endpoints file describes the auth mode and the emulators', () => {
    const { endpoints } = stack;
    expect(endpoints.auth.mode).toBe(parseAuthSpec(auth).mode);
    // What Unico's form holds: the notation without the mode.
    expect(endpoints.auth.unico).toBe(/^(basic|apikey):/.test(auth) ? auth.slice(auth.indexOf(':') + 1) : auth);
    expect(endpoints.sqs.resultsQueueUrl.startsWith(`${endpoints.sqs.endpoint}/`)).toBe(true);
    expect(endpoints.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/unico$/);
    expect(endpoints.sqs.intakeQueueUrl).toMatch(/\.fifo$/);
    expect(endpoints.dynamodb.tables.claims).toBeTruthy();
    if (auth === 'oauth2') expect(endpoints.auth).toMatchObject({ tokenUrl: expect.any(String), clientId: expect.any(String) });
  });

  test('a valid delivery answers 202 and the same again 200 duplicate', async () => {
    const notification = newNotification();

    const first = await post(stack.endpoints.webhookUrl, notification, valid);
    const again = await post(stack.endpoints.webhookUrl, notification, valid);

    expect(first).toMatchObject({ status: 202, body: { status: 'accepted', processId: notification.processId } });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', processId: notification.processId } });
    expect(await intakeMessages()).toEqual([notification.processId]);
  });

  test('50 concurrent copies of one new delivery give one 202 and one message', async () => {
    const notification = newNotification();

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post(stack.endpoints.webhookUrl, notification, valid)),
    );

    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(49);
    expect(await intakeMessages()).toEqual([notification.processId]);
  });

  test('wrong or missing credentials answer 401 and store nothing', async () => {
    if (wrong === undefined) {
      // auth none: there are no credentials to get wrong; anybody is let in by design.
      expect(auth).toBe('none');
      return;
    }
    const notification = newNotification();

    const withWrong = await post(stack.endpoints.webhookUrl, notification, wrong);
    const withNone = await post(stack.endpoints.webhookUrl, notification);

    for (const answer of [withWrong, withNone]) {
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(answer.headers.get('www-authenticate')).toBeTruthy();
    }
    expect(await storedClaim(dynamodb, stack.endpoints.dynamodb.tables.claims, notification.processId, notification.state)).toBeUndefined();
    expect(await intakeMessages()).toEqual([]);
  });

  test('invalid JSON and schema violations answer 400 with the contract bodies', async () => {
    const notJson = await post(stack.endpoints.webhookUrl, '{"processId":', valid);
    const notObject = await post(stack.endpoints.webhookUrl, '[1,2]', valid);
    const badSchema = await post(stack.endpoints.webhookUrl, { processId: 'nope', state: 'FINISHED', flow: 'id' }, valid);

    expect(notJson).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(notObject).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body).toEqual({
      error: 'invalid_payload',
      issues: [
        { path: 'processId', message: expect.any(String) },
        { path: 'state', message: expect.any(String) },
      ],
    });
    expect(await intakeMessages()).toEqual([]);
  });

  test('a 17 KiB body answers 413', async () => {
    const tooLarge = newNotification({ lastEventDescription: 'x'.repeat(17 * 1024) });

    const answer = await post(stack.endpoints.webhookUrl, tooLarge, valid);

    expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(await intakeMessages()).toEqual([]);
  });

  test('SIGTERM stops it cleanly and removes the endpoints file', async () => {
    await stack.stop();

    expect(stack.output()).toMatch(/SIGTERM: stopping the local stack\n.*local stack stopped/s);
    await expect(access(stack.endpointsFile)).rejects.toThrow();
  });
});

/** The headers Unico would send for the stack's mode, and wrong ones of the same kind. */
async function credentialsFor(stack: LocalStackProcess) {
  // auth.unico is what Unico's form holds for the mode; the notation puts the mode in front.
  const { mode, unico } = stack.endpoints.auth;
  const spec = parseAuthSpec(mode === 'basic' || mode === 'apikey' ? `${mode}:${unico}` : mode);
  switch (spec.mode) {
    case 'none':
      return { valid: {}, wrong: undefined };
    case 'basic':
      return { valid: credentialHeaders(spec), wrong: credentialHeaders({ ...spec, password: `${spec.password}x` }) };
    case 'apikey':
      return { valid: credentialHeaders(spec), wrong: credentialHeaders({ ...spec, value: `${spec.value}x` }) };
    case 'oauth2': {
      const { tokenUrl = '', clientId = '', clientSecret = '' } = stack.endpoints.auth;
      const { token } = await fetchAccessToken(tokenUrl, clientId, clientSecret);
      if (token === undefined) throw new Error('the local OAuth2 provider issued no token');
      // Same header and claims, signature tampered with.
      const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      return { valid: { authorization: `Bearer ${token}` }, wrong: { authorization: `Bearer ${tampered}` } };
    }
  }
}
