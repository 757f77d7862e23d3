/**
 * The command line of unico-sim: parsing, validation (every problem is one line and exit code 2)
 * and the help texts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidAuthSpecError, parseAuthSpec, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import type { CheckConfig } from './check.ts';
import type { ClientAuthMethod, OAuth2ClientConfig } from './credentials.ts';
import type { DeliverConfig } from './deliver.ts';
import { readEndpointsFile, type EndpointsTarget } from './endpoints-file.ts';
import { UsageError } from './errors.ts';
import type { LocalStackInfo } from './local-unico.ts';
import type { ResultsConfig } from './results.ts';
import { nearMiss } from './near-miss.ts';
import { FINISHED_STATE, UUID_PATTERN } from './notifications.ts';

/** Unico's own ceiling for simultaneous deliveries. */
export const MAX_CONCURRENCY = 500;
export const CLIENT_SECRET_ENV = 'UNICO_SIM_CLIENT_SECRET';

export const DEFAULTS = {
  count: 1,
  concurrency: 10,
  duplicates: 0,
  timeoutSeconds: 5,
  maxAttempts: 3,
  intervalSeconds: 1,
  maxIntervalSeconds: 60,
  expiredRatio: 0.1,
} as const;

export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'deliver'; readonly config: DeliverConfig; readonly json: boolean; readonly progress: boolean }
  | { readonly kind: 'check'; readonly config: CheckConfig; readonly json: boolean }
  | { readonly kind: 'results'; readonly config: ResultsConfig };

export const MAIN_HELP = `unico-sim: behaves like Unico IDCloud delivering webhooks, to rehearse and certify an endpoint.

Usage:
  unico-sim deliver --url URL --auth SPEC [options]   send notifications as Unico does, print a summary
  unico-sim check   --url URL --auth SPEC [options]   conformance check, one PASS/FAIL line per expectation
  unico-sim results --endpoints FILE [options]        print results events from the local stack's queue
  unico-sim <command> --help                          the command's options

SPEC is the auth mode, then what Unico's form holds: none | basic:USER:PASS | apikey:HEADER:VALUE | apikey:VALUE | oauth2
Instead of --url and --auth, --endpoints .local/endpoints.json takes both from the local stack.
Exit codes: 0 all good, 1 a delivery, expectation or gate failed, 2 bad command line.
unico-sim --version prints the version.
`;

const TARGET_HELP = `Target:
  --url URL                 the webhook endpoint (http or https)
  --auth SPEC               none | basic:USER:PASS | apikey:HEADER:VALUE | apikey:VALUE | oauth2
                            (apikey splits on the first colon; apikey:VALUE uses the Authorization header)
  --endpoints FILE          take --url and --auth (and the OAuth2 settings) from the local stack's
                            endpoints file, e.g. .local/endpoints.json; explicit options win
  --oauth2-token-url URL    with --auth oauth2: the provider's token URL (client-credentials grant)
  --client-id ID            with --auth oauth2: the client id
  --client-secret SECRET    with --auth oauth2: the client secret (or env ${CLIENT_SECRET_ENV})
  --client-auth basic|post  how id and secret reach the token URL: basic = HTTP Basic auth
                            (client_secret_basic, default), post = in the form body (client_secret_post)
  --timeout S               seconds to wait for each answer (default ${DEFAULTS.timeoutSeconds})
  --json                    print the result as JSON on stdout
  -h, --help                this text
`;

