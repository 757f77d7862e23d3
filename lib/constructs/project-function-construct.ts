import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRIC_NAMESPACE, SERVICE_DIMENSION } from '../../lambdas/adapters/metrics/metric-names.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { projectFunction, type ProjectFunctionProps } from './project-function.ts';

/** Where the receiver's own metrics (Powertools Metrics, EMF) are published. */
export { METRIC_NAMESPACE } from '../../lambdas/adapters/metrics/metric-names.ts';

/** What a function is: everything but the receiver-wide settings (log retention, removal policy, tracing). */
export type FunctionDefinition = Omit<ProjectFunctionProps, 'logRetention' | 'removalPolicy' | 'tracing'>;

/**
 * One function of the receiver as a sub-construct: the function, its role and its log group,
 * built the way this project deploys functions. Each function's construct adds its own grants,
 * event sources and alarms.
 */
export abstract class ProjectFunctionConstruct extends Construct {
  public readonly function: LambdaFunction;
  /** Holds only what `grant*` adds (and writing to its own log group). */
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  /** Powertools' `service`: the dimension of this function's own metrics. */
  public readonly serviceName: string;
  /** Every alarm this construct made (the receiver gives each its actions). */
  public readonly alarms: Alarm[] = [];

  protected constructor(scope: Construct, id: string, settings: ReceiverSettings, definition: FunctionDefinition) {
    super(scope, id);
    const built = projectFunction(this, id, {
      ...definition,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      tracing: settings.tracing,
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.serviceName = definition.serviceName;
  }

  /** One of this function's own metrics (lambdas/adapters/metrics/metric-names.ts). */
  public metric(
    metricName: string,
    options: { readonly statistic?: string; readonly period?: Duration; readonly dimensions?: Readonly<Record<string, string>> } = {},
  ): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [SERVICE_DIMENSION]: this.serviceName, ...options.dimensions },
      statistic: options.statistic ?? 'Sum',
      period: options.period ?? Duration.minutes(5),
    });
  }

  /**
   * An alarm on this function's PermanentDependencyFailures metric: something only a person can
   * fix (access denied, a missing resource, refused contents, unusable credentials).
   */
  protected alarmOnPermanentFailures(description: string): Alarm {
    return this.alarmOnMetric(this.metric(METRIC_NAMES.permanentDependencyFailures), 'PermanentFailureAlarm', description);
  }

  /** In alarm when `metric` reaches `threshold` (default 1) within one period; no data is fine. */
  protected alarmOnMetric(metric: Metric, alarmId: string, description: string, options: { readonly threshold?: number } = {}): Alarm {
    const alarm = metric.createAlarm(this, alarmId, {
      alarmDescription: description,
      threshold: options.threshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }
}
