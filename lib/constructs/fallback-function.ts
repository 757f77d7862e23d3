import { Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FALLBACK_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { fallbackScheduleEnvironment } from '../../lambdas/contracts/fallback-schedule.ts';
import { TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';
import { unicoApiEnvironment, type UnicoApiSettings } from '../../lambdas/contracts/unico-api.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { ProjectFunctionConstruct } from './project-function-construct.ts';
import { METRIC_NAMES } from '../../lambdas/adapters/metrics/metric-names.ts';

export interface FallbackFunctionProps {
  readonly settings: ReceiverSettings;
  readonly trackingTable: Table;
  readonly claimsTable: Table;
  readonly intakeQueue: Queue;
  readonly unico: { readonly api: UnicoApiSettings; readonly credentials: ISecret };
}

/**
 * The scheduled fallback: every `fallbackInterval` it checks the tracked processes that are due
 * (a query on the sparse `due` index, never a scan), skips those already notified, asks Unico
 * for the rest within the shared budget, and puts finished ones on the intake queue through the
 * same claim and send as the webhook. One run at a time: a reserved concurrency of 1, and
 * EventBridge does not retry a run that could not start (the next one comes a minute later).
 */
export class FallbackFunction extends ProjectFunctionConstruct {
  /** In alarm when the fallback recovers more than a handful of outcomes an hour: webhooks are not arriving. */
  public readonly recoveriesAlarm: Alarm;
  /** In alarm when a tracked process passed its expiry without a result. */
  public readonly expiredAlarm: Alarm;
  /** In alarm when a dependency refused the fallback for good. */
  public readonly permanentFailureAlarm: Alarm;
  public readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: FallbackFunctionProps) {
    const { settings } = props;
    super(scope, id, settings, {
      entry: 'lambdas/fallback/index.ts',
      description: 'Unico webhook fallback: GetProcess for tracked processes whose webhook has not come',
      roleDescription:
        'Unico webhook fallback: query due processes, update tracking, claim and send to the intake queue, take from the Unico budget',
      serviceName: FALLBACK_FUNCTION.serviceName,
      timeout: Duration.seconds(FALLBACK_FUNCTION.timeoutSeconds),
      reservedConcurrentExecutions: 1,
      environment: {
        TRACKING_TABLE_NAME: props.trackingTable.tableName,
        CLAIMS_TABLE_NAME: props.claimsTable.tableName,
        CLAIM_RETENTION_DAYS: String(settings.claimRetentionDays),
        INTAKE_QUEUE_URL: props.intakeQueue.queueUrl,
        ...fallbackScheduleEnvironment(settings.fallbackSchedule),
        ...unicoApiEnvironment(props.unico.api),
        UNICO_SECRET_ARN: props.unico.credentials.secretArn,
      },
    });

    // Tracking: what is due, through the index only (no Scan); reschedule and finish with updates.
    // Named resources only: `Table.grant` would add every index (`/index/*`).
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.trackingTable.tableArn}/index/${TRACKING_TABLE.dueIndex.name}`],
      }),
    );
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.trackingTable.tableArn] }));
    // Claims: the webhook's conditional put, a query of a process's claims (already notified?),
    // and the Unico budget's item (conditional updates, read where an emulator leaves the old
    // value out).
    props.claimsTable.grant(this.function, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    props.intakeQueue.grantSendMessages(this.function);
    props.unico.credentials.grantRead(this.function);

    this.schedule = new Rule(this, 'Schedule', {
      description: `Runs the Unico webhook fallback of ${Stack.of(this).stackName}`,
      schedule: Schedule.rate(settings.fallbackInterval),
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    this.recoveriesAlarm = this.alarmOnMetric(
      this.metric(METRIC_NAMES.fallbackRecoveries, { period: Duration.hours(1) }),
      'RecoveriesAlarm',
      `The fallback recovered ${settings.fallbackRecoveryAlarmThreshold} or more finished processes within an hour whose webhook never came: Unico's webhooks are failing. Check the webhook form in Unico's portal (URL, credentials, timeout) and the intake's logs for refusals.`,
      { threshold: settings.fallbackRecoveryAlarmThreshold },
    );
    this.expiredAlarm = this.alarmOnMetric(
      this.metric(METRIC_NAMES.trackedProcessesExpired, { period: Duration.hours(1) }),
      'ExpiredAlarm',
      'A tracked process passed its expiry with neither a webhook nor a result from GetProcess: the person may never have finished, or Unico lost it. The fallback\'s log line names the processId; GET /processes/{id} tells its status.',
    );
    this.permanentFailureAlarm = this.alarmOnPermanentFailures(
      'The fallback is refused for good by the tracking table, the claims table or the intake queue (access denied, a missing resource): tracked processes are not checked until the deployment is fixed. Its ERROR lines name the dependency.',
    );
  }
}
