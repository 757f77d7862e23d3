import { z } from 'zod';
import { InvalidAuthSpecError, parseAuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { integerIn, readEnvironment } from '../../lambdas/core/environment.ts';
import type { LocalStackOptions } from './local-stack.ts';

const serviceEndpoint = z
  .string()
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), 'must be an http(s) URL, e.g. http://127.0.0.1:8000')
  .transform((text) => text.replace(/\/+$/, ''));

/** `npm start`'s settings (contract 4), read from the environment once. */
const localEnvironment = z.object({
  PORT: integerIn(0, 65_535, 3000),
  // The local stack runs on loopback for development, so an open endpoint is the convenient default.
  WEBHOOK_AUTH: z
    .string()
    .default('none')
    .transform((text, context) => {
      try {
        return parseAuthSpec(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof InvalidAuthSpecError ? error.message : 'invalid' });
        return z.NEVER;
      }
    }),
  RESPONSE_DEADLINE_SECONDS: integerIn(1, 30, 5),
  LOCAL_ENDPOINTS_FILE: z.string().min(1).default('.local/endpoints.json'),
  // An external service (DynamoDB Local, LocalStack, another local stack's emulators) instead of
  // the in-process emulator; its table or queues are created when missing and reused when present.
  DYNAMODB_ENDPOINT: serviceEndpoint.optional(),
  SQS_ENDPOINT: serviceEndpoint.optional(),
});

export function loadLocalStackOptions(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  const raw = readEnvironment(localEnvironment, env);
  return {
    port: raw.PORT,
    auth: raw.WEBHOOK_AUTH,
    responseDeadlineMs: raw.RESPONSE_DEADLINE_SECONDS * 1000,
    endpointsFile: raw.LOCAL_ENDPOINTS_FILE,
    ...(raw.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: raw.DYNAMODB_ENDPOINT } : {}),
    ...(raw.SQS_ENDPOINT ? { sqsEndpoint: raw.SQS_ENDPOINT } : {}),
  };
}
