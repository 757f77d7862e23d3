import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DependencyFailureKind, Observability } from '../../core/observability.ts';
import { METRIC_DIMENSIONS, METRIC_NAMES } from './metric-names.ts';

/**
 * The port as CloudWatch metrics, written by Powertools Metrics in the embedded metric format
 * (EMF lines on stdout, which CloudWatch turns into metrics without an API call). Metrics with
 * the `service` dimension only are buffered and flushed once per invocation (the handler's
 * `logMetrics` middleware or `publishStoredMetrics`); a breakdown by a second dimension is a
 * single metric, written at once, since one EMF object has one set of dimensions.
 */
export function powertoolsObservability(metrics: Metrics): Observability {
  const count = (name: string): void => {
    metrics.addMetric(name, MetricUnit.Count, 1);
  };
  const countBy = (name: string, dimensions: Readonly<Record<string, string>>): void => {
    const single = metrics.singleMetric();
    for (const [dimension, value] of Object.entries(dimensions)) single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, 1);
  };
  const milliseconds = (name: string, value: number): void => {
    metrics.addMetric(name, MetricUnit.Milliseconds, Math.max(0, Math.round(value)));
  };
  return {
    accepted: () => count(METRIC_NAMES.accepted),
    duplicate: () => count(METRIC_NAMES.duplicate),
    refused: (reason) => {
      count(METRIC_NAMES.refused);
      countBy(METRIC_NAMES.refused, { [METRIC_DIMENSIONS.reason]: reason });
    },
    dependencyFailed: (dependency: string, kind: DependencyFailureKind) => {
      count(kind === 'permanent' ? METRIC_NAMES.permanentDependencyFailures : METRIC_NAMES.transientDependencyFailures);
      countBy(METRIC_NAMES.dependencyFailures, { [METRIC_DIMENSIONS.dependency]: dependency, [METRIC_DIMENSIONS.failure]: kind });
    },
    outcomeFetched: (latencyMs) => milliseconds(METRIC_NAMES.outcomeFetchLatency, latencyMs),
    outcomeFetchFailed: (status, latencyMs) => {
      milliseconds(METRIC_NAMES.outcomeFetchLatency, latencyMs);
      count(METRIC_NAMES.outcomeFetchFailures);
      countBy(METRIC_NAMES.outcomeFetchFailures, { [METRIC_DIMENSIONS.status]: String(status) });
    },
    unicoCredentialsRefused: () => count(METRIC_NAMES.unicoCredentialsRefused),
    fallbackRecovered: () => count(METRIC_NAMES.fallbackRecoveries),
    trackingExpired: () => count(METRIC_NAMES.trackedProcessesExpired),
    budgetWaited: (ms) => milliseconds(METRIC_NAMES.budgetWait, ms),
    claimConfirmed: (lagMs) => milliseconds(METRIC_NAMES.claimConfirmationLag, lagMs),
  };
}

/** Writes what the invocation buffered, if anything (an empty flush would only log a warning). */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
