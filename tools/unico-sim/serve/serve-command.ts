/**
 * `unico-sim serve`: Unico in a box, from the command line. Parses the options, starts the
 * simulator, prints where it is, and runs until SIGINT or SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidAuthSpecError, parseAuthSpec, type AuthSpec } from '../../../lambdas/contracts/auth-notation.ts';
import type { UnicoContract } from '../../../lambdas/core/unico/process-fetcher.ts';
import { readEndpointsFile } from '../endpoints-file.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_SERVICE_ACCOUNT, startUnicoSimulator, type RunningUnicoSimulator, type UnicoSimulatorOptions } from './simulator.ts';
import { DEFAULT_WEBHOOK_POLICY } from './webhooks.ts';

export const CLIENT_SECRET_ENV = 'UNICO_SIM_CLIENT_SECRET';

export const SERVE_HELP = `unico-sim serve: Unico in a box. A local Unico IDCloud API (token endpoint and GetProcess)
with an admin API to set processes, finish them (which sends their webhook to your receiver),
inject faults and read statistics.

Usage: unico-sim serve [options]

Options:
  --port N                  port on 127.0.0.1 (default 0: a free one)
  --contract web-sdk|api    the tenant's GetProcess contract (default web-sdk); the other
                            contract's path answers 404
  --receiver-url URL        where webhooks go, e.g. http://127.0.0.1:3000/webhooks/unico
  --receiver-auth SPEC      the receiver's auth in Unico's notation (default none):
                            none | basic:USER:PASS | apikey:HEADER:VALUE | apikey:VALUE | oauth2
  --receiver-token-url URL  with --receiver-auth oauth2: the provider's token URL
  --receiver-client-id ID   with --receiver-auth oauth2: the client id
  --receiver-client-secret S  with --receiver-auth oauth2: the secret (or env ${CLIENT_SECRET_ENV})
  --endpoints FILE          take the receiver's URL and auth from the local stack's endpoints
                            file (.local/endpoints.json); explicit options win
  --drop-webhooks RATIO     share 0..1 of the webhooks of "finish" never sent, spread evenly
                            (0.3 drops exactly 3 in 10), as lost webhooks are (default 0)
  --rate-limit N            answer 429 (Retry-After: 1) to API requests beyond N in a second,
                            as Unico does to a tenant over its budget (default: no limit)
  --token-lifetime S        access tokens' lifetime in seconds (default 3600, as Unico's)
  --service-account NAME    the local service account (default ${DEFAULT_SERVICE_ACCOUNT})
  --webhook-timeout S       seconds to wait for the receiver's answer (default ${DEFAULT_WEBHOOK_POLICY.timeoutMs / 1000})
  --webhook-max-attempts N  attempts per webhook, 1 s apart doubling up to 60 s (default ${DEFAULT_WEBHOOK_POLICY.maxAttempts})
  --key-file FILE           write the service account's private key (PEM) to FILE (mode 0600)
  --json                    print the endpoints, service account, API key and private key as JSON
  -h, --help                this text

The simulator makes a new RSA key pair and API key at every start and prints where everything
is. Point a Unico client at it: API base URL, identity URL (the assertion's aud), token URL,
the service account and its private key, and for the API contract the API key.

Unico's API:
  POST {identity}/oauth2/token      grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an
                                    RS256 assertion (iss = the service account, aud = the identity
                                    URL, scope "*", exp <= iat + 3600); 400 invalid_request,
                                    unsupported_grant_type, invalid_grant or invalid_scope, 401
                                    invalid_client for another service account
  GET {api}/client/v1/process/{id}  Web & SDK contract: {"process": {...}}
  GET {api}/processes/v1/{id}       API contract: the whole answer; needs the APIKEY header (403)
  Both need a Bearer token issued here (401 when missing, unknown, expired or revoked); an
  unknown process is 404, a deleted one 410.

Admin API ({admin} = {api}/admin):
  PUT    {admin}/processes/{id}          the process as GetProcess returns it (Web & SDK: the
                                         object inside "process"; API: the whole answer; up to
                                         5 MiB) -> 204; sends no webhook
  GET    {admin}/processes/{id}          the stored process -> 200
  DELETE {admin}/processes/{id}          removed: GetProcess answers 410 from now on -> 204
  POST   {admin}/processes/{id}/webhook  send its webhook now, as Unico would -> 202; never
                                         dropped. Body: {processId, state, flow, lastEvent?,
                                         lastEventDescription?} from the stored process (state
                                         PROCESS_STATE_FINISHED and flow "id" when it has none; for
                                         the API contract a final status 3, 4 or 5 is finished). An
                                         optional JSON body {state?, lastEvent?,
                                         lastEventDescription?} overrides them
  POST   {admin}/processes/{id}/finish   mark it finished (Web & SDK: state FINISHED, result
                                         PROCESS_RESULT_OK and finishedAt unless set; API: status 3
                                         unless final; an unknown id is created with made-up data)
                                         and send its webhook unless --drop-webhooks drops it ->
                                         202 {..., "webhook": "sending" | "dropped" | "no_receiver"}
  POST   {admin}/faults                  {"status": 429, "retryAfter": 2, "count": 5},
                                         {"status": 500, "count": 3} or {"delayMs": 4000, "count": 2}
                                         (status and delayMs may be combined) -> 204; applied to the
                                         next count GetProcess calls, in the order posted.
                                         "target": "token" applies it to the token endpoint instead
                                         (default "getProcess"); "body" (any JSON, with a status)
                                         is the answer's body, e.g.
                                         {"target": "token", "status": 400,
                                          "body": {"error": "invalid_grant"}}
  DELETE {admin}/faults                  clear them -> 204
  GET    {admin}/stats                   {"tokenRequests", "getProcessRequests",
                                         "peakRequestsPerSecond" (token and GetProcess requests in
                                         the busiest wall-clock second), "peakRequestsInAnySecond"
                                         (the most within any sliding 1,000 ms), "byStatus"
                                         (GetProcess answers), "tokenByStatus", "webhooks":
                                         {"sent", "delivered", "failed", "dropped"}, "processes",
                                         "faultsPending", "tokenFaultsPending"}
  DELETE {admin}/stats                   reset the statistics -> 204
  GET    {admin}/requests                the last API requests: arrival time, kind, process id,
                                         status (no headers, no bodies)
  DELETE {admin}/tokens                  revoke every token issued -> 200 {"revoked": n}

Webhooks are retried like Unico's on anything but a 2xx. Ctrl+C (SIGINT) or SIGTERM stops it.
Exit codes: 0 stopped cleanly, 2 bad command line.
`;

const OPTIONS = {
  port: { type: 'string' },
  contract: { type: 'string' },
  'receiver-url': { type: 'string' },
  'receiver-auth': { type: 'string' },
  'receiver-token-url': { type: 'string' },
  'receiver-client-id': { type: 'string' },
  'receiver-client-secret': { type: 'string' },
  endpoints: { type: 'string' },
  'drop-webhooks': { type: 'string' },
  'rate-limit': { type: 'string' },
  'token-lifetime': { type: 'string' },
  'service-account': { type: 'string' },
  'webhook-timeout': { type: 'string' },
  'webhook-max-attempts': { type: 'string' },
  'key-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ServeCommand =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'serve';
      readonly options: UnicoSimulatorOptions;
      readonly json: boolean;
      readonly keyFile: string | undefined;
    };

export interface ServeParseContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

export function parseServeCommand(argv: readonly string[], context: ServeParseContext): ServeCommand {
  let values: { readonly [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const message = typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : String(error);
    throw new UsageError(`${(message.split(/\.\s|\n/)[0] ?? message).replace(/\.$/, '')} (see unico-sim serve --help)`);
  }
  if (values.help === true) return { kind: 'help' };

  const file = values.endpoints === undefined ? undefined : readEndpointsFile(values.endpoints, context.readFile);
  const receiverUrl = values['receiver-url'] ?? file?.url;
  if (receiverUrl !== undefined) httpUrl('--receiver-url', receiverUrl);
  const authText = values['receiver-auth'] ?? file?.auth;
  let auth: AuthSpec = { mode: 'none' };
  if (authText !== undefined) {
    try {
      auth = parseAuthSpec(authText);
    } catch (error) {
      if (error instanceof InvalidAuthSpecError) throw new UsageError(`--receiver-auth: ${error.message}`);
      throw error;
    }
  }
  if (authText !== undefined && receiverUrl === undefined) {
    throw new UsageError('--receiver-auth needs --receiver-url');
  }
  const tokenUrl = values['receiver-token-url'] ?? file?.tokenUrl;
  const clientId = values['receiver-client-id'] ?? file?.clientId;
  const clientSecret = values['receiver-client-secret'] ?? context.env[CLIENT_SECRET_ENV] ?? file?.clientSecret;
  const oauth2Given = ['receiver-token-url', 'receiver-client-id', 'receiver-client-secret'] as const;
  if (auth.mode !== 'oauth2') {
    const stray = oauth2Given.find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} is only for --receiver-auth oauth2`);
  } else if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) {
    throw new UsageError('--receiver-auth oauth2 needs --receiver-token-url, --receiver-client-id and --receiver-client-secret');
  } else {
    httpUrl('--receiver-token-url', tokenUrl);
  }

  const contract = values.contract ?? 'web-sdk';
  if (contract !== 'web-sdk' && contract !== 'api') throw new UsageError(`--contract must be web-sdk or api, got "${contract}"`);
  const port = number('--port', values.port, { integer: true, min: 0, max: 65_535 });
  const dropWebhooks = number('--drop-webhooks', values['drop-webhooks'], { min: 0, max: 1 });
  if (dropWebhooks !== undefined && dropWebhooks > 0 && receiverUrl === undefined) {
    throw new UsageError('--drop-webhooks needs --receiver-url');
  }
  const rateLimit = number('--rate-limit', values['rate-limit'], { integer: true, min: 1, max: 100_000 });
  const tokenLifetime = number('--token-lifetime', values['token-lifetime'], { integer: true, min: 1, max: 86_400 });
  const webhookTimeout = number('--webhook-timeout', values['webhook-timeout'], { min: 0.001, max: 600 });
  const webhookAttempts = number('--webhook-max-attempts', values['webhook-max-attempts'], { integer: true, min: 1, max: 100 });
  const serviceAccount = values['service-account'];
  if (serviceAccount !== undefined && serviceAccount.trim() === '') throw new UsageError('--service-account must not be empty');

  const options: UnicoSimulatorOptions = {
    contract: contract satisfies UnicoContract,
    ...(port === undefined ? {} : { port }),
    ...(receiverUrl === undefined ? {} : { receiverUrl, receiverAuth: auth }),
    ...(auth.mode === 'oauth2' && tokenUrl !== undefined && clientId !== undefined && clientSecret !== undefined
      ? { receiverOAuth2: { tokenUrl, clientId, clientSecret } }
      : {}),
    ...(dropWebhooks === undefined ? {} : { dropWebhooks }),
    ...(rateLimit === undefined ? {} : { rateLimitPerSecond: rateLimit }),
    ...(tokenLifetime === undefined ? {} : { tokenLifetimeSeconds: tokenLifetime }),
    ...(serviceAccount === undefined ? {} : { serviceAccount }),
    ...(webhookTimeout === undefined && webhookAttempts === undefined
      ? {}
      : {
          webhookPolicy: {
            ...(webhookTimeout === undefined ? {} : { timeoutMs: Math.round(webhookTimeout * 1000) }),
            ...(webhookAttempts === undefined ? {} : { maxAttempts: webhookAttempts }),
          },
        }),
  };
  return { kind: 'serve', options, json: values.json === true, keyFile: values['key-file'] };
}

export interface ServeIo {
  readonly stdout: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the simulator should stop (the process's SIGINT or SIGTERM). */
  readonly untilStopped: () => Promise<void>;
  readonly readFile?: (path: string) => string;
  readonly writeFile?: (path: string, text: string) => void;
}

