import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { safeParse } from 'valibot';
import { DynamoDbClaimLedger } from '../../lambdas/adapters/dynamodb/dynamodb-claim-ledger.ts';
import { SqsIntakeQueue } from '../../lambdas/adapters/sqs/sqs-intake-queue.ts';
import { SqsMessageDelayer } from '../../lambdas/adapters/sqs/sqs-message-delayer.ts';
import { SqsResultsPublisher } from '../../lambdas/adapters/sqs/sqs-results-publisher.ts';
import { CONFLICT_MAX_RECEIVES, DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS } from '../../lambdas/contracts/outcome-retries.ts';
import { resultsEventSchema, type ResultsEvent } from '../../lambdas/contracts/results-event.ts';
import { processorTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import type { IntakeMessage } from '../../lambdas/core/acceptance/ports.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary, MessageDelayer } from '../../lambdas/core/processing/ports.ts';
import { NotificationProcessor } from '../../lambdas/core/processing/process-notification.ts';
import type { FetchedProcess, ProcessFetcher } from '../../lambdas/core/unico/process-fetcher.ts';
import { createProcessorHandler } from '../../lambdas/processor/processor-handler.ts';
import { startDynamoDbEmulator, startSqsEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig, LOCAL_REGION } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable } from '../../tools/local-stack/resources.ts';
import { startSqsEventSource, type RunningSqsEventSource } from '../../tools/local-stack/sqs-event-source.ts';
import { drainQueue } from '../support/queues.ts';

/**
 * The processor's real handler and adapters against dynalite and fauxqs, fed by the local
 * stand-in for Lambda's SQS event source: what consumers get, and what they never get twice.
 */
let dynamodbEmulator: RunningEmulator;
let sqsEmulator: RunningEmulator;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let claimsTableName: string;
let source: RunningSqsEventSource | undefined;
let intakeQueueUrl: string;
let resultsQueueUrl: string;
let queueNumber = 0;

/** Unico as the processor sees it: every process finished OK; those in `huge` answer with 2 MB. */
const fetcher: ProcessFetcher & { calls: number; huge: Set<string> } = {
  calls: 0,
  huge: new Set(),
  async getProcess(processId: string): Promise<FetchedProcess> {
    this.calls += 1;
    const process = this.huge.has(processId)
      ? { id: processId, result: 'PROCESS_RESULT_OK', selfie: 'A'.repeat(2 * 1024 * 1024) }
      : { id: processId, result: 'PROCESS_RESULT_OK' };
    return { contract: 'web-sdk', fetchedAt: new Date().toISOString(), process, final: true, resultCode: 'PROCESS_RESULT_OK' };
  },
};

/** The real claim store, except that the next `confirmFailures` confirmations crash before applying. */
class CrashingConfirmations implements ClaimLedger {
  confirmFailures = 0;
  readonly #store: DynamoDbClaimLedger;
  constructor(store: DynamoDbClaimLedger) {
    this.#store = store;
  }
  read(key: ClaimKey) {
    return this.#store.read(key);
  }
  async confirm(key: ClaimKey, summary: ConfirmationSummary) {
    if (this.confirmFailures > 0) {
      this.confirmFailures -= 1;
      throw new Error('the function died after publishing');
    }
    await this.#store.confirm(key, summary);
  }
}

/** The real delayer with every delay cut to a second, so that a message given back returns within the test. */
class ShortDelays implements MessageDelayer {
  readonly asked: number[] = [];
  readonly #delayer: SqsMessageDelayer;
  constructor(delayer: SqsMessageDelayer) {
    this.#delayer = delayer;
  }
  delay(receiptHandle: string, seconds: number) {
    this.asked.push(seconds);
    return this.#delayer.delay(receiptHandle, Math.min(1, seconds));
  }
}

let claims: CrashingConfirmations;
let delayer: ShortDelays;
let claimStore: DynamoDbClaimLedger;
const seenEvents: SQSEvent[] = [];
const answers: SQSBatchResponse[] = [];

