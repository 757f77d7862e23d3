import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
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
 * The intake's claim is a single conditional PutItem that returns the existing item when the
 * condition fails (ReturnValuesOnConditionCheckFailure), so a copy costs one request. Emulators
 * that do not return the old item get a consistent GetItem instead. The processor reads a claim
 * and confirms it once its event is published.
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
    // A second put only for a claim that expired (TTL) between the failed put and the read.
    return (await this.#tryClaim(request, signal)) ?? (await this.#tryClaim(request, signal)) ?? vanished();
  }

  /** One conditional put; undefined when the conflicting claim was gone by the time it was read. */
  async #tryClaim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimAttempt | undefined> {
    const { notification } = request;
    const item: Record<string, AttributeValue> = {
      [partitionKey]: { S: notification.processId },
      [sortKey]: { S: notification.state },
      flow: { S: notification.flow },
      detectedBy: { S: request.detectedBy },
      receivedAt: { S: request.receivedAt },
      status: { S: 'claimed' },
      claimToken: { S: request.claimToken },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(request.receivedAt) / 1000) + this.#retentionSeconds) },
    };
    if (notification.lastEvent !== undefined) item.lastEvent = { S: notification.lastEvent };
    // lastEventDescription is free text: it travels on the queue only. Kept here it would be data
    // nobody reads back, and a lone surrogate in it is text DynamoDB cannot store.
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': partitionKey },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
      return { outcome: 'created' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = error.Item ?? (await this.#read(notification.processId, notification.state, signal));
      return existing === undefined ? undefined : { outcome: 'exists', existing: toClaim(existing) };
    }
  }

  async read(key: ClaimKey, signal?: AbortSignal): Promise<Claim | undefined> {
    const item = await this.#read(key.processId, key.state, signal);
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

  async #read(processId: string, state: string, signal: AbortSignal | undefined) {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { [partitionKey]: { S: processId }, [sortKey]: { S: state } },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    return result.Item;
  }
}

function vanished(): never {
  throw new Error('claim expired again while being read');
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
