import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
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
const optional = <T extends z.ZodMiniType<string>>(schema: T) =>
  z.pipe(z.nullish(schema), z.transform((value) => value ?? undefined));

const notificationSchema = z.object({
  // Any 8-4-4-4-12 hex id: Unico's ids are UUIDs, and a stricter version check would turn a
  // valid notification into a permanent 400 the day Unico changes generator.
  processId: z.pipe(z.guid('must be a UUID'), z.transform((id) => id.toLowerCase())),
  // Unknown future states are accepted (Unico says more will come). 91 characters at most so
  // that "processId:state" fits the 128 characters of an SQS deduplication id.
  state: z.string().check(z.maxLength(91), z.regex(/^PROCESS_STATE_[A-Z0-9_]+$/, 'must match PROCESS_STATE_[A-Z0-9_]+')),
  flow: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ . -')),
  lastEvent: optional(
    z.string().check(z.maxLength(128), z.regex(/^EVENT_TYPE_[A-Z0-9_]+$/, 'must match EVENT_TYPE_[A-Z0-9_]+')),
  ),
  lastEventDescription: optional(z.string().check(z.maxLength(1024))),
});
// z.object strips unknown keys: they are neither validated nor stored.

/**
 * zod/mini (a fraction of classic zod's size in the bundle) loads no locale: the English one
 * gives the checks without a message of their own the same wording classic zod used, e.g.
 * "Invalid input: expected string, received undefined" for a missing field.
 */
const englishMessages = { error: en().localeError };

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
  const parsed = notificationSchema.safeParse(json, englishMessages);
  if (!parsed.success) {
    throw new InvalidPayloadError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  const { lastEvent, lastEventDescription, ...required } = parsed.data;
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
