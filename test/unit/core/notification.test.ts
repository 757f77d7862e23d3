import { describe, expect, test } from '@jest/globals';
import { InvalidJsonError, InvalidPayloadError, PayloadTooLargeError } from '../../../lambdas/core/errors.ts';
import { idempotencyKey, parseNotification } from '../../../lambdas/core/notification.ts';
import { bodyBuffer, notificationBody, PROCESS_ID } from '../../support/unit/intake-events.ts';
import { thrownBy } from '../../support/unit/caught-errors.ts';


function issuesFor(body: unknown) {
  const error = thrownBy(() => parseNotification(bodyBuffer(body)));
  expect(error).toBeInstanceOf(InvalidPayloadError);
  return (error as InvalidPayloadError).issues;
}

/** A body whose JSON encoding is exactly `bytes` long, padded in an unknown field. */
function bodyOfExactly(bytes: number): Buffer {
  const base = JSON.stringify({ ...notificationBody(), padding: '' });
  const padded = JSON.stringify({ ...notificationBody(), padding: 'x'.repeat(bytes - Buffer.byteLength(base)) });
  const buffer = Buffer.from(padded, 'utf8');
  expect(buffer.byteLength).toBe(bytes);
  return buffer;
}

describe('parseNotification', () => {
  test('reads a complete notification', () => {
    // Act
    const notification = parseNotification(bodyBuffer(notificationBody()));

    // Assess
    expect(notification).toEqual({
      processId: PROCESS_ID,
      state: 'PROCESS_STATE_FINISHED',
      flow: 'idlive',
      lastEvent: 'EVENT_TYPE_FINISHED',
      lastEventDescription: 'The process finished',
    });
  });

  test('lower-cases the processId', () => {
    // Act
    const notification = parseNotification(bodyBuffer(notificationBody({ processId: PROCESS_ID.toUpperCase() })));

    // Assess
    expect(notification.processId).toBe(PROCESS_ID);
  });

  test('drops optional fields sent as null', () => {
    // Act
    const notification = parseNotification(
      bodyBuffer(notificationBody({ lastEvent: null, lastEventDescription: null })),
    );

    // Assess
    expect(notification).toEqual({ processId: PROCESS_ID, state: 'PROCESS_STATE_FINISHED', flow: 'idlive' });
    expect(Object.keys(notification)).not.toContain('lastEvent');
    expect(Object.keys(notification)).not.toContain('lastEventDescription');
  });

  test('accepts a notification without the optional fields', () => {
    // Act
    const notification = parseNotification(
      bodyBuffer({ processId: PROCESS_ID, state: 'PROCESS_STATE_FAILED', flow: 'id' }),
    );

    // Assess
    expect(notification).toEqual({ processId: PROCESS_ID, state: 'PROCESS_STATE_FAILED', flow: 'id' });
  });

  test('drops unknown fields', () => {
    // Act
    const notification = parseNotification(
      bodyBuffer(notificationBody({ personName: 'Maria', cpf: '12345678900', nested: { a: 1 } })),
    );

    // Assess
    expect(Object.keys(notification).sort()).toEqual(
      ['flow', 'lastEvent', 'lastEventDescription', 'processId', 'state'].sort(),
    );
  });

  test('accepts a state Unico may add later', () => {
    // Act
    const notification = parseNotification(bodyBuffer(notificationBody({ state: 'PROCESS_STATE_SOMETHING_NEW_2' })));

    // Assess
    expect(notification.state).toBe('PROCESS_STATE_SOMETHING_NEW_2');
  });

  test.each([['FINISHED'], ['process_state_finished'], ['PROCESS_STATE_'], ['PROCESS_STATE_a'], ['PROCESS_STATE_X-Y'], ['XPROCESS_STATE_FINISHED']])(
    'refuses state %j',
    (state) => {
      // Act
      const issues = issuesFor(notificationBody({ state }));

      // Assess
      expect(issues.map((issue) => issue.path)).toEqual(['state']);
    },
  );

  test('a state long enough to overflow the SQS deduplication id is refused', () => {
    // Prepare
    const state = `PROCESS_STATE_${'X'.repeat(200)}`;

    // Act
    const issues = issuesFor(notificationBody({ state }));

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(['state']);
  });

  test('the longest accepted state still fits the 128-character SQS deduplication id', () => {
    // Prepare: grow the state until it is refused
    let longest = 'PROCESS_STATE_X';
    for (let attempt = 0; attempt < 300; attempt++) {
      const candidate = `${longest}X`;
      try {
        parseNotification(bodyBuffer(notificationBody({ state: candidate })));
      } catch {
        break;
      }
      longest = candidate;
    }

    // Act
    const key = idempotencyKey({ processId: PROCESS_ID, state: longest });

    // Assess
    expect(key.length).toBeLessThanOrEqual(128);
  });

  test('accepts a flow of 64 characters and refuses one of 65', () => {
    // Act
    const accepted = parseNotification(bodyBuffer(notificationBody({ flow: 'a'.repeat(64) })));
    const issues = issuesFor(notificationBody({ flow: 'a'.repeat(65) }));

    // Assess
    expect(accepted.flow).toHaveLength(64);
    expect(issues.map((issue) => issue.path)).toEqual(['flow']);
  });

  test('accepts every allowed flow character', () => {
    // Act
    const notification = parseNotification(bodyBuffer(notificationBody({ flow: 'Az09_.-' })));

    // Assess
    expect(notification.flow).toBe('Az09_.-');
  });

  test.each([[''], ['id live'], ['idé'], ['id/live'], [42]])('refuses flow %j', (flow) => {
    // Act
    const issues = issuesFor(notificationBody({ flow }));

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(['flow']);
  });

  test.each([['FINISHED'], ['EVENT_TYPE_'], ['event_type_finished'], [7], ['XEVENT_TYPE_FINISHED'], ['EVENT_TYPE_FINISHED-2']])('refuses lastEvent %j', (lastEvent) => {
    // Act
    const issues = issuesFor(notificationBody({ lastEvent }));

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(['lastEvent']);
  });

  test('accepts a lastEvent Unico may add later', () => {
    // Act
    const notification = parseNotification(bodyBuffer(notificationBody({ lastEvent: 'EVENT_TYPE_NEW_THING_9' })));

    // Assess
    expect(notification.lastEvent).toBe('EVENT_TYPE_NEW_THING_9');
  });

  test('accepts a description of 1024 characters and refuses one of 1025', () => {
    // Act
    const accepted = parseNotification(bodyBuffer(notificationBody({ lastEventDescription: 'd'.repeat(1024) })));
    const issues = issuesFor(notificationBody({ lastEventDescription: 'd'.repeat(1025) }));

    // Assess
    expect(accepted.lastEventDescription).toHaveLength(1024);
    expect(issues.map((issue) => issue.path)).toEqual(['lastEventDescription']);
  });

  test.each([['not-a-uuid'], ['3f2a6c1e8b4d4e2f9a1b7c6d5e4f3a2b'], [`${PROCESS_ID}0`], [12]])(
    'refuses processId %j',
    (processId) => {
      // Act
      const issues = issuesFor(notificationBody({ processId }));

      // Assess
      expect(issues.map((issue) => issue.path)).toEqual(['processId']);
    },
  );

  test('lists one issue per broken or missing field, each with its path and a message', () => {
    // Act
    const issues = issuesFor({ processId: 'nope', flow: '', lastEvent: 'x' });

    // Assess
    expect(issues.map((issue) => issue.path).sort()).toEqual(['flow', 'lastEvent', 'processId', 'state']);
    for (const issue of issues) expect(issue.message).toEqual(expect.any(String));
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  // The messages reach the sender in the 400 answer: each says what the field allows.
  test.each([
    ['processId', 12, 'must be a UUID'],
    ['processId', 'not-a-uuid', 'must be a UUID'],
    ['state', `PROCESS_STATE_${'X'.repeat(78)}`, 'must be at most 91 characters'],
    ['state', 'FINISHED', 'must match PROCESS_STATE_[A-Z0-9_]+'],
    ['flow', 'id live', 'must be 1 to 64 of A-Z a-z 0-9 _ . -'],
    ['lastEvent', `EVENT_TYPE_${'X'.repeat(118)}`, 'must be at most 128 characters'],
    ['lastEvent', 'FINISHED', 'must match EVENT_TYPE_[A-Z0-9_]+'],
    ['lastEventDescription', 'd'.repeat(1025), 'must be at most 1024 characters'],
  ])('refusing %s %j says %j', (field, value, message) => {
    // Act
    const issues = issuesFor(notificationBody({ [field]: value }));

    // Assess
    expect(issues).toEqual([{ path: field, message }]);
  });

  test('accepts a body of exactly 16384 bytes', () => {
    // Prepare
    const body = bodyOfExactly(16_384);

    // Act
    const notification = parseNotification(body);

    // Assess
    expect(notification.processId).toBe(PROCESS_ID);
  });

  test('refuses a body of 16385 bytes as too large', () => {
    // Prepare
    const body = bodyOfExactly(16_385);

    // Act
    const error = thrownBy(() => parseNotification(body));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  test('counts bytes, not characters', () => {
    // Prepare: 16384 characters, more bytes once multi-byte characters are encoded
    const base = JSON.stringify({ ...notificationBody(), padding: '' });
    const body = Buffer.from(
      JSON.stringify({ ...notificationBody(), padding: 'é'.repeat(16_384 - base.length) }),
      'utf8',
    );

    // Act
    const error = thrownBy(() => parseNotification(body));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  test.each([['[]'], ['[{"processId":"x"}]'], ['null'], ['42'], ['"text"'], ['true'], [''], ['{'], ['processId=x']])(
    'refuses %j as invalid JSON',
    (text) => {
      // Act
      const error = thrownBy(() => parseNotification(Buffer.from(text, 'utf8')));

      // Assess
      expect(error).toBeInstanceOf(InvalidJsonError);
    },
  );
});

describe('idempotencyKey', () => {
  test('joins processId and state', () => {
    // Act
    const key = idempotencyKey({ processId: PROCESS_ID, state: 'PROCESS_STATE_FINISHED' });

    // Assess
    expect(key).toBe(`${PROCESS_ID}:PROCESS_STATE_FINISHED`);
  });
});
