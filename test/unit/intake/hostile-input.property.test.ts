import { beforeEach, describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { basicAuthorization } from '../../../lambdas/contracts/auth-notation.ts';
import { StaticCredentialAuthenticator } from '../../../lambdas/core/auth/static-credentials.ts';
import { NOTIFICATION_BODY_LIMIT_BYTES, parseNotification } from '../../../lambdas/core/notification.ts';
import type { IntakeHandler } from '../../../lambdas/intake/intake-handler.ts';
import { lambdaContext, notificationBody, webhookEvent } from '../../support/unit/intake-events.ts';
import { mockedIntake, mockedIntakeAws, type MockedIntakeAws } from '../../support/unit/mocked-intake.ts';

/**
 * Hostile input, generated: bodies, headers and encodings no sender should send, thrown at the
 * real intake handler (Basic auth, the real acceptor over SDK clients answered by
 * aws-sdk-client-mock). Whatever comes in, the answer is the one the input deserves: 202 for a
 * notification the schema accepts, a 4xx otherwise, never a 5xx or a throw; a refused request
 * stores and enqueues nothing; and no input reaches Object.prototype. Over 5,000 cases a run.
 */
const PASSWORD = 'Sup3r-Secret:Passw0rd';
const AUTHORIZATION = basicAuthorization('unico', PASSWORD);

let aws: MockedIntakeAws;
let handler: IntakeHandler;

beforeEach(() => {
  aws = mockedIntakeAws();
  handler = mockedIntake(aws, new StaticCredentialAuthenticator('basic', async () => [{ kind: 'basic', username: 'unico', password: PASSWORD }]));
});

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** What the body deserves, decided apart from the handler: does the schema take these bytes? */
function deservesAcceptance(bytes: Buffer): boolean {
  try {
    parseNotification(bytes);
    return true;
  } catch {
    return false;
  }
}

async function send(event: APIGatewayProxyEventV2): Promise<{ status: number; stored: number }> {
  aws.resetHistory();
  const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  expect(() => JSON.parse(response.body ?? '')).not.toThrow();
  return { status: response.statusCode ?? 0, stored: aws.stored() };
}

/** The invariants every case keeps, whatever the input. */
function expectDeserved(answer: { status: number; stored: number }, accept: boolean): void {
  expect(answer.status).toBeLessThan(500);
  if (accept) {
    expect(answer.status).toBe(202);
  } else {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.stored).toBe(0);
  }
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Text that misbehaves: lone surrogates, non-characters, BOMs, controls, RTL marks, NUL. */
const nastyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('\uD800', '\uDFFF', '\uFFFE', '\uFFFF', '\uFEFF', '\u0000', '\u202E', '\u{10FFFF}', '\u00e9', 'e\u0301', '"', '\\') }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** Values of any JSON type, nested up to a depth where recursion would hurt a naive walker. */
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    nastyText,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyText, fc.constantFrom(...POLLUTING_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A valid notification with one field replaced by something hostile (or left as it was). */
const mutatedNotification = fc
  .record({
    field: fc.constantFrom('processId', 'state', 'flow', 'lastEvent', 'lastEventDescription', '__proto__', 'constructor', 'extra'),
    value: fc.oneof(anyJson, fc.constantFrom('NaN', 'Infinity', '-0', '1e309', '00000000-0000-0000-0000-000000000000')),
  })
  .map(({ field, value }) => `{${Object.entries({ ...notificationBody(), [field]: value }).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

/** Deep nesting as text: JSON.parse recursion and the schema's walk must both cope. */
const deepNesting = fc.record({ depth: fc.integer({ min: 100, max: 5000 }), open: fc.constantFrom('[', '{"a":') }).map(({ depth, open }) => {
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
});

/** The same key twice with different values: JSON.parse keeps the last; nothing must read the first. */
const duplicateKeys = fc
  .record({ key: fc.constantFrom('processId', 'state', 'flow', '__proto__'), first: anyJson, last: anyJson })
  .map(({ key, first, last }) => {
    const body = JSON.stringify(notificationBody());
    return `${body.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(first) ?? 'null'},${JSON.stringify(key)}:${JSON.stringify(last) ?? 'null'}}`;
  });

/** Around the size limit: a valid notification padded with a long unknown field. */
const nearTheLimit = fc.integer({ min: NOTIFICATION_BODY_LIMIT_BYTES - 300, max: NOTIFICATION_BODY_LIMIT_BYTES + 300 }).map((size) => {
  const start = JSON.stringify({ ...notificationBody(), padding: '' });
  return `${start.slice(0, -2)}${'x'.repeat(Math.max(0, size - start.length))}"}`;
});

const hostileBody = fc.oneof(
  nastyText,
  anyJson.map((value) => JSON.stringify(value) ?? 'null'),
  mutatedNotification,
  deepNesting,
  duplicateKeys,
  nearTheLimit,
  fc.constantFrom('', ' ', 'null', '[]', '"text"', '1', 'true', '{', '\uFEFF{}', 'NaN', '{"processId":NaN}', '{"__proto__":{"polluted":1}}'),
);

