import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  GcraRequestBudget,
  UNICO_TENANT_REQUESTS_PER_SECOND,
  type BudgetTime,
  type GcraBudgetSettings,
  type RateLimitState,
  type RateLimitStore,
  type Reservation,
} from '../../core/unico/request-budget.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';

const { partitionKey, sortKey } = CLAIMS_TABLE;

/** The budget's record in the claims table: no process id looks like this (they are UUIDs). */
export const DEFAULT_BUDGET_KEY = 'budget#unico';
export const BUDGET_SORT_KEY = 'rate';

export interface DynamoDbRateLimitStoreOptions {
  readonly client: DynamoDBClient;
  /** The claims table: the record is one more item in it, so no new table or grant is needed. */
  readonly tableName: string;
  /** The record's partition key; one per Unico tenant. Default `budget#unico`. */
  readonly key?: string;
}

/**
 * The request budget's shared record (see lambdas/core/unico/request-budget.ts) as one item of
 * the claims table: `{ processId: "budget#unico", state: "rate", tat, pausedUntil }`. It carries
 * no `expiresAt`, so TTL never removes it (and a removed one would simply start again).
 *
 * Each write is one conditional UpdateItem that returns the item it left. DynamoDB also returns
 * the item a failed condition saw (ReturnValuesOnConditionCheckFailure), as the local stack's
 * emulator does; a store that leaves it out costs the budget a read.
 */
export class DynamoDbRateLimitStore implements RateLimitStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #key: Record<string, AttributeValue>;

  constructor(options: DynamoDbRateLimitStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#key = { [partitionKey]: { S: options.key ?? DEFAULT_BUDGET_KEY }, [sortKey]: { S: BUDGET_SORT_KEY } };
  }

  async advance(intervalMs: number, fromMs: number, notAfterMs: number | undefined, signal?: AbortSignal): Promise<Reservation> {
    const inQueue = notAfterMs === undefined ? '#tat >= :from' : '#tat >= :from AND #tat <= :notAfter';
    const attempt = await this.#conditionalUpdate(
      'SET #tat = #tat + :interval',
      `${inQueue} AND (attribute_not_exists(#paused) OR #paused <= #tat)`,
      { ':interval': num(intervalMs), ':from': num(fromMs), ...(notAfterMs === undefined ? {} : { ':notAfter': num(notAfterMs) }) },
      signal,
    );
    return attempt.written ? { reserved: true, slotMs: attempt.state.tat - intervalMs, state: attempt.state } : attempt.refused;
  }

  async restart(slotMs: number, intervalMs: number, signal?: AbortSignal): Promise<Reservation> {
    const attempt = await this.#conditionalUpdate(
      'SET #tat = :next',
      '(attribute_not_exists(#tat) OR #tat <= :slot) AND (attribute_not_exists(#paused) OR #paused <= :slot)',
      { ':next': num(slotMs + intervalMs), ':slot': num(slotMs) },
      signal,
    );
    return attempt.written ? { reserved: true, slotMs, state: attempt.state } : attempt.refused;
  }

  async read(signal?: AbortSignal): Promise<RateLimitState | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: this.#key, ConsistentRead: true }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    return Item === undefined ? undefined : toState(Item);
  }

  async extendPause(untilMs: number, signal?: AbortSignal): Promise<void> {
    // A refused condition means a longer pause is already stored: nothing to do.
    await this.#conditionalUpdate(
      'SET #paused = :until',
      'attribute_not_exists(#paused) OR #paused < :until',
      { ':until': num(untilMs) },
      signal,
    );
  }

  async #conditionalUpdate(
    update: string,
    condition: string,
    values: Record<string, AttributeValue>,
    signal: AbortSignal | undefined,
  ): Promise<
    | { readonly written: true; readonly state: RateLimitState }
    | { readonly written: false; readonly refused: Reservation & { reserved: false } }
  > {
    const names: Record<string, string> = {};
    for (const [placeholder, name] of Object.entries(ATTRIBUTE_NAMES)) {
      if (update.includes(placeholder) || condition.includes(placeholder)) names[placeholder] = name;
    }
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return { written: true, state: toState(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { written: false, refused: { reserved: false, state: error.Item === undefined ? undefined : toState(error.Item) } };
    }
  }
}

export interface DynamoDbRequestBudgetOptions extends DynamoDbRateLimitStoreOptions, Partial<GcraBudgetSettings> {
  /** For tests: the clock and sleep. */
  readonly time?: BudgetTime;
}

/**
 * The request budget every Lambda that calls Unico shares: one record in the claims table.
 * `maxPerSecond` is this deployment's share of the tenant's budget (default: all of Unico's
 * default 10); every caller of one key must be given the same value.
 */
export function createDynamoDbRequestBudget(options: DynamoDbRequestBudgetOptions): GcraRequestBudget {
  const { client, tableName, key, maxPerSecond, guardMs, time } = options;
  const store = new DynamoDbRateLimitStore({ client, tableName, ...(key === undefined ? {} : { key }) });
  const settings: GcraBudgetSettings = {
    maxPerSecond: maxPerSecond ?? UNICO_TENANT_REQUESTS_PER_SECOND,
    ...(guardMs === undefined ? {} : { guardMs }),
  };
  return new GcraRequestBudget(store, settings, time);
}

const ATTRIBUTE_NAMES = { '#tat': 'tat', '#paused': 'pausedUntil' } as const;

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function toState(item: Record<string, AttributeValue>): RateLimitState {
  const read = (name: string): number => {
    const value = Number(item[name]?.N ?? '0');
    return Number.isFinite(value) ? value : 0;
  };
  return { tat: read('tat'), pausedUntil: read('pausedUntil') };
}
