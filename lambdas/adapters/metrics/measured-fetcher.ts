import { systemClock, type Clock } from '../../core/deadline.ts';
import type { Observability } from '../../core/observability.ts';
import { UnicoTransientError, type ProcessFetcher } from '../../core/unico/process-fetcher.ts';

/** Codes of a failure that never reached Unico for lack of budget: a wait, not a failed fetch. */
const NOT_A_FETCH = new Set(['budget_wait']);
const CREDENTIAL_CODES = new Set(['credentials_refused', 'credentials_unusable']);

/**
 * GetProcess timed and counted, for the processor and the fallback alike: its latency (budget
 * wait included, as the caller lives it), failures by Unico's status (0 when no answer came), and
 * refused or unusable credentials. Only statuses and codes reach the port.
 */
export function measuredFetcher(fetcher: ProcessFetcher, observability: Observability, clock: Clock = systemClock): ProcessFetcher {
  return {
    getProcess: async (processId, signal, notAfterMs) => {
      const startedAt = clock();
      try {
        const fetched = await fetcher.getProcess(processId, signal, notAfterMs);
        observability.outcomeFetched(clock() - startedAt);
        return fetched;
      } catch (error) {
        const code = error instanceof UnicoTransientError ? error.code : undefined;
        if (code === undefined || !NOT_A_FETCH.has(code)) {
          const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 0;
          observability.outcomeFetchFailed(status, clock() - startedAt);
        }
        if (code !== undefined && CREDENTIAL_CODES.has(code)) observability.unicoCredentialsRefused();
        throw error;
      }
    },
  };
}