describe('hostile input to the intake handler', () => {
  test('any body: the answer it deserves, never a 5xx, nothing stored when refused (2,500 cases)', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        const answer = await send(webhookEvent({ body, headers: { authorization: AUTHORIZATION } }));
        expectDeserved(answer, deservesAcceptance(Buffer.from(body, 'utf8')));
        statuses.add(answer.status);
      }),
      { numRuns: 2500 },
    );
    // The generators reach both sides of every rule: taken, malformed, invalid and too large.
    expect([...statuses].sort()).toEqual([202, 400, 413]);
  });

  test('base64 bodies, valid and not: decoded as API Gateway encodes them, refused when they decode to junk (1,000 cases)', async () => {
    const encoded = fc.oneof(
      hostileBody.map((body) => Buffer.from(body, 'utf8').toString('base64')),
      fc.constant(JSON.stringify(notificationBody())).map((body) => Buffer.from(body).toString('base64url')),
      fc.constant(JSON.stringify(notificationBody())).map((body) => Buffer.from(body).toString('base64').replace(/=+$/, '')),
      fc.constant(JSON.stringify(notificationBody())).map((body) => Buffer.from(body).toString('base64').replace(/(.{4})/g, '$1 \n')),
      nastyText,
      fc.constantFrom('====', '!!!!', '%%%', 'AA==AA==', '\u0000'),
      // Raw bytes, and a valid notification with invalid UTF-8 (stray continuation, overlong, a
      // truncated sequence, an encoded surrogate, a UTF-8 BOM) spliced into it: only base64 carries those.
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc
        .record({ bad: fc.constantFrom([0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0xef, 0xbb, 0xbf]), at: fc.nat() })
        .map(({ bad, at }) => {
          const body = Buffer.from(JSON.stringify(notificationBody()));
          const cut = at % (body.length + 1);
          return Buffer.concat([body.subarray(0, cut), Buffer.from(bad), body.subarray(cut)]).toString('base64');
        }),
    );
    await fc.assert(
      fc.asyncProperty(encoded, async (body) => {
        const answer = await send(webhookEvent({ body, isBase64Encoded: true, headers: { authorization: AUTHORIZATION, 'content-type': 'application/octet-stream' } }));
        expectDeserved(answer, deservesAcceptance(Buffer.from(body, 'base64')));
      }),
      { numRuns: 1000 },
    );
  });

  test('hostile headers around a valid notification: content types, charsets, huge and repeated headers (1,000 cases)', async () => {
    const headerName = fc.oneof(fc.constantFrom('content-type', 'content-encoding', 'x-forwarded-for', 'transfer-encoding', '__proto__', 'constructor'), fc.string({ minLength: 1, maxLength: 40 }));
    const headerValue = fc.oneof(
      fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/xml', 'gzip', 'chunked', 'application/json; charset=latin1', ''),
      nastyText,
      fc.integer({ min: 1, max: 64 * 1024 }).map((size) => 'h'.repeat(size)),
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(headerName, headerValue, { maxKeys: 6 }), async (extra) => {
        const headers = { ...extra, authorization: AUTHORIZATION };
        const body = JSON.stringify(notificationBody());
        const answer = await send(webhookEvent({ body, headers }));
        // The body is what counts (Unico's content type is not a contract): a valid one is taken.
        expectDeserved(answer, true);
      }),
      { numRuns: 1000 },
    );
  });

  test('hostile Authorization values: always refused with 401, nothing stored (1,000 cases)', async () => {
    const authorization = fc.oneof(
      nastyText,
      nastyText.map((text) => `Basic ${text}`),
      nastyText.map((text) => `Basic ${Buffer.from(text).toString('base64')}`),
      fc.tuple(nastyText, nastyText).map(([user, password]) => basicAuthorization(user, password)),
      fc.integer({ min: 1, max: 32 * 1024 }).map((size) => `Basic ${'A'.repeat(size)}`),
      fc.constant(`${AUTHORIZATION}, ${AUTHORIZATION}`),
      fc.constant(`${AUTHORIZATION},${basicAuthorization('unico', 'wrong')}`),
    );
    await fc.assert(
      fc.asyncProperty(authorization.filter((value) => value !== AUTHORIZATION), async (value) => {
        const answer = await send(webhookEvent({ body: JSON.stringify(notificationBody()), headers: { authorization: value } }));
        expect(answer.status).toBe(401);
        expectDeserved(answer, false);
      }),
      { numRuns: 1000 },
    );
  });

  test('the checks can fail: a valid notification is taken and stored, so refusals above are not the default', async () => {
    const answer = await send(webhookEvent({ body: JSON.stringify(notificationBody()), headers: { authorization: AUTHORIZATION } }));
    expect(answer).toEqual({ status: 202, stored: 2 });
  });
});
