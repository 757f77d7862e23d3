import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  credentialHeaders,
  formatAuthSpec,
  InvalidAuthSpecError,
  parseAuthSpec,
  type AuthSpec,
} from '../../../lambdas/contracts/auth-notation.ts';
import { thrownBy } from '../../support/unit/caught-errors.ts';


describe('parseAuthSpec', () => {
  test.each([
    ['none', { mode: 'none' }],
    ['oauth2', { mode: 'oauth2' }],
    ['basic:unico:s3cret', { mode: 'basic', username: 'unico', password: 's3cret' }],
    ['apikey:X-Api-Key:k-123', { mode: 'apikey', header: 'X-Api-Key', value: 'k-123' }],
  ])('reads %s', (text, expected) => {
    // Act
    const spec = parseAuthSpec(text);

    // Assess
    expect(spec).toEqual(expected);
  });

  test('apikey with a header and a value holding spaces splits on the first colon', () => {
    // Act
    const spec = parseAuthSpec('apikey:Authorization:Bearer abc');

    // Assess
    expect(spec).toEqual({ mode: 'apikey', header: 'Authorization', value: 'Bearer abc' });
  });

  test('apikey without a header name puts the whole value in the Authorization header', () => {
    // Act
    const spec = parseAuthSpec('apikey:abc');

    // Assess
    expect(spec).toEqual({ mode: 'apikey', header: 'Authorization', value: 'abc' });
  });

  test('a value after a header name may itself hold colons', () => {
    // Act
    const spec = parseAuthSpec('apikey:X-Key:a:b:c');

    // Assess
    expect(spec).toEqual({ mode: 'apikey', header: 'X-Key', value: 'a:b:c' });
  });

  test('a basic password may hold colons: the user name ends at the first one', () => {
    // Act
    const spec = parseAuthSpec('basic:unico:pa:ss:word');

    // Assess
    expect(spec).toEqual({ mode: 'basic', username: 'unico', password: 'pa:ss:word' });
  });

  test.each([
    ['BASIC:unico:Pa55', { mode: 'basic', username: 'unico', password: 'Pa55' }],
    ['ApiKey:X-Key:Value', { mode: 'apikey', header: 'X-Key', value: 'Value' }],
    ['NONE', { mode: 'none' }],
    ['OAuth2', { mode: 'oauth2' }],
  ])('the mode is case-insensitive but the rest keeps its case: %s', (text, expected) => {
    // Act
    const spec = parseAuthSpec(text);

    // Assess
    expect(spec).toEqual(expected);
  });

  test('surrounding whitespace is ignored', () => {
    // Act
    const spec = parseAuthSpec('  basic:unico:pw \n');

    // Assess
    expect(spec).toEqual({ mode: 'basic', username: 'unico', password: 'pw' });
  });

  test.each([
    [''],
    ['token'],
    ['basic'],
    ['basic:'],
    ['basic:unico'],
    ['basic::pw'],
    ['basic:unico:'],
    ['apikey'],
    ['apikey:'],
    ['apikey:X Key:value'],
    ['apikey::value'],
    ['apikey:X-Key:'],
    ['none:extra'],
    ['oauth2:client:secret'],
  ])('refuses %j with an InvalidAuthSpecError', (text) => {
    // Act
    const error = thrownBy(() => parseAuthSpec(text));

    // Assess
    expect(error).toBeInstanceOf(InvalidAuthSpecError);
  });

  test.each([
    ['basic:unico:', 'unico'],
    ['basic::Sup3rSecretPw', 'Sup3rSecretPw'],
    ['basic:Sup3rSecretUser', 'Sup3rSecretUser'],
    ['apikey:Bad Header:Sup3rSecretKey', 'Sup3rSecretKey'],
    ['apikey:X-Key:', 'X-Key:'],
    ['none:Sup3rSecretKey', 'Sup3rSecretKey'],
    ['oauth2:client:Sup3rSecretKey', 'Sup3rSecretKey'],
    ['bearer:Sup3rSecretKey', 'Sup3rSecretKey'],
    ['Sup3rSecretKey', 'Sup3rSecretKey'],
  ])('the error for %j never repeats the secret part', (text, secret) => {
    // Act
    const error = thrownBy(() => parseAuthSpec(text));

    // Assess
    expect(error).toBeInstanceOf(InvalidAuthSpecError);
    expect((error as Error).message).not.toContain(secret);
  });
});

