/**
 * The order of the two destinations as the processor's wiring builds it, with the domain logic
 * and both real adapters over a mocked SQS client: the bus feed first (its pipe puts each message
 * on the EventBridge bus), the results queue last, so that a feed failure sends nothing and each
 * queue gets the event with the same deduplication id on every try.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { Claim, IntakeMessage } from '../../../lambdas/core/acceptance/ports.ts';
import { resultsPublisher } from '../../../lambdas/processor/compose.ts';
import { PublishInOrder } from '../../../lambdas/core/processing/results-publishers.ts';
import { NotificationProcessor } from '../../../lambdas/core/processing/process-notification.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary } from '../../../lambdas/core/processing/ports.ts';
import { RESULTS_EVENT_BUS_SOURCE } from '../../../lambdas/contracts/results-event-bus.ts';
import { toSqsMessageBody } from '../../../lambdas/adapters/sqs/sqs-message-body.ts';
import { SqsResultsPublisher } from '../../../lambdas/adapters/sqs/sqs-results-publisher.ts';
import type { ResultsEvent, ResultsEventAttributes } from '../../../lambdas/contracts/results-event.ts';

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

const FEED = 'https://sqs.sa-east-1.amazonaws.com/123456789012/results-bus-feed.fifo';
const RESULTS = 'https://sqs.sa-east-1.amazonaws.com/123456789012/results.fifo';

let sqs: AwsClientStub<SQSClient>;
let sqsClient: SQSClient;
let claims: InMemoryClaims;
let processor: NotificationProcessor;

beforeEach(() => {
  sqsClient = new SQSClient({ region: 'sa-east-1' });
  sqs = mockClient(sqsClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  claims = new InMemoryClaims();
  processor = new NotificationProcessor({
    claims,
    publisher: resultsPublisher({ sqs: sqsClient, resultsQueueUrl: RESULTS, resultsBusFeedQueueUrl: FEED }),
    eventSource: 'UnicoWebhook-test',
    retries: { periodMs: 3 * 3600_000, conflictMaxReceives: 5 },
    clock: () => NOW,
  });
});

const sends = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
const idOf = (body: string | undefined): unknown => (JSON.parse(body ?? '{}') as { id?: unknown }).id;

describe('results on the bus feed and the queue', () => {
  test('the same message goes to the feed, then to the results queue, then the claim is confirmed', async () => {
    // Act
    await expect(processor.process(message, attempt)).resolves.toBe('published');

    // Assess
    const [feed, results] = sends();
    expect([feed?.QueueUrl, results?.QueueUrl]).toEqual([FEED, RESULTS]);
    expect(feed?.MessageBody).toBe(results?.MessageBody);
    expect(feed?.MessageDeduplicationId).toBe(`${message.processId}:${message.state}`);
    expect(feed?.MessageGroupId).toBe(results?.MessageGroupId);
    expect(idOf(feed?.MessageBody)).toBe(`${message.processId}:${message.state}`);
    expect(claims.confirmed).toHaveLength(1);
  });

  test('the feed fails: nothing is sent to the results queue, nothing confirmed, the message is retried', async () => {
    // Prepare
    sqs.on(SendMessageCommand, { QueueUrl: FEED }).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    const failure = await processor.process(message, attempt).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'ThrottlingException' });
    expect(sends().map((send) => send.QueueUrl)).toEqual([FEED]);
    expect(claims.confirmed).toEqual([]);
  });

  test('the results queue fails after the feed took the event: on the retry both get it again with the same deduplication id', async () => {
    // Prepare: the first send to the results queue fails, the retry's succeeds.
    sqs
      .on(SendMessageCommand, { QueueUrl: RESULTS })
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ MessageId: 'm-2' });

    // Act
    const first = await processor.process(message, attempt).catch((error: unknown) => error);
    const retry = await processor.process(message, { ...attempt, receiveCount: 2 });

    // Assess
    expect(first).toMatchObject({ name: 'ThrottlingException' });
    expect(retry).toBe('published');
    expect(sends().map((send) => send.QueueUrl)).toEqual([FEED, RESULTS, FEED, RESULTS]);
    // One deduplication id across all four sends: SQS keeps one per queue (within its window).
    expect(new Set(sends().map((send) => send.MessageDeduplicationId)).size).toBe(1);
    expect(claims.confirmed).toHaveLength(1);
  });
});

describe('what fits the bus', () => {
  /** PutEvents' limit on one entry, and what it counts: source, detail type, detail, and 14 bytes for the time. */
  const EVENT_BUS_ENTRY_MAX_BYTES = 256 * 1024;
  const entryBytes = (event: ResultsEvent) =>
    14 + Buffer.byteLength(RESULTS_EVENT_BUS_SOURCE) + Buffer.byteLength(event.type) + Buffer.byteLength(toSqsMessageBody(event));

  test('an event that fills the results queue to the last byte still fits the bus entry the pipe makes of it', async () => {
    // Prepare: the processor's own event and attributes for a finished process, padded until SQS is full.
    const results = new SqsResultsPublisher({ client: sqsClient, queueUrl: RESULTS });
    await processor.process(message, attempt);
    const sent = sends()[0]!;
    const event = JSON.parse(sent.MessageBody!) as ResultsEvent & { data: Record<string, unknown> };
    const attributes = Object.fromEntries(Object.entries(sent.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue!])) as ResultsEventAttributes;
    const padded = (length: number) => ({ ...event, data: { ...event.data, padding: 'é'.repeat(length) } });
    let length = 0;
    for (let step = 1 << 17; step >= 1; step >>= 1) if (results.fits(padded(length + step), attributes)) length += step;

    // Assess: the largest event SQS takes, and one more character it does not
    expect(results.fits(padded(length), attributes)).toBe(true);
    expect(results.fits(padded(length + 1), attributes)).toBe(false);
    expect(entryBytes(padded(length))).toBeLessThanOrEqual(EVENT_BUS_ENTRY_MAX_BYTES);
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
