import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Claim, ClaimAttempt, ClaimRequest, ClaimStore } from '../../core/acceptance/ports.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';

const { partitionKey, sortKey, ttlAttribute } = CLAIMS_TABLE;
const DAY_SECONDS = 24 * 60 * 60;

export interface DynamoDbClaimStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a claim is kept (DynamoDB TTL), so late duplicates are still recognised. */
  readonly retentionDays: number;
}

/**
 * Claims in DynamoDB: one item per (processId, state).
 *
 * The claim is a single conditional PutItem that returns the existing item when the condition
 * fails (ReturnValuesOnConditionCheckFailure), so a copy costs one request. Emulators that do
 * not return the old item get a consistent GetItem instead.
 */
export class DynamoDbClaimStore implements ClaimStore {
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

  async #read(processId: string, state: string, signal: AbortSignal) {
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
