import { Logger } from '@aws-lambda-powertools/logger';
import { noObservability } from '../../lambdas/core/observability.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { FALLBACK_FUNCTION, PROCESSOR_FUNCTION, TRACKING_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { TRACKING_ROUTES, WEBHOOK_PATH } from '../../lambdas/contracts/routes.ts';
import { DEFAULT_FALLBACK_SCHEDULE, FALLBACK_INTERVAL, type FallbackSchedule } from '../../lambdas/contracts/fallback-schedule.ts';
import { composeTrackingHandler } from '../../lambdas/tracking/compose.ts';
import { fallbackTimeBudget, intakeTimeBudget, processorTimeBudget, type ProcessorTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import {
  UNICO_API_DEFAULTS,
  type UnicoApiSettings,
  type UnicoContractName,
  type UnicoCredentialsSecret,
} from '../../lambdas/contracts/unico-api.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { startFallbackSchedule } from './fallback-schedule.ts';
import { DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS } from '../../lambdas/contracts/outcome-retries.ts';
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import { unicoFetcher } from '../../lambdas/adapters/unico/unico-fetcher.ts';
import { startUnicoSimulator } from '../unico-sim/serve/simulator.ts';
import { LocalInspector } from '../inspector/inspector.ts';
import { startEmulatorThread, type EmulatorThread, type RunningEmulator } from './emulators.ts';
import { startFunctionThreads } from './function-thread.ts';
import type { LocalIntakeConfig } from './intake-thread.ts';
import { FunctionInstances, PortInUseError, startLocalApi } from './local-api.ts';
import { assertEndpointsFileFree, unicoFormValue, writeOwnedEndpointsFile } from './endpoints-file.ts';
import { emulatorClientConfig, LOCAL_REGION, localClientOptions } from './local-clients.ts';
import { logLine, SinkLogger, type LineWriter, type LogFormat } from './log-output.ts';
import { startOAuth2Provider } from './oauth2-provider.ts';
import { ensureLocalResources } from './resources.ts';
import { FunctionTimeoutError } from './sqs-event-source.ts';
import { composeLocalFallback, startLocalProcessor } from './local-functions.ts';

// Where the tests and tools have always found them.
export { emulatorClientConfig, LOCAL_REGION } from './local-clients.ts';

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
  /** Whether the processor consumes the intake queue (RUN_PROCESSOR). @default true */
  readonly runProcessor?: boolean;
  /** The fallback runs this often, one run at a time (FALLBACK_INTERVAL_SECONDS). @default FALLBACK_INTERVAL.localSeconds */
  readonly fallbackIntervalSeconds?: number;
  /** When tracked processes are checked. @default LOCAL_FALLBACK_SCHEDULE */
  readonly fallbackSchedule?: FallbackSchedule;
  /** Real Unico (UNICO_SERVICE_ACCOUNT, ...): then no simulator runs and the processor calls Unico. */
  readonly realUnico?: RealUnico;
  /** How the functions log (LOG_FORMAT): Powertools' JSON as in AWS, or short lines. @default 'json' */
  readonly logFormat?: LogFormat;
  /** Where `text` lines go. @default stdout */
  readonly writeLine?: LineWriter;
}

/** Unico's API as the processor reaches it when the local stack runs against the real one. */
export interface RealUnico {
  readonly api: UnicoApiSettings;
  readonly credentials: UnicoCredentialsSecret;
}

/** The `source` of the results events the local stack publishes. */
export const LOCAL_EVENT_SOURCE = 'unico-webhook-local';

/** AWS's defaults, except that a journey-finished process is checked at the next local run. */
export const LOCAL_FALLBACK_SCHEDULE: FallbackSchedule = { ...DEFAULT_FALLBACK_SCHEDULE, journeyFinishedCheckSeconds: 0 };

