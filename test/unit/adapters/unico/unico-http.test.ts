import { describe, expect, test } from '@jest/globals';
import { anySignal, parseObject, transientCodeFor, unicoErrorCodeOf, withCode } from '../../../../lambdas/adapters/unico/unico-http.ts';

describe('Unico\'s error code in an error answer', () => {
  test.each([
    ['{"error":"invalid_grant","error_description":"the assertion of svc@tenant expired"}', 'invalid_grant'],
    ['{"code":"PROCESS_NOT_READY"}', 'PROCESS_NOT_READY'],
    ['{"code":40901}', '40901'],
    ['{"error":{"code":"E.409:state-x","message":"Maria"}}', 'E.409:state-x'],
    ['{"error":{"code":429}}', '429'],
    ['{"error":"Maria da Silva","code":"SECOND_CHOICE"}', 'SECOND_CHOICE'],
    ['{"error":"","code":"","nested":{"code":"DEEP"}}', undefined],
    [`{"code":"${'A'.repeat(64)}"}`, 'A'.repeat(64)],
    [`{"code":"${'A'.repeat(65)}"}`, undefined],
    ['{"code":"12345678909"}', undefined],
    ['{"code":"CPF12345678"}', undefined],
    ['{"code":"E1234567"}', 'E1234567'],
    ['{"code":12345678909}', undefined],
    ['{"code":1.5}', undefined],
    ['{"code":9007199254740993}', undefined],
    ['{"error":"maria@example.com"}', undefined],
    ['{"error":null}', undefined],
    ['{"error":["invalid_grant"]}', undefined],
    ['{"message":"invalid_grant"}', undefined],
    ['["invalid_grant"]', undefined],
    ['"invalid_grant"', undefined],
    ['invalid_grant', undefined],
    ['', undefined],
  ])('%s gives %p', (body, code) => {
    expect(unicoErrorCodeOf(body)).toBe(code);
  });

  test('withCode puts it in parentheses, or nothing', () => {
    expect(withCode('invalid_grant')).toBe(' (invalid_grant)');
    expect(withCode(undefined)).toBe('');
  });
});

describe('our code for a status a later try can change', () => {
  test.each([
    [408, 'request_timeout'],
    [409, 'process_wrong_state'],
    [425, 'too_early'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
    [599, 'server_error'],
    [499, 'http_499'],
    [404, 'http_404'],
    [600, 'http_600'],
    [302, 'http_302'],
  ])('%i: %s', (status, code) => {
    expect(transientCodeFor(status)).toBe(code);
  });
});

describe('helpers', () => {
  test('parseObject: only a JSON object', () => {
    expect(parseObject('{"a":1}')).toEqual({ a: 1 });
    expect(parseObject('[1]')).toBeUndefined();
    expect(parseObject('null')).toBeUndefined();
    expect(parseObject('3')).toBeUndefined();
    expect(parseObject('{')).toBeUndefined();
  });

  test('anySignal: one signal as it is; several abort with the first', () => {
    const only = new AbortController().signal;
    expect(anySignal(undefined, only)).toBe(only);
    const first = new AbortController();
    const second = new AbortController();
    const both = anySignal(first.signal, second.signal);
    expect(both.aborted).toBe(false);
    second.abort(new Error('second'));
    expect(both.aborted).toBe(true);
    expect((both.reason as Error).message).toBe('second');
  });
});
