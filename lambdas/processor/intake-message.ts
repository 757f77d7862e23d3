import * as v from 'valibot';
import type { IntakeMessage } from '../core/acceptance/ports.ts';

/** What the intake puts on the intake queue (lambdas/adapters/sqs/sqs-intake-queue.ts writes it). */
const text = v.pipe(v.string(), v.minLength(1));
const intakeMessageSchema = v.object({
  processId: text,
  state: text,
  flow: text,
  lastEvent: v.optional(v.string()),
  lastEventDescription: v.optional(v.string()),
  detectedBy: v.picklist(['webhook', 'fallback']),
  receivedAt: text,
});

/** A body that is not an intake message cannot be processed, however often it is tried. */
export class MalformedIntakeMessageError extends Error {
  override readonly name = 'MalformedIntakeMessageError';
}

export function parseIntakeMessage(body: string): IntakeMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedIntakeMessageError('the body is not JSON');
  }
  const parsed = v.safeParse(intakeMessageSchema, json);
  if (!parsed.success) {
    const paths = parsed.issues.map((issue) => v.getDotPath(issue) ?? '');
    throw new MalformedIntakeMessageError(`the body is not an intake message (${paths.join(', ')})`);
  }
  const { lastEvent, lastEventDescription, ...required } = parsed.output;
  return {
    ...required,
    ...(lastEvent !== undefined ? { lastEvent } : {}),
    ...(lastEventDescription !== undefined ? { lastEventDescription } : {}),
  };
}
