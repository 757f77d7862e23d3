import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AlarmStatusWidget, Dashboard, GraphWidget, MathExpression, TextWidget, type Alarm, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC_NAMES, METRIC_NAMESPACE, SERVICE_DIMENSION } from '../../lambdas/adapters/metrics/metric-names.ts';
import type { ProjectFunctionConstruct } from './project-function-construct.ts';

export interface ReceiverDashboardProps {
  readonly api?: HttpApi;
  readonly restApi?: RestApi;
  readonly intake: ProjectFunctionConstruct;
  readonly processor: ProjectFunctionConstruct;
  readonly fallback?: ProjectFunctionConstruct;
  readonly queues: Readonly<Record<string, Queue>>;
  readonly alarms: readonly Alarm[];
}

const PERIOD = Duration.minutes(5);

/**
 * One dashboard, named after the stack: traffic and answers first, then the queues, the
 * processor, Unico, the fallback, and every alarm's state. docs/operations.md tells how to read it.
 */
export function receiverDashboard(scope: Construct, props: ReceiverDashboardProps): Dashboard {
  const stackName = Stack.of(scope).stackName;
  const dashboard = new Dashboard(scope, 'Dashboard', { dashboardName: stackName, defaultInterval: Duration.hours(3) });
  const apiMetric = (name: 'count' | 'clientError' | 'serverError' | 'latency', statistic = 'Sum'): IMetric | undefined => {
    const options = { period: PERIOD, statistic };
    if (props.api) {
      const http = props.api;
      return { count: () => http.metricCount(options), clientError: () => http.metricClientError(options), serverError: () => http.metricServerError(options), latency: () => http.metricLatency(options) }[name]();
    }
    const rest = props.restApi;
    if (!rest) return undefined;
    return { count: () => rest.metricCount(options), clientError: () => rest.metricClientError(options), serverError: () => rest.metricServerError(options), latency: () => rest.metricLatency(options) }[name]();
  };
  const defined = (metrics: (IMetric | undefined)[]): IMetric[] => metrics.filter((metric): metric is IMetric => metric !== undefined);
  const { intake, processor, fallback } = props;
  // A breakdown whose values are not known in advance (reasons, statuses) is a search.
  const search = (metricName: string, service: string, dimension: string) =>
    new MathExpression({
      expression: `SEARCH('{${METRIC_NAMESPACE},${SERVICE_DIMENSION},${dimension}} MetricName="${metricName}" ${SERVICE_DIMENSION}="${service}"', 'Sum', 300)`,
      usingMetrics: {},
      period: PERIOD,
    });
  const queueMetrics = (pick: (queue: Queue) => IMetric) => Object.values(props.queues).map(pick);

  const widgets: IWidget[][] = [
    [
      new TextWidget({
        markdown: `# ${stackName}\nFunctions: intake \`${intake.serviceName}\`, processor \`${processor.serviceName}\`${fallback ? `, fallback \`${fallback.serviceName}\`` : ''}. Runbook: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    ],
    [
      new GraphWidget({ title: 'Webhook traffic and answers', left: defined([apiMetric('count'), apiMetric('clientError'), apiMetric('serverError')]), width: 8 }),
      new GraphWidget({
        title: `Intake (${intake.serviceName}): accepted, duplicate, refused`,
        left: [intake.metric(METRIC_NAMES.accepted), intake.metric(METRIC_NAMES.duplicate), intake.metric(METRIC_NAMES.refused)],
        right: [search(METRIC_NAMES.refused, intake.serviceName, 'reason')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Intake latency (ms)',
        left: defined([apiMetric('latency', 'p50'), apiMetric('latency', 'p99'), intake.function.metricDuration({ period: PERIOD, statistic: 'p99' })]),
        width: 8,
      }),
    ],
    [
      new GraphWidget({ title: 'Queue depths (visible messages)', left: queueMetrics((q) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' })), width: 8 }),
      new GraphWidget({ title: 'Age of the oldest message (s)', left: queueMetrics((q) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' })), width: 8 }),
      new GraphWidget({
        title: `Processor (${processor.serviceName}): errors, throttles, duration`,
        left: [processor.function.metricErrors({ period: PERIOD }), processor.function.metricThrottles({ period: PERIOD })],
        right: [processor.function.metricDuration({ period: PERIOD, statistic: 'p99' }), processor.metric(METRIC_NAMES.claimConfirmationLag, { statistic: 'p99' })],
        width: 8,
      }),
    ],
    [
      new GraphWidget({
        title: 'Outcome fetch latency (ms) and budget wait',
        left: [
          processor.metric(METRIC_NAMES.outcomeFetchLatency, { statistic: 'p50' }),
          processor.metric(METRIC_NAMES.outcomeFetchLatency, { statistic: 'p99' }),
          processor.metric(METRIC_NAMES.budgetWait, { statistic: 'p99' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Outcome fetch failures by Unico status',
        left: [search(METRIC_NAMES.outcomeFetchFailures, processor.serviceName, 'status')],
        right: [processor.metric(METRIC_NAMES.unicoCredentialsRefused)],
        width: 8,
      }),
      new GraphWidget({
        title: fallback ? `Fallback (${fallback.serviceName}): recoveries and expiries` : 'Fallback: off (no unico props)',
        left: fallback
          ? [fallback.metric(METRIC_NAMES.fallbackRecoveries, { period: Duration.hours(1) }), fallback.metric(METRIC_NAMES.trackedProcessesExpired, { period: Duration.hours(1) })]
          : [],
        width: 8,
      }),
    ],
    [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: Math.max(3, Math.ceil(props.alarms.length / 4) + 1) })],
  ];
  for (const row of widgets) dashboard.addWidgets(...row);
  return dashboard;
}
