import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ResultsPublisher } from '../../core/processing/ports.ts';
import type { ResultsEvent } from '../../contracts/results-event.ts';
import { EVENT_BUS_ENTRY_MAX_BYTES, RESULTS_EVENT_BUS_SOURCE } from '../../contracts/results-event-bus.ts';

export interface EventBridgeResultsPublisherOptions {
  readonly client: EventBridgeClient;
  /** The bus's name or ARN (an ARN reaches a bus of another account). */
  readonly eventBusName: string;
}

/** What EventBridge counts for an entry's Time, whatever its value. */
const TIME_BYTES = 14;

/** PutEvents' per-entry error codes that heal by themselves; any other needs a person. */
const TRANSIENT_ENTRY_ERRORS = new Set(['InternalFailure', 'InternalException', 'ThrottlingException']);

/**
 * A results event PutEvents refused although the call succeeded (FailedEntryCount > 0): a failure
 * like any other, so the message is retried and the results queue is not sent to.
 * `failureKind` tells the processor's logs whether it heals by itself.
 */
export class EventBusEntryFailedError extends Error {
  override readonly name = 'EventBusEntryFailedError';
  readonly errorCode: string;
  readonly failureKind: 'transient' | 'permanent';

  constructor(errorCode: string) {
    super(`the event bus refused the results event: ${errorCode}`);
    this.errorCode = errorCode;
    this.failureKind = TRANSIENT_ENTRY_ERRORS.has(errorCode) ? 'transient' : 'permanent';
  }
}

/**
 * A copy of each results event on an EventBridge bus, for consumers that route with rules or use
 * archive and replay: source `unico.webhook-receiver`, detail type the CloudEvent's type, detail
 * the whole CloudEvent (its `id` tells copies apart: the bus is at-least-once).
 */
export class EventBridgeResultsPublisher implements ResultsPublisher {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;

  constructor(options: EventBridgeResultsPublisherOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
  }

  /** Whether PutEvents takes the entry: its size as EventBridge counts it, within 256 KiB. */
  fits(event: ResultsEvent): boolean {
    const entry = entryFor(event, this.#eventBusName);
    const parts = [entry.Source, entry.DetailType, entry.Detail].reduce((sum, part) => sum + Buffer.byteLength(part ?? '', 'utf8'), 0);
    return TIME_BYTES + parts <= EVENT_BUS_ENTRY_MAX_BYTES;
  }

  async publish(event: ResultsEvent, _attributes: unknown, signal?: AbortSignal): Promise<void> {
    const answer = await this.#client.send(new PutEventsCommand({ Entries: [entryFor(event, this.#eventBusName)] }), {
      abortSignal: signal,
    });
    // PutEvents answers 200 with failed entries: a partial failure is a failure.
    if ((answer.FailedEntryCount ?? 0) > 0 || answer.Entries?.[0]?.ErrorCode !== undefined) {
      throw new EventBusEntryFailedError(answer.Entries?.[0]?.ErrorCode ?? 'unknown');
    }
  }
}

function entryFor(event: ResultsEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: RESULTS_EVENT_BUS_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event),
    Time: new Date(event.time),
  };
}
