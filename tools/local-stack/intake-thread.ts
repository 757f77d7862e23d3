/**
 * The intake function as the local stack runs it: on a thread of its own (function-thread.ts),
 * composed by the same `composeIntakeHandler` as in AWS, with its own SDK clients, one Logger per
 * instance (FunctionInstances), and the local stack's authenticator for the auth mode.
 * Loaded as a worker, it serves the function; imported, it only exports `localIntake`.
 */
import { isMainThread } from 'node:worker_threads';
import { noObservability } from '../../lambdas/core/observability.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { INTAKE_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { intakeTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { OpenAuthenticator, type Authenticator } from '../../lambdas/core/auth/authenticator.ts';
import { JwtAuthenticator } from '../../lambdas/core/auth/jwt-authenticator.ts';
import { credentialFromSpec, StaticCredentialAuthenticator } from '../../lambdas/core/auth/static-credentials.ts';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { serveFunction, type ThreadFunction } from './function-thread.ts';
import { FunctionInstances } from './local-api.ts';
import { emulatorClientConfig, localClientOptions } from './local-clients.ts';
import { intakeInstance, type LineWriter, type LogFormat } from './log-output.ts';

/** Everything the intake needs, as plain data (it is copied to the thread). */
export interface LocalIntakeConfig {
  readonly auth: AuthSpec;
  /** The local OAuth2 provider, with `auth` oauth2. */
  readonly oauth2?: { readonly issuer: string; readonly jwksUri: string; readonly audience: string; readonly clientId: string };
  readonly responseDeadlineMs: number;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly claimsTableName: string;
  readonly claimRetentionDays: number;
  readonly intakeQueueUrl: string;
  readonly logFormat: LogFormat;
}

/** The intake function: its instances and, on stop, its clients released. */
export async function localIntake(config: LocalIntakeConfig, writeLine: LineWriter): Promise<ThreadFunction> {
  const budget = intakeTimeBudget(config.responseDeadlineMs);
  const clientOptions = localClientOptions(budget);
  const dynamodb = new DynamoDBClient({ ...emulatorClientConfig({ endpoint: config.dynamodbEndpoint }), ...clientOptions });
  const sqs = new SQSClient({ ...emulatorClientConfig({ endpoint: config.sqsEndpoint }), ...clientOptions });
  // One authenticator, as the credentials and key set one container reads are in AWS; every
  // instance gets its own Logger and handler.
  const authenticator = localAuthenticator(config);
  const target = new FunctionInstances(INTAKE_FUNCTION.serviceName, budget.functionTimeoutSeconds * 1000, () =>
    intakeInstance(INTAKE_FUNCTION.serviceName, config.logFormat, writeLine, (logger) =>
      // No CloudWatch locally: no EMF lines on the console.
      composeIntakeHandler({ ...config, dynamodb, sqs, authenticator, logger, observability: noObservability }),
    ),
  );
  return {
    target,
    stop: async () => {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

function localAuthenticator(config: LocalIntakeConfig): Authenticator {
  const { auth } = config;
  switch (auth.mode) {
    case 'none':
      return new OpenAuthenticator();
    case 'basic':
    case 'apikey': {
      const credentials = [credentialFromSpec(auth)];
      return new StaticCredentialAuthenticator(auth.mode, async () => credentials);
    }
    case 'oauth2': {
      const { oauth2 } = config;
      if (oauth2 === undefined) throw new Error('oauth2 mode needs the local OAuth2 provider');
      return new JwtAuthenticator(
        {
          issuer: oauth2.issuer,
          jwksUri: oauth2.jwksUri,
          audiences: [oauth2.audience],
          clientIds: [oauth2.clientId],
          requiredScopes: [],
        },
        { keyFetchTimeoutMs: intakeTimeBudget(config.responseDeadlineMs).keyFetchTimeoutMs },
      );
    }
  }
}

if (!isMainThread) await serveFunction(localIntake);
