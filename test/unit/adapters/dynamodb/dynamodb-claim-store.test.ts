import { beforeEach, describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ClaimRequest } from '../../../../lambdas/core/acceptance/ports.ts';
import { DynamoDbClaimLedger } from '../../../../lambdas/adapters/dynamodb/dynamodb-claim-ledger.ts';

const TABLE = 'claims';
const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const STATE = 'PROCESS_STATE_FINISHED';
const RECEIVED_AT = '2025-06-15T12:00:00.500Z';
const RECEIVED_AT_SECONDS = Date.parse('2025-06-15T12:00:00Z') / 1000;
const TOKEN = '6f0c1f5e-claim-token';

const claimRequest = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  notification: {
    processId: PROCESS_ID,
    state: STATE,
    flow: 'idlive',
    lastEvent: 'EVENT_TYPE_FINISHED',
    lastEventDescription: 'done',
  },
  detectedBy: 'webhook',
  receivedAt: RECEIVED_AT,
  claimToken: TOKEN,
  ...overrides,
});

const key = { processId: { S: PROCESS_ID }, state: { S: STATE } };

function storedItem(status: string, claimToken = 'token-of-an-earlier-request'): Record<string, AttributeValue> {
  return {
    ...key,
    status: { S: status },
    flow: { S: 'idlive' },
    detectedBy: { S: 'fallback' },
    receivedAt: { S: '2025-06-15T11:00:00.000Z' },
    claimToken: { S: claimToken },
  };
}

const storedClaim = (status: 'claimed' | 'confirmed', claimToken = 'token-of-an-earlier-request') => ({
  processId: PROCESS_ID,
  state: STATE,
  status,
  detectedBy: 'fallback',
  receivedAt: '2025-06-15T11:00:00.000Z',
  claimToken,
});

const signal = new AbortController().signal;
let dynamodb: AwsClientStub<DynamoDBClient>;
let store: DynamoDbClaimLedger;

beforeEach(() => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  dynamodb = mockClient(client);
  store = new DynamoDbClaimLedger({ client, tableName: TABLE, retentionDays: 90 });
});

/** The one request of a claim, and what it asked for. */
function onlyPut(stub: AwsClientStub<DynamoDBClient> = dynamodb) {
  expect(stub.calls()).toHaveLength(1);
  const input = stub.commandCalls(PutItemCommand)[0]?.args[0].input;
  if (input === undefined) throw new Error('no PutItem sent');
  return input;
}

/** What DynamoDB throws for a failed condition: with the old item when it returns it, without as dynalite does. */
function conditionFailed(item?: Record<string, AttributeValue>) {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item === undefined ? {} : { Item: item }),
  });
}

