/**
 * The local inspector: a page at the local API's root (`npm start`, loopback only) showing every
 * delivery, what became of each process, the queues and the local Unico, live. This file is its
 * server side: the local API's hooks, a small JSON API under /inspector/api/, a stream of
 * server-sent events, and the page's static files (page/) served as they are.
 *
 * It reads what the stack runs (the emulators through the stack's SDK clients, the simulator
 * through its admin API) and sends replays through the real webhook endpoint. Nothing of it is
 * part of the deployed receiver.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { readRequestBody } from '../request-body.ts';
import type { LocalApiHooks } from '../local-stack/local-api.ts';
import type { LocalEndpoints } from '../local-stack/local-stack.ts';
import { finishedProcess } from '../unico-sim/local-unico.ts';
import { claimsOf } from './claims.ts';
import { DeliveryLog, describeDelivery, type DeliverySummary } from './deliveries.ts';
import { maskPersonalData } from './masking.ts';
import { ProcessTrail, type TrailMessage } from './process-trail.ts';
import { isDeadLetterQueue, queueDepths, redrive, type QueueUrls } from './queues.ts';
import { rateSeries, type LoggedApiRequest } from './rate.ts';

/** What the inspector reads once the stack is up. */
export interface InspectorTarget {
  readonly endpoints: LocalEndpoints;
  /** Clients on the stack's emulators (or the external services that replace them). */
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** The request header a replay carries, so its row says which delivery it replayed. */
export const REPLAY_HEADER = 'x-local-inspector-replay-of';

const PAGE_FOLDER = new URL('./page/', import.meta.url);
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};
const TICK_MS = 1_000;
const ADMIN_TIMEOUT_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class LocalInspector {
  readonly deliveries = new DeliveryLog();
  readonly trail = new ProcessTrail();
  readonly #auth: AuthSpec;
  readonly #streams = new Set<ServerResponse>();
  #target: InspectorTarget | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #ticking = false;

  /** `auth` is the intake's: it tells which header carries the credential, to mask it and to say why a delivery was refused. */
  constructor(auth: AuthSpec) {
    this.#auth = auth;
    this.deliveries.subscribe((delivery) => this.#broadcast('delivery', delivery));
    this.trail.subscribe((processId) => this.#broadcast('process', { processId }));
  }

  /** The local API's hooks: every answered delivery is recorded; other paths are the inspector's. */
  readonly apiHooks: LocalApiHooks = {
    onAnswered: (event, answer) => {
      try {
        const replayOf = Number(event.headers[REPLAY_HEADER]);
        const { detail, raw } = describeDelivery(
          this.deliveries.nextId(),
          event,
          answer,
          Date.now(),
          this.#auth,
          Number.isInteger(replayOf) && replayOf > 0 ? replayOf : undefined,
        );
        this.deliveries.add(detail, raw);
      } catch {
        // The inspector must never change an answer.
      }
    },
    otherRequests: (request, response) => {
      this.#serve(request, response).catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        const status = error instanceof HttpError ? error.status : 502;
        json(response, status, { error: error instanceof Error ? error.message : String(error) });
      });
    },
  };

  /** Starts reading the stack; until then the API answers 503. */
  connect(target: InspectorTarget): void {
    this.#target = target;
  }

  /** Ends the event streams (the server's stop closes the rest). */
  stop(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    if (!path.startsWith('/inspector/api/')) {
      request.resume();
      if (method === 'GET' && (path === '/' || path.startsWith('/inspector/'))) return this.#staticFile(path, response);
      return json(response, 404, { message: 'Not Found' });
    }
    const target = this.#target;
    if (target === undefined) throw new HttpError(503, 'the local stack is starting');
    const route = path.slice('/inspector/api/'.length).split('/').map(decodeURIComponent);
    const [first, second, third] = route;

    if (method === 'GET' && first === 'events' && route.length === 1) return this.#openStream(response);
    if (method === 'GET' && first === 'overview' && route.length === 1) return json(response, 200, await this.#overview(target));
    if (first === 'deliveries') {
      const id = Number(second);
      if (method === 'GET' && route.length === 1) return json(response, 200, { deliveries: this.deliveries.list() });
      if (method === 'GET' && route.length === 2) {
        const detail = this.deliveries.get(id);
        if (detail === undefined) throw new HttpError(404, 'no such delivery (only the newest are kept)');
        return json(response, 200, detail);
      }
      if (method === 'POST' && route.length === 3 && third === 'replay') return json(response, 200, await this.#replay(target, id));
    }
    if (first === 'processes' && second !== undefined && UUID.test(second.toLowerCase())) {
      const processId = second.toLowerCase();
      if (method === 'GET' && route.length === 2) return json(response, 200, await this.#process(target, processId, url.searchParams.get('reveal') === '1'));
      if (method === 'POST' && route.length === 3 && third === 'finish') {
        return json(response, 202, await this.#finish(target, processId, url.searchParams.get('webhook') !== 'false'));
      }
    }
    if (first === 'queues') {
      if (method === 'GET' && route.length === 1) return json(response, 200, await queueDepths(target.sqs, queueUrls(target)));
      if (method === 'POST' && route.length === 3 && third === 'redrive' && second !== undefined && isDeadLetterQueue(second)) {
        return json(response, 200, { moved: await redrive(target.sqs, queueUrls(target), second) });
      }
    }
    if (first === 'unico') return this.#unico(target, method, route.slice(1), request, response);
    throw new HttpError(404, 'no such inspector API route');
  }

  async #staticFile(path: string, response: ServerResponse): Promise<void> {
    const name = path === '/' ? 'index.html' : path.slice('/inspector/'.length);
    // Plain file names only: nothing outside page/ can be asked for.
    const extension = /^[a-z0-9-]+\.([a-z]+)$/.exec(name)?.[1];
    const type = extension === undefined ? undefined : CONTENT_TYPES[extension];
    if (type === undefined) return json(response, 404, { message: 'Not Found' });
    const content = await readFile(new URL(name, PAGE_FOLDER)).catch(() => undefined);
    if (content === undefined) return json(response, 404, { message: 'Not Found' });
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'content-length': content.length });
    response.end(content);
  }

  async #overview(target: InspectorTarget) {
    const { endpoints } = target;
    return {
      webhookUrl: endpoints.webhookUrl,
      authMode: endpoints.auth.mode,
      unico: endpoints.unicoSimulator === null ? null : { contract: endpoints.unicoSimulator.contract },
      unicoMaxRps: endpoints.processor?.unicoMaxRps ?? null,
      processor: endpoints.processor !== null,
      deliveries: this.deliveries.list(),
    };
  }

  /** Sends the delivery's request again, credentials and all, through the real endpoint. */
  async #replay(target: InspectorTarget, id: number): Promise<{ status: number; body: unknown }> {
    const raw = this.deliveries.raw(id);
    if (raw === undefined) throw new HttpError(404, 'no such delivery (only the newest are kept)');
    const answer = await fetch(target.endpoints.webhookUrl, {
      method: raw.method,
      headers: { ...raw.headers, [REPLAY_HEADER]: String(id) },
      body: raw.body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await answer.text();
    return { status: answer.status, body: parseJson(text) };
  }

  async #process(target: InspectorTarget, processId: string, reveal: boolean) {
    const { endpoints } = target;
    const trail = this.trail.get(processId);
    const simulator = endpoints.unicoSimulator;
    const [claims, simulatorView] = await Promise.all([
      claimsOf(target.dynamodb, endpoints.dynamodb.tables.claims, processId).catch((error: unknown) => ({ error: String(error) })),
      simulator === null
        ? Promise.resolve(null)
        : admin(simulator.adminUrl, 'GET', `processes/${processId}`).catch((error: unknown) => ({ status: 0, body: { error: String(error) } })),
    ]);
    const resultsEvents = trail.resultsEvents.map((message) => (reveal ? message : maskEvent(message)));
    const lastEvent = trail.resultsEvents.at(-1)?.body as { data?: { detectedBy?: unknown } } | undefined;
    const lastIntake = trail.intakeMessages.at(-1)?.body as { detectedBy?: unknown } | undefined;
    return {
      processId,
      revealed: reveal,
      deliveries: this.deliveries.list().filter((delivery: DeliverySummary) => delivery.processId === processId),
      claims,
      intakeMessages: trail.intakeMessages,
      resultsEvents,
      detectedBy: lastEvent?.data?.detectedBy ?? lastIntake?.detectedBy ?? null,
      simulator:
        simulatorView === null
          ? null
          : { status: simulatorView.status, process: reveal || simulatorView.status !== 200 ? simulatorView.body : maskPersonalData(simulatorView.body) },
    };
  }

  /**
   * Finishes the process in the local Unico. With its webhook: the admin API's `finish`. Without:
   * the process as it is stored (or a made-up one), marked finished and put back, which sends
   * nothing, as when Unico's webhook is lost.
   */
  async #finish(target: InspectorTarget, processId: string, withWebhook: boolean): Promise<unknown> {
    const simulator = target.endpoints.unicoSimulator;
    if (simulator === null) throw new HttpError(409, 'the local stack calls a real Unico: no simulator to finish a process in');
    if (withWebhook) return (await admin(simulator.adminUrl, 'POST', `processes/${processId}/finish`)).body;
    const stored = await admin(simulator.adminUrl, 'GET', `processes/${processId}`);
    const now = new Date();
    const made = finishedProcess(simulator.contract, { processId, state: 'PROCESS_STATE_FINISHED', flow: 'id' }, 'local-inspector', now);
    const current = stored.status === 200 ? (stored.body as Record<string, unknown>) : made;
    const finished =
      simulator.contract === 'web-sdk'
        ? { ...current, state: 'PROCESS_STATE_FINISHED', result: current.result ?? 'PROCESS_RESULT_OK', finishedAt: current.finishedAt ?? now.toISOString() }
        : { ...current, status: [3, 4, 5].includes(current.status as number) ? current.status : 3 };
    const put = await admin(simulator.adminUrl, 'PUT', `processes/${processId}`, finished);
    if (put.status !== 204) throw new HttpError(502, `the simulator answered ${put.status}`);
    return { processId, webhook: 'none' };
  }

  /** The simulator's admin API, passed through for the routes the page uses; its stats with the rate chart's series. */
  async #unico(target: InspectorTarget, method: string, route: string[], request: IncomingMessage, response: ServerResponse): Promise<void> {
    const simulator = target.endpoints.unicoSimulator;
    if (simulator === null) {
      request.resume();
      throw new HttpError(409, 'the local stack calls a real Unico: there is no simulator');
    }
    const path = route.join('/');
    const allowed =
      (method === 'PUT' && /^processes\/[^/]+$/.test(path)) ||
      (method === 'POST' && /^processes\/[^/]+\/webhook$/.test(path)) ||
      ((method === 'POST' || method === 'DELETE') && path === 'faults');
    if (method === 'GET' && path === 'stats') {
      request.resume();
      return json(response, 200, await unicoStats(target));
    }
    if (!allowed) {
      request.resume();
      throw new HttpError(404, 'no such inspector API route');
    }
    const body = await readRequestBody(request, 6 * 1024 * 1024);
    if (body === undefined) throw new HttpError(413, 'body too large');
    const answer = await admin(simulator.adminUrl, method, path.split('/').map(encodeURIComponent).join('/'), body.length === 0 ? undefined : body.toString('utf8'));
    return answer.body === undefined ? void response.writeHead(answer.status).end() : json(response, answer.status, answer.body);
  }

  #openStream(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.write('retry: 1000\n\n');
    this.#streams.add(response);
    response.on('close', () => {
      this.#streams.delete(response);
      if (this.#streams.size === 0) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
      }
    });
    void this.#tick();
    this.#ticker ??= setInterval(() => void this.#tick(), TICK_MS);
  }

  /** Queue depths and Unico's stats for every open page, once a second; skipped while the previous one runs. */
  async #tick(): Promise<void> {
    const target = this.#target;
    if (target === undefined || this.#ticking) return;
    this.#ticking = true;
    try {
      const [queues, unico] = await Promise.all([queueDepths(target.sqs, queueUrls(target)), unicoStats(target).catch(() => null)]);
      this.#broadcast('tick', { queues, unico });
    } finally {
      this.#ticking = false;
    }
  }

  #broadcast(event: string, data: unknown): void {
    if (this.#streams.size === 0) return;
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const stream of this.#streams) stream.write(message);
  }
}

