/**
 * The shapes of setting values, one definition each, for every place that reads settings: the
 * Lambda's environment, `npm start`'s environment and the CDK context. Environment variables and
 * `-c key=value` arrive as text; cdk.json may hold real numbers, booleans and arrays.
 *
 * Built on zod/mini: it is what the Lambda bundles, and classic zod would add its locales and
 * JSON-schema code to every cold start.
 */
import * as z from 'zod/mini';

/** Text that must be there and not be empty (a name, an ARN, a file). */
export const requiredSetting = z.string().check(z.minLength(1, { error: 'required' }));

/** An integer from `min` to `max`, given as a number or as text of digits. */
export const integerSetting = (min: number, max: number) => {
  const allowed = `must be an integer from ${min} to ${max}`;
  return z.pipe(
    z.transform((value: unknown) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value)),
    z.int({ error: allowed }).check(z.minimum(min, { error: allowed }), z.maximum(max, { error: allowed })),
  );
};

/** true or false, given as a boolean or as the text "true" / "false". */
export const booleanSetting = z.pipe(
  z.union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' }),
  z.transform((value) => value === true || value === 'true'),
);

/** An http or https URL (whether http is allowed is decided by the rule that uses it). */
export const httpUrlSetting = (example: string) =>
  z.string().check(z.refine((text) => isHttpUrl(text), { error: `must be an http(s) URL, e.g. ${example}` }));

export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'https:' || protocol === 'http:';
}

/**
 * A list, given as comma-separated text or as an array of strings; blank items are dropped.
 * Absent gives []. Whether an item may hold spaces is decided by the rule that uses it.
 */
export const listSetting = z.pipe(
  z.optional(z.union([z.string(), z.array(z.string())], { error: 'must be a comma-separated list' })),
  z.transform((value) =>
    (value === undefined ? [] : Array.isArray(value) ? value : value.split(','))
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);
