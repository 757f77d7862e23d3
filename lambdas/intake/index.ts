/**
 * The intake Lambda in AWS: configuration read and clients created once per container, then the
 * shared handler. Credentials come from Secrets Manager (cached), never from the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OpenAuthenticator, type Authenticator } from '../core/auth/authenticator.ts';
import { JwtAuthenticator } from '../core/auth/jwt-authenticator.ts';
import { secretCredentialSource } from '../adapters/secrets-manager/secret-credentials.ts';
import { SecretsManagerJsonSecrets } from '../adapters/secrets-manager/json-secrets.ts';
import { StaticCredentialAuthenticator } from '../core/auth/static-credentials.ts';
import { awsClientOptions } from '../adapters/aws/client-options.ts';
import { composeIntakeHandler } from './compose.ts';
import { loadIntakeConfig, type IntakeConfig } from './config.ts';
import { INTAKE_FUNCTION } from '../contracts/functions.ts';
import { intakeTimeBudget } from '../contracts/time-budgets.ts';
import { METRIC_NAMESPACE } from '../adapters/metrics/metric-names.ts';

const logger = new Logger({ serviceName: INTAKE_FUNCTION.serviceName });
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: INTAKE_FUNCTION.serviceName });
const config = loadIntakeConfig();
const budget = intakeTimeBudget(config.responseDeadlineMs);
const clientOptions = awsClientOptions(budget.awsCalls);

async function authenticatorFor(auth: IntakeConfig['auth']): Promise<Authenticator> {
  switch (auth.mode) {
    case 'none':
      return new OpenAuthenticator();
    case 'basic':
    case 'apikey': {
      const credentials = secretCredentialSource({
        secrets: new SecretsManagerJsonSecrets(new SecretsManagerClient(clientOptions)),
        secretId: auth.secretArn,
        mode: auth.mode,
        defaultApiKeyHeader: auth.apiKeyHeader,
        maxAgeSeconds: auth.secretMaxAgeSeconds,
        refreshWaitMs: budget.credentialRefreshWaitMs,
        onStaleUse: (error, retryInMs) =>
          logger.warn('credential refresh failed; using the last credentials read', {
            error: error instanceof Error ? error.name : String(error),
            retryInSeconds: retryInMs / 1000,
          }),
      });
      // Read once during init so the first delivery does not wait for Secrets Manager; a failure
      // here is retried by the first request after the back-off pause (until then: 503 at once).
      await credentials().catch((error: unknown) =>
        logger.warn('credentials not readable at start', { error: error instanceof Error ? error.name : String(error) }),
      );
      return new StaticCredentialAuthenticator(auth.mode, credentials);
    }
    case 'oauth2':
      return new JwtAuthenticator(auth.oauth2, {
        keyFetchTimeoutMs: budget.keyFetchTimeoutMs,
        keySet: {
          maxStaleMs: auth.keysMaxStaleSeconds * 1000,
          // The reason and URL only: never a token.
          onRefreshFailure: (error) =>
            logger.warn('oauth2 key set could not be read', {
              error: error.name,
              reason: error.reason,
              detail: error.message,
            }),
        },
      });
  }
}

const authenticator = await authenticatorFor(config.auth);

// The table, queue, retention and deadline come straight from the configuration.
export const handler = composeIntakeHandler({
  ...config,
  dynamodb: new DynamoDBClient(clientOptions),
  sqs: new SQSClient(clientOptions),
  authenticator,
  logger,
  metrics,
});
