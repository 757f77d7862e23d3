/**
 * `unico-sim check`: a conformance check of a webhook endpoint against what Unico needs from it.
 * Each expectation sends real requests once (no retries) and reports PASS, FAIL or SKIP with the
 * evidence: the status and the latency, or why no answer came.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { basicAuthorization } from '../../lambdas/contracts/auth-notation.ts';
import { createCredentials, type OAuth2ClientConfig } from './credentials.ts';
import { noTokenMessage, TokenError, UnicoSimError } from './errors.ts';
import type { Clock, HttpOutcome, HttpSender } from './http-sender.ts';
import { FINISHED_STATE, generateNotifications, type NotificationSource, type UnicoNotification } from './notifications.ts';
import { DEFAULT_HEADERS, isSuccess } from './retry.ts';

export const UNKNOWN_FUTURE_STATE = 'PROCESS_STATE_SOMETHING_NEW';
export const CONCURRENT_COPIES = 20;
/**
 * The `flow` of every notification `check` sends. They are real notifications to the endpoint
 * (random processIds, one with an unknown state): a receiver that accepts them passes them on,
 * and consumers recognise them by this flow, which Unico never sends, and drop them.
 */
export const CHECK_FLOW = 'unico-sim-check';

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckResult {
  readonly number: number;
  readonly title: string;
  readonly status: CheckStatus;
  readonly evidence: string;
}

export interface CheckConfig {
  readonly url: string;
  readonly auth: AuthSpec;
  readonly oauth2: OAuth2ClientConfig | undefined;
  readonly timeoutMs: number;
}

export interface CheckDeps {
  readonly send: HttpSender;
  readonly clock: Clock;
  readonly source: NotificationSource;
}

/** A notification `check` sent as a whole, valid body: what may now be in the target's queue. */
export interface SentNotification {
  readonly processId: string;
  readonly state: string;
  readonly flow: string;
  /** The expectation that sent it, and whether with valid credentials. */
  readonly expectation: number;
  readonly credentials: 'valid' | 'wrong' | 'none';
}

