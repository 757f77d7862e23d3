import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { systemClock, type Clock } from '../core/deadline.ts';
import type { FallbackRunSummary, FallbackRunWindow, ProcessCheck } from '../core/tracking/fallback-run.ts';
import type { FallbackTimeBudget } from '../contracts/time-budgets.ts';
import { failureKind } from '../adapters/aws/failure-kind.ts';
import { DependencyUnavailableError } from '../core/errors.ts';
import { noObservability, type Observability } from '../core/observability.ts';

export interface FallbackHandlerDependencies {
  readonly fallback: { run(window: FallbackRunWindow): Promise<FallbackRunSummary> };
  readonly logger: Logger;
  readonly time: FallbackTimeBudget;
  readonly clock?: Clock;
  /** Counts a run that could not read the due processes. @default noObservability */
  readonly observability?: Observability;
  /** Writes the run's metrics (Powertools' publishStoredMetrics), once per invocation. */
  readonly flushMetrics?: () => void;
}

export type FallbackHandler = (event: ScheduledEvent, context: Context) => Promise<FallbackRunSummary>;

/**
 * The scheduled fallback (EventBridge): one run over the due processes, within the invocation's
 * remaining time less a margin, with a process started only while enough time is left (the
 * processor's rule). Runs never overlap: the function's reserved concurrency is 1. A run that
 * cannot read the due index fails, so it shows in the function's errors; the next run comes a
 * period later either way.
 */
export function createFallbackHandler(dependencies: FallbackHandlerDependencies): FallbackHandler {
  const { fallback, logger, time } = dependencies;
  const clock = dependencies.clock ?? systemClock;
  const observability = dependencies.observability ?? noObservability;
  return async (_event, context) => {
    logger.addContext(context);
    const endsAt = clock() + context.getRemainingTimeInMillis() - time.marginMs;
    const signal = AbortSignal.timeout(Math.max(0, endsAt - clock()));
    try {
      const summary = await fallback.run({ endsAt, minProcessMs: time.minProcessMs, signal });
      logger.info('fallback run ended', { ...summary });
      return summary;
    } catch (error) {
      const kind = failureKind(error);
      logger.error('fallback run failed: the due processes could not be read', {
        error: error instanceof Error ? error.name : String(error),
        dependencyFailure: kind,
      });
      observability.dependencyFailed(dependencyOf(error, 'tracking table'), kind);
      throw error;
    } finally {
      dependencies.flushMetrics?.();
    }
  };
}

/** The dependency an error names, or `fallback` when it names none. */
function dependencyOf(error: unknown, fallback: string): string {
  return error instanceof DependencyUnavailableError ? error.dependency : fallback;
}

/**
 * The log line of one process's check, and its metric (recoveries, expiries and failed
 * dependencies, which the CDK alarms on). Lines carry the processId and codes only, never a part
 * of Unico's answer.
 */
export function logCheck(logger: Logger, observability: Observability = noObservability): (check: ProcessCheck) => void {
  return (check) => {
    const { processId } = check;
    switch (check.outcome) {
      case 'recovered':
        logger.info('finished process recovered by the fallback: its webhook never came', {
          processId,
          fallbackRecovered: 1,
          checks: check.checks,
          ...(check.resultCode === undefined ? {} : { resultCode: check.resultCode }),
        });
        observability.fallbackRecovered();
        return;
      case 'expired':
        logger.warn('tracked process expired without a result', { processId, trackingExpired: 1, checks: check.checks });
        observability.trackingExpired();
        return;
      case 'not_found':
      case 'removed':
        logger.info('Unico does not have the process; tracking ended', { processId, status: check.outcome, code: check.code });
        return;
      case 'notified':
        logger.debug('process already notified; tracking ended', { processId, detectedBy: check.detectedBy });
        return;
      case 'rescheduled':
        if (check.code === undefined) {
          logger.debug('process not finished yet; next check scheduled', { processId, nextCheckAt: check.nextCheckAt, checks: check.checks });
        } else if (check.code === 'credentials_refused' || check.code === 'credentials_unusable') {
          // A person must act, as for the processor; the process keeps its schedule meanwhile.
          logger.error('Unico refuses or cannot use the service account\'s credentials; checks wait until they are fixed', {
            processId,
            code: check.code,
            unicoCredentials: check.code === 'credentials_refused' ? 'refused' : 'unusable',
          });
        } else {
          logger.warn('GetProcess failed for now; next check scheduled', { processId, code: check.code, nextCheckAt: check.nextCheckAt });
        }
        return;
      case 'failed': {
        const kind = failureKind(check.error);
        logger[kind === 'permanent' ? 'error' : 'warn']('due process not checked; the next run tries again', {
          processId,
          error: check.error instanceof Error ? check.error.name : String(check.error),
          dependencyFailure: kind,
        });
        observability.dependencyFailed(dependencyOf(check.error, 'tracking or claims table'), kind);
        return;
      }
    }
  };
}
