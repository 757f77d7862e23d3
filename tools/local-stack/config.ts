import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { InvalidAuthSpecError, parseAuthSpec, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { booleanSetting, httpUrlSetting, integerSetting, requiredSetting } from '../../lambdas/contracts/settings.ts';
import { UNICO_API_DEFAULTS, UNICO_CONTRACTS } from '../../lambdas/contracts/unico-api.ts';
import { FALLBACK_INTERVAL } from '../../lambdas/contracts/fallback-schedule.ts';
import { readSettings, type SettingValues } from '../../lambdas/core/environment.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { LocalStackOptions, RealUnico } from './local-stack.ts';
import { LOG_FORMATS } from './log-output.ts';

/** An external service's endpoint, without a trailing slash. */
const serviceEndpoint = v.optional(
  v.pipe(
    httpUrlSetting('http://127.0.0.1:8000'),
    v.transform((text) => text.replace(/\/+$/, '')),
  ),
);

/** Unico's notation, read with the same parser the simulator uses; its message never repeats a secret. */
const authSpec = v.pipe(
  v.optional(v.string(), 'none'),
  v.rawTransform(({ dataset, addIssue, NEVER }): AuthSpec => {
    try {
      return parseAuthSpec(dataset.value);
    } catch (error) {
      addIssue({ message: error instanceof InvalidAuthSpecError ? error.message : 'invalid' });
      return NEVER;
    }
  }),
);

/** `npm start`'s settings (contract 4), read from the environment once. */
const LOCAL_SETTINGS = {
  PORT: v.optional(integerSetting(0, 65_535), 3000),
  // The local stack runs on loopback for development, so an open endpoint is the convenient default.
  WEBHOOK_AUTH: authSpec,
  RESPONSE_DEADLINE_SECONDS: v.optional(integerSetting(1, 30), 5),
  LOCAL_ENDPOINTS_FILE: v.optional(requiredSetting, '.local/endpoints.json'),
  // An external service (DynamoDB Local, LocalStack, another local stack's emulators) instead of
  // the in-process emulator; its table or queues are created when missing and reused when present.
  DYNAMODB_ENDPOINT: serviceEndpoint,
  SQS_ENDPOINT: serviceEndpoint,
  // The local Unico's GetProcess contract, and the processor's budget of calls to it.
  UNICO_CONTRACT: v.optional(v.picklist(UNICO_CONTRACTS, `must be one of ${UNICO_CONTRACTS.join(', ')}`), UNICO_API_DEFAULTS.contract),
  UNICO_MAX_RPS: v.optional(integerSetting(1, 1000), UNICO_API_DEFAULTS.maxRequestsPerSecond),
  // Real Unico instead of the simulator: a service account and its private key (a PEM file), and
  // for the API contract its API key. URLs default to Unico's production ones.
  UNICO_SERVICE_ACCOUNT: v.optional(v.pipe(v.string(), v.regex(/^[^@\s]+@[^@\s]+$/, 'must look like <name>@<tenant>.iam.acesso.io'))),
  UNICO_PRIVATE_KEY_FILE: v.optional(requiredSetting),
  UNICO_API_KEY: v.optional(requiredSetting),
  UNICO_API_BASE_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.apiBaseUrl['web-sdk'])),
  UNICO_IDENTITY_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.identityUrl)),
  // The local schedule's period: the fallback runs this often (EventBridge's rule in AWS: every minute).
  FALLBACK_INTERVAL_SECONDS: v.optional(integerSetting(1, 3600), FALLBACK_INTERVAL.localSeconds),
  // false: no processor; the intake queue keeps its messages (for a consumer of one's own, or tests).
  RUN_PROCESSOR: v.optional(booleanSetting, true),
  // text: one short line per delivery; json: Powertools' JSON as in AWS. Unset: text on a terminal.
  LOG_FORMAT: v.optional(v.picklist(LOG_FORMATS, `must be one of ${LOG_FORMATS.join(', ')}`)),
};

/** `stdoutIsTerminal` decides the log format when LOG_FORMAT is not set. */
export function loadLocalStackOptions(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTerminal = process.stdout.isTTY === true,
): LocalStackOptions {
  const values = readSettings(LOCAL_SETTINGS, env, (partial) => {
    const real = partial.UNICO_SERVICE_ACCOUNT !== undefined;
    const problems: string[] = [];
    if (real && partial.UNICO_PRIVATE_KEY_FILE === undefined) {
      problems.push('UNICO_PRIVATE_KEY_FILE: required with UNICO_SERVICE_ACCOUNT (the service account\'s private key, PEM)');
    }
    if (real && partial.UNICO_CONTRACT === 'api' && partial.UNICO_API_KEY === undefined) {
      problems.push('UNICO_API_KEY: required with UNICO_SERVICE_ACCOUNT and UNICO_CONTRACT=api');
    }
    if (partial.UNICO_PRIVATE_KEY_FILE !== undefined && !real) {
      problems.push('UNICO_PRIVATE_KEY_FILE: applies only with UNICO_SERVICE_ACCOUNT; set it or remove this one');
    }
    return problems;
  });
  const realUnico = values.UNICO_SERVICE_ACCOUNT === undefined ? undefined : realUnicoFrom(values, values.UNICO_SERVICE_ACCOUNT);
  return {
    port: values.PORT,
    auth: values.WEBHOOK_AUTH,
    responseDeadlineMs: values.RESPONSE_DEADLINE_SECONDS * 1000,
    endpointsFile: values.LOCAL_ENDPOINTS_FILE,
    ...(values.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: values.DYNAMODB_ENDPOINT } : {}),
    ...(values.SQS_ENDPOINT ? { sqsEndpoint: values.SQS_ENDPOINT } : {}),
    unicoContract: values.UNICO_CONTRACT,
    unicoMaxRps: values.UNICO_MAX_RPS,
    runProcessor: values.RUN_PROCESSOR,
    fallbackIntervalSeconds: values.FALLBACK_INTERVAL_SECONDS,
    ...(realUnico ? { realUnico } : {}),
    logFormat: values.LOG_FORMAT ?? (stdoutIsTerminal ? 'text' : 'json'),
  };
}

function realUnicoFrom(values: SettingValues<typeof LOCAL_SETTINGS>, serviceAccount: string): RealUnico {
  const keyFile = values.UNICO_PRIVATE_KEY_FILE ?? '';
  let privateKeyPem: string;
  try {
    privateKeyPem = readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw new ConfigurationError('invalid configuration', [
      `UNICO_PRIVATE_KEY_FILE: cannot be read (${typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error'})`,
    ]);
  }
  const contract = values.UNICO_CONTRACT;
  return {
    api: {
      contract,
      apiBaseUrl: values.UNICO_API_BASE_URL ?? UNICO_API_DEFAULTS.apiBaseUrl[contract],
      identityUrl: values.UNICO_IDENTITY_URL ?? UNICO_API_DEFAULTS.identityUrl,
      serviceAccount,
      maxRequestsPerSecond: values.UNICO_MAX_RPS,
    },
    credentials: { privateKey: privateKeyPem, ...(values.UNICO_API_KEY ? { apiKey: values.UNICO_API_KEY } : {}) },
  };
}
