/**
 * The tracking Lambda in AWS: configuration read and clients created once per container, then the
 * shared handler. API Gateway authorises every request with IAM before it reaches the function.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientOptions } from '../adapters/aws/client-options.ts';
import { TRACKING_FUNCTION } from '../contracts/functions.ts';
import { composeTrackingHandler } from './compose.ts';
import { loadTrackingConfig } from './config.ts';

const logger = new Logger({ serviceName: TRACKING_FUNCTION.serviceName });
const config = loadTrackingConfig();
// Each route is one DynamoDB request: fail fast enough that a retry fits well within the timeout.
const dynamodb = new DynamoDBClient(awsClientOptions({ maxAttempts: 3, connectionTimeoutMs: 1000, requestTimeoutMs: 2000 }));

export const handler = composeTrackingHandler({ ...config, dynamodb, logger });
