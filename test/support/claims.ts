import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemKey } from '../../lambdas/adapters/dynamodb/dynamodb-claim-store.ts';

/** A claim as the claims table holds it (a consistent read), or undefined when there is none. */
export async function storedClaim(
  dynamodb: DynamoDBClient,
  tableName: string,
  processId: string,
  state = 'PROCESS_STATE_FINISHED',
): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: itemKey({ processId, state }), ConsistentRead: true }));
  return Item;
}

/** The stored claim's status ("claimed", "confirmed"), or undefined when there is none. */
export async function claimStatus(dynamodb: DynamoDBClient, tableName: string, processId: string): Promise<string | undefined> {
  return (await storedClaim(dynamodb, tableName, processId))?.status?.S;
}
