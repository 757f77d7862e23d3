/**
 * The processes the simulator knows, stored as GetProcess returns them: for the Web & SDK
 * contract the object inside `process`, for the API contract the whole answer. It also derives a
 * process's webhook, and what "finished" means for each contract.
 */
import type { UnicoContract } from '../../../lambdas/core/unico/process-fetcher.ts';
import { FINISHED_STATE, UUID_PATTERN, type UnicoNotification } from '../notifications.ts';

export type StoredProcess = Readonly<Record<string, unknown>>;

export type Lookup =
  | { readonly kind: 'found'; readonly process: StoredProcess }
  /** Deleted through the admin API: GetProcess answers 410, as for a process past retention. */
  | { readonly kind: 'removed' }
  | { readonly kind: 'unknown' };

const STATE_PATTERN = /^PROCESS_STATE_[A-Z0-9_]+$/;
const FLOW_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const LAST_EVENT_PATTERN = /^EVENT_TYPE_[A-Z0-9_]+$/;
/** The API contract's final statuses: 3 finished ok, 4 canceled, 5 error. */
const API_FINAL_STATUSES = new Set([3, 4, 5]);
const API_FINISHED_OK = 3;

export function isProcessId(text: string): boolean {
  return UUID_PATTERN.test(text);
}

export class ProcessStore {
  readonly #contract: UnicoContract;
  readonly #processes = new Map<string, StoredProcess>();
  readonly #removed = new Set<string>();

  constructor(contract: UnicoContract) {
    this.#contract = contract;
  }

  get size(): number {
    return this.#processes.size;
  }

  put(processId: string, process: StoredProcess): void {
    const id = processId.toLowerCase();
    this.#processes.set(id, structuredClone(process));
    this.#removed.delete(id);
  }

  get(processId: string): Lookup {
    const id = processId.toLowerCase();
    const process = this.#processes.get(id);
    if (process !== undefined) return { kind: 'found', process };
    return this.#removed.has(id) ? { kind: 'removed' } : { kind: 'unknown' };
  }

  /** Forgets the process; GetProcess answers 410 for it from now on. False when it was not known. */
  remove(processId: string): boolean {
    const id = processId.toLowerCase();
    const known = this.#processes.delete(id);
    if (known) this.#removed.add(id);
    return known;
  }

  /**
   * Marks the process finished (Web & SDK: state PROCESS_STATE_FINISHED, a result and finishedAt
   * when it has none; API: status 3 unless already final) and returns it. An unknown process is
   * created, finished, with made-up data.
   */
  finish(processId: string, now: Date): StoredProcess {
    const id = processId.toLowerCase();
    const current = this.#processes.get(id) ?? syntheticProcess(this.#contract, id, now);
    const finished = this.#contract === 'web-sdk'
      ? { ...current, state: FINISHED_STATE, result: current.result ?? 'PROCESS_RESULT_OK', finishedAt: current.finishedAt ?? now.toISOString() }
      : { ...current, status: API_FINAL_STATUSES.has(current.status as number) ? current.status : API_FINISHED_OK };
    this.put(id, finished);
    return finished;
  }

  /**
   * The webhook Unico would send for the process: processId, state and flow from the stored
   * process (state PROCESS_STATE_FINISHED and flow "id" when it has none readable; for the API
   * contract, a final status counts as finished), and lastEvent / lastEventDescription from
   * `overrides` or else from the stored process. Undefined for an unknown process.
   */
  webhookFor(processId: string, overrides: Partial<Pick<UnicoNotification, 'state' | 'lastEvent' | 'lastEventDescription'>> = {}): UnicoNotification | undefined {
    const id = processId.toLowerCase();
    const process = this.#processes.get(id);
    if (process === undefined) return undefined;
    const stored = (name: string, pattern: RegExp): string | undefined => {
      const value = process[name];
      return typeof value === 'string' && pattern.test(value) ? value : undefined;
    };
    const apiState = API_FINAL_STATUSES.has(Number(process.status)) ? FINISHED_STATE : 'PROCESS_STATE_CREATED';
    const state = overrides.state ?? stored('state', STATE_PATTERN) ?? (this.#contract === 'api' ? apiState : FINISHED_STATE);
    const lastEvent = overrides.lastEvent ?? stored('lastEvent', LAST_EVENT_PATTERN);
    const lastEventDescription = overrides.lastEventDescription
      ?? (typeof process.lastEventDescription === 'string' ? process.lastEventDescription : undefined);
    return {
      processId: id,
      state,
      flow: stored('flow', FLOW_PATTERN) ?? 'id',
      ...(lastEvent === undefined ? {} : { lastEvent }),
      ...(lastEventDescription === undefined ? {} : { lastEventDescription }),
    };
  }
}

/** A plausible finished process with made-up personal data (a test CPF, a fictitious name). */
export function syntheticProcess(contract: UnicoContract, processId: string, now: Date): StoredProcess {
  const created = new Date(now.getTime() - 5 * 60_000).toISOString();
  if (contract === 'api') {
    return {
      id: processId,
      status: API_FINISHED_OK,
      unicoId: { result: 'yes' },
      identityFraudsters: { result: 'no' },
      government: { serpro: { result: 'yes', score: 95 } },
      liveness: 1,
      score: 90,
    };
  }
  return {
    id: processId,
    flow: 'id',
    state: FINISHED_STATE,
    result: 'PROCESS_RESULT_OK',
    createdAt: created,
    finishedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 7 * 24 * 3_600_000).toISOString(),
    clientReference: `sim-${processId.slice(0, 8)}`,
    capacities: ['CAPACITY_IDUNICO', 'CAPACITY_LIVENESS'],
    person: {
      duiType: 'DUI_TYPE_BR_CPF',
      duiValue: '00000000191',
      friendlyName: 'Pessoa de Teste',
      email: 'pessoa.teste@example.com',
      phone: '+5511900000000',
    },
    authenticationInfo: { authenticationResult: 'AUTHENTICATION_RESULT_POSITIVE', livenessResult: 'LIVENESS_RESULT_LIVE' },
  };
}
