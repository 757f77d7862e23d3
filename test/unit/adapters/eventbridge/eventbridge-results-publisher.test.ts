import { beforeEach, describe, expect, test } from '@jest/globals';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { failureKind } from '../../../../lambdas/adapters/aws/failure-kind.ts';
import {
  EventBridgeResultsPublisher,
  EventBusEntryFailedError,
} from '../../../../lambdas/adapters/eventbridge/eventbridge-results-publisher.ts';
import { EVENT_BUS_ENTRY_MAX_BYTES } from '../../../../lambdas/contracts/results-event-bus.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../../../lambdas/contracts/results-event.ts';

const BUS = 'arn:aws:events:sa-east-1:123456789012:event-bus/unico-results';
const PROCESS_ID = '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11';
const attributes: ResultsEventAttributes = {
  type: 'io.unico.idcloud.process.finished',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idunicosign',
  detectedBy: 'webhook',
};

function eventWith(blob: string): ResultsEvent {
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
      flow: 'idunicosign',
      detectedBy: 'webhook',
      receivedAt: '2026-11-26T10:00:00.000Z',
      outcome: { contract: 'web-sdk', fetchedAt: '2026-11-26T10:00:04.000Z', process: { id: PROCESS_ID, blob } },
    },
  };
}

/** Bytes EventBridge counts besides the blob: Time (14), source, detail type, and the rest of the detail. */
const ROOM =
  EVENT_BUS_ENTRY_MAX_BYTES - 14 - 'unico.webhook-receiver'.length - attributes.type.length - JSON.stringify(eventWith('')).length;

let eventBridge: AwsClientStub<EventBridgeClient>;
let publisher: EventBridgeResultsPublisher;

beforeEach(() => {
  const client = new EventBridgeClient({ region: 'sa-east-1' });
  eventBridge = mockClient(client);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  publisher = new EventBridgeResultsPublisher({ client, eventBusName: BUS });
});

describe('EventBridgeResultsPublisher.publish', () => {
  test('puts the whole CloudEvent as the detail, its type as the detail type, on the bus', async () => {
    // Prepare
    const event = eventWith('x');

    // Act
    await publisher.publish(event, attributes);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: BUS,
          Source: 'unico.webhook-receiver',
          DetailType: 'io.unico.idcloud.process.finished',
          Detail: JSON.stringify(event),
          Time: new Date('2026-11-26T10:00:00.000Z'),
        },
      ],
    });
  });

  test('a refused entry in a successful call is a failure, transient or permanent by its code', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });

    // Act
    const throttled = await publisher.publish(eventWith('x'), attributes).catch((error: unknown) => error);
    const denied = await publisher.publish(eventWith('x'), attributes).catch((error: unknown) => error);

    // Assess
    expect(throttled).toBeInstanceOf(EventBusEntryFailedError);
    expect(throttled).toMatchObject({ errorCode: 'ThrottlingException' });
    expect(failureKind(throttled)).toBe('transient');
    expect(denied).toMatchObject({ errorCode: 'AccessDeniedException' });
    expect(failureKind(denied)).toBe('permanent');
  });

  test("a failed call is passed on as the SDK's error", async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalException', $fault: 'server' }));
    await expect(publisher.publish(eventWith('x'), attributes)).rejects.toThrow('down');
  });
});

describe('EventBridgeResultsPublisher.fits', () => {
  test('takes an entry of exactly 256 KiB and refuses one byte more, counting UTF-8 bytes', () => {
    expect(publisher.fits(eventWith('a'.repeat(ROOM)))).toBe(true);
    expect(publisher.fits(eventWith('a'.repeat(ROOM + 1)))).toBe(false);
    // "é" is 2 bytes: half as many characters fill the entry.
    expect(publisher.fits(eventWith('é'.repeat(ROOM / 2)))).toBe(true);
    expect(publisher.fits(eventWith('é'.repeat(ROOM / 2 + 1)))).toBe(false);
  });
});
