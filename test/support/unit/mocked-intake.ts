import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { Authenticator } from '../../../lambdas/core/auth/authenticator.ts';
import type { Clock } from '../../../lambdas/core/deadline.ts';
import { composeIntakeHandler } from '../../../lambdas/intake/compose.ts';
import type { IntakeHandler } from '../../../lambdas/intake/intake-handler.ts';

/** The intake's two AWS clients, answered by aws-sdk-client-mock: every claim is new, every send succeeds. */
export interface MockedIntakeAws {
  readonly region: string;
  readonly dynamodbClient: DynamoDBClient;
  readonly sqsClient: SQSClient;
  readonly dynamodb: AwsClientStub<DynamoDBClient>;
  readonly sqs: AwsClientStub<SQSClient>;
  /** Claims put plus messages sent since the clients were made or last reset. */
  stored(): number;
  resetHistory(): void;
}

export function mockedIntakeAws(region = 'us-east-1'): MockedIntakeAws {
  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
  const dynamodbClient = new DynamoDBClient({ region, credentials });
  const sqsClient = new SQSClient({ region, credentials });
  const dynamodb = mockClient(dynamodbClient);
  const sqs = mockClient(sqsClient);
  dynamodb.on(PutItemCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  return {
    region,
    dynamodbClient,
    sqsClient,
    dynamodb,
    sqs,
    stored: () => dynamodb.commandCalls(PutItemCommand).length + sqs.commandCalls(SendMessageCommand).length,
    resetHistory: () => {
      dynamodb.resetHistory();
      sqs.resetHistory();
    },
  };
}

/** The real intake, composed as in AWS, over `aws`, with a silent logger and a 5 s deadline. */
export function mockedIntake(aws: MockedIntakeAws, authenticator: Authenticator, clock?: Clock): IntakeHandler {
  return composeIntakeHandler({
    dynamodb: aws.dynamodbClient,
    sqs: aws.sqsClient,
    claimsTableName: 'claims',
    claimRetentionDays: 90,
    intakeQueueUrl: `https://sqs.${aws.region}.amazonaws.com/123456789012/intake.fifo`,
    authenticator,
    responseDeadlineMs: 5000,
    logger: new Logger({ logLevel: 'SILENT' }),
    ...(clock === undefined ? {} : { clock }),
  });
}