/** The endpoints file (contract 4): everything a test or a consumer needs to talk to the stack. */
export interface LocalEndpoints {
  readonly webhookUrl: string;
  readonly trackingUrl: string | null;
  readonly auth: {
    readonly mode: AuthSpec['mode'];
    /** What to type in Unico's webhook form for this mode (`USER:PASS`, `HEADER:VALUE`, `VALUE`); `--auth` is `<mode>:<it>`. */
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
  readonly dynamodb: {
    readonly endpoint: string;
    readonly region: string;
    readonly tables: { readonly claims: string; readonly tracking: string };
  };
  readonly unicoSimulator: {
    readonly apiBaseUrl: string;
    readonly identityUrl: string;
    readonly adminUrl: string;
    /** The GetProcess contract it speaks: the shape a process registered through the admin API takes. */
    readonly contract: UnicoContractName;
  } | null;
  /** The processor, null when off (RUN_PROCESSOR=false): results events come at most unicoMaxRps a second. */
  readonly processor: { readonly unicoMaxRps: number } | null;
}

export interface RunningLocalStack {
  readonly endpoints: LocalEndpoints;
  stop(): Promise<void>;
}

/**
 * Starts the whole receiver on this machine: the emulators (on a thread of their own), tables
 * and queues shaped as in the CDK stack, the OAuth2 provider when asked for, the intake (on
 * threads of its own) behind the local API Gateway, Unico in a box, and the processor on the
 * intake queue. Threads, not processes: one signal stops it all.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    // A running stack's endpoints file is refused before anything starts (see endpoints-file.ts).
    if (options.endpointsFile !== null) await assertEndpointsFileFree(options.endpointsFile);
    // The emulators run on a thread of their own (see startEmulatorThread); external services are used as they are.
    const emulators: Partial<EmulatorThread> =
      options.dynamodbEndpoint !== undefined && options.sqsEndpoint !== undefined
        ? {}
        : await startEmulatorThread({
            ...(options.dynamodbEndpoint === undefined ? { dynamodbPort: options.dynamodbPort ?? 0 } : {}),
            ...(options.sqsEndpoint === undefined ? { sqsPort: options.sqsPort ?? 0 } : {}),
          });
    if (emulators.stop) stoppers.push(emulators.stop);
    const dynamodbEmulator = emulators.dynamodb ?? externalService(options.dynamodbEndpoint ?? '');
    const sqsEmulator = emulators.sqs ?? externalService(options.sqsEndpoint ?? '');

    // Tables and queues, created as in the CDK stack when missing (an unreachable external
    // service fails the start within the intake's own time limits).
    const clientOptions = localClientOptions(intakeTimeBudget(options.responseDeadlineMs));
    const dynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions });
    const sqs = new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...clientOptions });
    stoppers.push(async () => {
      dynamodb.destroy();
      sqs.destroy();
    });
    const resources = await ensureLocalResources(dynamodb, sqs, sqsEmulator.endpoint);

    const oauth2 =
      options.auth.mode === 'oauth2' ? await startOAuth2Provider({ audience: 'unico-webhooks' }) : undefined;
    if (oauth2) stoppers.push(oauth2.stop);

    const logFormat = options.logFormat ?? 'json';
    const writeLine = options.writeLine ?? ((line: string) => process.stdout.write(`${line}\n`));
    // The intake on threads of its own (see function-thread.ts), composed there as in AWS.
    const intakeConfig: LocalIntakeConfig = {
      auth: options.auth,
      ...(oauth2
        ? { oauth2: { issuer: oauth2.issuer, jwksUri: oauth2.jwksUri, audience: oauth2.audience, clientId: oauth2.clientId } }
        : {}),
      responseDeadlineMs: options.responseDeadlineMs,
      dynamodbEndpoint: dynamodbEmulator.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      claimsTableName: resources.claimsTableName,
      claimRetentionDays: 90,
      intakeQueueUrl: resources.intakeQueueUrl,
      logFormat,
    };
    const intake = await startFunctionThreads(new URL('./intake-thread.ts', import.meta.url), intakeConfig, writeLine);
    stoppers.push(intake.stop);
    // The local inspector's page at the API's root, fed by every delivery the API answers.
    const inspector = new LocalInspector(options.auth);
    // The tracking routes (contract 3), open on loopback: in AWS API Gateway authorises them with IAM.
    const trackingSchedule = options.fallbackSchedule ?? LOCAL_FALLBACK_SCHEDULE;
    const trackingDynamodb = new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions });
    stoppers.push(async () => trackingDynamodb.destroy());
    const tracking = new FunctionInstances(TRACKING_FUNCTION.serviceName, TRACKING_FUNCTION.timeoutSeconds * 1000, () =>
      composeTrackingHandler({
        dynamodb: trackingDynamodb,
        trackingTableName: resources.trackingTableName,
        schedule: trackingSchedule,
        logger:
          logFormat === 'json'
            ? new Logger({ serviceName: TRACKING_FUNCTION.serviceName })
            : new SinkLogger(TRACKING_FUNCTION.serviceName, (attributes) => writeLine(logLine(attributes))),
      }),
    );
    const routes = [
      { method: 'POST', path: WEBHOOK_PATH, target: intake },
      { method: 'PUT', path: TRACKING_ROUTES.process, target: tracking },
      { method: 'POST', path: TRACKING_ROUTES.journeyFinished, target: tracking },
      { method: 'GET', path: TRACKING_ROUTES.process, target: tracking },
    ];
    const api = await startLocalApi(routes, options.port, inspector.apiHooks).catch(
      (error: unknown) => {
        if (!(error instanceof PortInUseError)) throw error;
        throw new ConfigurationError('the local stack cannot start', [
          `PORT: ${error.port} is already in use on 127.0.0.1 (another npm start?); set PORT to a free port, or PORT=0 to have one picked`,
        ]);
      },
    );
    stoppers.push(api.stop, async () => inspector.stop());
    const webhookUrl = `${api.url}${WEBHOOK_PATH}`;

    // Unico in a box, unless real Unico settings are given: GetProcess for the processor, and
    // webhooks to this receiver as Unico sends them.
    const simulator = options.realUnico
      ? undefined
      : await startUnicoSimulator({
          contract: options.unicoContract ?? UNICO_API_DEFAULTS.contract,
          receiverUrl: webhookUrl,
          receiverAuth: options.auth,
          ...(oauth2
            ? { receiverOAuth2: { tokenUrl: oauth2.tokenUrl, clientId: oauth2.clientId, clientSecret: oauth2.clientSecret } }
            : {}),
        });
    if (simulator) stoppers.push(simulator.stop);
    const unico: RealUnico & { readonly tokenUrl?: string } = simulator
      ? {
          api: {
            contract: simulator.contract,
            apiBaseUrl: simulator.apiBaseUrl,
            identityUrl: simulator.identityUrl,
            serviceAccount: simulator.serviceAccount,
            maxRequestsPerSecond: options.unicoMaxRps ?? UNICO_API_DEFAULTS.maxRequestsPerSecond,
          },
          credentials: { privateKey: simulator.privateKeyPem, apiKey: simulator.apiKey },
          tokenUrl: simulator.tokenUrl,
        }
      : (options.realUnico as RealUnico);

    /** A function's logger, in the local stack's log format. */
    const functionLogger = (serviceName: string): Logger =>
      logFormat === 'json'
        ? new Logger({ serviceName })
        : new SinkLogger(serviceName, (attributes) => writeLine(logLine(attributes)));
    /** A function's own clients, with its time limits (not the intake's deadline); destroyed on stop. */
    const functionClients = (awsCalls: ProcessorTimeBudget['awsCalls']) => {
      const clientOptions = awsClientOptions(awsCalls);
      const clients = {
        dynamodb: new DynamoDBClient({ ...emulatorClientConfig(dynamodbEmulator), ...clientOptions }),
        sqs: new SQSClient({ ...emulatorClientConfig(sqsEmulator), ...clientOptions }),
      };
      stoppers.push(async () => {
        clients.dynamodb.destroy();
        clients.sqs.destroy();
      });
      return clients;
    };
    /** GetProcess for a function: the local (or real) Unico, within the budget in the claims table. */
    const localUnicoFetcher = (dynamodb: DynamoDBClient, logger: Logger) =>
      unicoFetcher({
        api: unico.api,
        ...(unico.tokenUrl ? { tokenUrl: unico.tokenUrl } : {}),
        credentials: async () => unico.credentials,
        dynamodb,
        claimsTableName: resources.claimsTableName,
        onCredentialsUnusable: (reason) => logger.error('Unico credentials are not usable', { reason, unicoCredentials: 'unusable' }),
      });

