/**
 * The shapes of setting values, one definition each, for every place that reads settings: the
 * Lambda's environment, `npm start`'s environment and the CDK context. Environment variables and
 * `-c key=value` arrive as text; cdk.json may hold real numbers, booleans and arrays.
 *
 * Built on valibot: every schema and check is a function of its own, so a Lambda bundle carries
 * only the few it uses, and each cold start parses and compiles that much less.
 */
import * as v from 'valibot';

/** Text that must be there and not be empty (a name, an ARN, a file). */
export const requiredSetting = v.pipe(v.string('required'), v.minLength(1, 'required'));

/** An integer from `min` to `max`, given as a number or as text of digits. */
export const integerSetting = (min: number, max: number) => {
  const allowed = `must be an integer from ${min} to ${max}`;
  return v.pipe(
    v.unknown(),
    v.transform((value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value)),
    v.number(allowed),
    // One check, so that a value wrong in two ways (-1.5) is still one line.
    v.check((value) => Number.isSafeInteger(value) && value >= min && value <= max, allowed),
  );
};

/** true or false, given as a boolean or as the text "true" / "false". */
export const booleanSetting = v.pipe(
  v.union([v.boolean(), v.picklist(['true', 'false'])], 'must be true or false'),
  v.transform((value) => value === true || value === 'true'),
);

/** An http or https URL (whether http is allowed is decided by the rule that uses it). */
export const httpUrlSetting = (example: string) => {
  const allowed = `must be an http(s) URL, e.g. ${example}`;
  return v.pipe(v.string(allowed), v.check(isHttpUrl, allowed));
};

/** A whole number from `min` to `max`, both included (NaN and fractions are not). */
export function isWholeNumberIn(value: number, min: number, max = Number.POSITIVE_INFINITY): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'https:' || protocol === 'http:';
}

/**
 * A list, given as comma-separated text or as an array of strings; blank items are dropped.
 * Absent gives []. Whether an item may hold spaces is decided by the rule that uses it.
 */
export const listSetting = v.pipe(
  v.optional(v.union([v.string(), v.array(v.string())], 'must be a comma-separated list')),
  v.transform((value) =>
    (value === undefined ? [] : Array.isArray(value) ? value : value.split(','))
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);
