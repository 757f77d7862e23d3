import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DetectionSource } from '../../core/acceptance/ports.ts';
import type { NotificationLedger } from '../../core/tracking/ports.ts';
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

  async anyClaim(processId: string, signal?: AbortSignal): Promise<{ readonly detectedBy: DetectionSource; readonly receivedAt: string } | undefined> {
    const { Items: items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#key = :processId',
        ExpressionAttributeNames: { '#key': CLAIMS_TABLE.partitionKey },
        ExpressionAttributeValues: { ':processId': { S: processId } },
        ProjectionExpression: 'detectedBy, receivedAt',
        Limit: 1,
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    const item = items[0];
    if (item === undefined) return undefined;
    // As the claim store reads it: anything but `fallback` came by webhook.
    return { detectedBy: item.detectedBy?.S === 'fallback' ? 'fallback' : 'webhook', receivedAt: item.receivedAt?.S ?? '' };
  }
}
