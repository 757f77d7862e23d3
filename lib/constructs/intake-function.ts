import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INTAKE_FUNCTION } from '../../lambdas/contracts/functions.ts';
import { intakeTimeBudget } from '../../lambdas/contracts/time-budgets.ts';
import { webhookAuthEnvironment } from '../../lambdas/contracts/webhook-auth.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { ProjectFunctionConstruct } from './project-function-construct.ts';
import { METRIC_DIMENSIONS, METRIC_NAMES } from '../../lambdas/adapters/metrics/metric-names.ts';

/** 401 answers within 5 minutes that raise the alarm: more than a stray request, fewer than a flush. */
export const UNAUTHORIZED_SPIKE = 20;

export interface IntakeFunctionProps {
  readonly settings: ReceiverSettings;
  readonly claimsTable: Table;
  readonly intakeQueue: Queue;
  /** The secret with the credentials (basic and apikey). */
  readonly authSecret?: ISecret;
}

/**
 * The intake function: authenticates, claims, sends to the intake queue. Its environment is what
 * lambdas/intake/config.ts reads (an infrastructure test feeds one into the other), and its role
 * holds only the grants below.
 */
export class IntakeFunction extends ProjectFunctionConstruct {
  /**
   * In alarm when a dependency refused a delivery for good (the intake's PermanentDependencyFailures
   * metric): deliveries get 503 until a person fixes the deployment.
   */
  public readonly permanentFailureAlarm: Alarm;
  /** In alarm on a spike of 401 answers: probing, or Unico's form holding an old credential. */
  public readonly unauthorizedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: IntakeFunctionProps) {
    const { settings } = props;
    super(scope, id, settings, {
      entry: 'lambdas/intake/index.ts',
      description: 'Unico webhook intake: authenticate, claim (processId + state), enqueue',
      roleDescription: 'Unico webhook intake: write its logs, claim in the claims table, send to the intake queue',
      serviceName: INTAKE_FUNCTION.serviceName,
      timeout: Duration.seconds(intakeTimeBudget(settings.responseDeadlineMs).functionTimeoutSeconds),
      // Enough for every delivery Unico keeps in flight, plus headroom (webhook-capacity.ts): a
      // flush is never throttled by Lambda, and other functions cannot starve the intake.
      reservedConcurrentExecutions: settings.capacity.intakeReservedConcurrency,
      environment: {
        CLAIMS_TABLE_NAME: props.claimsTable.tableName,
        INTAKE_QUEUE_URL: props.intakeQueue.queueUrl,
        RESPONSE_DEADLINE_MS: String(settings.responseDeadlineMs),
        CLAIM_RETENTION_DAYS: String(settings.claimRetentionDays),
        ...(props.authSecret ? { WEBHOOK_AUTH_SECRET_ARN: props.authSecret.secretArn } : {}),
        ...webhookAuthEnvironment(settings.authSettings),
      },
    });

    // Exactly the item operation the claim uses: a put conditional on no claim for the key, whose
    // failed condition returns the existing claim. No update, delete, scan or query. No GetItem
    // either: the claim store reads only when a failed condition comes back without the old item,
    // which DynamoDB never does (nor does the local stack's emulator); were it ever to happen,
    // the refusal is a permanent, alarmed 503 rather than a silent extra permission.
    props.claimsTable.grant(this.function, 'dynamodb:PutItem');
    props.intakeQueue.grantSendMessages(this.function);
    props.authSecret?.grantRead(this.function);

    this.permanentFailureAlarm = this.alarmOnPermanentFailures(
      'Unico deliveries are answered 503 because a dependency refuses them for good (access denied, missing table or queue, refused contents). Unico retries; fix the deployment before its attempts run out.',
    );
    this.unauthorizedAlarm = this.alarmOnMetric(
      this.metric(METRIC_NAMES.refused, { dimensions: { [METRIC_DIMENSIONS.reason]: 'unauthorized' } }),
      'UnauthorizedAlarm',
      `${UNAUTHORIZED_SPIKE} or more deliveries were answered 401 within 5 minutes. If the intake's "delivery refused" lines carry Unico's user agent and address, Unico's webhook form holds an old or wrong credential (after a rotation, say): deliveries are lost once Unico gives up, so correct the form (docs/security.md, rotation). Otherwise someone is probing the URL: consider the rest-api-waf front and its per-address limit.`,
      { threshold: UNAUTHORIZED_SPIKE },
    );
  }
}
