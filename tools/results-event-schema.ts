/**
 * `npm run schema`: writes docs/results-event.schema.json, the JSON Schema of the results event
 * (contract 2), from the schema the processor itself uses. A unit test fails when the committed
 * file and the schema differ, so the two cannot drift.
 */
import { writeFileSync } from 'node:fs';
import { resultsEventJsonSchema } from '../lambdas/contracts/results-event.ts';

export const RESULTS_EVENT_SCHEMA_FILE = new URL('../docs/results-event.schema.json', import.meta.url);

export function resultsEventSchemaText(): string {
  return `${JSON.stringify(resultsEventJsonSchema(), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(RESULTS_EVENT_SCHEMA_FILE, resultsEventSchemaText());
  process.stdout.write(`wrote ${RESULTS_EVENT_SCHEMA_FILE.pathname}\n`);
}