/** Runs `unico-sim serve`: 0 once stopped. Throws UsageError for a bad command line. */
export async function runServe(argv: readonly string[], io: ServeIo): Promise<number> {
  const command = parseServeCommand(argv, { env: io.env, ...(io.readFile === undefined ? {} : { readFile: io.readFile }) });
  if (command.kind === 'help') {
    io.stdout(SERVE_HELP);
    return 0;
  }
  const simulator = await startUnicoSimulator(command.options);
  try {
    if (command.keyFile !== undefined) {
      (io.writeFile ?? ((path, text) => writeFileSync(path, text, { mode: 0o600 })))(command.keyFile, simulator.privateKeyPem);
    }
    io.stdout(command.json ? `${JSON.stringify(readyInfo(simulator, command.options), null, 2)}\n` : readyText(simulator, command));
    await io.untilStopped();
  } finally {
    await simulator.stop();
  }
  return 0;
}

export function readyInfo(simulator: RunningUnicoSimulator, options: UnicoSimulatorOptions) {
  return {
    contract: simulator.contract,
    apiBaseUrl: simulator.apiBaseUrl,
    identityUrl: simulator.identityUrl,
    tokenUrl: simulator.tokenUrl,
    adminUrl: simulator.adminUrl,
    serviceAccount: simulator.serviceAccount,
    apiKey: simulator.apiKey,
    privateKeyPem: simulator.privateKeyPem,
    receiverUrl: options.receiverUrl ?? null,
  };
}

