import * as v from 'valibot';
import { InvalidJsonError, InvalidPayloadError, PayloadTooLargeError } from './errors.ts';

/** What Unico tells us when a process reaches a terminal state (contract 1). */
export interface Notification {
  readonly processId: string;
  readonly state: string;
  readonly flow: string;
  readonly lastEvent?: string;
  readonly lastEventDescription?: string;
}

export const NOTIFICATION_BODY_LIMIT_BYTES = 16 * 1024;

/** `null` for an optional field means absent, as Unico may send either. */
const optional = <T extends v.GenericSchema<string>>(schema: T) =>
  v.pipe(v.nullish(schema), v.transform((value) => value ?? undefined));

/**
 * The messages reach the sender in the 400 answer, one per field: a missing field is "required",
 * one of another type says what it is ("Invalid type: Expected string but received 42"), and the
 * others say what is allowed.
 */
export const notificationSchema = v.object(
  {
    // Any 8-4-4-4-12 hex id: Unico's ids are UUIDs, and a stricter version check would turn a
    // valid notification into a permanent 400 the day Unico changes generator.
    processId: v.pipe(v.string('must be a UUID'), v.uuid('must be a UUID'), v.transform((id) => id.toLowerCase())),
    // Unknown future states are accepted (Unico says more will come). 91 characters at most so
    // that "processId:state" fits the 128 characters of an SQS deduplication id.
    state: v.pipe(
      v.string(),
      v.maxLength(91, 'must be at most 91 characters'),
      v.regex(/^PROCESS_STATE_[A-Z0-9_]+$/, 'must match PROCESS_STATE_[A-Z0-9_]+'),
    ),
    flow: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ . -')),
    lastEvent: optional(
      v.pipe(
        v.string(),
        v.maxLength(128, 'must be at most 128 characters'),
        v.regex(/^EVENT_TYPE_[A-Z0-9_]+$/, 'must match EVENT_TYPE_[A-Z0-9_]+'),
      ),
    ),
    lastEventDescription: optional(v.pipe(v.string(), v.maxLength(1024, 'must be at most 1024 characters'))),
  },
  // The body is known to be an object by then: this is the message of a missing field.
  'required',
);
// v.object drops unknown keys: they are neither validated nor stored.

/** Turns a raw body into a notification, or throws the error that says what is wrong with it. */
export function parseNotification(body: Buffer): Notification {
  if (body.byteLength > NOTIFICATION_BODY_LIMIT_BYTES) {
    throw new PayloadTooLargeError(NOTIFICATION_BODY_LIMIT_BYTES);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidJsonError();
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidJsonError();
  }
  const parsed = v.safeParse(notificationSchema, json);
  if (!parsed.success) {
    throw new InvalidPayloadError(
      parsed.issues.map((issue) => ({
        path: v.getDotPath(issue) ?? '',
        message: issue.message,
      })),
    );
  }
  const { lastEvent, lastEventDescription, ...required } = parsed.output;
  return {
    ...required,
    ...(lastEvent === undefined ? {} : { lastEvent }),
    ...(lastEventDescription === undefined ? {} : { lastEventDescription }),
  };
}

/** The idempotency key: each (processId, state) reaches the intake queue once. */
export function idempotencyKey(notification: Pick<Notification, 'processId' | 'state'>): string {
  return `${notification.processId}:${notification.state}`;
}