function queueUrls(target: InspectorTarget): QueueUrls {
  const { sqs } = target.endpoints;
  return { intake: sqs.intakeQueueUrl, intakeDlq: sqs.intakeDlqUrl, results: sqs.resultsQueueUrl, resultsDlq: sqs.resultsDlqUrl };
}

async function unicoStats(target: InspectorTarget) {
  const simulator = target.endpoints.unicoSimulator;
  if (simulator === null) return null;
  const [stats, requests] = await Promise.all([admin(simulator.adminUrl, 'GET', 'stats'), admin(simulator.adminUrl, 'GET', 'requests')]);
  const log = (requests.body as { requests?: LoggedApiRequest[] } | undefined)?.requests ?? [];
  return { stats: stats.body, budget: target.endpoints.processor?.unicoMaxRps ?? null, rate: rateSeries(log, Date.now()) };
}

/** Hides the personal data of a results event's outcome (`data.outcome.process`). */
function maskEvent(message: TrailMessage): TrailMessage {
  const event = message.body as { data?: { outcome?: { process?: unknown } | null } } | undefined;
  const outcome = event?.data?.outcome;
  if (event === undefined || outcome === undefined || outcome === null || typeof outcome !== 'object') return message;
  return { ...message, body: { ...event, data: { ...event.data, outcome: { ...outcome, process: maskPersonalData(outcome.process) } } } };
}

async function admin(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${adminUrl}/${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
  });
  const text = await answer.text();
  return { status: answer.status, body: text === '' ? undefined : parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}
