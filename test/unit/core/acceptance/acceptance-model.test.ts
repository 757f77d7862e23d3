import { describe, expect, test } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { NotificationAcceptor } from '../../../../lambdas/core/acceptance/accept-notification.ts';
import { DynamoDbClaimStore } from '../../../../lambdas/adapters/dynamodb/dynamodb-claim-store.ts';
import { Deadline } from '../../../../lambdas/core/deadline.ts';
import type { Notification } from '../../../../lambdas/core/notification.ts';
import { SqsIntakeQueue } from '../../../../lambdas/adapters/sqs/sqs-intake-queue.ts';

/**
 * The acceptance invariant, explored rather than hand-picked: the real NotificationAcceptor over
 * the real DynamoDB and SQS adapters, whose clients are in-memory services that fail on command.
 * fast-check's scheduler decides the order in which every dependency call completes, when each
 * copy of the delivery is sent, when the sender retries, and when the queue's consumer confirms.
 *
 * Each dependency call (the claim's put, its read where the store leaves the old item out, the
 * send) may:
 * - succeed;
 * - fail before applying (a refused connection, a 500);
 * - apply and lose its answer (the caller sees a reset), with or without the SDK retrying once;
 * - apply or not, and then hang past the deadline;
 * - apply, and then the request crashes there (the function dies: no answer at all).
 * A crash between two steps is a crash after the first one applied; a crash before the first
 * step is a request that never started. Both are covered.
 *
 * Properties: every 2xx is given only when the key is on the queue; when the faults stop, a
 * retry of the delivery answers 2xx (nothing is left stuck, whatever the timing).
 */

const DEADLINE_MS = 40;

type Fault = 'ok' | 'fail-before' | 'lose-answer' | 'lose-answer-sdk-retries' | 'hang-applied' | 'hang-unapplied' | 'crash-after';

const faultArbitrary = fc.constantFrom<Fault>(
  'ok',
  'fail-before',
  'lose-answer',
  'lose-answer-sdk-retries',
  'hang-applied',
  'hang-unapplied',
  'crash-after',
);

class ConnectionReset extends Error {
  override readonly name = 'ECONNRESET';
}
class Crash extends Error {
  override readonly name = 'Crash';
}

/** One fault per dependency call, in the order calls are made; `ok` once they run out. */
class FaultPlan {
  readonly #faults: Fault[];
  constructor(faults: readonly Fault[]) {
    this.#faults = [...faults];
  }
  next(): Fault {
    return this.#faults.shift() ?? 'ok';
  }
  clear(): void {
    this.#faults.length = 0;
  }
}

/** Runs `apply` under a fault, at the moment the scheduler chooses. */
async function underFault<T>(scheduler: fc.Scheduler, fault: Fault, label: string, apply: () => T): Promise<T> {
  await scheduler.schedule(Promise.resolve(), label);
  switch (fault) {
    case 'ok':
      return apply();
    case 'fail-before':
      throw new ConnectionReset('refused before applying');
    case 'lose-answer':
      apply();
      throw new ConnectionReset('applied, answer lost');
    case 'lose-answer-sdk-retries':
      apply();
      // The SDK's own retry of the same command, whose answer does come back.
      await scheduler.schedule(Promise.resolve(), `${label} (SDK retry)`);
      return apply();
    case 'hang-applied':
      apply();
      return new Promise<T>(() => undefined);
    case 'hang-unapplied':
      return new Promise<T>(() => undefined);
    case 'crash-after':
      apply();
      throw new Crash('the function died here');
  }
}

/**
 * DynamoDB as the claim store uses it, in memory: PutItem under `attribute_not_exists` on the key
 * (failing with ConditionalCheckFailedException, carrying the old item when asked for ALL_OLD and
 * `returnsOldItem` is set, as DynamoDB does; without it, as dynalite does) and a consistent
 * GetItem. Anything else is refused, so the store cannot lean on a command or an expression this
 * fake does not model.
 */
class InMemoryDynamoDb {
  readonly items = new Map<string, Record<string, AttributeValue>>();
  readonly #scheduler: fc.Scheduler;
  readonly #faults: FaultPlan;
  readonly #returnsOldItem: boolean;

  constructor(scheduler: fc.Scheduler, faults: FaultPlan, returnsOldItem: boolean) {
    this.#scheduler = scheduler;
    this.#faults = faults;
    this.#returnsOldItem = returnsOldItem;
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetItemCommand) {
      if (command.input.ConsistentRead !== true) throw new Error('only consistent reads are modelled');
      const key = keyOf(command.input.Key ?? {});
      return underFault(this.#scheduler, this.#faults.next(), 'GetItem', () => {
        const item = this.items.get(key);
        return item === undefined ? {} : { Item: { ...item } };
      });
    }
    if (!(command instanceof PutItemCommand)) throw new Error(`unexpected DynamoDB command ${String(command)}`);
    const { Item: item = {}, ConditionExpression: condition, ExpressionAttributeNames: names = {} } = command.input;
    const onFailure = command.input.ReturnValuesOnConditionCheckFailure;
    const guarded = /^attribute_not_exists\((#\w+)\)$/.exec(condition ?? '');
    if (guarded === null || names[guarded[1] ?? ''] !== 'processId') throw new Error(`condition not modelled: ${condition}`);
    return underFault(this.#scheduler, this.#faults.next(), 'PutItem', () => {
      const key = keyOf(item);
      const before = this.items.get(key);
      if (before !== undefined) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          ...(this.#returnsOldItem && onFailure === 'ALL_OLD' ? { Item: { ...before } } : {}),
        });
      }
      this.items.set(key, { ...item });
      return {};
    });
  }

  /** What the intake queue's consumer does once it read the message. */
  confirm(key: string): void {
    const item = this.items.get(key);
    if (item !== undefined) this.items.set(key, { ...item, status: { S: 'confirmed' } });
  }
}

