import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { TRACKING_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { fallbackScheduleEnvironment } from '../../lambdas/contracts/fallback-schedule.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { ProjectFunctionConstruct } from './project-function-construct.ts';

export interface TrackingFunctionProps {
  readonly settings: ReceiverSettings;
  readonly trackingTable: Table;
}

/**
 * The tracking routes' function (contract 3): starts tracking a process, records the end of the
 * person's journey, tells a process's status. API Gateway authorises every call with IAM before it
 * gets here. Its role may only put, update and read items of the tracking table.
 */
export class TrackingFunction extends ProjectFunctionConstruct {
  constructor(scope: Construct, id: string, props: TrackingFunctionProps) {
    const { settings } = props;
    super(scope, id, settings, {
      entry: 'lambdas/tracking/index.ts',
      description: 'Unico process tracking: which processes the fallback watches',
      roleDescription: 'Unico process tracking: write its logs, put, update and read items of the tracking table',
      serviceName: TRACKING_FUNCTION.serviceName,
      timeout: Duration.seconds(TRACKING_FUNCTION.timeoutSeconds),
      memorySize: 256,
      environment: {
        TRACKING_TABLE_NAME: props.trackingTable.tableName,
        ...fallbackScheduleEnvironment(settings.fallbackSchedule),
      },
    });
    // On the table's items only: `Table.grant` would add its indexes (`/index/*`) too.
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [props.trackingTable.tableArn],
      }),
    );
  }
}