export const DELIVER_HELP = `unico-sim deliver: send Unico-shaped notifications the way Unico does.

Usage: unico-sim deliver --url URL --auth SPEC [options]

Each notification is {"processId": <uuid v4>, "state": "PROCESS_STATE_FINISHED", "flow": id|idtoken|idunicosign},
some (see --expired-ratio) also with "lastEvent" and "lastEventDescription" as for expired processes.
A delivery is retried on any non-2xx answer, timeout or network error, waiting interval x 2^(n-1)
after the n-th failed attempt (capped by --max-interval), up to --max-attempts attempts.
With OAuth2 the token is fetched once, reused until shortly before it expires, and fetched again
once per delivery when the endpoint answers 401 (that delivery is then re-sent at once).

${TARGET_HELP}
Deliveries:
  --count N                 notifications to send (default ${DEFAULTS.count})
  --process-id UUID         use this processId (repeatable; then --count is their number)
  --state STATE             the state to send (default ${FINISHED_STATE})
  --expired-ratio R         share 0..1 of notifications with lastEvent (default ${DEFAULTS.expiredRatio})
  --concurrency C           most deliveries in flight at once, 1..${MAX_CONCURRENCY} (default ${DEFAULTS.concurrency})
  --duplicates RATIO        share 0..1 of notifications sent twice, as at-least-once delivery does:
                            half of the copies together with the original, half after it (default ${DEFAULTS.duplicates})
  --max-attempts A          attempts per delivery (default ${DEFAULTS.maxAttempts})
  --interval S              seconds before the first retry, doubling after each (default ${DEFAULTS.intervalSeconds})
  --max-interval S          longest wait between attempts (default ${DEFAULTS.maxIntervalSeconds})
  --jitter                  draw each wait between half and all of it (off: the schedule is exact)
  --no-progress             no live progress line (it is shown only when stderr is a terminal)

Gates, for a pipeline (each fails the run, exit code 1, when passed):
  --max-p99-ratio R         p99 latency per attempt at most R times the timeout (e.g. 0.5)
  --max-retries N           at most N retries over the run (0: every delivery 2xx on its first try)
With --auth oauth2, a token the provider does not give stops the run at once, before any delivery.

The summary gives deliveries, 2xx on first try, retries, permanent failures, answers by status,
latency per attempt (p50/p95/p99/max, against the timeout), the gates, and the processIds sent
(with --json). Exit code 1 when any delivery failed permanently or a gate was passed.
With --endpoints of a local stack, the processIds deliver makes up are first registered in its
Unico as finished processes, so their results events carry outcomes; the summary says how many
events come and how long the processor's budget (UNICO_MAX_RPS) needs for them.
`;

export const CHECK_HELP = `unico-sim check: is this endpoint ready for Unico's webhooks?

Usage: unico-sim check --url URL --auth SPEC [options]

Expectations, each printed as PASS, FAIL or SKIP with the evidence (status, latency):
  1 a valid delivery is answered 2xx within the timeout
  2 the same delivery again is answered 2xx
  3 20 concurrent copies of a new delivery are all answered 2xx
  4 wrong credentials are refused (basic: wrong password; apikey: wrong value; oauth2: forged token)
  5 missing credentials are refused                       (4 and 5 are skipped for --auth none)
  6 a malformed body (not JSON) is refused with 4xx, not 5xx
  7 an unknown future state PROCESS_STATE_SOMETHING_NEW is accepted (2xx)
Every request is sent once, without retries. Exit code 1 when any expectation fails. A 404 or
405 fails too, with a hint: the URL does not reach the webhook route (it ends in /webhooks/unico).
With --auth oauth2, a token the provider does not give stops the check at once, before any request.

The notifications are real: an endpoint that accepts them passes them on to its queue and its
consumers. Each has flow "unico-sim-check" (Unico never sends it) and a random processId, so that
consumers can recognise and drop them; --json lists them under "notifications". Point check at
production only if its consumers drop that flow. With --endpoints of a local stack, its Unico
learns the finished ones first, so their results events carry outcomes.

${TARGET_HELP}`;

export const RESULTS_HELP = `unico-sim results: read results events from the local stack's results queue, as a consumer does.

Usage: unico-sim results --endpoints .local/endpoints.json [options]

Prints each event taken as indented JSON, and takes it off the queue (deleted, as a consumer that
handled it would). With --process-id, only those processes' events are taken; others are left on
the queue. Exit code 1 when fewer than --count events came within --wait.

  --endpoints FILE          the local stack's endpoints file (its sqs section names the queue)
  --process-id UUID         only this process's event (repeatable)
  --count N                 stop after N events (default: the number of --process-id, else 1)
  --wait S                  give up after S seconds (default 10)
  -h, --help                this text
`;

