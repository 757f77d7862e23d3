import type { IncomingMessage } from 'node:http';

/** What the dev tools' HTTP servers read of a request body at most. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A request's body, or undefined when it is over `limitBytes` (the rest is then drained unread,
 * so the connection stays usable for the answer).
 */
export async function readRequestBody(request: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      request.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
