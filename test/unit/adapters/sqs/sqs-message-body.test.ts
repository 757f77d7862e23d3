import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { toSqsMessageBody } from '../../../../lambdas/adapters/sqs/sqs-message-body.ts';

/** What SQS documents that it accepts in a message body. */
const SQS_ACCEPTS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
/** The stricter range the bodies stay in, so that emulators that refuse the supplementary planes accept them. */
const BASIC_PLANE_ONLY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]*$/;

/** Any UTF-16 code unit on its own: lone surrogates, U+FFFE and U+FFFF included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
/** Any Unicode code point, the supplementary planes included. */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((point) => String.fromCodePoint(point));
const anyText = fc.oneof(
  fc.string({ unit: anyCodeUnit, maxLength: 64 }),
  fc.string({ unit: anyCodePoint, maxLength: 64 }),
  fc.string({ unit: fc.oneof(anyCodeUnit, anyCodePoint, fc.constantFrom('\uFFFE', '\uFFFF', '\uD800', '\uDFFF')), maxLength: 64 }),
);

describe('toSqsMessageBody', () => {
  test('every text becomes a body SQS accepts, which parses back to the very same text', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, anyText, { maxKeys: 4 }), anyText, (fields, description) => {
        const value = { ...fields, lastEventDescription: description };

        const body = toSqsMessageBody(value);

        expect(body).toMatch(SQS_ACCEPTS);
        expect(body).toMatch(BASIC_PLANE_ONLY);
        expect(JSON.parse(body)).toEqual(value);
      }),
      { numRuns: 2000 },
    );
  });

  test.each([
    ['U+FFFF', '\uFFFF', '\\uffff'],
    ['U+FFFE', '\uFFFE', '\\ufffe'],
    ['a lone high surrogate', '\uD800', '\\ud800'],
    ['a lone low surrogate', '\uDC00', '\\udc00'],
    ['a supplementary character', '\u{1F600}', '\\ud83d\\ude00'],
    ['NUL', '\u0000', '\\u0000'],
  ])('%s is written as a JSON escape', (_name, text, escape) => {
    // Act
    const body = toSqsMessageBody({ text });

    // Assess
    expect(body).toBe(`{"text":"${escape}"}`);
  });

  test('text SQS takes as it is stays as it is', () => {
    // Act
    const body = toSqsMessageBody({ text: 'Sessão encerrada às 10h \t ok' });

    // Assess
    expect(body).toBe('{"text":"Sessão encerrada às 10h \\t ok"}');
  });
});
