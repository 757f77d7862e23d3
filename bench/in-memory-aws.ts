/**
 * DynamoDB and SQS answered in memory, below the SDK: a `requestHandler` for the real clients, so
 * that everything the SDK does in Lambda still runs (serialisation, SigV4 signing, retries and
 * their middleware, response parsing, SQS's MD5 check) and only the network is gone. It counts
 * every HTTP request it answers, by operation: what a delivery costs in AWS requests.
 *
 * The bench's warm-intake comparison and its unit test use it. It models what the two intakes
 * ask of DynamoDB (PutItem with a condition and ALL_OLD on failure, GetItem, UpdateItem with SET,
 * DeleteItem) and SQS (SendMessage); anything else is answered 400, so a new call shows up.
 */
import { createHash, randomUUID } from 'node:crypto';

type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; M?: Item; L?: AttributeValue[] };
type Item = Record<string, AttributeValue>;

/** The shape the SDK's HTTP handlers give and take (smithy's HttpRequest / HttpResponse). */
interface StubHttpRequest {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}
interface StubHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** A table's key attributes, as its key schema names them. */
export interface StubTable {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export class InMemoryAws {
  readonly #tables = new Map<string, { readonly key: StubTable; readonly items: Map<string, Item> }>();
  readonly #queues = new Map<string, number>();
  /** Requests answered, by operation ("DynamoDB.PutItem", "SQS.SendMessage", ...). */
  readonly requests = new Map<string, number>();

  constructor(tables: Readonly<Record<string, StubTable>>) {
    for (const [name, key] of Object.entries(tables)) this.#tables.set(name, { key, items: new Map() });
  }

  /** Every request counted so far, all operations together. */
  get totalRequests(): number {
    let total = 0;
    for (const count of this.requests.values()) total += count;
    return total;
  }

  /** Messages sent to a queue (by the URL's last segment). */
  sentTo(queueName: string): number {
    return this.#queues.get(queueName) ?? 0;
  }

  /** An item as stored, for tests and for the bench's stand-in of the processor. */
  items(table: string): Iterable<Item> {
    return this.#tables.get(table)?.items.values() ?? [];
  }

  /**
   * The client option to pass to DynamoDBClient and SQSClient, with a fixed region and
   * credentials so nothing is looked up from the environment.
   */
  clientConfig() {
    return {
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
      requestHandler: {
        // The I/O turn a real answer takes: concurrent deliveries interleave as they do over sockets.
        handle: (request: StubHttpRequest) =>
          new Promise<{ response: StubHttpResponse }>((resolve) => setImmediate(() => resolve({ response: this.answer(request) }))),
        updateHttpClientConfig: () => undefined,
        httpHandlerConfigs: () => ({}),
      },
    };
  }

