/** A process's claims (one per state it was notified in), read from the claims table as they are. */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';

export async function claimsOf(dynamodb: DynamoDBClient, tableName: string, processId: string): Promise<Array<Record<string, unknown>>> {
  const { Items = [] } = await dynamodb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#processId = :processId',
      ExpressionAttributeNames: { '#processId': CLAIMS_TABLE.partitionKey },
      ExpressionAttributeValues: { ':processId': { S: processId } },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plain(value)])));
}

/** A DynamoDB attribute value as plain JSON (numbers as numbers when they fit, sets as arrays). */
export function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return toNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return Object.fromEntries(Object.entries(value.M).map(([name, inner]) => [name, plain(inner)]));
  if (value.L !== undefined) return value.L.map(plain);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(toNumber);
  if (value.B !== undefined) return `(binary, ${value.B.length} bytes)`;
  return null;
}

function toNumber(text: string): number | string {
  const number = Number(text);
  return Number.isSafeInteger(number) || (!Number.isInteger(number) && Number.isFinite(number)) ? number : text;
}
