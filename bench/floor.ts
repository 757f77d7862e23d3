/**
 * The cold-start bench's floor: what any function of this project loads at the least, the AWS SDK
 * clients for DynamoDB and SQS, created once, and a handler. Bundled the way the functions are.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});

export const handler = async (): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: JSON.stringify({ clients: [dynamodb.constructor.name, sqs.constructor.name] }),
});