/** A FIFO queue's SendMessage, in memory, deduplicating by MessageDeduplicationId. */
class InMemoryFifoQueue {
  readonly deduplicationIds = new Set<string>();
  readonly #scheduler: fc.Scheduler;
  readonly #faults: FaultPlan;

  constructor(scheduler: fc.Scheduler, faults: FaultPlan) {
    this.#scheduler = scheduler;
    this.#faults = faults;
  }

  async send(command: unknown): Promise<unknown> {
    if (!(command instanceof SendMessageCommand)) throw new Error(`unexpected SQS command ${String(command)}`);
    const id = command.input.MessageDeduplicationId ?? '';
    return underFault(this.#scheduler, this.#faults.next(), 'SendMessage', () => {
      this.deduplicationIds.add(id);
      return { MessageId: id };
    });
  }
}

const keyOf = (item: Record<string, AttributeValue>) => `${item.processId?.S}:${item.state?.S}`;

const notification: Notification = {
  processId: '0b6f3f52-8a9c-4c1e-9d53-2f1f6c7a9e01',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idunicosign',
};
const KEY = `${notification.processId}:${notification.state}`;

type Answer = { readonly status: 200 | 202 | 503 } | { readonly status: 'no answer' };

describe('acceptance under faults and arbitrary interleavings', () => {
  test('every 2xx has the key on the queue, and a retry after the faults always answers 2xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(faultArbitrary, { maxLength: 10 }),
        fc.array(faultArbitrary, { maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (scheduler, dynamodbFaults, sqsFaults, copies, attemptsPerCopy, consumerPolls, returnsOldItem) => {
          const dynamodbPlan = new FaultPlan(dynamodbFaults);
          const sqsPlan = new FaultPlan(sqsFaults);
          const dynamodb = new InMemoryDynamoDb(scheduler, dynamodbPlan, returnsOldItem);
          const queue = new InMemoryFifoQueue(scheduler, sqsPlan);
          const acceptor = new NotificationAcceptor({
            claims: new DynamoDbClaimStore({
              client: dynamodb as unknown as DynamoDBClient,
              tableName: 'claims',
              retentionDays: 90,
            }),
            queue: new SqsIntakeQueue({ client: queue as unknown as SQSClient, queueUrl: 'intake.fifo' }),
          });
          const violations: string[] = [];

          /** One request as the handler makes it: 202, 200, 503, or nothing when it crashed. */
          const deliver = async (): Promise<Answer> => {
            try {
              const outcome = await acceptor.accept({
                notification,
                detectedBy: 'webhook',
                receivedAt: '2026-11-26T10:00:00.000Z',
                deadline: Deadline.after(DEADLINE_MS),
              });
              const answer = { status: outcome === 'accepted' ? 202 : 200 } as const;
              if (!queue.deduplicationIds.has(KEY)) violations.push(`answered ${answer.status} with the key not on the queue`);
              return answer;
            } catch (error) {
              return error instanceof Crash ? { status: 'no answer' } : { status: 503 };
            }
          };

          /** Unico: one copy of the delivery, retried after any non-2xx at a moment of the scheduler's choosing. */
          const sender = async (copy: number) => {
            await scheduler.schedule(Promise.resolve(), `copy ${copy} sent`);
            for (let attempt = 1; attempt <= attemptsPerCopy; attempt++) {
              const answer = await deliver();
              if (answer.status === 200 || answer.status === 202) return;
              await scheduler.schedule(Promise.resolve(), `copy ${copy} retries`);
            }
          };

          /** The intake queue's consumer: confirms a claim only for what it read from the queue. */
          const consumer = async () => {
            for (let poll = 0; poll < consumerPolls; poll++) {
              await scheduler.schedule(Promise.resolve(), 'consumer polls');
              if (queue.deduplicationIds.has(KEY)) dynamodb.confirm(KEY);
            }
          };

          await scheduler.waitFor(
            Promise.allSettled([...Array.from({ length: copies }, (_, copy) => sender(copy)), consumer()]),
          );

          // The faults are over: the sender's next retry must get a 2xx.
          dynamodbPlan.clear();
          sqsPlan.clear();
          const lastRetry = scheduler.waitFor(deliver());
          const answer = await lastRetry;

          expect(violations).toEqual([]);
          expect(answer.status === 200 || answer.status === 202).toBe(true);
          expect(queue.deduplicationIds.has(KEY)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