function readyText(simulator: RunningUnicoSimulator, command: Extract<ServeCommand, { kind: 'serve' }>): string {
  const { options } = command;
  const auth = options.receiverAuth;
  const mode = auth === undefined ? 'none' : typeof auth === 'string' ? auth.split(':')[0] : auth.mode;
  const lines = [
    `Unico simulator ready (${simulator.contract} contract)`,
    `  API base URL     ${simulator.apiBaseUrl}`,
    `  identity URL     ${simulator.identityUrl}   (the assertion's aud)`,
    `  token URL        ${simulator.tokenUrl}`,
    `  admin URL        ${simulator.adminUrl}`,
    `  service account  ${simulator.serviceAccount}`,
    `  API key          ${simulator.apiKey}${simulator.contract === 'api' ? '' : '   (API contract only)'}`,
    `  private key      ${command.keyFile === undefined ? 'use --key-file FILE or --json to get it' : `written to ${command.keyFile}`}`,
    `  webhooks to      ${options.receiverUrl === undefined ? 'nowhere (no --receiver-url)' : `${options.receiverUrl} (auth ${mode})`}`,
  ];
  if (options.dropWebhooks !== undefined && options.dropWebhooks > 0) lines.push(`  dropping         ${options.dropWebhooks} of the webhooks of finish`);
  if (options.rateLimitPerSecond !== undefined) lines.push(`  rate limit       ${options.rateLimitPerSecond} requests per second`);
  lines.push('Ctrl+C stops it.', '');
  return lines.join('\n');
}

function httpUrl(option: string, text: string): void {
  if (!URL.canParse(text) || !['http:', 'https:'].includes(new URL(text).protocol)) {
    throw new UsageError(`${option} must be an http(s) URL, got "${text}"`);
  }
}

function number(option: string, text: string | undefined, rule: { integer?: boolean; min: number; max: number }): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || (rule.integer === true && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    throw new UsageError(`${option} must be ${rule.integer === true ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}, got "${text}"`);
  }
  return value;
}

/** Resolves at the process's first SIGINT or SIGTERM (and stops listening for the other). */
export function untilTerminationSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The line `unico-sim --help` gains for this command. */
export const SERVE_USAGE_LINE = '  unico-sim serve [options]                           Unico in a box: token endpoint, GetProcess, admin API';
