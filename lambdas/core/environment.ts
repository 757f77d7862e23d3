import * as v from 'valibot';
import { ConfigurationError } from './errors.ts';

/** One schema per setting, keyed by the name it is read under (an environment variable). */
export type SettingSchemas = Readonly<Record<string, v.GenericSchema>>;
export type SettingValues<S extends SettingSchemas> = { -readonly [K in keyof S]: v.InferOutput<S[K]> };

/**
 * Reads settings once, at start. Each setting is checked on its own, then `rules` (checks across
 * settings) run on those that passed, so one bad value never hides another: a start stops with
 * every problem at once, one line each, never with an empty-string default.
 */
export function readSettings<S extends SettingSchemas>(
  schemas: S,
  source: Readonly<Record<string, unknown>> = process.env,
  rules: (values: Partial<SettingValues<S>>) => string[] = () => [],
): SettingValues<S> {
  const values: Partial<SettingValues<S>> = {};
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(schemas) as Array<[keyof S & string, v.GenericSchema]>) {
    const parsed = v.safeParse(schema, source[name]);
    if (parsed.success) {
      values[name] = parsed.output as SettingValues<S>[typeof name];
    } else {
      problems.push(
        ...parsed.issues.map((issue) => {
          const inside = v.getDotPath(issue);
          return `${inside ? `${name}.${inside}` : name}: ${issue.message}`;
        }),
      );
    }
  }
  problems.push(...rules(values));
  if (problems.length > 0) throw new ConfigurationError('invalid configuration', problems);
  return values as SettingValues<S>;
}
