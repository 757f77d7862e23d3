import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { composeIntakeHandler } from '../../lambdas/intake/compose.ts';
import { INTAKE_FUNCTION, PROCESSOR_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { UNICO_API_DEFAULTS, type UnicoContractName } from '../../lambdas/contracts/unico-api.ts';
import { composeProcessorHandler } from '../../lambdas/processor/compose.ts';
import { unicoFetcher } from '../../lambdas/processor/unico-fetcher.ts';
import { startUnicoSimulator } from '../unico-sim/serve/simulator.ts';
import { startSqsEventSource } from './sqs-event-source.ts';
import { WEBHOOK_PATH } from '../../lambdas/contracts/routes.ts';
import { intakeTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { OpenAuthenticator, type Authenticator } from '../../lambdas/core/auth/authenticator.ts';
import { JwtAuthenticator } from '../../lambdas/core/auth/jwt-authenticator.ts';
import { formatAuthSpec, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { credentialFromSpec, StaticCredentialAuthenticator } from '../../lambdas/core/auth/static-credentials.ts';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from './emulators.ts';
import { startLocalApi } from './local-api.ts';
import { startOAuth2Provider, type RunningOAuth2Provider } from './oauth2-provider.ts';
import { ensureLocalResources } from './resources.ts';

export const LOCAL_REGION = 'us-east-1';
/** The emulators accept any credentials; fixed dummies keep the SDK from looking for real ones. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalStackOptions {
  readonly port: number;
  readonly auth: AuthSpec;
  readonly responseDeadlineMs: number;
  /** Where to write the endpoints file; null writes none. */
  readonly endpointsFile: string | null;
  /** Fixed emulator ports (tests of outages restart an emulator on the same port); 0 picks free ones. */
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  /** An external DynamoDB to use instead of starting the emulator (DYNAMODB_ENDPOINT). */
  readonly dynamodbEndpoint?: string;
  /** An external SQS to use instead of starting the emulator (SQS_ENDPOINT). */
  readonly sqsEndpoint?: string;
  /** The GetProcess contract the local Unico speaks (UNICO_CONTRACT). @default 'web-sdk' */
  readonly unicoContract?: UnicoContractName;
  /** Calls per second to Unico across the processor (UNICO_MAX_RPS). @default 5 */
  readonly unicoMaxRps?: number;
}

/** The `source` of the results events the local stack publishes. */
export const LOCAL_EVENT_SOURCE = 'unico-webhook-local';

/** The endpoints file (contract 4): everything a test or a consumer needs to talk to the stack. */
export interface LocalEndpoints {
  readonly webhookUrl: string;
  readonly trackingUrl: string | null;
  readonly auth: {
    readonly mode: AuthSpec['mode'];
    /** What to enter in Unico's webhook form (or give unico-sim as --auth). */
    readonly unico: string;
    readonly tokenUrl?: string;
    readonly clientId?: string;
    readonly clientSecret?: string;
  };
  readonly sqs: {
    readonly endpoint: string;
    readonly region: string;
    readonly intakeQueueUrl: string;
    readonly resultsQueueUrl: string;
    readonly intakeDlqUrl: string;
    readonly resultsDlqUrl: string;
  };
  readonly dynamodb: { readonly endpoint: string; readonly region: string; readonly tables: { readonly claims: string } };
  readonly unicoSimulator: { readonly apiBaseUrl: string; readonly identityUrl: string; readonly adminUrl: string } | null;
}

export interface RunningLocalStack {
  readonly endpoints: LocalEndpoints;
  stop(): Promise<void>;
}

/**
 * Starts the whole receiver on this machine: emulators, tables and queues shaped as in the CDK
 * stack, the OAuth2 provider when asked for, and the API routes invoking the real handlers.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const [dynamodbEmulator, sqsEmulator] = await Promise.all([
      options.dynamodbEndpoint !== undefined
        ? externalService(options.dynamodbEndpoint)
        : startDynamoDbEmulator(options.dynamodbPort ?? 0),
      options.sqsEndpoint !== undefined ? externalService(options.sqsEndpoint) : startSqsEmulator(options.sqsPort ?? 0),
    ]);
    stoppers.push(dynamodbEmulator.stop, sqsEmulator.stop);

    const budget = intakeTimeBudget(options.responseDeadlineMs);
    const clientOptions = awsClientOptions(budget.awsCalls);
    const dynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions });
    const sqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...clientOptions });
    stoppers.push(async () => {
      dynamodb.destroy();
      sqs.destroy();
    });
    const resources = await ensureLocalResources(dynamodb, sqs);

    const oauth2 =
      options.auth.mode === 'oauth2' ? await startOAuth2Provider({ audience: 'unico-webhooks' }) : undefined;
    if (oauth2) stoppers.push(oauth2.stop);

    const intake = composeIntakeHandler({
      dynamodb,
      sqs,
      claimsTableName: resources.claimsTableName,
      claimRetentionDays: 90,
      intakeQueueUrl: resources.intakeQueueUrl,
      authenticator: localAuthenticator(options.auth, oauth2, options.responseDeadlineMs),
      responseDeadlineMs: options.responseDeadlineMs,
      logger: new Logger({ serviceName: INTAKE_FUNCTION.serviceName }),
    });
    const api = await startLocalApi(
      [
        {
          method: 'POST',
          path: WEBHOOK_PATH,
          functionName: INTAKE_FUNCTION.serviceName,
          timeoutMs: budget.functionTimeoutSeconds * 1000,
          handler: intake,
        },
      ],
      options.port,
    );
    stoppers.push(api.stop);
    const webhookUrl = `${api.url}${WEBHOOK_PATH}`;

    // Unico in a box: GetProcess for the processor, webhooks to this receiver as Unico sends them.
    const unico = await startUnicoSimulator({
      contract: options.unicoContract ?? UNICO_API_DEFAULTS.contract,
      receiverUrl: webhookUrl,
      receiverAuth: options.auth,
      ...(oauth2
        ? { receiverOAuth2: { tokenUrl: oauth2.tokenUrl, clientId: oauth2.clientId, clientSecret: oauth2.clientSecret } }
        : {}),
    });
    stoppers.push(unico.stop);

    // The processor, fed from the intake queue as Lambda's event source mapping feeds it.
    const processorLogger = new Logger({ serviceName: PROCESSOR_FUNCTION.serviceName });
    // Its own clients: its calls have the processor's time limits, not the intake's deadline.
    const processorDynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
    const processorSqs = new SQSClient(emulatorClientConfig(sqsEmulator));
    stoppers.push(async () => {
      processorDynamodb.destroy();
      processorSqs.destroy();
    });
    const unicoCredentials = { privateKey: unico.privateKeyPem, apiKey: unico.apiKey };
    const processor = composeProcessorHandler({
      dynamodb: processorDynamodb,
      sqs: processorSqs,
      claimsTableName: resources.claimsTableName,
      claimRetentionDays: 90,
      intakeQueueUrl: resources.intakeQueueUrl,
      resultsQueueUrl: resources.resultsQueueUrl,
      eventSource: LOCAL_EVENT_SOURCE,
      fetcher: unicoFetcher({
        api: {
          contract: unico.contract,
          apiBaseUrl: unico.apiBaseUrl,
          identityUrl: unico.identityUrl,
          serviceAccount: unico.serviceAccount,
          maxRequestsPerSecond: options.unicoMaxRps ?? UNICO_API_DEFAULTS.maxRequestsPerSecond,
        },
        tokenUrl: unico.tokenUrl,
        credentials: async () => unicoCredentials,
        dynamodb: processorDynamodb,
        claimsTableName: resources.claimsTableName,
        onCredentialsUnusable: (reason) => processorLogger.error('Unico credentials are not usable', { reason }),
      }),
      logger: processorLogger,
    });
    const eventSource = await startSqsEventSource({
      sqs: processorSqs,
      queueUrl: resources.intakeQueueUrl,
      region: LOCAL_REGION,
      handler: processor,
      functionName: PROCESSOR_FUNCTION.serviceName,
      functionTimeoutMs: PROCESSOR_FUNCTION.timeoutSeconds * 1000,
      onHandlerError: (error) =>
        processorLogger.error('processor batch failed', { error: error instanceof Error ? error.name : String(error) }),
    });
    stoppers.push(eventSource.stop);

    const endpoints: LocalEndpoints = {
      webhookUrl,
      trackingUrl: null,
      auth: {
        mode: options.auth.mode,
        unico: formatAuthSpec(options.auth),
        ...(oauth2 ? { tokenUrl: oauth2.tokenUrl, clientId: oauth2.clientId, clientSecret: oauth2.clientSecret } : {}),
      },
      sqs: {
        endpoint: sqsEmulator.endpoint,
        region: LOCAL_REGION,
        intakeQueueUrl: resources.intakeQueueUrl,
        resultsQueueUrl: resources.resultsQueueUrl,
        intakeDlqUrl: resources.intakeDlqUrl,
        resultsDlqUrl: resources.resultsDlqUrl,
      },
      dynamodb: {
        endpoint: dynamodbEmulator.endpoint,
        region: LOCAL_REGION,
        tables: { claims: resources.claimsTableName },
      },
      unicoSimulator: { apiBaseUrl: unico.apiBaseUrl, identityUrl: unico.identityUrl, adminUrl: unico.adminUrl },
    };
    if (options.endpointsFile !== null) {
      const file = options.endpointsFile;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
      stoppers.unshift(() => rm(file, { force: true }));
    }
    return { endpoints, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A service somebody else runs: used as it is, and left running on stop. */
function externalService(endpoint: string): RunningEmulator {
  return { endpoint, stop: async () => undefined };
}

export function emulatorClientConfig(emulator: Pick<RunningEmulator, 'endpoint'>) {
  return { endpoint: emulator.endpoint, region: LOCAL_REGION, credentials: EMULATOR_CREDENTIALS };
}

function localAuthenticator(
  auth: AuthSpec,
  oauth2: RunningOAuth2Provider | undefined,
  responseDeadlineMs: number,
): Authenticator {
  switch (auth.mode) {
    case 'none':
      return new OpenAuthenticator();
    case 'basic':
    case 'apikey': {
      const credentials = [credentialFromSpec(auth)];
      return new StaticCredentialAuthenticator(auth.mode, async () => credentials);
    }
    case 'oauth2':
      if (oauth2 === undefined) throw new Error('oauth2 mode needs the local OAuth2 provider');
      return new JwtAuthenticator(
        {
          issuer: oauth2.issuer,
          jwksUri: oauth2.jwksUri,
          audiences: [oauth2.audience],
          clientIds: [oauth2.clientId],
          requiredScopes: [],
        },
        { keyFetchTimeoutMs: intakeTimeBudget(responseDeadlineMs).keyFetchTimeoutMs },
      );
  }
}
