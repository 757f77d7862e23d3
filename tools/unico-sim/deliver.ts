/**
 * `unico-sim deliver`: send notifications the way Unico does (its auth, its concurrency limit,
 * its retries, its duplicates) and sum up what the endpoint answered.
 */
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { createCredentials, type OAuth2ClientConfig } from './credentials.ts';
import { noTokenMessage, TokenError, UnicoSimError } from './errors.ts';
import type { Clock, HttpSender } from './http-sender.ts';
import { expectedResults, registerProcesses, type LocalStackInfo } from './local-unico.ts';
import { generateNotifications, planDuplicates, type NotificationSource, type UnicoNotification } from './notifications.ts';
import type { ProgressLine } from './progress.ts';
import { deliverWithRetry, type AttemptRecord, type Random, type RetryPolicy, type Sleep } from './retry.ts';
import { Semaphore } from './semaphore.ts';
import { summarize, type DeliverGates, type DeliverSummary, type DeliveryOutcome } from './summary.ts';

export interface DeliverConfig {
  readonly url: string;
  readonly auth: AuthSpec;
  readonly oauth2: OAuth2ClientConfig | undefined;
  readonly count: number;
  readonly processIds: readonly string[];
  readonly concurrency: number;
  /** Share of notifications (0..1) that get one extra copy. */
  readonly duplicates: number;
  readonly expiredRatio: number;
  readonly state: string;
  readonly policy: RetryPolicy;
  /** Limits that fail the run when passed (exit code 1). */
  readonly gates?: DeliverGates;
  /** The local stack behind `url` (from --endpoints): its Unico learns the made-up processIds. */
  readonly localStack?: LocalStackInfo;
}

/** The flow-independent mark on processes deliver made up, in the local Unico's answers. */
export const DELIVER_CLIENT_REFERENCE = 'unico-sim-deliver';

export interface RunDeps {
  readonly send: HttpSender;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  readonly source: NotificationSource;
  readonly progress: ProgressLine | undefined;
}

export async function runDeliver(config: DeliverConfig, deps: RunDeps): Promise<DeliverSummary> {
  const notifications = generateNotifications(config, deps.source);
  const duplicates = planDuplicates(notifications.length, config.duplicates, deps.random);
  const credentials = createCredentials(config.auth, config.oauth2, deps.send, deps.clock);
  // The token first: without one every delivery would fail the same way, so say it once.
  try {
    await credentials.headers();
  } catch (error) {
    if (error instanceof TokenError) throw new UnicoSimError(noTokenMessage(config.oauth2?.tokenUrl, error, config.url));
    throw error;
  }
  // Made-up processIds become finished processes in the local Unico, so their events carry an
  // outcome; ids given with --process-id are the user's, whose processes are left as they are.
  const simulator = config.localStack?.simulator;
  const madeUp = notifications.filter((notification) => !config.processIds.includes(notification.processId));
  const registered = simulator === undefined || madeUp.length === 0
    ? 0
    : await registerProcesses(simulator, madeUp, DELIVER_CLIENT_REFERENCE, deps.send);
  // The figures are the deliveries' own: the clock starts once the local Unico knows the processes.
  const started = deps.clock();
  const slots = new Semaphore(config.concurrency);
  const total = notifications.length + duplicates.length;
  const counts = { done: 0, delivered: 0, failed: 0, attempts: 0, retries: 0 };

  const showProgress = (force = false): void => {
    deps.progress?.update({ total, ...counts, inFlight: slots.inFlight }, force);
  };
  const onAttempt = (record: AttemptRecord): void => {
    counts.attempts += 1;
    if (record.attempt > 1) {
      counts.retries += 1;
    }
    showProgress();
  };
  const deliverOne = async (index: number, duplicate: boolean): Promise<DeliveryOutcome> => {
    const notification = notifications[index];
    if (notification === undefined) {
      throw new RangeError(`no notification ${index}`);
    }
    const result = await deliverWithRetry(config.url, JSON.stringify(notification), config.policy, {
      send: deps.send, credentials, sleep: deps.sleep, random: deps.random, slots, onAttempt,
    });
    counts.done += 1;
    if (result.delivered) {
      counts.delivered += 1;
    } else {
      counts.failed += 1;
    }
    showProgress();
    return { processId: notification.processId, duplicate, result };
  };

  // Launch in order; the FIFO slots keep that order, so a concurrent copy goes out right beside
  // its original, and a later copy is queued when its original's delivery has ended.
  const originals: Array<Promise<DeliveryOutcome>> = [];
  const copies: Array<Promise<DeliveryOutcome>> = [];
  const plansByIndex = Map.groupBy(duplicates, (plan) => plan.of);
  notifications.forEach((_, index) => {
    const original = deliverOne(index, false);
    originals.push(original);
    for (const plan of plansByIndex.get(index) ?? []) {
      copies.push(plan.timing === 'concurrent'
        ? deliverOne(index, true)
        : original.then(() => deliverOne(index, true)));
    }
  });
  const outcomes = [...(await Promise.all(originals)), ...(await Promise.all(copies))];
  showProgress(true);
  deps.progress?.finish();
  const delivered = new Set(outcomes.filter((outcome) => outcome.result.delivered).map((outcome) => outcome.processId));
  const accepted: UnicoNotification[] = notifications.filter((notification) => delivered.has(notification.processId));
  const unicoMaxRps = config.localStack?.unicoMaxRps;

  return summarize({
    url: config.url,
    notifications: notifications.length,
    outcomes,
    timeoutMs: config.policy.timeoutMs,
    concurrency: config.concurrency,
    maxInFlight: slots.maxInFlight,
    tokenRequests: credentials.tokenRequests,
    elapsedMs: deps.clock() - started,
    ...(config.gates === undefined ? {} : { gates: config.gates }),
    ...(unicoMaxRps === undefined ? {} : { resultsQueue: expectedResults(accepted, registered, unicoMaxRps) }),
  });
}