const RESULTS_OPTIONS = {
  endpoints: { type: 'string' },
  'process-id': { type: 'string', multiple: true },
  count: { type: 'string' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const TARGET_OPTIONS = {
  url: { type: 'string' },
  auth: { type: 'string' },
  endpoints: { type: 'string' },
  'oauth2-token-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'client-auth': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const DELIVER_OPTIONS = {
  ...TARGET_OPTIONS,
  count: { type: 'string' },
  'process-id': { type: 'string', multiple: true },
  state: { type: 'string' },
  'expired-ratio': { type: 'string' },
  concurrency: { type: 'string' },
  duplicates: { type: 'string' },
  'max-attempts': { type: 'string' },
  interval: { type: 'string' },
  'max-interval': { type: 'string' },
  jitter: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  'max-p99-ratio': { type: 'string' },
  'max-retries': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface ParseContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

export function parseCommandLine(argv: readonly string[], context: ParseContext): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('missing command: deliver or check (see unico-sim --help)');
    case '-h':
    case '--help':
    case 'help':
      return {
        kind: 'help',
        text: rest[0] === 'deliver' ? DELIVER_HELP : rest[0] === 'check' ? CHECK_HELP : rest[0] === 'results' ? RESULTS_HELP : MAIN_HELP,
      };
    case 'deliver':
      return parseDeliver(rest, context);
    case 'check':
      return parseCheck(rest, context);
    case 'results':
      return parseResults(rest, context);
    default: {
      const meant = nearMiss(command, ['deliver', 'check', 'results', 'serve', 'help']);
      throw new UsageError(`unknown command "${command}"${meant === undefined ? '' : ` (did you mean ${meant}?)`}: `
        + 'use deliver, check, results or serve (see unico-sim --help)');
    }
  }
}

type TargetValues = { readonly [K in keyof typeof TARGET_OPTIONS]?: (typeof TARGET_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

interface Target {
  readonly url: string;
  readonly auth: AuthSpec;
  readonly oauth2: OAuth2ClientConfig | undefined;
  readonly timeoutMs: number;
  /** Set when the target is the local stack of the --endpoints file (its URL not overridden). */
  readonly localStack?: LocalStackInfo;
}

function parseCheck(args: readonly string[], context: ParseContext): Command {
  const values = parse(args, TARGET_OPTIONS, 'check');
  if (values.help === true) {
    return { kind: 'help', text: CHECK_HELP };
  }
  const target = parseTarget(values, context);
  return { kind: 'check', config: target, json: values.json === true };
}

function parseResults(args: readonly string[], context: ParseContext): Command {
  const values = parse(args, RESULTS_OPTIONS, 'results');
  if (values.help === true) {
    return { kind: 'help', text: RESULTS_HELP };
  }
  if (values.endpoints === undefined) {
    throw new UsageError('--endpoints is required: the local stack\'s endpoints file, e.g. .local/endpoints.json');
  }
  const sqs = readEndpointsFile(values.endpoints, context.readFile).sqs;
  if (sqs === undefined) {
    throw new UsageError(`--endpoints ${values.endpoints} names no results queue (sqs.endpoint, sqs.region, sqs.resultsQueueUrl)`);
  }
  const processIds = (values['process-id'] ?? []).map((id) => {
    if (!UUID_PATTERN.test(id)) throw new UsageError(`--process-id must be a UUID, got "${id}"`);
    return id.toLowerCase();
  });
  const count = numberOption('--count', values.count, Math.max(1, processIds.length), { integer: true, min: 1 });
  const waitSeconds = numberOption('--wait', values.wait, 10, { min: 0.1, max: 3600 });
  return { kind: 'results', config: { sqs, processIds, count, waitMs: Math.round(waitSeconds * 1000) } };
}

function parseDeliver(args: readonly string[], context: ParseContext): Command {
  const values = parse(args, DELIVER_OPTIONS, 'deliver');
  if (values.help === true) {
    return { kind: 'help', text: DELIVER_HELP };
  }
  const target = parseTarget(values, context);

  const processIds = values['process-id'] ?? [];
  for (const id of processIds) {
    if (!UUID_PATTERN.test(id)) {
      throw new UsageError(`--process-id must be a UUID, got "${id}"`);
    }
  }
  let count = numberOption('--count', values.count, DEFAULTS.count, { integer: true, min: 1 });
  if (processIds.length > 0) {
    if (values.count !== undefined && count !== processIds.length) {
      throw new UsageError(`--count ${count} disagrees with the ${processIds.length} --process-id given (leave --count out)`);
    }
    count = processIds.length;
  }
  const concurrency = numberOption('--concurrency', values.concurrency, DEFAULTS.concurrency, { integer: true, min: 1 });
  if (concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency ${concurrency} is above Unico's maximum of ${MAX_CONCURRENCY} simultaneous deliveries`);
  }
  const state = values.state ?? FINISHED_STATE;
  if (!/^PROCESS_STATE_[A-Z0-9_]+$/.test(state)) {
    throw new UsageError(`--state must look like PROCESS_STATE_NAME, got "${state}"`);
  }
  const intervalSeconds = numberOption('--interval', values.interval, DEFAULTS.intervalSeconds, { min: 0, max: 3600 });
  const maxIntervalSeconds = numberOption('--max-interval', values['max-interval'], Math.max(DEFAULTS.maxIntervalSeconds, intervalSeconds), { min: 0, max: 86_400 });

  const maxP99Ratio = values['max-p99-ratio'] === undefined
    ? undefined
    : numberOption('--max-p99-ratio', values['max-p99-ratio'], 1, { min: 0.001, max: 1000 });
  const maxRetries = values['max-retries'] === undefined
    ? undefined
    : numberOption('--max-retries', values['max-retries'], 0, { integer: true, min: 0 });

  return {
    kind: 'deliver',
    json: values.json === true,
    progress: values['no-progress'] !== true,
    config: {
      gates: {
        ...(maxP99Ratio === undefined ? {} : { maxP99Ratio }),
        ...(maxRetries === undefined ? {} : { maxRetries }),
      },
      url: target.url,
      auth: target.auth,
      oauth2: target.oauth2,
      ...(target.localStack === undefined ? {} : { localStack: target.localStack }),
      count,
      processIds,
      concurrency,
      duplicates: numberOption('--duplicates', values.duplicates, DEFAULTS.duplicates, { min: 0, max: 1 }),
      expiredRatio: numberOption('--expired-ratio', values['expired-ratio'], DEFAULTS.expiredRatio, { min: 0, max: 1 }),
      state,
      policy: {
        maxAttempts: numberOption('--max-attempts', values['max-attempts'], DEFAULTS.maxAttempts, { integer: true, min: 1, max: 100 }),
        intervalMs: Math.round(intervalSeconds * 1000),
        maxIntervalMs: Math.round(maxIntervalSeconds * 1000),
        jitter: values.jitter === true,
        timeoutMs: target.timeoutMs,
      },
    },
  };
}

function parseTarget(values: TargetValues, context: ParseContext): Target {
  const file: EndpointsTarget | undefined = values.endpoints === undefined
    ? undefined
    : readEndpointsFile(values.endpoints, context.readFile);

  const urlText = values.url ?? file?.url;
  if (urlText === undefined) {
    throw new UsageError('--url is required (or --endpoints FILE from the local stack)');
  }
  const url = httpUrl('--url', urlText);

  const authText = values.auth ?? file?.auth;
  if (authText === undefined) {
    throw new UsageError('--auth is required: none | basic:USER:PASS | apikey:HEADER:VALUE | apikey:VALUE | oauth2');
  }
  let auth: AuthSpec;
  try {
    auth = parseAuthSpec(authText);
  } catch (error) {
    if (error instanceof InvalidAuthSpecError) {
      throw new UsageError(`--auth: ${error.message}${formValueHint(authText, file?.auth)}`);
    }
    throw error;
  }

  const timeoutSeconds = numberOption('--timeout', values.timeout, DEFAULTS.timeoutSeconds, { min: 0.001, max: 600 });
  const timeoutMs = Math.round(timeoutSeconds * 1000);

  // The local stack's Unico gets the test traffic's processes only when the traffic goes to that stack.
  const localStack = file !== undefined && url === file.url ? { localStack: file.localStack } : {};
  const tokenUrl = values['oauth2-token-url'] ?? file?.tokenUrl;
  const clientId = values['client-id'] ?? file?.clientId;
  const clientSecret = values['client-secret'] ?? context.env[CLIENT_SECRET_ENV] ?? file?.clientSecret;
  const clientAuthText = values['client-auth'];
  if (clientAuthText !== undefined && clientAuthText !== 'basic' && clientAuthText !== 'post') {
    throw new UsageError(`--client-auth must be basic or post, got "${clientAuthText}"`);
  }
  const clientAuth: ClientAuthMethod = clientAuthText ?? 'basic';

  if (auth.mode !== 'oauth2') {
    const stray = (['oauth2-token-url', 'client-id', 'client-secret', 'client-auth'] as const).find((name) => values[name] !== undefined);
    if (stray !== undefined) {
      throw new UsageError(`--${stray} is only for --auth oauth2`);
    }
    return { url, auth, oauth2: undefined, timeoutMs, ...localStack };
  }
  if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) {
    throw new UsageError('--auth oauth2 needs --oauth2-token-url, --client-id and --client-secret');
  }
  return {
    url,
    auth,
    oauth2: { tokenUrl: httpUrl('--oauth2-token-url', tokenUrl), clientId, clientSecret, clientAuth, timeoutMs },
    timeoutMs,
    ...localStack,
  };
}

/**
 * For a value typed as in Unico's form (`USER:PASS`, `HEADER:VALUE`, `VALUE`), which lacks the
 * mode in front: the notation meant. The part after the first colon is a secret: never repeated.
 */
export function formValueHint(text: string, fromFile: string | undefined): string {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const mode = (colon === -1 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  if (['none', 'oauth2', 'basic', 'apikey'].includes(mode) || trimmed.length === 0) return '';
  const shown = colon === -1 ? '…' : `${trimmed.slice(0, colon)}:…`;
  const fileMode = fromFile?.split(':')[0];
  if (fileMode === 'basic' || fileMode === 'apikey') return `; "${shown}" looks like what Unico's form holds: did you mean ${fileMode}:${shown}?`;
  if (colon === -1) return `; "${shown}" looks like what Unico's form holds for an API key: did you mean apikey:${shown}?`;
  return `; "${shown}" looks like what Unico's form holds: did you mean basic:${shown}? (or apikey:${shown} for an API key HEADER:VALUE)`;
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, command: string) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${parseArgsMessage(error, Object.keys(options).map((name) => `--${name}`))} (see unico-sim ${command} --help)`);
  }
}

/**
 * parseArgs reads `--count -1` as a missing value; join it to `--count=-1` so the value check can
 * say what is wrong with it.
 */
function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    const next = args[index + 1];
    const option = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** parseArgs' messages are long; keep the first sentence, naming the option (and the one meant). */
function parseArgsMessage(error: unknown, known: readonly string[]): string {
  // parseArgs throws Node's own TypeError, which may belong to another realm: read its fields.
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') {
    return String(error);
  }
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) {
    const meant = nearMiss(quoted.split('=')[0] ?? quoted, known);
    return `unknown option ${quoted}${meant === undefined ? '' : `; did you mean ${meant}?`}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted !== undefined) {
    return `unexpected argument "${quoted}"`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted !== undefined && /ambiguous|missing/.test(message)) {
    return `${quoted.split(' ')[0] ?? quoted} needs a value`;
  }
  const firstSentence = (message.split(/\.\s|\n/)[0] ?? message).replace(/\.$/, '');
  return firstSentence.charAt(0).toLowerCase() + firstSentence.slice(1);
}

function httpUrl(option: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option} must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${option} must be an http(s) URL, got "${text}"`);
  }
  return text;
}

interface NumberRule {
  readonly integer?: boolean;
  readonly min: number;
  readonly max?: number;
}

export function numberOption(option: string, text: string | undefined, fallback: number, rule: NumberRule): number {
  if (text === undefined) {
    return fallback;
  }
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const kind = rule.integer === true ? 'a whole number' : 'a number';
  const range = rule.max === undefined ? `of at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  if (!Number.isFinite(value) || (rule.integer === true && !Number.isInteger(value))
    || value < rule.min || (rule.max !== undefined && value > rule.max)) {
    throw new UsageError(`${option} must be ${kind} ${range}, got "${text}"`);
  }
  return value;
}