    // The processor, fed from the intake queue as Lambda's event source mapping feeds it; without
    // it (RUN_PROCESSOR=false) the intake queue keeps its messages for a consumer of one's own.
    if (options.runProcessor !== false) {
      const processorLogger = functionLogger(PROCESSOR_FUNCTION.serviceName);
      const processorTime = processorTimeBudget(PROCESSOR_FUNCTION.timeoutSeconds);
      const { dynamodb: processorDynamodb, sqs: processorSqs } = functionClients(processorTime.awsCalls);
      inspector.trail.watch(processorSqs, { intakeQueueUrl: resources.intakeQueueUrl, resultsQueueUrl: resources.resultsQueueUrl });
      const eventSource = await startLocalProcessor({
        dynamodb: processorDynamodb,
        sqs: processorSqs,
        resources,
        eventSource: LOCAL_EVENT_SOURCE,
        outcomeRetryPeriodSeconds: DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS,
        time: processorTime,
        fetcher: localUnicoFetcher(processorDynamodb, processorLogger),
        logger: processorLogger,
        // No CloudWatch here: EMF lines would only clutter the console.
        observability: noObservability,
        // A timeout reads as Lambda's own line: "Task timed out after 30.00 seconds".
        onHandlerError: (error) =>
          error instanceof FunctionTimeoutError
            ? processorLogger.error(error.message, { messageIds: error.messageIds })
            : processorLogger.error('processor batch failed', { error: error instanceof Error ? error.name : String(error) }),
      });
      stoppers.push(eventSource.stop);
    }