export interface CheckReport {
  readonly ok: boolean;
  readonly url: string;
  readonly auth: AuthSpec['mode'];
  readonly timeoutMs: number;
  readonly results: readonly CheckResult[];
  /** Every notification sent (flow CHECK_FLOW), for consumers to recognise and drop. */
  readonly notifications: readonly SentNotification[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

type Headers = Record<string, string>;

export async function runCheck(config: CheckConfig, deps: CheckDeps): Promise<CheckReport> {
  const credentials = createCredentials(config.auth, config.oauth2, deps.send, deps.clock);
  let validHeaders: Headers;
  try {
    validHeaders = await credentials.headers();
  } catch (error) {
    if (!(error instanceof TokenError)) {
      throw error;
    }
    // Without a token, five of the seven expectations could only fail the same way: say it once.
    throw new UnicoSimError(noTokenMessage(config.oauth2?.tokenUrl, error, config.url));
  }

  const sent: SentNotification[] = [];
  const newNotification = (state = FINISHED_STATE): UnicoNotification => ({
    ...(generateNotifications({ count: 1, processIds: [], expiredRatio: 0, state }, deps.source)[0] as UnicoNotification),
    flow: CHECK_FLOW,
  });
  /** The notification as a body, recorded as sent. */
  const bodyOf = (notification: UnicoNotification, expectation: number, sentWith: SentNotification['credentials']): string => {
    if (!sent.some((known) => known.processId === notification.processId && known.state === notification.state)) {
      sent.push({ processId: notification.processId, state: notification.state, flow: notification.flow, expectation, credentials: sentWith });
    }
    return JSON.stringify(notification);
  };
  const post = (body: string, headers: Headers): Promise<HttpOutcome> => deps.send({
    url: config.url, method: 'POST', headers: { ...DEFAULT_HEADERS, ...headers }, body, timeoutMs: config.timeoutMs,
  });
  const withValid = (run: (headers: Headers) => Promise<CheckResult>): Promise<CheckResult> => run(validHeaders);
  const timeoutMs = config.timeoutMs;

  const results: CheckResult[] = [];

  // 1 and 2: a valid delivery, then the same again (a redelivery must also be 2xx).
  const first = bodyOf(newNotification(), 1, 'valid');
  const title1 = `a valid delivery is answered 2xx within the timeout (${timeoutMs} ms)`;
  results.push(await withValid(async (headers) => {
    const outcome = await post(first, headers);
    return expect2xx(1, title1, outcome, timeoutMs);
  }));
  const title2 = 'the same delivery again (a redelivery) is answered 2xx';
  results.push(await withValid(async (headers) => {
    const outcome = await post(first, headers);
    return expect2xx(2, title2, outcome, timeoutMs);
  }));

  // 3: the same new notification delivered 20 times at once, as at-least-once delivery may.
  const title3 = `${CONCURRENT_COPIES} concurrent copies of a new delivery are all answered 2xx`;
  results.push(await withValid(async (headers) => {
    const body = bodyOf(newNotification(), 3, 'valid');
    const outcomes = await Promise.all(Array.from({ length: CONCURRENT_COPIES }, () => post(body, headers)));
    const good = outcomes.filter((outcome) => outcome.kind === 'answer' && isSuccess(outcome.status)).length;
    const slowest = Math.max(...outcomes.map((outcome) => outcome.latencyMs));
    const evidence = `${good}/${CONCURRENT_COPIES} answered 2xx (${tally(outcomes, timeoutMs)}); slowest ${ms(slowest)}`;
    return { number: 3, title: title3, status: good === CONCURRENT_COPIES ? 'PASS' : 'FAIL', evidence };
  }));

  // 4 and 5: wrong and missing credentials must be refused.
  const title4 = 'wrong credentials are refused (non-2xx)';
  const title5 = 'missing credentials are refused (non-2xx)';
  if (config.auth.mode === 'none') {
    const note = 'auth is none: nothing to refuse (use none for development only)';
    results.push({ number: 4, title: title4, status: 'SKIP', evidence: note });
    results.push({ number: 5, title: title5, status: 'SKIP', evidence: note });
  } else {
    const wrong = await wrongCredentials(config.auth, validHeaders);
    const wrongOutcome = await post(bodyOf(newNotification(), 4, 'wrong'), wrong.headers);
    results.push(expectRefused(4, title4, wrongOutcome, timeoutMs, wrong.what));
    const missingOutcome = await post(bodyOf(newNotification(), 5, 'none'), {});
    results.push(expectRefused(5, title5, missingOutcome, timeoutMs, 'no credentials'));
  }

  // 6: a body that is not JSON can never succeed: 4xx, never 5xx (Unico would retry a 5xx).
  const title6 = 'a malformed body (not JSON) is refused with 4xx, not 5xx';
  results.push(await withValid(async (headers) => {
    const broken = JSON.stringify(newNotification()).slice(0, 30);
    const outcome = await post(broken, headers);
    const status = outcome.kind === 'answer' && outcome.status >= 400 && outcome.status <= 499 && !isNoRoute(outcome.status)
      ? 'PASS'
      : 'FAIL';
    return { number: 6, title: title6, status, evidence: evidenceOf(outcome, timeoutMs, status === 'FAIL') };
  }));

  // 7: Unico may add states; an unknown one must be accepted.
  const title7 = `an unknown future state ${UNKNOWN_FUTURE_STATE} is accepted (2xx)`;
  results.push(await withValid(async (headers) => {
    const outcome = await post(bodyOf(newNotification(UNKNOWN_FUTURE_STATE), 7, 'valid'), headers);
    return expect2xx(7, title7, outcome, timeoutMs);
  }));

  const count = (status: CheckStatus): number => results.filter((result) => result.status === status).length;
  return {
    ok: count('FAIL') === 0,
    url: config.url,
    auth: config.auth.mode,
    timeoutMs,
    results,
    notifications: sent,
    passed: count('PASS'),
    failed: count('FAIL'),
    skipped: count('SKIP'),
  };
}

export function checkExitCode(report: CheckReport): number {
  return report.ok ? 0 : 1;
}

export function formatCheckText(report: CheckReport): string {
  const lines = report.results.map((result) => `${result.status}  ${result.number}. ${result.title}: ${result.evidence}`);
  lines.push(`${report.ok ? 'OK' : 'FAILED'}: ${report.passed} passed, ${report.failed} failed, `
    + `${report.skipped} skipped (${report.url}, auth ${report.auth})`);
  lines.push(`sent ${report.notifications.length} notifications with flow "${CHECK_FLOW}" (random processIds; --json lists them): `
    + 'those accepted are on the target\'s queue, for its consumers to drop');
  return `${lines.join('\n')}\n`;
}

/**
 * Credentials of the configured kind that must not be accepted: basic with a wrong password, an
 * API key with a wrong value in the same header, OAuth2 a forged token (the real token's claims
 * re-signed with a random key, or garbage when the real token is not a JWT).
 */
export async function wrongCredentials(spec: AuthSpec, validHeaders: Readonly<Headers>): Promise<{ headers: Headers; what: string }> {
  const salt = randomBytes(6).toString('hex');
  switch (spec.mode) {
    case 'basic':
      return {
        headers: { Authorization: basicAuthorization(spec.username, `${spec.password}-wrong-${salt}`) },
        what: 'right user, wrong password',
      };
    case 'apikey':
      return { headers: { [spec.header]: `wrong-${salt}` }, what: `wrong value in ${spec.header}` };
    case 'oauth2': {
      const sent = validHeaders.Authorization;
      const forged = sent?.startsWith('Bearer ') ? await forgeJwt(sent.slice('Bearer '.length)) : undefined;
      return forged === undefined
        ? { headers: { Authorization: `Bearer garbage.${salt}.token` }, what: 'garbage bearer token' }
        : { headers: { Authorization: `Bearer ${forged}` }, what: 'forged token: real claims, wrong signature' };
    }
    case 'none':
      return { headers: {}, what: 'no credentials' };
  }
}

/** The token's claims (and key id) signed HS256 with a random key; undefined if it is no JWT. */
export async function forgeJwt(token: string): Promise<string | undefined> {
  let claims: ReturnType<typeof decodeJwt>;
  let kid: string | undefined;
  try {
    claims = decodeJwt(token);
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
    .sign(randomBytes(32));
}

function expect2xx(number: number, title: string, outcome: HttpOutcome, timeoutMs: number): CheckResult {
  const ok = outcome.kind === 'answer' && isSuccess(outcome.status);
  return { number, title, status: ok ? 'PASS' : 'FAIL', evidence: evidenceOf(outcome, timeoutMs, !ok) };
}

function expectRefused(number: number, title: string, outcome: HttpOutcome, timeoutMs: number, what: string): CheckResult {
  // Only an answer proves a refusal; a timeout or a network error proves nothing, and neither does
  // a 404 or 405: nothing that checks credentials answered.
  const ok = outcome.kind === 'answer' && !isSuccess(outcome.status) && !isNoRoute(outcome.status);
  return { number, title, status: ok ? 'PASS' : 'FAIL', evidence: `${evidenceOf(outcome, timeoutMs, false)} (${what})` };
}

/** 404 and 405: no webhook route at this URL, whatever the credentials. */
function isNoRoute(status: number): boolean {
  return status === 404 || status === 405;
}

const NO_ROUTE_HINT = ' (nothing takes POST at this path: is --url the stack\'s WebhookUrl, ending in /webhooks/unico?)';

/** `withBody`: the check failed where valid credentials were sent: show the answer's body and hints. */
function evidenceOf(outcome: HttpOutcome, timeoutMs: number, withBody: boolean): string {
  switch (outcome.kind) {
    case 'answer': {
      // Where valid credentials were sent, a 401 or 403 most likely means --auth does not match.
      const hint = isNoRoute(outcome.status)
        ? NO_ROUTE_HINT
        : withBody && (outcome.status === 401 || outcome.status === 403) ? ' (credentials refused: check --auth)' : '';
      const body = withBody && outcome.body.length > 0 ? `, body ${oneLine(outcome.body)}` : '';
      return `${outcome.status} in ${ms(outcome.latencyMs)}${hint}${body}`;
    }
    case 'timeout':
      return `no answer within the timeout (${timeoutMs} ms)`;
    case 'network_error':
      return `no answer: ${outcome.reason}`;
  }
}

function tally(outcomes: readonly HttpOutcome[], timeoutMs: number): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = outcome.kind === 'answer' ? String(outcome.status)
      : outcome.kind === 'timeout' ? `timeout ${timeoutMs} ms` : outcome.reason;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${key}: ${n}`).join(', ');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

function ms(value: number): string {
  return `${Math.round(value * 10) / 10} ms`;
}
