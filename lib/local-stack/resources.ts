import { CreateTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CLAIMS_TABLE } from '../../lambdas/shared/claims/claims-table.ts';

/** The table and queues the CDK stack deploys, created in the emulators with the same shape. */
export interface LocalResources {
  readonly claimsTableName: string;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly resultsDlqUrl: string;
}

const FOURTEEN_DAYS_SECONDS = String(14 * 24 * 60 * 60);

export async function createLocalResources(dynamodb: DynamoDBClient, sqs: SQSClient): Promise<LocalResources> {
  const claimsTableName = await createClaimsTable(dynamodb);
  const [intake, results] = await Promise.all([
    createFifoQueueWithDlq(sqs, 'unico-intake', '180'),
    createFifoQueueWithDlq(sqs, 'unico-results', '30'),
  ]);
  return {
    claimsTableName,
    intakeQueueUrl: intake.queueUrl,
    intakeDlqUrl: intake.dlqUrl,
    resultsQueueUrl: results.queueUrl,
    resultsDlqUrl: results.dlqUrl,
  };
}

/** The claims table (also used to recreate it when a test restarts the DynamoDB emulator). */
export async function createClaimsTable(dynamodb: DynamoDBClient, claimsTableName = 'unico-claims'): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: claimsTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: CLAIMS_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: CLAIMS_TABLE.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: CLAIMS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: CLAIMS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  // dynalite does not expire items, but it accepts the setting: keep the call the stack makes.
  await dynamodb
    .send(
      new UpdateTimeToLiveCommand({
        TableName: claimsTableName,
        TimeToLiveSpecification: { AttributeName: CLAIMS_TABLE.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined);
  return claimsTableName;
}

async function createFifoQueueWithDlq(sqs: SQSClient, name: string, visibilityTimeout: string) {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq.fifo`,
      Attributes: { FifoQueue: 'true', MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS },
    }),
  );
  const dlqUrl = required(dlq.QueueUrl, 'dead-letter queue url');
  const dlqAttributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: visibilityTimeout,
        MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: required(dlqAttributes.Attributes?.QueueArn, 'dead-letter queue arn'),
          maxReceiveCount: 5,
        }),
      },
    }),
  );
  return { queueUrl: required(queue.QueueUrl, 'queue url'), dlqUrl };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the SQS emulator returned no ${what}`);
  return value;
}
