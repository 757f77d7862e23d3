/**
 * Contract 2: the event consumers read from the results queue, one per (processId, state).
 *
 * A CloudEvents 1.0 structured JSON event. The schema below is the one source: the processor
 * builds events that satisfy it, the TypeScript types consumers import are inferred from it, and
 * docs/results-event.schema.json is generated from it (`npm run schema`, tools/results-event-schema.ts;
 * a test fails when the file and the schema differ).
 */
import * as v from 'valibot';

/** The type of a finished process's event; any other state gets `STATE_CHANGED_EVENT_TYPE`. */
export const FINISHED_EVENT_TYPE = 'io.unico.idcloud.process.finished';
export const STATE_CHANGED_EVENT_TYPE = 'io.unico.idcloud.process.state-changed';
export const FINISHED_STATE = 'PROCESS_STATE_FINISHED';

const outcomeSchema = v.object({
  /** Which GetProcess contract answered. */
  contract: v.picklist(['web-sdk', 'api']),
  /** When it was fetched (ISO 8601). */
  fetchedAt: v.string(),
  /**
   * What Unico answered, untouched (unknown fields and enum values pass through): for the Web &
   * SDK contract the object inside its `process` field, for the API contract the whole answer.
   * It holds personal data: handle it as such.
   */
  process: v.record(v.string(), v.unknown()),
});

const outcomeErrorSchema = v.object({
  /** Unico's HTTP status (404 unknown process, 410 removed by retention, ...). */
  status: v.number(),
  code: v.string(),
  message: v.string(),
});

export const resultsEventDataSchema = v.object({
  processId: v.string(),
  state: v.string(),
  flow: v.string(),
  lastEvent: v.optional(v.string()),
  lastEventDescription: v.optional(v.string()),
  /** `webhook`: Unico's notification; `fallback`: found by polling GetProcess. */
  detectedBy: v.picklist(['webhook', 'fallback']),
  /** When the notification (or the fallback's finding) first reached the receiver. */
  receivedAt: v.string(),
  /** Unico's answer; null when fetching is switched off, for states other than finished, or on a permanent failure. */
  outcome: v.nullable(outcomeSchema),
  /** Why the outcome is null although it was fetched: a failure retrying cannot change. */
  outcomeError: v.optional(outcomeErrorSchema),
});

export const resultsEventSchema = v.object({
  specversion: v.literal('1.0'),
  /** `<processId>:<state>`: the same for every copy of one event. */
  id: v.string(),
  /** The stack that produced it. */
  source: v.string(),
  type: v.picklist([FINISHED_EVENT_TYPE, STATE_CHANGED_EVENT_TYPE]),
  /** The processId. */
  subject: v.string(),
  /** When the process's state was detected (ISO 8601). */
  time: v.string(),
  datacontenttype: v.literal('application/json'),
  data: resultsEventDataSchema,
});

/** The event consumers read from the results queue's message body. */
export type ResultsEvent = v.InferOutput<typeof resultsEventSchema>;
export type ResultsEventData = ResultsEvent['data'];
export type ProcessOutcome = NonNullable<ResultsEventData['outcome']>;
export type ProcessOutcomeError = NonNullable<ResultsEventData['outcomeError']>;

/** The message attributes each event carries, for filtering without reading the body. */
export type ResultsEventAttributes = Readonly<Record<'type' | 'state' | 'flow' | 'detectedBy', string>>;

export function eventTypeFor(state: string): ResultsEvent['type'] {
  return state === FINISHED_STATE ? FINISHED_EVENT_TYPE : STATE_CHANGED_EVENT_TYPE;
}
