import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Claim, ClaimAttempt, ClaimRequest, ClaimStore } from '../../core/acceptance/ports.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary } from '../../core/processing/ports.ts';
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
 * The intake's claim is one UpdateItem that sets each attribute only where the item lacks it
 * (`if_not_exists`) and answers with the item as it was before (`ReturnValues: ALL_OLD`). No item
 * before: this request created the claim. An item before: that is the existing claim, and the
 * update overwrote none of its values, so a confirmed claim stays confirmed and the first
 * request's token, time, detection and TTL stay. (A record the processor's confirmation created
 * again after a TTL expiry only gains the attributes it lacked; it stays confirmed.)
 *
 * Why one request for a first delivery and for a copy alike, with no read and no retry of our
 * own: the write cannot fail on a condition, and its answer carries the old item either way.
 * DynamoDB and the emulators (dynalite) answer ALL_OLD on an update the same way, unlike a
 * conditional put's ReturnValuesOnConditionCheckFailure, which dynalite leaves out and which made
 * a copy cost a put and a read locally. A claim that expired (TTL) is simply created again.
 *
 * A lost answer keeps the acceptor's invariant: the SDK's retry of our own applied update gets
 * our own item back, with our claimToken, and the acceptor tells it apart from another request's.
 *
 * The processor reads a claim and confirms it once its event is published.
 */
export class DynamoDbClaimStore implements ClaimStore, ClaimLedger {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;

  constructor(options: DynamoDbClaimStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retentionSeconds = options.retentionDays * DAY_SECONDS;
  }

  async claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimAttempt> {
    const { notification } = request;
    const attributes: Record<string, AttributeValue> = {
      flow: { S: notification.flow },
      detectedBy: { S: request.detectedBy },
      receivedAt: { S: request.receivedAt },
      status: { S: 'claimed' },
      claimToken: { S: request.claimToken },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(request.receivedAt) / 1000) + this.#retentionSeconds) },
    };
    if (notification.lastEvent !== undefined) attributes.lastEvent = { S: notification.lastEvent };
    // lastEventDescription is free text: it travels on the queue only. Kept here it would be data
    // nobody reads back, and a lone surrogate in it is text DynamoDB cannot store.
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const assignments = Object.entries(attributes).map(([name, value]) => {
      // Every name through a placeholder: status (and others) are reserved words.
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      return `#${name} = if_not_exists(#${name}, :${name})`;
    });
    const { Attributes: before } = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { [partitionKey]: { S: notification.processId }, [sortKey]: { S: notification.state } },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return before === undefined || Object.keys(before).length === 0
      ? { outcome: 'created' }
      : { outcome: 'exists', existing: toClaim(before) };
  }

  async read(key: ClaimKey, signal?: AbortSignal): Promise<Claim | undefined> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { [partitionKey]: { S: key.processId }, [sortKey]: { S: key.state } },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    return item === undefined ? undefined : toClaim(item);
  }

  /**
   * Sets the claim confirmed, with times and the result code only. An update, not a put: it
   * keeps what the intake wrote (when, how detected, TTL) and creates the record when the claim
   * expired meanwhile, so that later copies are still recognised.
   */
  async confirm(key: ClaimKey, summary: ConfirmationSummary, signal?: AbortSignal): Promise<void> {
    const values: Record<string, AttributeValue> = {
      ':confirmed': { S: 'confirmed' },
      ':confirmedAt': { S: summary.confirmedAt },
      ':expiresAt': { N: String(Math.floor(Date.parse(summary.confirmedAt) / 1000) + this.#retentionSeconds) },
    };
    const assignments = ['#status = :confirmed', 'confirmedAt = :confirmedAt', '#ttl = if_not_exists(#ttl, :expiresAt)'];
    const optional: Array<[string, AttributeValue | undefined]> = [
      ['resultCode', summary.resultCode === undefined ? undefined : { S: summary.resultCode }],
      ['outcomeFetchedAt', summary.outcomeFetchedAt === undefined ? undefined : { S: summary.outcomeFetchedAt }],
      [
        'outcomeErrorStatus',
        summary.outcomeErrorStatus === undefined ? undefined : { N: String(summary.outcomeErrorStatus) },
      ],
    ];
    for (const [name, value] of optional) {
      if (value === undefined) continue;
      assignments.push(`${name} = :${name}`);
      values[`:${name}`] = value;
    }
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { [partitionKey]: { S: key.processId }, [sortKey]: { S: key.state } },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ExpressionAttributeNames: { '#status': 'status', '#ttl': ttlAttribute },
        ExpressionAttributeValues: values,
      }),
      { abortSignal: signal },
    );
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
