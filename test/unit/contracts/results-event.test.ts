import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse, safeParse } from 'valibot';
import { eventTypeFor, resultsEventSchema, type ResultsEvent } from '../../../lambdas/contracts/results-event.ts';
import { RESULTS_EVENT_SCHEMA_FILE, resultsEventJsonSchema, resultsEventSchemaText } from '../../../tools/results-event-schema.ts';

const event: ResultsEvent = {
  specversion: '1.0',
  id: '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11:PROCESS_STATE_FINISHED',
  source: 'UnicoWebhook-prod',
  type: 'io.unico.idcloud.process.finished',
  subject: '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11',
  time: '2026-11-26T10:00:00.000Z',
  datacontenttype: 'application/json',
  data: {
    processId: '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11',
    state: 'PROCESS_STATE_FINISHED',
    flow: 'id',
    detectedBy: 'webhook',
    receivedAt: '2026-11-26T10:00:00.000Z',
    outcome: { contract: 'api', fetchedAt: '2026-11-26T10:00:01.000Z', process: { id: 'x', status: 3, unknownField: true } },
  },
};

describe('results event contract', () => {
  test('docs/results-event.schema.json is what the schema generates (npm run schema rewrites it)', () => {
    expect(readFileSync(RESULTS_EVENT_SCHEMA_FILE, 'utf8')).toBe(resultsEventSchemaText());
  });

  test('the JSON Schema requires the CloudEvents attributes and the data fields consumers rely on', () => {
    const schema = resultsEventJsonSchema() as { required: string[]; properties: { data: { required: string[] } } };

    expect(schema.required).toEqual(
      expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data']),
    );
    expect(schema.properties.data.required).toEqual(
      expect.arrayContaining(['processId', 'state', 'flow', 'detectedBy', 'receivedAt', 'outcome']),
    );
  });

  test('an event with an outcome of either contract, or none, is valid; unknown fields in the outcome pass through', () => {
    expect(safeParse(resultsEventSchema, event).success).toBe(true);
    expect(safeParse(resultsEventSchema, { ...event, data: { ...event.data, outcome: null } }).success).toBe(true);
    expect(parse(resultsEventSchema, event).data.outcome?.process).toEqual({ id: 'x', status: 3, unknownField: true });
  });

  test('an event without its outcome field, or with another type, is not', () => {
    const { outcome: _outcome, ...withoutOutcome } = event.data;
    expect(safeParse(resultsEventSchema, { ...event, data: withoutOutcome }).success).toBe(false);
    expect(safeParse(resultsEventSchema, { ...event, type: 'io.unico.other' }).success).toBe(false);
  });

  test('finished processes are "finished" events; every other state is a state change', () => {
    expect(eventTypeFor('PROCESS_STATE_FINISHED')).toBe('io.unico.idcloud.process.finished');
    expect(eventTypeFor('PROCESS_STATE_EXPIRED')).toBe('io.unico.idcloud.process.state-changed');
  });
});
