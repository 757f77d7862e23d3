import * as z from 'zod/mini';
import { InvalidAuthSpecError, parseAuthSpec, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { booleanSetting, httpUrlSetting, integerSetting } from '../../lambdas/contracts/settings.ts';
import { UNICO_API_DEFAULTS, UNICO_CONTRACTS } from '../../lambdas/contracts/unico-api.ts';
import { readSettings } from '../../lambdas/core/environment.ts';
import type { LocalStackOptions } from './local-stack.ts';
import { LOG_FORMATS } from './log-output.ts';

/** An external service's endpoint, without a trailing slash. */
const serviceEndpoint = z.optional(
  z.pipe(
    httpUrlSetting('http://127.0.0.1:8000'),
    z.transform((text) => text.replace(/\/+$/, '')),
  ),
);

/** Unico's notation, read with the same parser the simulator uses; its message never repeats a secret. */
const authSpec = z.pipe(
  z._default(z.string(), 'none'),
  z.transform((text, context): AuthSpec => {
    try {
      return parseAuthSpec(text);
    } catch (error) {
      context.issues.push({ code: 'custom', input: text, message: error instanceof InvalidAuthSpecError ? error.message : 'invalid' });
      return { mode: 'none' };
    }
  }),
);

/** `npm start`'s settings (contract 4), read from the environment once. */
const LOCAL_SETTINGS = {
  PORT: z._default(integerSetting(0, 65_535), 3000),
  // The local stack runs on loopback for development, so an open endpoint is the convenient default.
  WEBHOOK_AUTH: authSpec,
  RESPONSE_DEADLINE_SECONDS: z._default(integerSetting(1, 30), 5),
  LOCAL_ENDPOINTS_FILE: z._default(z.string().check(z.minLength(1)), '.local/endpoints.json'),
  // An external service (DynamoDB Local, LocalStack, another local stack's emulators) instead of
  // the in-process emulator; its table or queues are created when missing and reused when present.
  DYNAMODB_ENDPOINT: serviceEndpoint,
  SQS_ENDPOINT: serviceEndpoint,
  // The local Unico's GetProcess contract, and the processor's budget of calls to it.
  UNICO_CONTRACT: z._default(z.enum(UNICO_CONTRACTS, { error: `must be one of ${UNICO_CONTRACTS.join(', ')}` }), UNICO_API_DEFAULTS.contract),
  UNICO_MAX_RPS: z._default(integerSetting(1, 1000), UNICO_API_DEFAULTS.maxRequestsPerSecond),
  // false: no processor; the intake queue keeps its messages (for a consumer of one's own, or tests).
  RUN_PROCESSOR: z._default(booleanSetting, true),
  // text: one short line per delivery; json: Powertools' JSON as in AWS. Unset: text on a terminal.
  LOG_FORMAT: z.optional(z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` })),
};

/** `stdoutIsTerminal` decides the log format when LOG_FORMAT is not set. */
export function loadLocalStackOptions(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTerminal = process.stdout.isTTY === true,
): LocalStackOptions {
  const values = readSettings(LOCAL_SETTINGS, env);
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
    logFormat: values.LOG_FORMAT ?? (stdoutIsTerminal ? 'text' : 'json'),
  };
}