describe('DynamoDbClaimStore.claim (through the ledger, which extends it)', () => {
  test('sends one PutItem of the whole claim, conditional on no item for the key, asking for the old item on failure', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'created' });
    expect(onlyPut()).toEqual({
      TableName: TABLE,
      Item: {
        ...key,
        flow: { S: 'idlive' },
        lastEvent: { S: 'EVENT_TYPE_FINISHED' },
        detectedBy: { S: 'webhook' },
        receivedAt: { S: RECEIVED_AT },
        status: { S: 'claimed' },
        claimToken: { S: TOKEN },
        expiresAt: { N: String(RECEIVED_AT_SECONDS + 90 * 24 * 60 * 60) },
      },
      ConditionExpression: 'attribute_not_exists(#key)',
      ExpressionAttributeNames: { '#key': 'processId' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('leaves absent optional fields and the free-text description out of the item', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    await store.claim(
      claimRequest({ notification: { processId: PROCESS_ID, state: STATE, flow: 'idlive' }, detectedBy: 'fallback' }),
      signal,
    );

    // Assess
    const { Item: item = {} } = onlyPut();
    expect(Object.keys(item)).not.toContain('lastEvent');
    expect(Object.keys(item)).not.toContain('lastEventDescription');
    expect(item.detectedBy).toEqual({ S: 'fallback' });
  });

  test('the description never reaches the claims table, even when given', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    await store.claim(claimRequest(), signal);

    // Assess
    expect(JSON.stringify(onlyPut())).not.toContain('lastEventDescription');
  });

  test('the TTL follows the configured retention', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const stub = mockClient(client);
    stub.on(PutItemCommand).resolves({});
    const shortLived = new DynamoDbClaimLedger({ client, tableName: TABLE, retentionDays: 1 });

    // Act
    await shortLived.claim(claimRequest(), signal);

    // Assess
    expect(onlyPut(stub).Item?.expiresAt).toEqual({ N: String(RECEIVED_AT_SECONDS + 86_400) });
  });

  test.each(['claimed', 'confirmed'] as const)(
    'a failed condition with the old item (%s, as DynamoDB answers) is "exists" with it, in one request',
    async (status) => {
      // Prepare
      dynamodb.on(PutItemCommand).rejects(conditionFailed(storedItem(status)));

      // Act
      const attempt = await store.claim(claimRequest(), signal);

      // Assess
      expect(attempt).toEqual({ outcome: 'exists', existing: storedClaim(status) });
      onlyPut();
    },
  );

  test.each(['claimed', 'confirmed'] as const)(
    'a failed condition without the old item (%s, as dynalite answers) reads it once, consistently',
    async (status) => {
      // Prepare
      dynamodb.on(PutItemCommand).rejects(conditionFailed());
      dynamodb.on(GetItemCommand).resolves({ Item: storedItem(status) });
      const controller = new AbortController();

      // Act
      const attempt = await store.claim(claimRequest(), controller.signal);

      // Assess
      expect(attempt).toEqual({ outcome: 'exists', existing: storedClaim(status) });
      expect(dynamodb.calls().map((call) => call.args[0].constructor.name)).toEqual(['PutItemCommand', 'GetItemCommand']);
      const read = dynamodb.commandCalls(GetItemCommand)[0]?.args;
      expect(read?.[0].input).toEqual({ TableName: TABLE, Key: key, ConsistentRead: true });
      expect((read as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
    },
  );

  test('a claim gone between the failed put and the read (TTL) is a transient failure, with no second try', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    dynamodb.on(GetItemCommand).resolves({});

    // Act
    const result = store.claim(claimRequest(), signal);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ClaimVanishedError', failureKind: 'transient' });
    expect(dynamodb.calls()).toHaveLength(2);
  });

  test('a failed read after the failed put is passed on', async () => {
    // Prepare
    const reset = new Error('ECONNRESET');
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    dynamodb.on(GetItemCommand).rejects(reset);

    // Act
    const result = store.claim(claimRequest(), signal);

    // Assess
    await expect(result).rejects.toBe(reset);
  });

  test('our own claim found by the put (an SDK retry of an applied put) comes back with our token', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed(storedItem('claimed', TOKEN)));

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'exists', existing: storedClaim('claimed', TOKEN) });
    onlyPut();
  });

  test.each([
    ['claimed', 'claimed'],
    ['confirmed', 'confirmed'],
    ['processed', 'confirmed'],
  ] as const)('a stored status %s reads as %s', async (stored, expected) => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed(storedItem(stored)));

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt.outcome === 'exists' && attempt.existing.status).toBe(expected);
  });

  test('an existing claim first detected by the webhook reads as detected by the webhook', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionFailed({ ...storedItem('claimed'), detectedBy: { S: 'webhook' } }));

    // Act
    const attempt = await store.claim(claimRequest({ detectedBy: 'fallback' }), signal);

    // Assess
    expect(attempt).toEqual({ outcome: 'exists', existing: { ...storedClaim('claimed'), detectedBy: 'webhook' } });
  });

  test('an item the confirmation created again after a TTL expiry (no intake attributes) reads as confirmed', async () => {
    // Prepare: what confirm() writes when the claim had expired: the key, status, times and TTL only.
    dynamodb.on(PutItemCommand).rejects(
      conditionFailed({ ...key, status: { S: 'confirmed' }, confirmedAt: { S: '2025-06-15T11:00:05.000Z' }, expiresAt: { N: '1757934005' } }),
    );

    // Act
    const attempt = await store.claim(claimRequest(), signal);

    // Assess
    expect(attempt).toEqual({
      outcome: 'exists',
      existing: { processId: PROCESS_ID, state: STATE, status: 'confirmed', detectedBy: 'webhook', receivedAt: '', claimToken: '' },
    });
  });

  test('other DynamoDB errors are passed on, after the one request', async () => {
    // Prepare
    const throttled = Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' });
    dynamodb.on(PutItemCommand).rejects(throttled);

    // Act
    const result = store.claim(claimRequest(), signal);

    // Assess
    await expect(result).rejects.toBe(throttled);
    onlyPut();
  });

  test('hands the abort signal to the SDK', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});
    const controller = new AbortController();

    // Act
    await store.claim(claimRequest(), controller.signal);

    // Assess
    expect((dynamodb.commandCalls(PutItemCommand)[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
  });
});

