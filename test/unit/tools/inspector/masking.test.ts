import { describe, expect, test } from '@jest/globals';
import { MASK, maskHeaders, maskPersonalData } from '../../../../tools/inspector/masking.ts';

describe('maskHeaders', () => {
  test('masks the Authorization value and keeps its scheme', () => {
    const masked = maskHeaders({ authorization: 'Basic dTpw', 'content-type': 'application/json' }, { mode: 'basic', username: 'u', password: 'p' });

    expect(masked).toEqual({ authorization: `Basic ${MASK}`, 'content-type': 'application/json' });
  });

  test('masks a bare Authorization value (apikey:VALUE) whole', () => {
    expect(maskHeaders({ authorization: 'secret-value' }, { mode: 'apikey', header: 'Authorization', value: 'secret-value' })).toEqual({ authorization: MASK });
  });

  test("masks the apikey mode's own header, whatever its name", () => {
    const masked = maskHeaders({ 'x-partner': 'abc', accept: '*/*' }, { mode: 'apikey', header: 'X-Partner', value: 'abc' });

    expect(masked).toEqual({ 'x-partner': MASK, accept: '*/*' });
  });

  test('masks credential-looking headers even when the mode is none', () => {
    const masked = maskHeaders({ 'x-api-key': 'k', cookie: 'session=1', 'x-auth-token': 't', 'user-agent': 'unico' }, { mode: 'none' });

    expect(masked).toEqual({ 'x-api-key': MASK, cookie: MASK, 'x-auth-token': MASK, 'user-agent': 'unico' });
  });
});

describe('maskPersonalData', () => {
  test('keeps what happened to the process and masks who the person is, at any depth', () => {
    const process = {
      id: 'p1',
      state: 'PROCESS_STATE_FINISHED',
      result: 'PROCESS_RESULT_OK',
      finishedAt: '2026-01-01T00:00:00Z',
      person: { duiValue: '00000000191', friendlyName: 'Maria' },
      capacities: ['CAPACITY_IDUNICO'],
      unicoId: { result: 'yes' },
      score: 90,
      email: null,
    };

    expect(maskPersonalData(process)).toEqual({
      id: 'p1',
      state: 'PROCESS_STATE_FINISHED',
      result: 'PROCESS_RESULT_OK',
      finishedAt: '2026-01-01T00:00:00Z',
      person: { duiValue: MASK, friendlyName: MASK },
      capacities: [MASK],
      unicoId: { result: 'yes' },
      score: MASK,
      email: null,
    });
  });
});
