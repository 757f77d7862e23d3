import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FilterPattern, type IFilterPattern, type LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ReceiverSettings } from '../receiver-props.ts';
import { projectFunction, type ProjectFunctionProps } from './project-function.ts';

/** Where the receiver's own metrics (from its log lines) are published. */
export const METRIC_NAMESPACE = 'UnicoWebhookReceiver';

/** What a function is: everything but the receiver-wide settings (log retention, removal policy). */
export type FunctionDefinition = Omit<ProjectFunctionProps, 'logRetention' | 'removalPolicy'>;

/**
 * One function of the receiver as a sub-construct: the function, its role and its log group,
 * built the way this project deploys functions. Each function's construct adds its own grants,
 * event sources and alarms.
 */
export abstract class ProjectFunctionConstruct extends Construct {
  public readonly function: NodejsFunction;
  /** Holds only what `grant*` adds (and writing to its own log group). */
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  protected constructor(scope: Construct, id: string, settings: ReceiverSettings, definition: FunctionDefinition) {
    super(scope, id);
    const built = projectFunction(this, id, {
      ...definition,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
  }

  /**
   * An alarm on this function's log lines that carry `dependencyFailure` = `permanent`: something
   * only a person can fix (access denied, a missing resource, refused contents, unusable
   * credentials). No action is attached: add yours.
   */
  protected alarmOnPermanentFailures(description: string): Alarm {
    return this.alarmOnLogLines(
      'PermanentDependencyFailures',
      FilterPattern.stringValue('$.dependencyFailure', '=', 'permanent'),
      'PermanentFailureAlarm',
      description,
    );
  }

  /**
   * An alarm on this function's log lines that match `pattern`, counted in `metricName`: in alarm
   * when `threshold` or more (default 1) are written within `period` (default 5 minutes).
   */
  protected alarmOnLogLines(
    metricName: string,
    pattern: IFilterPattern,
    alarmId: string,
    description: string,
    options: { readonly threshold?: number; readonly period?: Duration } = {},
  ): Alarm {
    this.logGroup.addMetricFilter(metricName, {
      filterPattern: pattern,
      metricNamespace: METRIC_NAMESPACE,
      metricName,
      metricValue: '1',
      // Powertools writes the function's name on every line of an invocation.
      dimensions: { FunctionName: '$.function_name' },
    });
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: this.function.functionName },
      statistic: 'Sum',
      period: options.period ?? Duration.minutes(5),
    }).createAlarm(this, alarmId, {
      alarmDescription: description,
      threshold: options.threshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
