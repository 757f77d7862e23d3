/**
 * The fallback Lambda in AWS: configuration read and clients created once per container, then
 * the shared handler. Unico's credentials come from Secrets Manager (cached), never from the
 * environment; calls to Unico share the processor's request budget (one item in the claims table).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FALLBACK_FUNCTION } from '../contracts/functions.ts';
import { fallbackTimeBudget } from '../contracts/time-budgets.ts';
import { awsClientOptions } from '../adapters/aws/client-options.ts';
import { unicoCredentialsFromSecret } from '../adapters/secrets-manager/unico-credentials-secret.ts';
import { DynamoDbNotificationLedger } from '../adapters/dynamodb/dynamodb-notification-ledger.ts';
import { DynamoDbTrackingStore } from '../adapters/dynamodb/dynamodb-tracking-store.ts';
import { unicoFetcher } from '../adapters/unico/unico-fetcher.ts';
import { METRIC_NAMESPACE } from '../adapters/metrics/metric-names.ts';
import { powertoolsObservability } from '../adapters/metrics/powertools-observability.ts';
import { composeFallbackHandler } from './compose.ts';
import { loadFallbackConfig } from './config.ts';

const logger = new Logger({ serviceName: FALLBACK_FUNCTION.serviceName });
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: FALLBACK_FUNCTION.serviceName });
const config = loadFallbackConfig();
const time = fallbackTimeBudget(FALLBACK_FUNCTION.timeoutSeconds);
const clientOptions = awsClientOptions(time.awsCalls);
const dynamodb = new DynamoDBClient(clientOptions);

export const handler = composeFallbackHandler({
  dynamodb,
  sqs: new SQSClient(clientOptions),
  claimsTableName: config.claimsTableName,
  claimRetentionDays: config.claimRetentionDays,
  intakeQueueUrl: config.intakeQueueUrl,
  tracking: new DynamoDbTrackingStore({ client: dynamodb, tableName: config.trackingTableName }),
  ledger: new DynamoDbNotificationLedger({ client: dynamodb, tableName: config.claimsTableName }),
  fetcher: unicoFetcher({
    api: config.unico,
    credentials: unicoCredentialsFromSecret(new SecretsManagerClient(clientOptions), config.unico.secretArn),
    dynamodb,
    claimsTableName: config.claimsTableName,
    onBudgetWait: powertoolsObservability(metrics).budgetWaited,
    onCredentialsUnusable: (reason) =>
      logger.error('Unico credentials are not usable; checks wait until they are', { reason, unicoCredentials: 'unusable' }),
  }),
  schedule: config.schedule,
  time,
  logger,
  metrics,
});