    // The fallback, on the local schedule (FALLBACK_INTERVAL_SECONDS), one run at a time as a
    // reserved concurrency of 1 keeps it in AWS; its own clients with its time limits.
    const fallbackLogger = functionLogger(FALLBACK_FUNCTION.serviceName);
    const fallbackTime = fallbackTimeBudget(FALLBACK_FUNCTION.timeoutSeconds);
    const { dynamodb: fallbackDynamodb, sqs: fallbackSqs } = functionClients(fallbackTime.awsCalls);
    const fallback = startFallbackSchedule({
      handler: composeLocalFallback({
        dynamodb: fallbackDynamodb,
        sqs: fallbackSqs,
        resources,
        fetcher: localUnicoFetcher(fallbackDynamodb, fallbackLogger),
        schedule: trackingSchedule,
        time: fallbackTime,
        logger: fallbackLogger,
        observability: noObservability,
      }),
      functionName: FALLBACK_FUNCTION.serviceName,
      intervalMs: (options.fallbackIntervalSeconds ?? FALLBACK_INTERVAL.localSeconds) * 1000,
      functionTimeoutMs: FALLBACK_FUNCTION.timeoutSeconds * 1000,
      onError: (error) => fallbackLogger.error('fallback run failed', { error: error instanceof Error ? error.name : String(error) }),
    });
    stoppers.push(fallback.stop);

    const endpoints: LocalEndpoints = {
      webhookUrl,
      trackingUrl: `${api.url}${TRACKING_ROUTES.process.replace('/{processId}', '')}`,
      auth: {
        mode: options.auth.mode,
        unico: unicoFormValue(options.auth),
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
        tables: { claims: resources.claimsTableName, tracking: resources.trackingTableName },
      },
      unicoSimulator: simulator
        ? { apiBaseUrl: simulator.apiBaseUrl, identityUrl: simulator.identityUrl, adminUrl: simulator.adminUrl, contract: simulator.contract }
        : null,
      processor: options.runProcessor === false ? null : { unicoMaxRps: unico.api.maxRequestsPerSecond },
    };
    if (options.endpointsFile !== null) {
      const written = await writeOwnedEndpointsFile(options.endpointsFile, endpoints);
      stoppers.unshift(written.release);
    }
    inspector.connect({ endpoints, sqs, dynamodb });
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
