/**
 * The optional copy of each results event on an EventBridge bus: what the CDK writes, what the
 * processor reads, what consumers' rules match on (docs/eventbridge.md).
 */

/** The processor's environment variable holding the bus's name or ARN; absent: no bus. */
export const RESULTS_EVENT_BUS_ENVIRONMENT = 'RESULTS_EVENT_BUS_NAME';

/** The entries' `source`: what a consumer's rule matches (`"source": ["unico.webhook-receiver"]`). */
export const RESULTS_EVENT_BUS_SOURCE = 'unico.webhook-receiver';

/** PutEvents' limit on one entry (source, detail type, detail and resources, counted in UTF-8). */
export const EVENT_BUS_ENTRY_MAX_BYTES = 256 * 1024;
