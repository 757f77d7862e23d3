import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LedgerClaim, NotificationLedger } from '../../core/tracking/ports.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';

export interface DynamoDbNotificationLedgerOptions {
  readonly client: DynamoDBClient;
  /** The claims table: the intake's claims are the record of every notification accepted. */
  readonly tableName: string;
}

/**
 * Whether a process was notified, read from the claims table: any claim under its partition key,
 * whatever its state or status, means a notification was accepted for it. One strongly
 * consistent query of one item, so a webhook claimed a moment ago is seen.
 */
export class DynamoDbNotificationLedger implements NotificationLedger {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbNotificationLedgerOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async anyClaim(processId: string, signal?: AbortSignal): Promise<LedgerClaim | undefined> {
    const { Items: items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#key = :processId',
        ExpressionAttributeNames: { '#key': CLAIMS_TABLE.partitionKey, '#sort': CLAIMS_TABLE.sortKey, '#status': 'status' },
        ExpressionAttributeValues: { ':processId': { S: processId } },
        ProjectionExpression: '#sort, flow, lastEvent, detectedBy, receivedAt, #status',
        Limit: 1,
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    const item = items[0];
    if (item === undefined) return undefined;
    // As the claim store reads it: anything but `fallback` came by webhook, anything but `claimed` is confirmed.
    return {
      state: item[CLAIMS_TABLE.sortKey]?.S ?? '',
      ...(item.flow?.S !== undefined ? { flow: item.flow.S } : {}),
      ...(item.lastEvent?.S !== undefined ? { lastEvent: item.lastEvent.S } : {}),
      detectedBy: item.detectedBy?.S === 'fallback' ? 'fallback' : 'webhook',
      receivedAt: item.receivedAt?.S ?? '',
      confirmed: item.status?.S !== 'claimed',
    };
  }
}
