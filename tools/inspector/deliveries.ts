/**
 * The deliveries the local API answered, as the inspector lists them: what was received (headers
 * with credentials masked), what was answered, and what that means (accepted, duplicate, refused
 * and why). The newest few thousand are kept in memory; the raw request is kept for replay only
 * and never leaves this process.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { credentialHeaderName, maskHeaders } from './masking.ts';

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'refused' | 'failed';

/** One row of the page's list. */
export interface DeliverySummary {
  readonly id: number;
  /** When API Gateway received it (ISO 8601). */
  readonly receivedAt: string;
  readonly status: number;
  readonly outcome: DeliveryOutcome;
  /** Why it was refused or failed (the error, the schema issues, missing or wrong credentials). */
  readonly reason?: string;
  readonly processId?: string;
  readonly state?: string;
  readonly flow?: string;
  readonly latencyMs: number;
  /** The delivery this one replayed. */
  readonly replayOf?: number;
}

export interface DeliveryDetail extends DeliverySummary {
  readonly request: { readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly body: string };
  readonly response: { readonly headers: Record<string, string>; readonly body: string };
}

/** What replaying needs: the request as it came, credentials included. */
export interface RawRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface Stored {
  readonly detail: DeliveryDetail;
  readonly raw: RawRequest;
}

/** Request headers a replay must not copy: the HTTP client sets them for the new connection. */
const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

/** Reads a delivery from what the local API saw. `replayOf` marks a replay the inspector sent. */
export function describeDelivery(
  id: number,
  event: APIGatewayProxyEventV2,
  answer: APIGatewayProxyStructuredResultV2,
  answeredAt: number,
  auth: AuthSpec,
  replayOf?: number,
): { detail: DeliveryDetail; raw: RawRequest } {
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const status = answer.statusCode ?? 200;
  const answerBody = answer.isBase64Encoded ? Buffer.from(answer.body ?? '', 'base64').toString('utf8') : (answer.body ?? '');
  const sent = notificationFields(body);
  const { outcome, reason } = classify(status, parseObject(answerBody), event.headers, auth);
  const detail: DeliveryDetail = {
    id,
    receivedAt: new Date(event.requestContext.timeEpoch).toISOString(),
    status,
    outcome,
    ...(reason === undefined ? {} : { reason }),
    ...sent,
    latencyMs: Math.max(0, answeredAt - event.requestContext.timeEpoch),
    ...(replayOf === undefined ? {} : { replayOf }),
    request: {
      method: event.requestContext.http.method,
      path: event.rawPath,
      headers: maskHeaders(event.headers as Record<string, string>, auth),
      body,
    },
    response: { headers: Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name, String(value)])), body: answerBody },
  };
  const headers = Object.fromEntries(
    Object.entries(event.headers).filter((entry): entry is [string, string] => entry[1] !== undefined && !HOP_HEADERS.has(entry[0])),
  );
  return { detail, raw: { method: event.requestContext.http.method, headers, body } };
}

function classify(
  status: number,
  answer: Record<string, unknown> | undefined,
  headers: APIGatewayProxyEventV2['headers'],
  auth: AuthSpec,
): { outcome: DeliveryOutcome; reason?: string } {
  if (status >= 200 && status < 300) {
    return { outcome: answer?.status === 'duplicate' ? 'duplicate' : 'accepted' };
  }
  const error = typeof answer?.error === 'string' ? answer.error : typeof answer?.message === 'string' ? answer.message : `HTTP ${status}`;
  if (status === 401 || status === 403) {
    const header = credentialHeaderName(auth);
    const presented = header !== undefined && headers[header] !== undefined;
    return { outcome: 'refused', reason: `${error}: ${presented ? 'wrong credentials' : 'no credentials'}` };
  }
  if (status >= 500) return { outcome: 'failed', reason: error };
  const issues = Array.isArray(answer?.issues)
    ? (answer.issues as Array<{ path?: unknown; message?: unknown }>).map((issue) => `${String(issue.path ?? '')}: ${String(issue.message ?? '')}`)
    : [];
  return { outcome: 'refused', reason: issues.length === 0 ? error : `${error} (${issues.join('; ')})` };
}

/** processId (lower case, as the intake normalises it), state and flow, when the body has them. */
function notificationFields(body: string): Pick<DeliverySummary, 'processId' | 'state' | 'flow'> {
  const json = parseObject(body);
  if (json === undefined) return {};
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : undefined);
  const processId = text(json.processId)?.toLowerCase();
  const state = text(json.state);
  const flow = text(json.flow);
  return {
    ...(processId === undefined ? {} : { processId }),
    ...(state === undefined ? {} : { state }),
    ...(flow === undefined ? {} : { flow }),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function summaryOf(detail: DeliveryDetail): DeliverySummary {
  const { request: _request, response: _response, ...summary } = detail;
  return summary;
}

/** The newest `limit` deliveries, and who wants to hear of each new one. */
export class DeliveryLog {
  readonly #limit: number;
  readonly #entries = new Map<number, Stored>();
  readonly #listeners = new Set<(delivery: DeliverySummary) => void>();
  #nextId = 1;

  constructor(limit = 5_000) {
    this.#limit = limit;
  }

  nextId(): number {
    return this.#nextId++;
  }

  add(detail: DeliveryDetail, raw: RawRequest): void {
    this.#entries.set(detail.id, { detail, raw });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(oldest);
    }
    const summary = summaryOf(detail);
    for (const listener of this.#listeners) listener(summary);
  }

  /** Newest first. */
  list(): DeliverySummary[] {
    return [...this.#entries.values()].reverse().map((entry) => summaryOf(entry.detail));
  }

  get(id: number): DeliveryDetail | undefined {
    return this.#entries.get(id)?.detail;
  }

  raw(id: number): RawRequest | undefined {
    return this.#entries.get(id)?.raw;
  }

  /** Calls `listener` with each delivery added from now on; returns the unsubscribe. */
  subscribe(listener: (delivery: DeliverySummary) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
