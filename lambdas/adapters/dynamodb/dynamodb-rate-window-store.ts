import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  UNICO_TENANT_REQUESTS_PER_SECOND,
  WindowedRequestBudget,
  type BudgetTime,
  type RateWindowAttempt,
  type RateWindowState,
  type RateWindowStore,
  type WindowedBudgetSettings,
} from '../../core/unico/request-budget.ts';
import { CLAIMS_TABLE } from '../../contracts/claims-table.ts';

const { partitionKey, sortKey } = CLAIMS_TABLE;

/** The budget's record in the claims table: no process id looks like this (they are UUIDs). */
export const DEFAULT_BUDGET_KEY = 'budget#unico';
export const BUDGET_SORT_KEY = 'rate';

export interface DynamoDbRateWindowStoreOptions {
  readonly client: DynamoDBClient;
  /** The claims table: the record is one more item in it, so no new table or grant is needed. */
  readonly tableName: string;
  /** The record's partition key; one per Unico tenant. Default `budget#unico`. */
  readonly key?: string;
}

/**
 * The request budget's shared record (see lambdas/core/unico/request-budget.ts) as one item of
 * the claims table: `{ processId: "budget#unico", state: "rate", windowSecond, grants,
 * pausedUntil }`. It carries no `expiresAt`, so TTL never removes it (and a removed one would
 * simply be created again by the next grant).
 *
 * Each operation is one conditional UpdateItem. Real DynamoDB returns the item a failed condition
 * saw (ReturnValuesOnConditionCheckFailure); dynalite does not, and then the budget reads it.
 */
export class DynamoDbRateWindowStore implements RateWindowStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #key: Record<string, AttributeValue>;

  constructor(options: DynamoDbRateWindowStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#key = { [partitionKey]: { S: options.key ?? DEFAULT_BUDGET_KEY }, [sortKey]: { S: BUDGET_SORT_KEY } };
  }

  take(windowSecond: number, max: number, nowMs: number, signal?: AbortSignal): Promise<RateWindowAttempt> {
    return this.#conditionalUpdate(
      'SET #grants = #grants + :one',
      '#window = :window AND #grants < :max AND (attribute_not_exists(#paused) OR #paused <= :now)',
      { ':one': num(1), ':window': num(windowSecond), ':max': num(max), ':now': num(nowMs) },
      signal,
    );
  }

  open(windowSecond: number, nowMs: number, signal?: AbortSignal): Promise<RateWindowAttempt> {
    return this.#conditionalUpdate(
      'SET #window = :window, #grants = :one',
      '(attribute_not_exists(#window) OR #window < :window) AND (attribute_not_exists(#paused) OR #paused <= :now)',
      { ':one': num(1), ':window': num(windowSecond), ':now': num(nowMs) },
      signal,
    );
  }

  async read(signal?: AbortSignal): Promise<RateWindowState | undefined> {
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
  ): Promise<RateWindowAttempt> {
    const names: Record<string, string> = {};
    for (const [placeholder, name] of Object.entries(ATTRIBUTE_NAMES)) {
      if (update.includes(placeholder) || condition.includes(placeholder)) names[placeholder] = name;
    }
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return { granted: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { granted: false, state: error.Item === undefined ? undefined : toState(error.Item) };
    }
  }
}

export interface DynamoDbRequestBudgetOptions extends DynamoDbRateWindowStoreOptions, Partial<WindowedBudgetSettings> {
  /** For tests: the clock, sleep and randomness. */
  readonly time?: BudgetTime;
}

/**
 * The request budget every Lambda that calls Unico shares: one record in the claims table.
 * `maxPerSecond` is this deployment's share of the tenant's budget (default: all of Unico's
 * default 10); processor and fallback must be given the same value and key.
 */
export function createDynamoDbRequestBudget(options: DynamoDbRequestBudgetOptions): WindowedRequestBudget {
  const { client, tableName, key, maxPerSecond, guardMs, jitterMs, time } = options;
  const store = new DynamoDbRateWindowStore({ client, tableName, ...(key === undefined ? {} : { key }) });
  const settings: WindowedBudgetSettings = {
    maxPerSecond: maxPerSecond ?? UNICO_TENANT_REQUESTS_PER_SECOND,
    ...(guardMs === undefined ? {} : { guardMs }),
    ...(jitterMs === undefined ? {} : { jitterMs }),
  };
  return time === undefined ? new WindowedRequestBudget(store, settings) : new WindowedRequestBudget(store, settings, time);
}

const ATTRIBUTE_NAMES = { '#window': 'windowSecond', '#grants': 'grants', '#paused': 'pausedUntil' } as const;

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function toState(item: Record<string, AttributeValue>): RateWindowState {
  const read = (name: string): number => {
    const value = Number(item[name]?.N ?? '0');
    return Number.isFinite(value) ? value : 0;
  };
  return { windowSecond: read('windowSecond'), grants: read('grants'), pausedUntil: read('pausedUntil') };
}
