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
import { describeExpectedResults, expectedResults, registerProcesses, type ExpectedResults, type LocalStackInfo } from './local-unico.ts';
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
  /** The local stack behind `url` (from --endpoints): its Unico learns the processIds sent. */
  readonly localStack?: LocalStackInfo;
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
  /** Whether the endpoint answered 2xx for it: only then did it pass it on. */
  readonly accepted: boolean;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly url: string;
  readonly auth: AuthSpec['mode'];
  readonly timeoutMs: number;
  readonly results: readonly CheckResult[];
  /** Every notification sent (flow CHECK_FLOW), for consumers to recognise and drop. */
  readonly notifications: readonly SentNotification[];
  /** Against the local stack: the results events the accepted notifications make, and how soon. */
  readonly resultsQueue?: ExpectedResults;
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

  // Every notification made up front, in the order they are sent, so the local Unico can learn
  // the finished ones before any is sent.
  const newNotification = (state = FINISHED_STATE): UnicoNotification => ({
    ...(generateNotifications({ count: 1, processIds: [], expiredRatio: 0, state }, deps.source)[0] as UnicoNotification),
    flow: CHECK_FLOW,
  });
  const withAuth = config.auth.mode !== 'none';
  const planned = {
    first: newNotification(),
    concurrent: newNotification(),
    wrong: withAuth ? newNotification() : undefined,
    missing: withAuth ? newNotification() : undefined,
    broken: JSON.stringify(newNotification()).slice(0, 30),
    future: newNotification(UNKNOWN_FUTURE_STATE),
  };
  const simulator = config.localStack?.simulator;
  const finished = [planned.first, planned.concurrent, planned.wrong, planned.missing]
    .filter((notification): notification is UnicoNotification => notification !== undefined);
  const registered = simulator === undefined ? 0 : await registerProcesses(simulator, finished, CHECK_FLOW, deps.send);

  const sent: SentNotification[] = [];
  const accepted = new Set<UnicoNotification>();
  /** Sends the notification (recorded as sent, and as accepted on a 2xx). */
  const deliver = async (notification: UnicoNotification, expectation: number, sentWith: SentNotification['credentials'], headers: Headers) => {
    if (!sent.some((known) => known.processId === notification.processId && known.state === notification.state)) {
      sent.push({ processId: notification.processId, state: notification.state, flow: notification.flow, expectation, credentials: sentWith, accepted: false });
    }
    const outcome = await post(JSON.stringify(notification), headers);
    if (outcome.kind === 'answer' && isSuccess(outcome.status)) accepted.add(notification);
    return outcome;
  };
  const post = (body: string, headers: Headers): Promise<HttpOutcome> => deps.send({
    url: config.url, method: 'POST', headers: { ...DEFAULT_HEADERS, ...headers }, body, timeoutMs: config.timeoutMs,
  });
  const timeoutMs = config.timeoutMs;
  /** The first answer to valid credentials that refused them: nothing behind it tests anything else. */
  let validRefused: { readonly number: number; readonly status: number } | undefined;
  const noteRefusal = (number: number, outcome: HttpOutcome) => {
    if (validRefused === undefined && outcome.kind === 'answer' && isAuthRefusal(outcome.status)) validRefused = { number, status: outcome.status };
  };

  const results: CheckResult[] = [];

  // 1 and 2: a valid delivery, then the same again (a redelivery must also be 2xx).
  const title1 = `a valid delivery is answered 2xx within the timeout (${timeoutMs} ms)`;
  const outcome1 = await deliver(planned.first, 1, 'valid', validHeaders);
  noteRefusal(1, outcome1);
  results.push(expect2xx(1, title1, outcome1, timeoutMs));
  const title2 = 'the same delivery again (a redelivery) is answered 2xx';
  const outcome2 = await deliver(planned.first, 2, 'valid', validHeaders);
  noteRefusal(2, outcome2);
  results.push(expect2xx(2, title2, outcome2, timeoutMs));

  // 3: the same new notification delivered 20 times at once, as at-least-once delivery may.
  const title3 = `${CONCURRENT_COPIES} concurrent copies of a new delivery are all answered 2xx`;
  const outcomes3 = await Promise.all(Array.from({ length: CONCURRENT_COPIES }, () => deliver(planned.concurrent, 3, 'valid', validHeaders)));
  outcomes3.forEach((outcome) => noteRefusal(3, outcome));
  const good = outcomes3.filter((outcome) => outcome.kind === 'answer' && isSuccess(outcome.status)).length;
  const slowest = Math.max(...outcomes3.map((outcome) => outcome.latencyMs));
  results.push({
    number: 3,
    title: title3,
    status: good === CONCURRENT_COPIES ? 'PASS' : 'FAIL',
    evidence: `${good}/${CONCURRENT_COPIES} answered 2xx (${tally(outcomes3, timeoutMs)}); slowest ${ms(slowest)}`,
  });

  // 4 and 5: wrong and missing credentials must be refused; a refusal proves something only where
  // valid credentials were let in.
  const title4 = 'wrong credentials are refused (non-2xx)';
  const title5 = 'missing credentials are refused (non-2xx)';
  if (planned.wrong === undefined || planned.missing === undefined) {
    const note = 'auth is none: nothing to refuse (use none for development only)';
    results.push({ number: 4, title: title4, status: 'SKIP', evidence: note });
    results.push({ number: 5, title: title5, status: 'SKIP', evidence: note });
  } else {
    const wrong = await wrongCredentials(config.auth, validHeaders);
    const wrongOutcome = await deliver(planned.wrong, 4, 'wrong', wrong.headers);
    results.push(behindRefusal(expectRefused(4, title4, wrongOutcome, timeoutMs, wrong.what), validRefused, wrongOutcome));
    const missingOutcome = await deliver(planned.missing, 5, 'none', {});
    results.push(behindRefusal(expectRefused(5, title5, missingOutcome, timeoutMs, 'no credentials'), validRefused, missingOutcome));
  }

  // 6: a body that is not JSON can never succeed: 4xx, never 5xx (Unico would retry a 5xx).
  const title6 = 'a malformed body (not JSON) is refused with 4xx, not 5xx';
  const outcome6 = await post(planned.broken, validHeaders);
  if (outcome6.kind === 'answer' && isAuthRefusal(outcome6.status)) {
    // The credentials were refused before the body was looked at: no evidence about the body.
    results.push({ number: 6, title: title6, status: 'SKIP', evidence: `${evidenceOf(outcome6, timeoutMs, false)}: the credentials were refused, the body never judged (check --auth)` });
  } else {
    const ok = outcome6.kind === 'answer' && outcome6.status >= 400 && outcome6.status <= 499 && !isNoRoute(outcome6.status);
    results.push({ number: 6, title: title6, status: ok ? 'PASS' : 'FAIL', evidence: evidenceOf(outcome6, timeoutMs, !ok) });
  }

  // 7: Unico may add states; an unknown one must be accepted.
  const title7 = `an unknown future state ${UNKNOWN_FUTURE_STATE} is accepted (2xx)`;
  results.push(expect2xx(7, title7, await deliver(planned.future, 7, 'valid', validHeaders), timeoutMs));

  const acceptedKeys = new Set([...accepted].map((notification) => `${notification.processId}:${notification.state}`));
  const notifications = sent.map((notification) => ({ ...notification, accepted: acceptedKeys.has(`${notification.processId}:${notification.state}`) }));
  const unicoMaxRps = config.localStack?.unicoMaxRps;
  const count = (status: CheckStatus): number => results.filter((result) => result.status === status).length;
  return {
    ok: count('FAIL') === 0,
    url: config.url,
    auth: config.auth.mode,
    timeoutMs,
    results,
    notifications,
    ...(unicoMaxRps === undefined ? {} : { resultsQueue: expectedResults([...accepted], registered, unicoMaxRps) }),
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
  const accepted = report.notifications.filter((notification) => notification.accepted).length;
  const sent = `${report.notifications.length} notifications with flow "${CHECK_FLOW}" (random processIds; --json lists them)`;
  lines.push(accepted === 0
    ? `sent ${sent}: none was accepted, so none reached the target's queue`
    : `sent ${sent}: ${accepted} accepted, now on the target's queue for its consumers to drop`);
  if (report.resultsQueue !== undefined && accepted > 0) lines.push(`results: ${describeExpectedResults(report.resultsQueue)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A refusal of wrong or missing credentials proves they are told apart only where valid ones were
 * let in: when the valid credentials were refused too, the line is a SKIP, not a PASS.
 */
function behindRefusal(result: CheckResult, validRefused: { readonly number: number; readonly status: number } | undefined, outcome: HttpOutcome): CheckResult {
  if (validRefused === undefined || result.status !== 'PASS' || outcome.kind !== 'answer') return result;
  return {
    ...result,
    status: 'SKIP',
    evidence: `${result.evidence}; but valid credentials were refused too (${validRefused.number}. answered ${validRefused.status}), so this shows nothing (check --auth)`,
  };
}

/** 401 and 403: the credentials were refused. */
function isAuthRefusal(status: number): boolean {
  return status === 401 || status === 403;
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
