/**
 * The optional copy of each results event on an EventBridge bus: what the CDK writes, what the
 * processor reads, what consumers' rules match on (docs/eventbridge.md). The processor sends each
 * event to a second FIFO queue, the bus feed, and an EventBridge pipe puts it on the bus.
 */
import type { FifoQueueSettings } from './queues.ts';

/** The processor's environment variable holding the bus feed queue's URL; absent: no bus. */
export const RESULTS_BUS_FEED_ENVIRONMENT = 'RESULTS_BUS_FEED_QUEUE_URL';

/** The entries' `source`: what a consumer's rule matches (`"source": ["unico.webhook-receiver"]`). */
export const RESULTS_EVENT_BUS_SOURCE = 'unico.webhook-receiver';

/**
 * What the pipe makes of a message of the feed (its target parameters): the source above, the
 * CloudEvent's type as detail type, its time as the entry's time, and the whole CloudEvent (the
 * message body, parsed) as detail.
 */
export const RESULTS_PIPE_TARGET = {
  inputTemplate: '<$.body>',
  detailType: '$.body.type',
  time: '$.body.time',
} as const;

/**
 * The bus feed: a FIFO queue the processor sends each event to before the results queue, read by
 * the pipe only. A message the pipe fails to put 5 times goes to its dead-letter queue (alarmed).
 */
export const RESULTS_BUS_FEED_QUEUE: FifoQueueSettings = {
  localName: 'unico-results-bus-feed',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  retentionDays: 14,
};
