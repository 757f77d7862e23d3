import { z } from 'zod';
import { ConfigurationError } from './errors.ts';

/**
 * Reads configuration from environment variables once, at start, with a schema. A missing or
 * bad value stops the start with one line per problem, never an empty-string default.
 */
export function readEnvironment<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.output<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigurationError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** A comma-separated list; empty or absent gives []. */
export const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

export const integerIn = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
