import * as z from 'zod/mini';
import type { IntakeMessage } from '../core/acceptance/ports.ts';

/** What the intake puts on the intake queue (lambdas/adapters/sqs/sqs-intake-queue.ts writes it). */
const intakeMessageSchema = z.object({
  processId: z.string().check(z.minLength(1)),
  state: z.string().check(z.minLength(1)),
  flow: z.string().check(z.minLength(1)),
  lastEvent: z.optional(z.string()),
  lastEventDescription: z.optional(z.string()),
  detectedBy: z.enum(['webhook', 'fallback']),
  receivedAt: z.string().check(z.minLength(1)),
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
  const parsed = intakeMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw new MalformedIntakeMessageError(`the body is not an intake message (${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')})`);
  }
  const { lastEvent, lastEventDescription, ...required } = parsed.data;
  return {
    ...required,
    ...(lastEvent !== undefined ? { lastEvent } : {}),
    ...(lastEventDescription !== undefined ? { lastEventDescription } : {}),
  };
}
