/**
 * Faults injected through `POST {adminUrl}/faults`: each spec applies to the next `count` calls
 * of its target (GetProcess unless `"target": "token"`), specs in the order they were posted.
 *
 *   { "status": 429, "retryAfter": 2, "count": 5 }   answer 429 with Retry-After: 2
 *   { "status": 500, "count": 3 }                    answer 500
 *   { "delayMs": 4000, "count": 2 }                  answer as usual, 4 s late
 *   { "delayMs": 4000, "status": 503, "count": 1 }   both
 *   { "target": "token", "status": 400, "body": { "error": "invalid_grant" } }
 *                                                    the next token request is refused so
 */

/** Which endpoint a fault applies to. */
export type FaultTarget = 'token' | 'getProcess';
export const FAULT_TARGETS: readonly FaultTarget[] = ['getProcess', 'token'];

export interface FaultSpec {
  /** Default getProcess. */
  readonly target: FaultTarget;
  /** The status to answer instead of the real one (400 to 599). */
  readonly status?: number;
  /** Seconds for the Retry-After header (only with a status). */
  readonly retryAfter?: number;
  /** How long to hold the answer, in ms. */
  readonly delayMs?: number;
  /** The answer's JSON body (only with a status); without it, a body saying the fault was injected. */
  readonly body?: unknown;
  /** How many calls of the target it applies to. */
  readonly count: number;
}

/** What one call gets. */
export type Fault = Omit<FaultSpec, 'count' | 'target'>;

const MAX_DELAY_MS = 120_000;
const MAX_COUNT = 1_000_000;

/** The spec, or a sentence saying what is wrong with the body. */
export function parseFaultSpec(body: unknown): FaultSpec | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const { target, status, retryAfter, delayMs, body: answerBody, count, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return `unknown field ${unknown[0]}: use target, status, retryAfter, delayMs, body, count`;
  if (target !== undefined && !FAULT_TARGETS.includes(target as FaultTarget)) return 'target must be "getProcess" or "token"';
  if (status === undefined && delayMs === undefined) return 'give a status, a delayMs, or both';
  if (status !== undefined && !(Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599)) {
    return 'status must be a whole number from 400 to 599';
  }
  if (retryAfter !== undefined) {
    if (status === undefined) return 'retryAfter goes with a status';
    if (!(Number.isInteger(retryAfter) && (retryAfter as number) >= 0 && (retryAfter as number) <= 86_400)) {
      return 'retryAfter must be whole seconds from 0 to 86400';
    }
  }
  if (answerBody !== undefined && status === undefined) return 'body goes with a status';
  if (delayMs !== undefined && !(Number.isInteger(delayMs) && (delayMs as number) >= 0 && (delayMs as number) <= MAX_DELAY_MS)) {
    return `delayMs must be a whole number from 0 to ${MAX_DELAY_MS}`;
  }
  const times = count ?? 1;
  if (!(Number.isInteger(times) && (times as number) >= 1 && (times as number) <= MAX_COUNT)) {
    return `count must be a whole number from 1 to ${MAX_COUNT}`;
  }
  return {
    target: (target ?? 'getProcess') as FaultTarget,
    ...(status === undefined ? {} : { status: status as number }),
    ...(retryAfter === undefined ? {} : { retryAfter: retryAfter as number }),
    ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
    ...(answerBody === undefined ? {} : { body: answerBody }),
    count: times as number,
  };
}

export class FaultQueue {
  readonly #queue: Array<{ fault: Fault; left: number }> = [];

  add(spec: Omit<FaultSpec, 'target'>): void {
    const { count, ...fault } = spec;
    this.#queue.push({ fault, left: count });
  }

  clear(): void {
    this.#queue.length = 0;
  }

  /** The fault for the next call, used up by this call; undefined when none is left. */
  take(): Fault | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    head.left -= 1;
    if (head.left === 0) this.#queue.shift();
    return head.fault;
  }

  /** Calls still to be faulted. */
  get pending(): number {
    return this.#queue.reduce((sum, entry) => sum + entry.left, 0);
  }
}
