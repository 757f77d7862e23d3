/**
 * The order of the two destinations as the processor's wiring builds it, with the domain logic
 * and both real adapters over mocked clients: the bus first, the results queue last, so that a bus failure sends nothing
 * and the queue keeps exactly one event per process while the bus may get copies (same id).
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { Claim, IntakeMessage } from '../../../lambdas/core/acceptance/ports.ts';
import { resultsPublisher } from '../../../lambdas/processor/compose.ts';
import { PublishInOrder } from '../../../lambdas/core/processing/results-publishers.ts';
import { NotificationProcessor } from '../../../lambdas/core/processing/process-notification.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary } from '../../../lambdas/core/processing/ports.ts';

const message: IntakeMessage = {
  processId: '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idunicosign',
  detectedBy: 'webhook',
  receivedAt: '2026-11-26T10:00:00.000Z',
};
const NOW = Date.parse('2026-11-26T10:00:05.000Z');
const attempt = { firstSentAt: NOW - 1000, receiveCount: 1 };

class InMemoryClaims implements ClaimLedger {
  readonly confirmed: ClaimKey[] = [];
  #claim: Claim = { ...message, status: 'claimed', claimToken: 't' };
  async read() {
    return this.#claim;
  }
  async confirm(key: ClaimKey, _summary: ConfirmationSummary) {
    this.confirmed.push(key);
    this.#claim = { ...this.#claim, status: 'confirmed' };
  }
}

let eventBridge: AwsClientStub<EventBridgeClient>;
let sqs: AwsClientStub<SQSClient>;
let claims: InMemoryClaims;
let processor: NotificationProcessor;
let calls: string[];

beforeEach(() => {
  const eventBridgeClient = new EventBridgeClient({ region: 'sa-east-1' });
  const sqsClient = new SQSClient({ region: 'sa-east-1' });
  eventBridge = mockClient(eventBridgeClient);
  sqs = mockClient(sqsClient);
  calls = [];
  eventBridge.on(PutEventsCommand).callsFake(() => {
    calls.push('bus');
    return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
  });
  sqs.on(SendMessageCommand).callsFake(() => {
    calls.push('queue');
    return { MessageId: 'm-1' };
  });
  claims = new InMemoryClaims();
  processor = new NotificationProcessor({
    claims,
    publisher: resultsPublisher({
      sqs: sqsClient,
      resultsQueueUrl: 'https://sqs.sa-east-1.amazonaws.com/123456789012/results.fifo',
      resultsEventBus: { client: eventBridgeClient, eventBusName: 'unico-results' },
    }),
    eventSource: 'UnicoWebhook-test',
    retries: { periodMs: 3 * 3600_000, conflictMaxReceives: 5 },
    clock: () => NOW,
  });
});

const idOf = (detailOrBody: string | undefined): unknown => (JSON.parse(detailOrBody ?? '{}') as { id?: unknown }).id;

describe('results on the event bus and the queue', () => {
  test('the same CloudEvent goes to the bus, then to the queue, then the claim is confirmed', async () => {
    // Act
    await expect(processor.process(message, attempt)).resolves.toBe('published');

    // Assess
    const put = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(calls).toEqual(['bus', 'queue']);
    expect(put?.Detail).toBe(sent?.MessageBody);
    expect(idOf(put?.Detail)).toBe(`${message.processId}:${message.state}`);
    expect(claims.confirmed).toHaveLength(1);
  });

  test('the bus refuses the entry: nothing is sent to the queue, nothing confirmed, the message is retried', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    // Act
    const failure = await processor.process(message, attempt).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'EventBusEntryFailedError' });
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
    expect(claims.confirmed).toEqual([]);
  });

  test('the queue fails after the bus took the event: retried, the bus gets a copy with the same id, the queue one event', async () => {
    // Prepare: the first send fails, the retry's succeeds.
    sqs.on(SendMessageCommand).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })).resolves({ MessageId: 'm-1' });

    // Act
    const first = await processor.process(message, attempt).catch((error: unknown) => error);
    const retry = await processor.process(message, { ...attempt, receiveCount: 2 });

    // Assess
    expect(first).toMatchObject({ name: 'ThrottlingException' });
    expect(retry).toBe('published');
    const details = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0]?.Detail);
    expect(details).toHaveLength(2);
    expect(new Set(details.map(idOf)).size).toBe(1);
    const sends = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sends).toHaveLength(2);
    // Both sends carry the same deduplication id: SQS keeps one.
    expect(new Set(sends.map((send) => send.MessageDeduplicationId)).size).toBe(1);
    expect(claims.confirmed).toHaveLength(1);
  });
});

describe('PublishInOrder.fits', () => {
  test('an event fits only when every destination takes it (else the processor sends outcome_too_large)', () => {
    const taking = (answer: boolean) => ({ fits: () => answer, publish: async () => undefined });
    const event = {} as Parameters<PublishInOrder['fits']>[0];
    const attributes = {} as Parameters<PublishInOrder['fits']>[1];
    expect(new PublishInOrder([taking(true), taking(true)]).fits(event, attributes)).toBe(true);
    expect(new PublishInOrder([taking(false), taking(true)]).fits(event, attributes)).toBe(false);
    expect(new PublishInOrder([taking(true), taking(false)]).fits(event, attributes)).toBe(false);
  });
});