describe('formatAuthSpec', () => {
  test.each([
    ['none'],
    ['oauth2'],
    ['basic:unico:pa:ss'],
    ['apikey:X-Api-Key:k:1'],
    ['apikey:abc'],
  ])('writes %s back as it was typed', (text) => {
    // Act
    const formatted = formatAuthSpec(parseAuthSpec(text));

    // Assess
    expect(formatted).toBe(text);
  });

  // Regression (formatAuthSpec): an Authorization value holding a colon was written as
  // `apikey:VALUE`, which reads back as header = the text before the colon.
  test('an Authorization value holding a colon reads back as the same spec', () => {
    // Prepare
    const spec = parseAuthSpec('apikey:Authorization:Token a:b');

    // Act
    const reread = parseAuthSpec(formatAuthSpec(spec));

    // Assess
    expect(reread).toEqual(spec);
  });

  test('formatting any valid spec and reading it back gives the same spec (property)', () => {
    // Prepare
    const visible = (options: { minLength: number }) =>
      fc
        .string({ unit: fc.constantFrom(...'abcXYZ019 :-_.!@#/+=~'.split('')), ...options, maxLength: 20 })
        .filter((text) => text.trim() === text && text.length >= options.minLength);
    const headerName = fc.string({
      unit: fc.constantFrom(...'abcXYZ09-_!#$%&\'*+.^`|~'.split('')),
      minLength: 1,
      maxLength: 16,
    });
    const specText = fc.oneof(
      fc.constantFrom('none', 'oauth2', 'NONE', 'OAuth2'),
      fc
        .tuple(visible({ minLength: 1 }).filter((user) => !user.includes(':')), visible({ minLength: 1 }))
        .map(([user, password]) => `basic:${user}:${password}`),
      fc
        .tuple(fc.oneof(headerName, fc.constant('Authorization')), visible({ minLength: 1 }))
        .map(([header, value]) => `apikey:${header}:${value}`),
      visible({ minLength: 1 })
        .filter((value) => !value.includes(':'))
        .map((value) => `apikey:${value}`),
    );

    // Act + Assess
    fc.assert(
      fc.property(specText, (text) => {
        const spec = parseAuthSpec(text);
        expect(parseAuthSpec(formatAuthSpec(spec))).toEqual(spec);
      }),
      { numRuns: 500 },
    );
  });
});

describe('credentialHeaders', () => {
  test('basic sends the RFC 7617 Authorization header', () => {
    // Act
    const headers = credentialHeaders(parseAuthSpec('basic:unico:pa:ss'));

    // Assess
    expect(Object.keys(headers)).toEqual(['Authorization']);
    const [scheme, encoded] = (headers.Authorization ?? '').split(' ');
    expect(scheme).toBe('Basic');
    expect(Buffer.from(encoded ?? '', 'base64').toString('utf8')).toBe('unico:pa:ss');
  });

  test('apikey with a header sends exactly that header and value', () => {
    // Act
    const headers = credentialHeaders(parseAuthSpec('apikey:Authorization:Bearer abc'));

    // Assess
    expect(headers).toEqual({ Authorization: 'Bearer abc' });
  });

  test('apikey without a header sends the value as the whole Authorization header', () => {
    // Act
    const headers = credentialHeaders(parseAuthSpec('apikey:abc'));

    // Assess
    expect(headers).toEqual({ Authorization: 'abc' });
  });

  test('apikey with a custom header sends no Authorization header', () => {
    // Act
    const headers = credentialHeaders(parseAuthSpec('apikey:X-Api-Key:k-1'));

    // Assess
    expect(headers).toEqual({ 'X-Api-Key': 'k-1' });
  });

  test.each<[AuthSpec]>([[{ mode: 'none' }], [{ mode: 'oauth2' }]])('%j sends no static header', (spec) => {
    // Act
    const headers = credentialHeaders(spec);

    // Assess
    expect(headers).toEqual({});
  });
});
