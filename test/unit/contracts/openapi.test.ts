import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { newNotification } from '../../support/notifications.ts';
import { parseNotification } from '../../../lambdas/core/notification.ts';
import { trackRequestBodySchema, InvalidProcessIdError, UnknownProcessError } from '../../../lambdas/core/tracking/tracking-service.ts';
import {
  DeadlineExceededError,
  DependencyUnavailableError,
  InvalidJsonError,
  InvalidPayloadError,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../../../lambdas/core/errors.ts';
import { acceptedResponse, duplicateResponse, errorResponse } from '../../../lambdas/intake/http-responses.ts';
import { trackingErrorResponse } from '../../../lambdas/tracking/tracking-handler.ts';
import { TRACKING_ROUTES, WEBHOOK_PATH } from '../../../lambdas/contracts/routes.ts';
import { OPENAPI_FILE, openApiDocument, openApiText } from '../../../tools/openapi.ts';
import * as v from 'valibot';

/**
 * docs/openapi.json is what `npm run openapi` generates now, a valid OpenAPI 3.1 document, and it
 * agrees with the code: the request bodies accept and refuse what the functions accept and refuse,
 * and every answer the response builders give fits the document's schema for its status code.
 */
const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as ReturnType<typeof openApiDocument> & {
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: object } } }> }>>;
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema(document, 'openapi.json');
const validates = (schemaName: string, value: unknown): boolean => {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${schemaName}`);
  if (validate === undefined) throw new Error(`no schema ${schemaName}`);
  return validate(value) === true;
};

/** The document's schema for one answer of one operation (each is a reference to a named schema). */
function answerFits(path: string, method: string, response: { statusCode?: number; body?: string }): boolean {
  const status = String(response.statusCode);
  const documented = document.paths[path]?.[method]?.responses[status];
  const schema = documented?.content?.['application/json'].schema as { $ref?: string } | undefined;
  if (schema?.$ref === undefined) throw new Error(`${method} ${path} documents no JSON answer ${status}`);
  return validates(schema.$ref.replace('#/components/schemas/', ''), JSON.parse(response.body ?? ''));
}

describe('the OpenAPI document (docs/openapi.json)', () => {
  test('is what `npm run openapi` generates from the code now', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });

  test('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  test('documents the webhook route and the tracking routes', () => {
    expect(Object.keys(document.paths).sort()).toEqual([TRACKING_ROUTES.journeyFinished, TRACKING_ROUTES.process, WEBHOOK_PATH].sort());
  });

  // Bodies chosen to sit on each rule's edge: the document and the intake's parser must agree on each.
  const notifications: Array<[string, unknown]> = [
    ['a finished process', newNotification()],
    ['an upper-case processId', newNotification({ processId: '8263A268-5388-492A-BCA2-28E1FF4A69F0' })],
    ['an unknown future state', newNotification({ state: 'PROCESS_STATE_SOMETHING_NEW' })],
    ['null optional fields', newNotification({ lastEvent: null, lastEventDescription: null })],
    ['an event and its description', newNotification({ lastEvent: 'EVENT_TYPE_X', lastEventDescription: 'd'.repeat(1024) })],
    ['unknown fields', newNotification({ extra: { deep: true } })],
    ['no processId', { state: 'PROCESS_STATE_FINISHED', flow: 'id' }],
    ['a processId that is not a UUID', newNotification({ processId: 'abc' })],
    ['a number as processId', newNotification({ processId: 42 })],
    ['a state without the prefix', newNotification({ state: 'FINISHED' })],
    ['a state of 92 characters', newNotification({ state: `PROCESS_STATE_${'X'.repeat(78)}` })],
    ['an empty flow', newNotification({ flow: '' })],
    ['a flow of 65 characters', newNotification({ flow: 'f'.repeat(65) })],
    ['a flow with a space', newNotification({ flow: 'a b' })],
    ['a lastEvent without the prefix', newNotification({ lastEvent: 'X' })],
    ['a description of 1025 characters', newNotification({ lastEventDescription: 'd'.repeat(1025) })],
  ];

  test.each(notifications)('the webhook body schema and the intake agree on %s', (_name, body) => {
    let intakeAccepts = true;
    try {
      parseNotification(Buffer.from(JSON.stringify(body)));
    } catch {
      intakeAccepts = false;
    }
    expect(validates('Notification', body)).toBe(intakeAccepts);
  });

  test('the tracking body schema and the tracking service agree, clock checks aside', () => {
    const service = trackRequestBodySchema(() => Date.parse('2026-01-01T00:00:00Z'));
    const bodies = [
      {},
      { expiresAt: '2026-01-02T00:00:00Z' },
      { expiresAt: null, clientReference: null },
      { clientReference: 'order-42/a:b.c_d' },
      { clientReference: 'with space' },
      { clientReference: 'x'.repeat(129) },
      { clientReference: 42 },
      { expiresAt: 'tomorrow' },
      { expiresAt: 1767225600000 },
    ];
    expect(bodies.map((body) => validates('TrackRequest', body))).toEqual(bodies.map((body) => v.safeParse(service, body).success));
    expect(bodies.map((body) => validates('TrackRequest', body))).toContain(false);
  });

  test('every answer of the intake fits the documented schema of its status', () => {
    const processId = '8263a268-5388-492a-bca2-28e1ff4a69f0';
    const answers = [
      acceptedResponse(processId),
      duplicateResponse(processId),
      errorResponse(new UnauthorizedError('Basic realm="unico"', 'wrong password')).response,
      errorResponse(new InvalidJsonError()).response,
      errorResponse(new InvalidPayloadError([{ path: 'processId', message: 'must be a UUID' }])).response,
      errorResponse(new PayloadTooLargeError(16_384)).response,
      errorResponse(new DependencyUnavailableError('claims', new Error('down'))).response,
      errorResponse(new DeadlineExceededError('claim')).response,
      errorResponse(new Error('bug')).response,
    ];
    expect(answers.map((answer) => [answer.statusCode, answerFits(WEBHOOK_PATH, 'post', answer)])).toEqual(
      answers.map((answer) => [answer.statusCode, true]),
    );
    // The check can fail: an answer with a field the document does not have.
    expect(answerFits(WEBHOOK_PATH, 'post', { statusCode: 202, body: JSON.stringify({ status: 'accepted', processId, extra: 1 }) })).toBe(false);
  });

  test('every error answer of the tracking routes fits the documented schema of its status', () => {
    const answers = [
      trackingErrorResponse(new InvalidProcessIdError()),
      trackingErrorResponse(new InvalidJsonError()),
      trackingErrorResponse(new InvalidPayloadError([{ path: 'expiresAt', message: 'must be in the future' }])),
      trackingErrorResponse(new PayloadTooLargeError(4096)),
      trackingErrorResponse(new DependencyUnavailableError('tracking', new Error('down'))),
    ];
    for (const answer of answers) expect([answer.statusCode, answerFits(TRACKING_ROUTES.process, 'put', answer)]).toEqual([answer.statusCode, true]);
    const unknown = trackingErrorResponse(new UnknownProcessError('8263a268-5388-492a-bca2-28e1ff4a69f0'));
    expect(answerFits(TRACKING_ROUTES.journeyFinished, 'post', unknown)).toBe(true);
  });
});
