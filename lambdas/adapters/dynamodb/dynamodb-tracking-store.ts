import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { TrackedProcess, TrackingEnd, TrackingStatus, TrackingStore, TrackRequest } from '../../core/tracking/ports.ts';
import { dueShardOf, TRACKING_TABLE } from '../../contracts/tracking-table.ts';

const { partitionKey, ttlAttribute, dueIndex } = TRACKING_TABLE;
/** An item outlives its expiry this long, so its status can still be read after tracking ended. */
const KEPT_AFTER_EXPIRY_SECONDS = 30 * 24 * 60 * 60;

const TRACKING: TrackingStatus = 'tracking';
const STATUSES: readonly TrackingStatus[] = ['tracking', 'notified', 'recovered', 'expired', 'not_found', 'removed'];

export interface DynamoDbTrackingStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * The tracked processes in DynamoDB (TRACKING_TABLE): one item per process.
 *
 * While tracked, an item carries `dueShard` and `nextCheckAt`, so it is in the sparse `due`
 * index that `due` queries (never a scan); ending tracking removes both and the item leaves the
 * index. Every change after the first write is conditional on the item still being tracked, so
 * a fallback run working from a slightly stale index (GSIs are eventually consistent) cannot
 * reschedule or overwrite a process whose tracking another writer already ended.
 */
export class DynamoDbTrackingStore implements TrackingStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTrackingStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async track(request: TrackRequest, signal?: AbortSignal): Promise<'created' | 'exists'> {
    const item: Record<string, AttributeValue> = {
      [partitionKey]: { S: request.processId },
      status: { S: TRACKING },
      trackedAt: { S: request.trackedAt },
      expiresAt: { S: request.expiresAt },
      checks: { N: '0' },
      [dueIndex.partitionKey]: { S: dueShardOf(request.processId) },
      [dueIndex.sortKey]: { N: String(request.firstCheckAt) },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(request.expiresAt) / 1000) + KEPT_AFTER_EXPIRY_SECONDS) },
    };
    if (request.clientReference !== undefined) item.clientReference = { S: request.clientReference };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': partitionKey },
        }),
        { abortSignal: signal },
      );
      return 'created';
    } catch (error) {
      // Known already: its tracking, whatever its state, is left as it is.
      if (isConditionFailure(error)) return 'exists';
      throw error;
    }
  }

  /**
   * At most two requests. The first brings the check forward, only if the process is tracked
   * and its next check is later than `checkBy` (DynamoDB has no min()). When that condition
   * fails, the second records the time on any item, and its own failure means no item.
   */
  async journeyFinished(processId: string, at: string, checkBy: number, signal?: AbortSignal): Promise<'recorded' | 'unknown'> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyOf(processId),
          UpdateExpression: 'SET journeyFinishedAt = if_not_exists(journeyFinishedAt, :at), #next = :checkBy',
          ConditionExpression: '#status = :tracking AND #next > :checkBy',
          ExpressionAttributeNames: { '#status': 'status', '#next': dueIndex.sortKey },
          ExpressionAttributeValues: { ':at': { S: at }, ':checkBy': { N: String(checkBy) }, ':tracking': { S: TRACKING } },
        }),
        { abortSignal: signal },
      );
      return 'recorded';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyOf(processId),
          UpdateExpression: 'SET journeyFinishedAt = if_not_exists(journeyFinishedAt, :at)',
          ConditionExpression: 'attribute_exists(#key)',
          ExpressionAttributeNames: { '#key': partitionKey },
          ExpressionAttributeValues: { ':at': { S: at } },
        }),
        { abortSignal: signal },
      );
      return 'recorded';
    } catch (error) {
      if (isConditionFailure(error)) return 'unknown';
      throw error;
    }
  }

  async get(processId: string, signal?: AbortSignal): Promise<TrackedProcess | undefined> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: keyOf(processId), ConsistentRead: true }),
      { abortSignal: signal },
    );
    return item === undefined ? undefined : toTrackedProcess(item);
  }

  async due(shard: string, now: number, limit: number, signal?: AbortSignal): Promise<readonly TrackedProcess[]> {
    const { Items: items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: dueIndex.name,
        KeyConditionExpression: '#shard = :shard AND #next <= :now',
        ExpressionAttributeNames: { '#shard': dueIndex.partitionKey, '#next': dueIndex.sortKey },
        ExpressionAttributeValues: { ':shard': { S: shard }, ':now': { N: String(now) } },
        Limit: limit,
        ScanIndexForward: true,
      }),
      { abortSignal: signal },
    );
    return items.map(toTrackedProcess);
  }

  async reschedule(processId: string, nextCheckAt: number, checks: number, at: string, signal?: AbortSignal): Promise<void> {
    await this.#updateWhileTracking(
      processId,
      'SET #next = :next, checks = :checks, lastCheckedAt = :at',
      { ':next': { N: String(nextCheckAt) }, ':checks': { N: String(checks) }, ':at': { S: at } },
      signal,
    );
  }

  async finish(processId: string, end: TrackingEnd, signal?: AbortSignal): Promise<void> {
    const assignments = ['#status = :end', 'lastCheckedAt = :at'];
    const values: Record<string, AttributeValue> = { ':end': { S: end.status }, ':at': { S: end.at } };
    if (end.status === 'notified' || end.status === 'recovered') assignments.push('notifiedAt = :at');
    if (end.detectedBy !== undefined) {
      assignments.push('detectedBy = :detectedBy');
      values[':detectedBy'] = { S: end.detectedBy };
    }
    if (end.resultCode !== undefined) {
      assignments.push('resultCode = :resultCode');
      values[':resultCode'] = { S: end.resultCode };
    }
    await this.#updateWhileTracking(processId, `SET ${assignments.join(', ')} REMOVE #shard, #next`, values, signal);
  }

  /** An update that applies only while the process is tracked; otherwise it is already over, not an error. */
  async #updateWhileTracking(
    processId: string,
    updateExpression: string,
    values: Record<string, AttributeValue>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const names: Record<string, string> = { '#status': 'status', '#next': dueIndex.sortKey };
    if (updateExpression.includes('#shard')) names['#shard'] = dueIndex.partitionKey;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyOf(processId),
          UpdateExpression: updateExpression,
          ConditionExpression: '#status = :tracking',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':tracking': { S: TRACKING } },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

function keyOf(processId: string): Record<string, AttributeValue> {
  return { [partitionKey]: { S: processId } };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function toTrackedProcess(item: Record<string, AttributeValue>): TrackedProcess {
  const text = (name: string) => item[name]?.S;
  const number = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const status = STATUSES.find((known) => known === text('status')) ?? TRACKING;
  const detectedBy = text('detectedBy');
  const optional = {
    clientReference: text('clientReference'),
    // Only a tracked process has a next check; a stale attribute on an ended one means nothing.
    nextCheckAt: status === TRACKING ? number(dueIndex.sortKey) : undefined,
    journeyFinishedAt: text('journeyFinishedAt'),
    notifiedAt: text('notifiedAt'),
    detectedBy: detectedBy === 'webhook' || detectedBy === 'fallback' ? detectedBy : undefined,
    resultCode: text('resultCode'),
    lastCheckedAt: text('lastCheckedAt'),
  };
  return {
    processId: text(partitionKey) ?? '',
    status,
    trackedAt: text('trackedAt') ?? '',
    expiresAt: text('expiresAt') ?? '',
    checks: number('checks') ?? 0,
    ...(Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<TrackedProcess>),
  };
}
