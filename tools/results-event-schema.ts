/**
 * `npm run schema`: writes docs/results-event.schema.json, the JSON Schema of the results event
 * (contract 2), from the schema the processor itself uses. A unit test fails when the committed
 * file and the schema differ, so the two cannot drift.
 */
import { writeFileSync } from 'node:fs';
import { toJsonSchema } from '@valibot/to-json-schema';
import { resultsEventSchema } from '../lambdas/contracts/results-event.ts';

export const RESULTS_EVENT_SCHEMA_FILE = new URL('../docs/results-event.schema.json', import.meta.url);

/** The JSON Schema of the event, as published in docs/results-event.schema.json. */
export function resultsEventJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = toJsonSchema(resultsEventSchema, {
    target: 'draft-2020-12',
    // v.object drops the keys it does not know: an event as parsed, or as the processor builds
    // it, has no others, and consumers may rely on that.
    overrideSchema: ({ valibotSchema, jsonSchema }) =>
      valibotSchema.type === 'object' ? { ...jsonSchema, additionalProperties: false } : undefined,
  });
  return { $schema, ...schema, title: 'Unico IDCloud process event (CloudEvents 1.0, structured JSON)' };
}

export function resultsEventSchemaText(): string {
  return `${JSON.stringify(resultsEventJsonSchema(), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(RESULTS_EVENT_SCHEMA_FILE, resultsEventSchemaText());
  process.stdout.write(`wrote ${RESULTS_EVENT_SCHEMA_FILE.pathname}\n`);
}
