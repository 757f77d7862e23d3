import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ClaimKey, ClaimLedger, ConfirmationSummary } from '../../core/processing/ports.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';
import { DynamoDbClaimStore, itemKey, type ClaimsTableWiring } from './dynamodb-claim-store.ts';

/** The claim ledger over a function's wiring. */
export function claimLedgerFor(wiring: ClaimsTableWiring): DynamoDbClaimLedger {
  return new DynamoDbClaimLedger({
    client: wiring.dynamodb,
    tableName: wiring.claimsTableName,
    retentionDays: wiring.claimRetentionDays,
  });
}

/** The processor's side of the claims table: it reads a claim, and confirms it once its event is published. */
export class DynamoDbClaimLedger extends DynamoDbClaimStore implements ClaimLedger {
  /**
   * Sets the claim confirmed, with times and the result code only. An update, not a put: it
   * keeps what the intake wrote (when, how detected, TTL) and creates the record when the claim
   * expired meanwhile, so that later copies are still recognised.
   */
  async confirm(key: ClaimKey, summary: ConfirmationSummary, signal?: AbortSignal): Promise<void> {
    const values: Record<string, AttributeValue> = {
      ':confirmed': { S: 'confirmed' },
      ':confirmedAt': { S: summary.confirmedAt },
      ':expiresAt': { N: String(Math.floor(Date.parse(summary.confirmedAt) / 1000) + this.retentionSeconds) },
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
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKey(key),
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ExpressionAttributeNames: { '#status': 'status', '#ttl': CLAIMS_TABLE.ttlAttribute },
        ExpressionAttributeValues: values,
      }),
      { abortSignal: signal },
    );
  }
}
