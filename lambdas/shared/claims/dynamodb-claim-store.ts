import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Claim, ClaimAttempt, ClaimRequest, ClaimStore } from '../acceptance/ports.ts';
import { CLAIMS_TABLE } from './claims-table.ts';

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
 * fails (ReturnValuesOnConditionCheckFailure), so a duplicate costs one request. Emulators that
 * do not return the old item get a consistent GetItem instead.
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
    // A second try only for a claim released by its holder between our put and our read.
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
      leaseUntil: { N: String(request.leaseUntil) },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(request.receivedAt) / 1000) + this.#retentionSeconds) },
    };
    if (notification.lastEvent !== undefined) item.lastEvent = { S: notification.lastEvent };
    if (notification.lastEventDescription !== undefined) {
      item.lastEventDescription = { S: notification.lastEventDescription };
    }
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
      return { outcome: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = error.Item ?? (await this.#read(notification.processId, notification.state, signal));
      return existing === undefined ? undefined : { outcome: 'exists', existing: toClaim(existing) };
    }
  }

  async takeOver(claim: Claim, leaseUntil: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyOf(claim),
          UpdateExpression: 'SET leaseUntil = :lease ADD takeOvers :one',
          ConditionExpression: '#status = :claimed AND leaseUntil = :previousLease',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': { N: String(leaseUntil) },
            ':one': { N: '1' },
            ':claimed': { S: 'claimed' },
            ':previousLease': { N: String(claim.leaseUntil) },
          },
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(claim: Pick<Claim, 'processId' | 'state' | 'leaseUntil'>, signal: AbortSignal): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyOf(claim),
          // Only our own claim: a later holder's lease, or a confirmed claim, stays.
          ConditionExpression: '#status = :claimed AND leaseUntil = :lease',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':lease': { N: String(claim.leaseUntil) } },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async #read(processId: string, state: string, signal: AbortSignal) {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: keyOf({ processId, state }),
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    return result.Item;
  }
}

function vanished(): never {
  throw new Error('claim released and taken again repeatedly while being read');
}

function keyOf(claim: Pick<Claim, 'processId' | 'state'>): Record<string, AttributeValue> {
  return { [partitionKey]: { S: claim.processId }, [sortKey]: { S: claim.state } };
}

function toClaim(item: Record<string, AttributeValue>): Claim {
  return {
    processId: item[partitionKey]?.S ?? '',
    state: item[sortKey]?.S ?? '',
    // Anything but `claimed` was confirmed by the queue's consumer, whatever it wrote there.
    status: item.status?.S === 'claimed' ? 'claimed' : 'confirmed',
    leaseUntil: Number(item.leaseUntil?.N ?? 0),
  };
}
