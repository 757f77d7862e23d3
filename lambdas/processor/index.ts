/**
 * The processor Lambda in AWS: configuration read and clients created once per container, then
 * the shared handler. Unico's credentials come from Secrets Manager (cached), never from the
 * environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PROCESSOR_FUNCTION } from '../contracts/functions.ts';
import { processorTimeBudget } from '../contracts/time-budgets.ts';
import { awsClientOptions } from '../adapters/aws/client-options.ts';
import { unicoCredentialsFromSecret } from '../adapters/secrets-manager/unico-credentials-secret.ts';
import { composeProcessorHandler } from './compose.ts';
import { loadProcessorConfig } from './config.ts';
import { unicoFetcher } from '../adapters/unico/unico-fetcher.ts';
import { METRIC_NAMESPACE } from '../adapters/metrics/metric-names.ts';
import { powertoolsObservability } from '../adapters/metrics/powertools-observability.ts';

const logger = new Logger({ serviceName: PROCESSOR_FUNCTION.serviceName });
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: PROCESSOR_FUNCTION.serviceName });
const config = loadProcessorConfig();
const time = processorTimeBudget(PROCESSOR_FUNCTION.timeoutSeconds);
// Timeouts as the intake's: a hung call fails in seconds, and the invocation's own limit cuts it anyway.
const clientOptions = awsClientOptions(time.awsCalls);
const dynamodb = new DynamoDBClient(clientOptions);

function fetcherFor(unico: NonNullable<typeof config.unico>) {
  return unicoFetcher({
    api: unico,
    credentials: unicoCredentialsFromSecret(new SecretsManagerClient(clientOptions), unico.secretArn),
    dynamodb,
    claimsTableName: config.claimsTableName,
    onBudgetWait: powertoolsObservability(metrics).budgetWaited,
    onCredentialsUnusable: (reason) =>
      logger.error('Unico credentials are not usable; outcomes wait until they are', { reason, unicoCredentials: 'unusable' }),
  });
}

export const handler = composeProcessorHandler({
  dynamodb,
  sqs: new SQSClient(clientOptions),
  claimsTableName: config.claimsTableName,
  claimRetentionDays: config.claimRetentionDays,
  intakeQueueUrl: config.intakeQueueUrl,
  resultsQueueUrl: config.resultsQueueUrl,
  eventSource: config.eventSource,
  outcomeRetryPeriodSeconds: config.outcomeRetryPeriodSeconds,
  time,
  ...(config.unico ? { fetcher: fetcherFor(config.unico) } : {}),
  ...(config.resultsBusFeedQueueUrl !== undefined ? { resultsBusFeedQueueUrl: config.resultsBusFeedQueueUrl } : {}),
  logger,
  metrics,
});
