/**
 * How the local stack's functions log. `json` is what they write in AWS (Powertools' JSON, one
 * object per line), for pipes, files and log tools. `text` is for a person at a terminal: one
 * short line per delivery, and one per processor log line, instead of ~500 characters of JSON.
 * Either way POWERTOOLS_LOG_LEVEL chooses which lines appear, as in AWS.
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Writes one line of text (without the newline). */
export type LineWriter = (line: string) => void;

/** A log item's attributes as Powertools built them (errors already formatted as objects). */
export type LogAttributes = Readonly<Record<string, unknown>>;

/** A Powertools Logger that hands each item it prints to `sink` instead of writing JSON. */
export class SinkLogger extends Logger {
  // Assigned after super(): a line logged while the Logger is constructed is printed as JSON.
  private sink: ((attributes: LogAttributes) => void) | undefined;

  constructor(serviceName: string, sink: (attributes: LogAttributes) => void) {
    super({ serviceName });
    this.sink = sink;
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (this.sink === undefined) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    this.sink(log.getAttributes());
  }
}

/** One log item as a short line: time, service, level, message, and the keys that matter. */
export function logLine(attributes: LogAttributes): string {
  const parts = [
    clockTime(attributes.timestamp),
    String(attributes.service ?? ''),
    String(attributes.level ?? ''),
    String(attributes.message ?? ''),
    ...[attributes.processId, attributes.state].filter((value) => value !== undefined).map(String),
  ];
  const detail = details(attributes);
  return `${parts.filter((part) => part !== '').join(' ')}${detail === '' ? '' : ` (${detail})`}`;
}

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One intake instance that logs in `format`. With `json`, its Logger writes Powertools' JSON as in
 * AWS. With `text`, the lines of one invocation are gathered and a single line is written when it
 * ends: status, outcome, processId, state, latency (from API Gateway's receipt of the request),
 * and for a refusal or a failure the reason; nothing when POWERTOOLS_LOG_LEVEL hid every line.
 * `compose` builds the handler around the Logger it is given, as the function's entry file does.
 */
export function intakeInstance(
  serviceName: string,
  format: LogFormat,
  write: LineWriter,
  compose: (logger: Logger) => HttpHandler,
): HttpHandler {
  if (format === 'json') return compose(new Logger({ serviceName }));
  let invocation: LogAttributes[] | undefined;
  const logger = new SinkLogger(serviceName, (attributes) => {
    if (invocation === undefined) write(logLine(attributes));
    else invocation.push(attributes);
  });
  const handler = compose(logger);
  return async (event, context) => {
    const lines: LogAttributes[] = [];
    invocation = lines;
    try {
      const result = await handler(event, context);
      if (lines.length > 0) write(deliveryLine(result.statusCode ?? 200, lines, Date.now() - event.requestContext.timeEpoch));
      return result;
    } finally {
      invocation = undefined;
    }
  };
}

/** `12:04:05 202 accepted 8263a268-… PROCESS_STATE_FINISHED 14 ms`, and why, when it was not taken. */
export function deliveryLine(status: number, lines: readonly LogAttributes[], latencyMs: number): string {
  const merged: Record<string, unknown> = Object.assign({}, ...lines);
  const outcome = typeof merged.outcome === 'string' ? merged.outcome : status === 401 || status === 403 ? 'refused' : status < 500 ? 'rejected' : 'not taken';
  const first = lines[0] ?? {};
  const parts = [
    clockTime(first.timestamp),
    String(status),
    outcome,
    String(merged.processId ?? '-'),
    String(merged.state ?? '-'),
    `${Math.max(0, latencyMs)} ms`,
  ];
  const problem = status >= 200 && status < 300 ? '' : details(merged);
  return `${parts.join(' ')}${problem === '' ? '' : ` (${problem})`}`;
}

/** The reason, error and dependency fields of a log item, shortly. */
function details(attributes: LogAttributes): string {
  const error = attributes.error;
  const errorText =
    typeof error === 'object' && error !== null
      ? [(error as { name?: unknown }).name, (error as { message?: unknown }).message].filter(Boolean).join(': ')
      : error === undefined
        ? ''
        : String(error);
  const shortError = errorText.length > 160 ? `${errorText.slice(0, 157)}...` : errorText;
  return [
    attributes.dependency === undefined ? '' : `${String(attributes.dependency)} ${String(attributes.dependencyFailure ?? '')}`.trim(),
    attributes.reason === undefined ? '' : String(attributes.reason),
    shortError,
    attributes.retryInSeconds === undefined ? '' : `retry in ${String(attributes.retryInSeconds)} s`,
  ]
    .filter((text) => text !== '')
    .join('; ');
}

function clockTime(timestamp: unknown): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  const time = Number.isNaN(date.getTime()) ? new Date() : date;
  return time.toTimeString().slice(0, 8);
}
