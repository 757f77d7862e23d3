/**
 * The local stack's Unico (its simulator) and the test traffic: before `check` and `deliver` send
 * made-up processIds to the local stack, they register each one through the simulator's admin API
 * as a finished process, so that the processor's GetProcess finds it and its results event carries
 * an outcome instead of a 404 `outcomeError`. The summary then says how long the results take:
 * the processor makes at most `unicoMaxRps` calls to Unico a second, one per finished process.
 */
import type { UnicoContractName } from '../../lambdas/contracts/unico-api.ts';
import { UnicoSimError } from './errors.ts';
import type { HttpOutcome, HttpSender } from './http-sender.ts';
import { FINISHED_STATE, type UnicoNotification } from './notifications.ts';
import { Semaphore } from './semaphore.ts';

/** What the endpoints file tells about the stack behind the webhook URL. */
export interface LocalStackInfo {
  /** The simulator's admin API and contract; undefined when the stack calls a real Unico. */
  readonly simulator: { readonly adminUrl: string; readonly contract: UnicoContractName } | undefined;
  /** The processor's calls to Unico per second; undefined when no processor runs. */
  readonly unicoMaxRps: number | undefined;
}

/** What the consumers of the results queue should see, and how soon. */
export interface ExpectedResults {
  /** Processes registered in the local Unico, so their events carry an outcome. */
  readonly registered: number;
  /** Results events to expect: one per distinct (processId, state) accepted. */
  readonly events: number;
  /** Of them, finished ones: each costs one GetProcess call from the budget. */
  readonly fetches: number;
  readonly unicoMaxRps: number;
  /** fetches / unicoMaxRps, rounded up: the least time the processor needs for them. */
  readonly seconds: number;
}

const REGISTER_CONCURRENCY = 16;
const ADMIN_TIMEOUT_MS = 5_000;

/**
 * A plausible finished process as GetProcess returns it for the contract (Web & SDK: the object
 * inside `process`; API: the whole answer), with made-up personal data; `clientReference` names
 * the command that made it up. An expired notification (it has lastEvent) gets an expired result.
 */
export function finishedProcess(contract: UnicoContractName, notification: UnicoNotification, madeBy: string, now: Date): Record<string, unknown> {
  const expired = notification.lastEvent !== undefined;
  if (contract === 'api') {
    // Status 3 is "finished ok", 4 "canceled" (the API contract's final statuses are 3, 4, 5).
    return expired
      ? { id: notification.processId, status: 4 }
      : {
          id: notification.processId,
          status: 3,
          unicoId: { result: 'yes' },
          identityFraudsters: { result: 'no' },
          government: { serpro: { result: 'yes', score: 95 } },
          liveness: 1,
          score: 90,
        };
  }
  const process: Record<string, unknown> = {
    id: notification.processId,
    flow: notification.flow,
    state: FINISHED_STATE,
    result: expired ? 'PROCESS_RESULT_EXPIRED' : 'PROCESS_RESULT_OK',
    createdAt: new Date(now.getTime() - 5 * 60_000).toISOString(),
    finishedAt: now.toISOString(),
    clientReference: madeBy,
  };
  if (expired) return { ...process, lastEvent: notification.lastEvent, lastEventDescription: notification.lastEventDescription };
  return {
    ...process,
    capacities: ['CAPACITY_IDUNICO', 'CAPACITY_LIVENESS'],
    person: { duiType: 'DUI_TYPE_BR_CPF', duiValue: '00000000191', friendlyName: 'Pessoa de Teste' },
  };
}

/**
 * PUTs each notification's process into the simulator (`PUT {adminUrl}/processes/{id}`). A refusal
 * or no answer stops the command before anything is delivered: the endpoints file then describes
 * a stack that is not there, or not whole.
 */
export async function registerProcesses(
  simulator: NonNullable<LocalStackInfo['simulator']>,
  notifications: readonly UnicoNotification[],
  madeBy: string,
  send: HttpSender,
  now: Date = new Date(),
): Promise<number> {
  const slots = new Semaphore(REGISTER_CONCURRENCY);
  const failures: string[] = [];
  await Promise.all(notifications.map(async (notification) => {
    const outcome = await slots.run(() => send({
      url: `${simulator.adminUrl}/processes/${notification.processId}`,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(finishedProcess(simulator.contract, notification, madeBy, now)),
      timeoutMs: ADMIN_TIMEOUT_MS,
    }));
    if (!(outcome.kind === 'answer' && outcome.status === 204)) failures.push(describe(outcome));
  }));
  if (failures.length > 0) {
    throw new UnicoSimError(`the local Unico at ${simulator.adminUrl} did not take ${failures.length} of the `
      + `${notifications.length} processes (${failures[0]}); nothing was delivered. Is the local stack still running (npm start)?`);
  }
  return notifications.length;
}

/** Events to expect from the notifications the endpoint accepted, and the least time they take. */
export function expectedResults(accepted: readonly UnicoNotification[], registered: number, unicoMaxRps: number): ExpectedResults {
  const keys = new Set(accepted.map((notification) => `${notification.processId}:${notification.state}`));
  const fetches = new Set(accepted.filter((notification) => notification.state === FINISHED_STATE).map((notification) => notification.processId)).size;
  return { registered, events: keys.size, fetches, unicoMaxRps, seconds: Math.ceil(fetches / unicoMaxRps) };
}

/** One line for the summaries. */
export function describeExpectedResults(results: ExpectedResults): string {
  const events = `${results.events} results event${results.events === 1 ? '' : 's'} to come`;
  const finished = results.registered > 0
    ? `the ${results.fetches} finished with an outcome from the local Unico`
    : `${results.fetches} finished`;
  return `${events} (${finished}): one GetProcess call each at the budget of ${results.unicoMaxRps}/s (UNICO_MAX_RPS) `
    + `takes about ${results.seconds} s, and an outcome set now waits behind them`;
}

function describe(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'answer':
      return `answered ${outcome.status}`;
    case 'timeout':
      return 'no answer in time';
    case 'network_error':
      return outcome.reason;
  }
}
