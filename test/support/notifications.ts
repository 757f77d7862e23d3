import { randomUUID } from 'node:crypto';

/** A Unico-shaped notification for a fresh process. */
export function newNotification(overrides: Record<string, unknown> = {}) {
  return { processId: randomUUID(), state: 'PROCESS_STATE_FINISHED', flow: 'id', ...overrides };
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** POSTs a body (an object is sent as JSON) and reads the JSON answer. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}