describe('DynamoDbClaimStore.read', () => {
  test('reads the claim of a key consistently, with the abort signal', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem('claimed') });
    const controller = new AbortController();

    // Act
    const claim = await store.read({ processId: PROCESS_ID, state: STATE }, controller.signal);

    // Assess
    expect(claim).toEqual(storedClaim('claimed'));
    expect(dynamodb.calls()).toHaveLength(1);
    const call = dynamodb.commandCalls(GetItemCommand)[0];
    expect(call?.args[0].input).toEqual({ TableName: TABLE, Key: key, ConsistentRead: true });
    expect((call?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
  });

  test('no item (the claim expired): undefined', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});

    // Act
    const claim = await store.read({ processId: PROCESS_ID, state: STATE });

    // Assess
    expect(claim).toBeUndefined();
  });
});

describe('DynamoDbClaimLedger.confirm', () => {
  const CONFIRMED_AT = '2025-06-15T12:00:07.900Z';
  const CONFIRMED_AT_SECONDS = Date.parse('2025-06-15T12:00:07Z') / 1000;

  /** The one UpdateItem of a confirmation, and its assignments as "target = value" strings. */
  function onlyConfirmation() {
    expect(dynamodb.calls()).toHaveLength(1);
    const input = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    if (input === undefined) throw new Error('no UpdateItem sent');
    const assignments = (input.UpdateExpression ?? '').replace(/^SET /, '').split(/, (?=[#\w]+ = )/);
    return { input, assignments };
  }

  test('sets the status confirmed and the time, and a TTL only where the item has none', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({});
    const controller = new AbortController();

    // Act
    await store.confirm({ processId: PROCESS_ID, state: STATE }, { confirmedAt: CONFIRMED_AT }, controller.signal);

    // Assess
    const { input, assignments } = onlyConfirmation();
    expect(input).toEqual({
      TableName: TABLE,
      Key: key,
      UpdateExpression: expect.stringMatching(/^SET /),
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'expiresAt' },
      ExpressionAttributeValues: {
        ':confirmed': { S: 'confirmed' },
        ':confirmedAt': { S: CONFIRMED_AT },
        ':expiresAt': { N: String(CONFIRMED_AT_SECONDS + 90 * 24 * 60 * 60) },
      },
    });
    expect(assignments.sort()).toEqual(['#status = :confirmed', '#ttl = if_not_exists(#ttl, :expiresAt)', 'confirmedAt = :confirmedAt']);
    expect((dynamodb.commandCalls(UpdateItemCommand)[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
  });

  test('writes the result code, the fetch time and the error status when given', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    await store.confirm(
      { processId: PROCESS_ID, state: STATE },
      { confirmedAt: CONFIRMED_AT, resultCode: 'PROCESS_RESULT_OK', outcomeFetchedAt: '2025-06-15T12:00:06.000Z', outcomeErrorStatus: 410 },
    );

    // Assess
    const { input, assignments } = onlyConfirmation();
    expect(assignments).toEqual(
      expect.arrayContaining([
        'resultCode = :resultCode',
        'outcomeFetchedAt = :outcomeFetchedAt',
        'outcomeErrorStatus = :outcomeErrorStatus',
      ]),
    );
    expect(assignments).toHaveLength(6);
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':resultCode': { S: 'PROCESS_RESULT_OK' },
      ':outcomeFetchedAt': { S: '2025-06-15T12:00:06.000Z' },
      ':outcomeErrorStatus': { N: '410' },
    });
  });

  test('leaves absent optional fields out', async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    await store.confirm({ processId: PROCESS_ID, state: STATE }, { confirmedAt: CONFIRMED_AT, resultCode: 'status:3' });

    // Assess
    const { input, assignments } = onlyConfirmation();
    expect(assignments).toHaveLength(4);
    expect(assignments).toContain('resultCode = :resultCode');
    expect(Object.keys(input.ExpressionAttributeValues ?? {}).sort()).toEqual([':confirmed', ':confirmedAt', ':expiresAt', ':resultCode']);
  });
});
