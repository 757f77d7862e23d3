import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Claim, ClaimAttempt, ClaimRequest, ClaimStore } from '../../core/acceptance/ports.ts';
import type { ClaimKey } from '../../core/processing/ports.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';

const { partitionKey, sortKey, ttlAttribute } = CLAIMS_TABLE;
const DAY_SECONDS = 24 * 60 * 60;

/** What a function's wiring gives to reach the claims table. */
export interface ClaimsTableWiring {
  readonly dynamodb: DynamoDBClient;
  readonly claimsTableName: string;
  readonly claimRetentionDays: number;
}

/** The claim store over a function's wiring. */
export function claimStoreFor(wiring: ClaimsTableWiring): DynamoDbClaimStore {
  return new DynamoDbClaimStore({
    client: wiring.dynamodb,
    tableName: wiring.claimsTableName,
    retentionDays: wiring.claimRetentionDays,
  });
}

export interface DynamoDbClaimStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a claim is kept (DynamoDB TTL), so late duplicates are still recognised. */
  readonly retentionDays: number;
}

/**
 * Claims in DynamoDB: one item per (processId, state).
 *
 * The intake's claim is the idempotency pattern AWS documents (and Powertools' idempotency
 * utility uses): a `PutItem` of the whole claim with `attribute_not_exists` on the key and
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`. It succeeds: this request created the claim. Its
 * condition fails: the answer carries the existing claim, untouched (a confirmed claim stays
 * confirmed, the first request's token, time, detection and TTL stay). One request either way.
 *
 * A store that answers a failed condition without the old item (a DynamoDB-compatible store that
 * ignores the parameter, as dynalite does unless the local stack teaches it) costs one strongly
 * consistent read more; DynamoDB always returns it, so in AWS the read is never made. See
 * docs/architecture.md, "How no notification is lost".
 *
 * A lost answer keeps the acceptor's invariant: the SDK's retry of our own applied put fails its
 * condition and gets our own item back, with our claimToken, and the acceptor tells it apart from
 * another request's.
 *
 * The processor reads a claim and confirms it once its event is published: DynamoDbClaimLedger
 * (dynamodb-claim-ledger.ts), which adds the confirmation, so the intake carries none of it.
 */
export class DynamoDbClaimStore implements ClaimStore {
  protected readonly client: DynamoDBClient;
  protected readonly tableName: string;
  protected readonly retentionSeconds: number;

  constructor(options: DynamoDbClaimStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = options.retentionDays * DAY_SECONDS;
  }

  async claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimAttempt> {
    const { notification } = request;
    const key = { processId: notification.processId, state: notification.state };
    const item: Record<string, AttributeValue> = {
      ...itemKey(key),
      flow: { S: notification.flow },
      detectedBy: { S: request.detectedBy },
      receivedAt: { S: request.receivedAt },
      status: { S: 'claimed' },
      claimToken: { S: request.claimToken },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(request.receivedAt) / 1000) + this.retentionSeconds) },
    };
    if (notification.lastEvent !== undefined) item.lastEvent = { S: notification.lastEvent };
    // lastEventDescription is free text: it travels on the queue only. Kept here it would be data
    // nobody reads back, and a lone surrogate in it is text DynamoDB cannot store.
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': partitionKey },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
      return { outcome: 'created' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = error.Item ?? (await this.#readItem(key, signal));
      // Gone between the put and the read (TTL): the sender's retry creates it afresh.
      if (existing === undefined) throw new ClaimVanishedError();
      return { outcome: 'exists', existing: toClaim(existing) };
    }
  }

  async read(key: ClaimKey, signal?: AbortSignal): Promise<Claim | undefined> {
    const item = await this.#readItem(key, signal);
    return item === undefined ? undefined : toClaim(item);
  }

  async #readItem(key: ClaimKey, signal: AbortSignal | undefined): Promise<Record<string, AttributeValue> | undefined> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: itemKey(key), ConsistentRead: true }),
      { abortSignal: signal },
    );
    return item;
  }

}

export function itemKey(key: ClaimKey): Record<string, AttributeValue> {
  return { [partitionKey]: { S: key.processId }, [sortKey]: { S: key.state } };
}

/** The put's condition failed: a claim exists. `Item` is absent when the store does not return it. */
function isConditionFailure(error: unknown): error is { readonly Item?: Record<string, AttributeValue> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * The put found a claim, but it was gone when read back (removed by TTL in between). Transient:
 * the sender's retry creates the claim afresh.
 */
export class ClaimVanishedError extends Error {
  override readonly name = 'ClaimVanishedError';
  readonly failureKind = 'transient';
  constructor() {
    super('the claim existed at the put and was gone at the read');
  }
}

function toClaim(item: Record<string, AttributeValue>): Claim {
  return {
    processId: item[partitionKey]?.S ?? '',
    state: item[sortKey]?.S ?? '',
    // Anything but `claimed` was confirmed by the queue's consumer, whatever it wrote there.
    status: item.status?.S === 'claimed' ? 'claimed' : 'confirmed',
    detectedBy: item.detectedBy?.S === 'fallback' ? 'fallback' : 'webhook',
    receivedAt: item.receivedAt?.S ?? '',
    claimToken: item.claimToken?.S ?? '',
  };
}