  answer(request: StubHttpRequest): StubHttpResponse {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
    const operation = target.startsWith('DynamoDB_20120810.')
      ? `DynamoDB.${target.slice('DynamoDB_20120810.'.length)}`
      : target.startsWith('AmazonSQS.')
        ? `SQS.${target.slice('AmazonSQS.'.length)}`
        : target;
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
    const input = JSON.parse(bodyText(request.body)) as Record<string, unknown>;
    try {
      switch (operation) {
        case 'DynamoDB.PutItem':
          return ok(this.#putItem(input));
        case 'DynamoDB.GetItem':
          return ok(this.#getItem(input));
        case 'DynamoDB.UpdateItem':
          return ok(this.#updateItem(input));
        case 'DynamoDB.DeleteItem':
          return ok(this.#deleteItem(input));
        case 'SQS.SendMessage':
          return ok(this.#sendMessage(input));
        default:
          return failure('UnknownOperationException', `the stub does not answer ${operation}`);
      }
    } catch (error) {
      if (error instanceof StubServiceError) return failure(error.type, error.message, error.extra);
      // An expression the stub cannot read is DynamoDB's 400 too, never an exception in the
      // request's I/O turn, where it would end the process instead of failing the call.
      return failure('ValidationException', error instanceof Error ? error.message : String(error));
    }
  }

  #table(input: Record<string, unknown>) {
    const table = this.#tables.get(String(input.TableName));
    if (table === undefined) throw new StubServiceError('ResourceNotFoundException', 'Requested resource not found');
    return table;
  }

  #keyOf(table: { readonly key: StubTable }, item: Item): string {
    const part = (name: string | undefined) => (name === undefined ? '' : JSON.stringify(item[name] ?? null));
    return `${part(table.key.partitionKey)}|${part(table.key.sortKey)}`;
  }

  #putItem(input: Record<string, unknown>): object {
    const table = this.#table(input);
    const item = input.Item as Item;
    const key = this.#keyOf(table, item);
    const existing = table.items.get(key);
    this.#check(input, existing);
    table.items.set(key, item);
    return {};
  }

  #getItem(input: Record<string, unknown>): object {
    const table = this.#table(input);
    const existing = table.items.get(this.#keyOf(table, input.Key as Item));
    return existing === undefined ? {} : { Item: existing };
  }

  #updateItem(input: Record<string, unknown>): object {
    const table = this.#table(input);
    const key = this.#keyOf(table, input.Key as Item);
    const existing = table.items.get(key);
    this.#check(input, existing);
    const item: Item = { ...(existing ?? {}), ...(input.Key as Item) };
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Item;
    const expression = String(input.UpdateExpression ?? '');
    if (!expression.startsWith('SET ')) throw new StubServiceError('ValidationException', `the stub only does SET: ${expression}`);
    for (const assignment of splitTopLevel(expression.slice(4))) {
      const [left, right] = assignment.split(/\s*=\s*(.*)/s, 2).map((part) => part.trim());
      const name = resolveName(left ?? '', names);
      const ifNotExists = right?.match(/^if_not_exists\(\s*([#\w]+)\s*,\s*(:\w+)\s*\)$/);
      const value = ifNotExists ? (item[resolveName(ifNotExists[1] ?? '', names)] ?? values[ifNotExists[2] ?? '']) : values[right ?? ''];
      if (value === undefined) throw new StubServiceError('ValidationException', `no value for ${assignment}`);
      item[name] = value;
    }
    table.items.set(key, item);
    return {};
  }

  #deleteItem(input: Record<string, unknown>): object {
    const table = this.#table(input);
    table.items.delete(this.#keyOf(table, input.Key as Item));
    return {};
  }

  #sendMessage(input: Record<string, unknown>): object {
    const queueName = String(input.QueueUrl).split('/').at(-1) ?? '';
    this.#queues.set(queueName, (this.#queues.get(queueName) ?? 0) + 1);
    const body = String(input.MessageBody);
    return {
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
      ...(queueName.endsWith('.fifo') ? { SequenceNumber: String(this.sentTo(queueName)).padStart(20, '0') } : {}),
    };
  }

  /** DynamoDB's condition check, with the old item in the error when ALL_OLD was asked for. */
  #check(input: Record<string, unknown>, existing: Item | undefined): void {
    const condition = input.ConditionExpression;
    if (typeof condition !== 'string') return;
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Item;
    if (evaluateCondition(condition, existing ?? {}, names, values)) return;
    const withOld = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && existing !== undefined;
    throw new StubServiceError('ConditionalCheckFailedException', 'The conditional request failed', withOld ? { Item: existing } : {});
  }
}

class StubServiceError extends Error {
  readonly type: string;
  readonly extra: object;
  constructor(type: string, message: string, extra: object = {}) {
    super(message);
    this.type = type;
    this.extra = extra;
  }
}

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'stub' };

function ok(output: object): StubHttpResponse {
  return { statusCode: 200, headers: { ...JSON_HEADERS }, body: Buffer.from(JSON.stringify(output)) };
}

function failure(type: string, message: string, extra: object = {}): StubHttpResponse {
  const body = { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra };
  return { statusCode: 400, headers: { ...JSON_HEADERS, 'x-amzn-errortype': type }, body: Buffer.from(JSON.stringify(body)) };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  // The bytes as a socket would carry them (Buffer.from(body) would call the SDK's string adapter).
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '{}';
}

function resolveName(token: string, names: Record<string, string>): string {
  return token.startsWith('#') ? (names[token] ?? token) : token;
}

/** Splits "a = :a, b = if_not_exists(b, :b)" at the commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index).trim());
      start = index + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((part) => part.length > 0);
}

/**
 * DynamoDB's condition grammar as far as the intakes use it: attribute_exists,
 * attribute_not_exists, = <> < <= > >=, AND, OR, NOT and parentheses.
 */
export function evaluateCondition(expression: string, item: Item, names: Record<string, string>, values: Item): boolean {
  const tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|,|[#:]?[\w.]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++] ?? '';
  const expect = (token: string) => {
    if (next() !== token) throw new Error(`condition "${expression}": expected ${token}`);
  };
  const operand = (token: string): AttributeValue | undefined =>
    token.startsWith(':') ? values[token] : item[resolveName(token, names)];

  const orExpression = (): boolean => {
    let result = andExpression();
    while (peek()?.toUpperCase() === 'OR') {
      next();
      result = andExpression() || result;
    }
    return result;
  };
  const andExpression = (): boolean => {
    let result = unary();
    while (peek()?.toUpperCase() === 'AND') {
      next();
      result = unary() && result;
    }
    return result;
  };
  const unary = (): boolean => {
    const token = next();
    if (token.toUpperCase() === 'NOT') return !unary();
    if (token === '(') {
      const result = orExpression();
      expect(')');
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      expect('(');
      const present = operand(next()) !== undefined;
      expect(')');
      return token === 'attribute_exists' ? present : !present;
    }
    const left = operand(token);
    const comparator = next();
    const right = operand(next());
    return compare(left, comparator, right);
  };
  const result = orExpression();
  if (position !== tokens.length) throw new Error(`condition "${expression}": unexpected ${peek()}`);
  return result;
}

function compare(left: AttributeValue | undefined, comparator: string, right: AttributeValue | undefined): boolean {
  // A missing attribute compares false with anything, as in DynamoDB.
  if (left === undefined || right === undefined) return false;
  const a = left.N !== undefined ? Number(left.N) : (left.S ?? JSON.stringify(left));
  const b = right.N !== undefined ? Number(right.N) : (right.S ?? JSON.stringify(right));
  switch (comparator) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      throw new Error(`comparator ${comparator}`);
  }
}
