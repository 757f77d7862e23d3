import { describe, expect, test } from '@jest/globals';
import { ProcessStore } from '../../../../../tools/unico-sim/serve/process-store.ts';

const ID = '8263a268-5388-492a-bca2-28e1ff4a69f0';
const NOW = new Date('2027-03-01T12:00:00.000Z');

describe('ProcessStore', () => {
  test('stores a process as given, by lower-cased id, and a copy of it', () => {
    const store = new ProcessStore('web-sdk');
    const process = { id: ID, state: 'PROCESS_STATE_CREATED', nested: { a: 1 } };
    store.put(ID.toUpperCase(), process);
    process.nested.a = 2;

    expect(store.get(ID)).toEqual({ kind: 'found', process: { id: ID, state: 'PROCESS_STATE_CREATED', nested: { a: 1 } } });
  });

  test('unknown, then removed (GetProcess 410), then put again', () => {
    const store = new ProcessStore('web-sdk');
    expect(store.get(ID)).toEqual({ kind: 'unknown' });
    expect(store.remove(ID)).toBe(false);
    store.put(ID, { id: ID });
    expect(store.remove(ID)).toBe(true);
    expect(store.get(ID)).toEqual({ kind: 'removed' });
    store.put(ID, { id: ID });
    expect(store.get(ID).kind).toBe('found');
  });

  test('Web & SDK finish: state FINISHED, result and finishedAt kept when set, added when not', () => {
    const store = new ProcessStore('web-sdk');
    store.put(ID, { id: ID, flow: 'idtoken', state: 'PROCESS_STATE_CREATED', result: 'PROCESS_RESULT_INVALID_IDENTITY' });

    expect(store.finish(ID, NOW)).toEqual({
      id: ID, flow: 'idtoken', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_INVALID_IDENTITY', finishedAt: NOW.toISOString(),
    });
  });

  test('an unknown process is created finished, with made-up data', () => {
    const store = new ProcessStore('web-sdk');
    const process = store.finish(ID, NOW);
    expect(process).toMatchObject({ id: ID, flow: 'id', state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK', finishedAt: NOW.toISOString() });
    expect(store.get(ID)).toEqual({ kind: 'found', process });
  });

  test('API contract finish: status 3 unless already final', () => {
    const store = new ProcessStore('api');
    store.put(ID, { id: ID, status: 1 });
    expect(store.finish(ID, NOW)).toEqual({ id: ID, status: 3 });
    store.put(ID, { id: ID, status: 5 });
    expect(store.finish(ID, NOW)).toEqual({ id: ID, status: 5 });
    expect(new ProcessStore('api').finish(ID, NOW)).toMatchObject({ id: ID, status: 3 });
  });

  test('the webhook: processId, state and flow from the process; lastEvent and its description when there', () => {
    const store = new ProcessStore('web-sdk');
    store.put(ID, { id: ID, flow: 'idunicosign', state: 'PROCESS_STATE_FINISHED', lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: 'Session ended' });

    expect(store.webhookFor(ID)).toEqual({
      processId: ID, state: 'PROCESS_STATE_FINISHED', flow: 'idunicosign', lastEvent: 'EVENT_TYPE_SESSION_ENDED', lastEventDescription: 'Session ended',
    });
  });

  test('the webhook without a readable state or flow: FINISHED and "id"; overrides win', () => {
    const store = new ProcessStore('web-sdk');
    store.put(ID, { id: ID, state: 42, flow: 'not a flow!' });

    expect(store.webhookFor(ID)).toEqual({ processId: ID, state: 'PROCESS_STATE_FINISHED', flow: 'id' });
    expect(store.webhookFor(ID, { state: 'PROCESS_STATE_SOMETHING_NEW', lastEvent: 'EVENT_TYPE_QR_CODE_READ' })).toEqual({
      processId: ID, state: 'PROCESS_STATE_SOMETHING_NEW', flow: 'id', lastEvent: 'EVENT_TYPE_QR_CODE_READ',
    });
    expect(store.webhookFor('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  test('API contract webhook: a final status is FINISHED, a running one CREATED', () => {
    const store = new ProcessStore('api');
    store.put(ID, { id: ID, status: 4 });
    expect(store.webhookFor(ID)?.state).toBe('PROCESS_STATE_FINISHED');
    store.put(ID, { id: ID, status: 1 });
    expect(store.webhookFor(ID)?.state).toBe('PROCESS_STATE_CREATED');
  });
});
