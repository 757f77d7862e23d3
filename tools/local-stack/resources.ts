import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';
import { INTAKE_QUEUE, RESULTS_QUEUE, type FifoQueueSettings } from '../../lambdas/contracts/queues.ts';
import { TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';

/**
 * The table and queues the CDK stack deploys, with the same shape, in the emulators or in the
 * external services given to `npm start`. Each is created when missing and reused when present,
 * so a restarted local stack carries on with the claims and messages it left.
 */
export interface LocalResources {
  readonly claimsTableName: string;
  /** The processes the fallback watches, with its `due` index. */
  readonly trackingTableName: string;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly resultsDlqUrl: string;
}


/**
 * `sqsEndpoint`, when given, is where the queue URLs point: the emulators name their queues under
 * hosts such as `sqs.us-east-1.localhost`, which not every machine resolves, while the endpoint the
 * stack reached them on does, and serves the same path.
 */
export async function ensureLocalResources(dynamodb: DynamoDBClient, sqs: SQSClient, sqsEndpoint?: string): Promise<LocalResources> {
  const claimsTableName = await ensureClaimsTable(dynamodb);
  const trackingTableName = await ensureTrackingTable(dynamodb);
  const [intake, results] = await Promise.all([
    createFifoQueueWithDlq(sqs, INTAKE_QUEUE),
    createFifoQueueWithDlq(sqs, RESULTS_QUEUE),
  ]);
  const at = (queueUrl: string) => (sqsEndpoint === undefined ? queueUrl : queueUrlAt(sqsEndpoint, queueUrl));
  return {
    claimsTableName,
    trackingTableName,
    intakeQueueUrl: at(intake.queueUrl),
    intakeDlqUrl: at(intake.dlqUrl),
    resultsQueueUrl: at(results.queueUrl),
    resultsDlqUrl: at(results.dlqUrl),
  };
}

/** The queue's path (`/<account>/<name>`) on the given endpoint: `http://127.0.0.1:4566/000000000000/q.fifo`. */
export function queueUrlAt(endpoint: string, queueUrl: string): string {
  const { pathname } = new URL(queueUrl);
  return `${endpoint.replace(/\/+$/, '')}${pathname}`;
}

/** The claims table (also used to recreate it when a test restarts the DynamoDB emulator). */
export async function ensureClaimsTable(dynamodb: DynamoDBClient, claimsTableName = 'unico-claims'): Promise<string> {
  const existing = await describeTable(dynamodb, claimsTableName);
  if (existing !== undefined) {
    assertClaimsShape(claimsTableName, existing);
    await waitUntilActive(dynamodb, claimsTableName, existing);
    return claimsTableName;
  }
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
  ).catch((error: unknown) => {
    // Another local stack created it at the same moment: use theirs.
    if (!(error instanceof ResourceInUseException)) throw error;
  });
  await waitUntilActive(dynamodb, claimsTableName, undefined);
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

/** The tracking table with its sparse `due` index, shaped as TRACKING_TABLE says. */
export async function ensureTrackingTable(dynamodb: DynamoDBClient, trackingTableName = 'unico-tracking'): Promise<string> {
  const { partitionKey, ttlAttribute, dueIndex } = TRACKING_TABLE;
  const existing = await describeTable(dynamodb, trackingTableName);
  if (existing !== undefined) {
    assertKeys(trackingTableName, 'tracking', existing, [`${partitionKey}:HASH`]);
    if (!(existing.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === dueIndex.name)) {
      throw new Error(`table ${trackingTableName} exists without its ${dueIndex.name} index. Delete it or point DYNAMODB_ENDPOINT elsewhere.`);
    }
    await waitUntilActive(dynamodb, trackingTableName, existing);
    return trackingTableName;
  }
  await dynamodb
    .send(
      new CreateTableCommand({
        TableName: trackingTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: dueIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: dueIndex.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: dueIndex.name,
            KeySchema: [
              { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ResourceInUseException)) throw error;
    });
  await waitUntilActive(dynamodb, trackingTableName, undefined);
  await dynamodb
    .send(new UpdateTimeToLiveCommand({ TableName: trackingTableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }))
    .catch(() => undefined);
  return trackingTableName;
}

/** A table of that name with other keys is somebody else's: refuse it rather than write into it. */
function assertKeys(tableName: string, what: string, table: TableDescription, expected: string[]): void {
  const keys = (table.KeySchema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).sort();
  const needed = [...expected].sort();
  if (keys.join(',') !== needed.join(',')) {
    throw new Error(
      `table ${tableName} exists with keys ${keys.join(', ')}; the ${what} table needs ${needed.join(', ')}. ` +
        'Delete it or point DYNAMODB_ENDPOINT elsewhere.',
    );
  }
}

async function describeTable(dynamodb: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function assertClaimsShape(tableName: string, table: TableDescription): void {
  assertKeys(tableName, 'claims', table, [`${CLAIMS_TABLE.partitionKey}:HASH`, `${CLAIMS_TABLE.sortKey}:RANGE`]);
}

/** DynamoDB Local and LocalStack create tables in the background: wait (bounded) until usable. */
async function waitUntilActive(
  dynamodb: DynamoDBClient,
  tableName: string,
  known: TableDescription | undefined,
): Promise<void> {
  let table = known;
  for (let attempt = 0; attempt < 60; attempt++) {
    if (table?.TableStatus === 'ACTIVE') return;
    if (table !== undefined) await sleep(500);
    table = await describeTable(dynamodb, tableName);
  }
  throw new Error(`table ${tableName} did not become ACTIVE within 30 s`);
}

/** The queue's URL when it exists already, or the URL of the queue created now. */
async function ensureQueue(
  sqs: SQSClient,
  queueName: string,
  attributes: () => Promise<Record<string, string>>,
): Promise<string> {
  try {
    return required((await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl, 'queue url');
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: await attributes() }));
  return required(created.QueueUrl, 'queue url');
}

async function createFifoQueueWithDlq(sqs: SQSClient, settings: FifoQueueSettings) {
  const retention = String(settings.retentionDays * 24 * 60 * 60);
  const dlqUrl = await ensureQueue(sqs, `${settings.localName}-dlq.fifo`, async () => ({
    FifoQueue: 'true',
    MessageRetentionPeriod: retention,
  }));
  const queueUrl = await ensureQueue(sqs, `${settings.localName}.fifo`, async () => {
    const dlqAttributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    return {
      FifoQueue: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      MessageRetentionPeriod: retention,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: required(dlqAttributes.Attributes?.QueueArn, 'dead-letter queue arn'),
        maxReceiveCount: settings.maxReceiveCount,
      }),
    };
  });
  return { queueUrl, dlqUrl };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the SQS service returned no ${what}`);
  return value;
}
