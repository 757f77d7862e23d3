/**
 * The intake function as the local stack runs it: on a thread of its own (function-thread.ts),
 * composed by the same `composeIntakeHandler` as in AWS, with its own SDK clients, one Logger per
 * instance (FunctionInstances), and the local stack's authenticator for the auth mode.
 * Loaded as a worker, it serves the function; imported, it only exports `localIntake`.
 */
import { isMainThread } from 'node:worker_threads';
import { noObservability } from '../../lambdas/core/observability.ts';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';
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
  await warmUp(dynamodb, sqs, config);
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

/**
 * Before the thread serves: one of each call a delivery makes, in the shape it makes it. The
 * first call of a client does one-time work (the SDK loading and resolving its pieces, a first
 * connection, dynalite's and fauxqs's first request of the kind); without this, the first burst
 * after a start (up to 250 deliveries per thread at Unico's 500 in flight) waits on it inside its
 * deadline. Neither call changes anything: the claim's condition can never hold, and reading a
 * queue's attributes leaves it as it is. (Warming the whole path, 50 calls or more per client,
 * cost a second or more of start time on the shared 2-core machine, so it stops at one.)
 */
async function warmUp(dynamodb: DynamoDBClient, sqs: SQSClient, config: LocalIntakeConfig): Promise<void> {
  const claim = new PutItemCommand({
    TableName: config.claimsTableName,
    Item: { [CLAIMS_TABLE.partitionKey]: { S: 'local-stack-warm-up' }, [CLAIMS_TABLE.sortKey]: { S: 'warm-up' } },
    ConditionExpression: 'attribute_exists(#key) AND attribute_not_exists(#key)',
    ExpressionAttributeNames: { '#key': CLAIMS_TABLE.partitionKey },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  const read = new GetQueueAttributesCommand({ QueueUrl: config.intakeQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] });
  // Best effort: the claim is refused by design, and an external service that answers otherwise
  // (or not at all) must not keep the stack from starting; its deliveries will say what is wrong.
  await Promise.allSettled([dynamodb.send(claim), sqs.send(read)]);
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
