/**
 * Unico-shaped notifications, and the plan of deliveries with the duplicates Unico's
 * at-least-once delivery produces.
 */
import { randomUUID } from 'node:crypto';
import type { Random } from './retry.ts';

export const FINISHED_STATE = 'PROCESS_STATE_FINISHED';

export const FLOWS = ['id', 'idtoken', 'idunicosign'] as const;

/** Unico's lastEvent values and their descriptions, as its webhook page lists them. */
export const LAST_EVENTS: Readonly<Record<string, string>> = {
  EVENT_TYPE_PROCESS_CREATED: 'Process created',
  EVENT_TYPE_QR_CODE_READ: 'QR code was read',
  EVENT_TYPE_PROCESS_STARTED_BY_USER: 'Process started by user',
  EVENT_TYPE_IDENTITY_VALIDATION_STEP_FINISHED: 'Identity validation step finished',
  EVENT_TYPE_DOCUMENT_STEP_STARTED: 'Document step has started',
  EVENT_TYPE_DOCUMENT_PHOTO_CAPTURED: 'Photo of the document taken',
  EVENT_TYPE_DOCUMENT_UPLOADED_FROM_GALLERY: 'Document uploaded from gallery',
  EVENT_TYPE_DOCUMENT_STEP_FINISHED: 'Document step finished',
  EVENT_TYPE_SIGNATURE_STEP_STARTED: 'Signature step has started',
  EVENT_TYPE_DOCUMENT_FOR_SIGNATURE_ACCEPTED: 'Signature Document accepted',
  EVENT_TYPE_ENVELOPE_OPENED_FOR_SIGNATURE: 'Envelope opened for signature',
  EVENT_TYPE_DOCUMENT_FOR_SIGNATURE_VIEWED: 'Document viewed',
  EVENT_TYPE_DOCUMENT_FOR_SIGNATURE_SIGNED: 'Signature Document signed',
  EVENT_TYPE_SIGNATURE_STEP_FINISHED: 'Signature step finished',
  EVENT_TYPE_SESSION_ENDED: 'Session ended by timeout or by new session created',
  EVENT_TYPE_ERROR_ON_DOCUMENT_STEP: 'Error on document step',
  EVENT_TYPE_ERROR_ON_SIGNATURE_STEP: 'Error on signature step',
};

export interface UnicoNotification {
  readonly processId: string;
  readonly state: string;
  readonly flow: string;
  /** Only for processes that expired before the person finished. */
  readonly lastEvent?: string;
  readonly lastEventDescription?: string;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NotificationSource {
  readonly random: Random;
  /** A new process id: a lower-case UUID v4. */
  readonly uuid: () => string;
}

export const defaultNotificationSource: NotificationSource = { random: Math.random, uuid: randomUUID };

export interface NotificationOptions {
  readonly count: number;
  /** Ids to use instead of random ones (then `count` is their number). */
  readonly processIds: readonly string[];
  /** The share of notifications for expired processes, which carry lastEvent. */
  readonly expiredRatio: number;
  readonly state: string;
}

export function generateNotifications(options: NotificationOptions, source: NotificationSource): UnicoNotification[] {
  const events = Object.keys(LAST_EVENTS);
  const notifications: UnicoNotification[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const processId = options.processIds[index] ?? source.uuid();
    const flow = pick(FLOWS, source.random);
    if (source.random() < options.expiredRatio) {
      const lastEvent = pick(events, source.random);
      notifications.push({
        processId, state: options.state, flow, lastEvent, lastEventDescription: LAST_EVENTS[lastEvent] ?? lastEvent,
      });
    } else {
      notifications.push({ processId, state: options.state, flow });
    }
  }
  return notifications;
}

/**
 * An extra copy of notification `of`: `concurrent` copies go out together with the original,
 * `later` ones once the original's delivery has ended (as a redelivery would).
 */
export interface DuplicatePlan {
  readonly of: number;
  readonly timing: 'concurrent' | 'later';
}

/**
 * round(count × ratio) distinct notifications, chosen at random, get one extra copy each;
 * the copies alternate between concurrent and later.
 */
export function planDuplicates(count: number, ratio: number, random: Random): DuplicatePlan[] {
  const wanted = Math.min(count, Math.round(count * ratio));
  const indexes = Array.from({ length: count }, (_, index) => index);
  const plans: DuplicatePlan[] = [];
  for (let k = 0; k < wanted; k += 1) {
    // Partial Fisher-Yates: indexes[k] becomes a random one of those not chosen yet.
    const j = k + Math.floor(random() * (count - k));
    const chosen = indexes[j] ?? k;
    indexes[j] = indexes[k] ?? j;
    indexes[k] = chosen;
    plans.push({ of: chosen, timing: k % 2 === 0 ? 'concurrent' : 'later' });
  }
  return plans.sort((a, b) => a.of - b.of);
}

function pick<T>(items: readonly T[], random: Random): T {
  const item = items[Math.min(items.length - 1, Math.floor(random() * items.length))];
  if (item === undefined) {
    throw new RangeError('cannot pick from an empty list');
  }
  return item;
}
