import { z } from 'zod';
import { InvalidAuthSpecError, parseAuthSpec } from '../../lambdas/shared/auth/notation.ts';
import { integerIn, readEnvironment } from '../../lambdas/shared/environment.ts';
import type { LocalStackOptions } from './local-stack.ts';

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
});

export function loadLocalStackOptions(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  const raw = readEnvironment(localEnvironment, env);
  return {
    port: raw.PORT,
    auth: raw.WEBHOOK_AUTH,
    responseDeadlineMs: raw.RESPONSE_DEADLINE_SECONDS * 1000,
    endpointsFile: raw.LOCAL_ENDPOINTS_FILE,
  };
}
