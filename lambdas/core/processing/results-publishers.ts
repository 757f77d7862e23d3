import type { ResultsEvent, ResultsEventAttributes } from '../../contracts/results-event.ts';
import type { ResultsPublisher } from './ports.ts';

/**
 * Publishes each event to several destinations, one after the other, each only once the one
 * before has taken it: a failure stops there and the message is retried whole. Put the
 * destination that deduplicates by event id LAST (the results queue): then a retry after a later
 * failure gives the earlier ones (an event bus, at-least-once) a copy with the same id, and the
 * queue still exactly one. An event fits only when every destination takes it as it is.
 */
export class PublishInOrder implements ResultsPublisher {
  readonly #publishers: readonly ResultsPublisher[];

  constructor(publishers: readonly ResultsPublisher[]) {
    if (publishers.length === 0) throw new Error('PublishInOrder needs at least one publisher');
    this.#publishers = publishers;
  }

  fits(event: ResultsEvent, attributes: ResultsEventAttributes): boolean {
    return this.#publishers.every((publisher) => publisher.fits(event, attributes));
  }

  async publish(event: ResultsEvent, attributes: ResultsEventAttributes, signal?: AbortSignal): Promise<void> {
    for (const publisher of this.#publishers) await publisher.publish(event, attributes, signal);
  }
}
