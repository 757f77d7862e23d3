import { beforeEach, describe, expect, test } from '@jest/globals';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SqsResultsPublisher } from '../../../../lambdas/adapters/sqs/sqs-results-publisher.ts';
import { RESULTS_MESSAGE_MAX_BYTES } from '../../../../lambdas/contracts/queues.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../../../lambdas/contracts/results-event.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/results.fifo';
const PROCESS_ID = '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11';

const attributes: ResultsEventAttributes = {
  type: 'io.unico.idcloud.process.finished',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idunicosign',
  detectedBy: 'webhook',
};
/**
 * What SQS counts for these attributes: each name, its type ("String", 6 bytes) and its value.
 * type 4+6+33, state 5+6+22, flow 4+6+11, detectedBy 10+6+7.
 */
const ATTRIBUTE_BYTES = 43 + 33 + 21 + 23;

/** A finished process's event whose outcome holds `blob`. */
function eventWith(blob: string, flow = attributes.flow): ResultsEvent {
  return {
    specversion: '1.0',
    id: `${PROCESS_ID}:PROCESS_STATE_FINISHED`,
    source: 'UnicoWebhook-test',
    type: 'io.unico.idcloud.process.finished',
    subject: PROCESS_ID,
    time: '2026-11-26T10:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      processId: PROCESS_ID,
      state: 'PROCESS_STATE_FINISHED',
      flow,
      detectedBy: 'webhook',
      receivedAt: '2026-11-26T10:00:00.000Z',
      outcome: { contract: 'web-sdk', fetchedAt: '2026-11-26T10:00:04.000Z', process: { id: PROCESS_ID, blob } },
    },
  };
}

/** Bytes left for the blob once the rest of the event (plain ASCII) and the attributes are counted. */
const ROOM = RESULTS_MESSAGE_MAX_BYTES - Buffer.byteLength(JSON.stringify(eventWith(''))) - ATTRIBUTE_BYTES;

let sqs: AwsClientStub<SQSClient>;
let publisher: SqsResultsPublisher;

beforeEach(() => {
  const client = new SQSClient({ region: 'us-east-1' });
  sqs = mockClient(client);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  publisher = new SqsResultsPublisher({ client, queueUrl: QUEUE_URL });
});

describe('SqsResultsPublisher.fits', () => {
  test('the limit is 256 KiB', () => {
    expect(RESULTS_MESSAGE_MAX_BYTES).toBe(262_144);
  });

  test('an event of exactly 256 KiB with its attributes fits; one byte more does not', () => {
    // Act
    const exactly = publisher.fits(eventWith('x'.repeat(ROOM)), attributes);
    const oneOver = publisher.fits(eventWith('x'.repeat(ROOM + 1)), attributes);

    // Assess
    expect([exactly, oneOver]).toEqual([true, false]);
  });

  test('a small event fits', () => {
    expect(publisher.fits(eventWith('small'), attributes)).toBe(true);
  });

  test('two-byte characters count as two bytes, not one', () => {
    // Prepare: "é" is 2 bytes in UTF-8 and one character in JavaScript.
    const pairs = Math.floor(ROOM / 2);
    const exactly = 'é'.repeat(pairs) + 'x'.repeat(ROOM - pairs * 2);

    // Act
    const fits = publisher.fits(eventWith(exactly), attributes);
    const oneOver = publisher.fits(eventWith(`${exactly}x`), attributes);

    // Assess
    expect(exactly.length).toBeLessThan(ROOM);
    expect([fits, oneOver]).toEqual([true, false]);
  });

  test('characters beyond U+FFFF count as the escapes the body carries (12 bytes), not as 4 raw bytes', () => {
    // Prepare: the body writes "😀" as \ud83d\ude00.
    const emojis = Math.floor(ROOM / 12);
    const exactly = '😀'.repeat(emojis) + 'x'.repeat(ROOM - emojis * 12);

    // Act
    const fits = publisher.fits(eventWith(exactly), attributes);
    const oneOver = publisher.fits(eventWith(`${exactly}x`), attributes);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(eventWith(`${exactly}x`)))).toBeLessThan(RESULTS_MESSAGE_MAX_BYTES / 2);
    expect([fits, oneOver]).toEqual([true, false]);
  });

  test('attribute values count in UTF-8 bytes too', () => {
    // Prepare: a flow with "ç" (2 bytes) in the attributes and in the body.
    const flow = 'fluxo-ç';
    const withFlow = { ...attributes, flow };
    const room = RESULTS_MESSAGE_MAX_BYTES - Buffer.byteLength(JSON.stringify(eventWith('', flow))) - (ATTRIBUTE_BYTES - 11 + 8);

    // Act
    const fits = publisher.fits(eventWith('x'.repeat(room), flow), withFlow);
    const oneOver = publisher.fits(eventWith('x'.repeat(room + 1), flow), withFlow);

    // Assess
    expect([fits, oneOver]).toEqual([true, false]);
  });

  test('the attributes are part of the size: an event that fits without them may not fit with them', () => {
    // Act
    const withoutAttributes = publisher.fits(eventWith('x'.repeat(ROOM + 1)), {} as ResultsEventAttributes);

    // Assess
    expect(withoutAttributes).toBe(true);
  });
});

describe('SqsResultsPublisher.publish', () => {
  test('sends the body as fits measured it, grouped by process, deduplicated by event id, with string attributes', async () => {
    // Prepare
    const controller = new AbortController();
    const event = eventWith('😀');

    // Act
    await publisher.publish(event, attributes, controller.signal);

    // Assess
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const call = sqs.commandCalls(SendMessageCommand)[0];
    expect(call?.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: JSON.stringify(event).replace('😀', '\\ud83d\\ude00'),
      MessageGroupId: PROCESS_ID,
      MessageDeduplicationId: `${PROCESS_ID}:PROCESS_STATE_FINISHED`,
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 'io.unico.idcloud.process.finished' },
        state: { DataType: 'String', StringValue: 'PROCESS_STATE_FINISHED' },
        flow: { DataType: 'String', StringValue: 'idunicosign' },
        detectedBy: { DataType: 'String', StringValue: 'webhook' },
      },
    });
    expect((call?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
  });
});