beforeAll(async () => {
  [dynamodbEmulator, sqsEmulator] = await Promise.all([startDynamoDbEmulator(), startSqsEmulator()]);
  dynamodb = new DynamoDBClient(emulatorClientConfig(dynamodbEmulator));
  sqs = new SQSClient(emulatorClientConfig(sqsEmulator));
  claimsTableName = await ensureClaimsTable(dynamodb);
  claimStore = new DynamoDbClaimLedger({ client: dynamodb, tableName: claimsTableName, retentionDays: 90 });
});

afterAll(async () => {
  await source?.stop();
  dynamodb?.destroy();
  sqs?.destroy();
  await Promise.all([dynamodbEmulator?.stop(), sqsEmulator?.stop()]);
});

/** Fresh queues per test (a short visibility timeout so that failed messages come back soon). */
beforeEach(async () => {
  await source?.stop();
  queueNumber += 1;
  const fifo = (name: string, visibility: string) =>
    sqs.send(new CreateQueueCommand({ QueueName: `${name}-${queueNumber}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: visibility } }));
  intakeQueueUrl = (await fifo('intake', '1')).QueueUrl ?? '';
  resultsQueueUrl = (await fifo('results', '30')).QueueUrl ?? '';
  claims = new CrashingConfirmations(claimStore);
  delayer = new ShortDelays(new SqsMessageDelayer({ client: sqs, queueUrl: intakeQueueUrl }));
  const handler = createProcessorHandler({
    processor: new NotificationProcessor({
      claims,
      publisher: new SqsResultsPublisher({ client: sqs, queueUrl: resultsQueueUrl }),
      fetcher,
      eventSource: 'UnicoWebhook-test',
      retries: { periodMs: DEFAULT_OUTCOME_RETRY_PERIOD_SECONDS * 1000, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
    }),
    delayer,
    logger: new Logger({ logLevel: 'SILENT' }),
    time: processorTimeBudget(30),
  });
  source = await startSqsEventSource({
    sqs,
    queueUrl: intakeQueueUrl,
    region: LOCAL_REGION,
    functionName: 'processor',
    functionTimeoutMs: 30_000,
    handler: async (event, context) => {
      seenEvents.push(event);
      const answer = await handler(event, context);
      answers.push(answer);
      return answer;
    },
  });
});

/** What the intake does: claim, then send. */
async function accept(notification: IntakeMessage): Promise<void> {
  await claimStore.claim(
    { notification, detectedBy: notification.detectedBy, receivedAt: notification.receivedAt, claimToken: 'intake' },
    AbortSignal.timeout(2000),
  );
  await new SqsIntakeQueue({ client: sqs, queueUrl: intakeQueueUrl }).enqueue(notification, AbortSignal.timeout(2000));
}

/** Results events received until `count` arrived or the bounded wait ends (then a short quiet check). */
async function resultsEvents(count: number, withinMs = 15_000): Promise<ResultsEvent[]> {
  const events: ResultsEvent[] = [];
  const giveUpAt = Date.now() + withinMs;
  let quietUntil = 0;
  while (Date.now() < giveUpAt) {
    const batch = await drainQueue(sqs, resultsQueueUrl);
    events.push(...batch.map((message) => JSON.parse(message.Body ?? '{}') as ResultsEvent));
    if (events.length >= count) {
      quietUntil ||= Date.now() + 1500;
      if (Date.now() >= quietUntil) return events;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return events;
}

/** Whether the claim is confirmed within `withinMs` (polled: the confirmation follows the event). */
async function confirmedWithin(key: ClaimKey, withinMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + withinMs;
  while (Date.now() < giveUpAt) {
    if ((await claimStore.read(key))?.status === 'confirmed') return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const notification = (overrides: Partial<IntakeMessage> = {}): IntakeMessage => ({
  processId: crypto.randomUUID(),
  state: 'PROCESS_STATE_FINISHED',
  flow: 'id',
  detectedBy: 'webhook',
  receivedAt: new Date().toISOString(),
  ...overrides,
});

describe('processor against DynamoDB and SQS emulators', () => {
  test('20 notifications: exactly one valid CloudEvent each, with the outcome, and every claim confirmed', async () => {
    const notifications = Array.from({ length: 20 }, () => notification());
    for (const each of notifications) await accept(each);

    const events = await resultsEvents(20);

    expect(events.map((event) => event.subject).sort()).toEqual(notifications.map((each) => each.processId).sort());
    for (const event of events) expect(safeParse(resultsEventSchema, event).success).toBe(true);
    expect(events.every((event) => event.data.outcome?.process.result === 'PROCESS_RESULT_OK')).toBe(true);
    const confirmed = await Promise.all(notifications.map((each) => claimStore.read(each)));
    expect(confirmed.map((claim) => claim?.status)).toEqual(notifications.map(() => 'confirmed'));
  }, 30_000);

  test('the confirmation fails on every in-process try after publishing: the retry publishes again and consumers get one event', async () => {
    // Three: every try the processor makes in one receive (confirmAttempts' default).
    claims.confirmFailures = 3;
    const one = notification();

    await accept(one);
    const events = await resultsEvents(1);

    expect(events.map((event) => event.id)).toEqual([`${one.processId}:PROCESS_STATE_FINISHED`]);
    expect(claims.confirmFailures).toBe(0);
    expect(await confirmedWithin(one, 10_000)).toBe(true);
    // The second publish came before the confirmation: the results queue's deduplication dropped it.
    expect(await drainQueue(sqs, resultsQueueUrl)).toEqual([]);
    // Given back once, with the first receive's back-off.
    expect(delayer.asked).toEqual([30]);
  }, 30_000);

  test('a copy sent after the deduplication window is dropped: the claim is confirmed, no second event', async () => {
    const one = notification();
    await accept(one);
    expect(await resultsEvents(1)).toHaveLength(1);

    // A second intake message for the same key that SQS does not deduplicate (another id).
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: intakeQueueUrl,
        MessageBody: JSON.stringify(one),
        MessageGroupId: one.processId,
        MessageDeduplicationId: `${one.processId}:PROCESS_STATE_FINISHED:late`,
      }),
    );
    const later = await resultsEvents(0, 3000);
    const leftOnIntake = await sqs.send(new ReceiveMessageCommand({ QueueUrl: intakeQueueUrl, WaitTimeSeconds: 0 }));

    expect(later).toEqual([]);
    expect(leftOnIntake.Messages ?? []).toEqual([]);
  }, 30_000);

  test('a 2 MB outcome: exactly one event, with outcome_too_large instead of the outcome, and the intake message deleted', async () => {
    const one = notification();
    fetcher.huge.add(one.processId);
    const answersBefore = answers.length;

    await accept(one);
    const events = await resultsEvents(1);

    expect(events).toHaveLength(1);
    const [event] = events as [ResultsEvent];
    expect(safeParse(resultsEventSchema, event).success).toBe(true);
    expect(event.id).toBe(`${one.processId}:PROCESS_STATE_FINISHED`);
    expect(event.data.outcome).toBeNull();
    expect(event.data.outcomeError).toEqual({
      status: 200,
      code: 'outcome_too_large',
      message: 'the outcome is larger than a results event may carry; read it with GetProcess',
    });
    expect((await claimStore.read(one))?.status).toBe('confirmed');
    // Deleted by the event source after a clean answer: neither waiting nor in flight, never failed.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: intakeQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    expect(answers.slice(answersBefore).flatMap((answer) => answer.batchItemFailures)).toEqual([]);
  }, 30_000);

  test("the events handed to the processor are what Lambda's SQS event source sends (Powertools' SqsSchema)", async () => {
    await accept(notification());
    await resultsEvents(1);

    expect(seenEvents.length).toBeGreaterThan(0);
    for (const event of seenEvents) expect(SqsSchema.safeParse(event).success).toBe(true);
  }, 30_000);
});
