/**
 * What the processor took from the intake queue and published on the results queue, per process.
 * Reading those queues to show them would take messages from their consumers (and count receives
 * towards the dead-letter limit), so the inspector watches the processor's own SQS client instead:
 * a middleware sees each intake message it receives and each results event it sends. The events'
 * outcomes stay in this process's memory only, for the newest few thousand processes.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface TrailMessage {
  /** When the processor received or sent it (ISO 8601). */
  readonly at: string;
  readonly body: unknown;
}

export interface ProcessTrailEntry {
  readonly intakeMessages: readonly TrailMessage[];
  readonly resultsEvents: readonly TrailMessage[];
}

export interface TrailQueues {
  readonly intakeQueueUrl: string;
  readonly resultsQueueUrl: string;
}

interface Mutable {
  intakeMessages: TrailMessage[];
  resultsEvents: TrailMessage[];
}

/** Messages beyond this many per process and kind are dropped, oldest first. */
const PER_PROCESS = 20;

export class ProcessTrail {
  readonly #limit: number;
  readonly #now: () => number;
  readonly #byProcess = new Map<string, Mutable>();
  readonly #listeners = new Set<(processId: string) => void>();

  constructor(limit = 5_000, now: () => number = Date.now) {
    this.#limit = limit;
    this.#now = now;
  }

  get(processId: string): ProcessTrailEntry {
    const entry = this.#byProcess.get(processId.toLowerCase());
    return { intakeMessages: [...(entry?.intakeMessages ?? [])], resultsEvents: [...(entry?.resultsEvents ?? [])] };
  }

  /** Records a message body from the intake queue (`intake`) or for the results queue (`results`). */
  record(kind: 'intake' | 'results', body: string | undefined): void {
    const json = parse(body);
    const processId = processIdOf(kind, json);
    if (processId === undefined) return;
    const entry = this.#entry(processId);
    const list = kind === 'intake' ? entry.intakeMessages : entry.resultsEvents;
    list.push({ at: new Date(this.#now()).toISOString(), body: json });
    if (list.length > PER_PROCESS) list.shift();
    for (const listener of this.#listeners) listener(processId);
  }

  subscribe(listener: (processId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds the middleware that records what `client` receives from the intake queue and sends to the results queue. */
  watch(client: SQSClient, queues: TrailQueues): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        try {
          this.#observe(context.commandName, args.input as Record<string, unknown>, result.output as unknown as Record<string, unknown>, queues);
        } catch {
          // Watching must never change what the processor sees.
        }
        return result;
      },
      { step: 'initialize', name: 'localInspectorTrail' },
    );
  }

  #observe(command: string | undefined, input: Record<string, unknown>, output: Record<string, unknown>, queues: TrailQueues): void {
    if (command === 'ReceiveMessageCommand' && input.QueueUrl === queues.intakeQueueUrl) {
      for (const message of (output.Messages ?? []) as Array<{ Body?: string }>) this.record('intake', message.Body);
    } else if (command === 'SendMessageCommand' && input.QueueUrl === queues.resultsQueueUrl) {
      this.record('results', input.MessageBody as string | undefined);
    } else if (command === 'SendMessageBatchCommand' && input.QueueUrl === queues.resultsQueueUrl) {
      for (const entry of (input.Entries ?? []) as Array<{ MessageBody?: string }>) this.record('results', entry.MessageBody);
    }
  }

  #entry(processId: string): Mutable {
    const existing = this.#byProcess.get(processId);
    if (existing !== undefined) {
      // Most recently touched last, so the oldest is dropped first.
      this.#byProcess.delete(processId);
      this.#byProcess.set(processId, existing);
      return existing;
    }
    const created: Mutable = { intakeMessages: [], resultsEvents: [] };
    this.#byProcess.set(processId, created);
    for (const oldest of this.#byProcess.keys()) {
      if (this.#byProcess.size <= this.#limit) break;
      this.#byProcess.delete(oldest);
    }
    return created;
  }
}

function parse(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** An intake message has processId at the top; a results event (CloudEvent) has it as `subject`. */
function processIdOf(kind: 'intake' | 'results', json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value = kind === 'intake' ? (json as { processId?: unknown }).processId : (json as { subject?: unknown }).subject;
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}
