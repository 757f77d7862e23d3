import { Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { UnicoWebhookReceiver } from './unico-webhook-receiver.ts';

/** One cdk-nag acknowledgement applied by `acknowledgeNagFindings`. */
export interface NagAcknowledgement {
  /** Construct path it was applied to. */
  readonly path: string;
  /** Rule id, e.g. `AwsSolutions-APIG4`. */
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges, on the narrowest construct and with its reason, each cdk-nag AwsSolutions finding
 * the receiver accepts by design: the route without an API Gateway authorizer (APIG4) and the
 * generated secret without automatic rotation (SMG4); with the REST front, the methods without a
 * Cognito authorizer (COG4), no request validator (APIG2) and API Gateway's account log role (IAM5);
 * with tracing, X-Ray's write actions on "*" in each function's policy (IAM5).
 * Each reason is in docs/security.md too. Everything else is fixed, not acknowledged.
 * Called by the constructor unless `acknowledgeNagFindings` is
 * false; returns what it applied (tests compare it with the findings of an unacknowledged copy).
 */
export function acknowledgeNagFindings(receiver: UnicoWebhookReceiver): NagAcknowledgement[] {
  const applied: NagAcknowledgement[] = [];
  // On the CloudFormation resource itself (the L2's default child), so nothing else is covered.
  const acknowledge = (construct: IConstruct, id: string, reason: string): void => {
    const resource = construct.node.defaultChild ?? construct;
    Validations.of(resource).acknowledge({ id, reason });
    applied.push({ path: resource.node.path, id, reason });
  };

  const routeReason =
    'Unico cannot sign requests with IAM (SigV4) or obtain Cognito tokens; it presents the Basic, API-key ' +
    'or OAuth2 credentials configured in its webhook form, and the intake Lambda verifies them (constant-time ' +
    'comparison against Secrets Manager, or JWT signature, issuer, audience/client id, expiry and scope) before ' +
    'anything is stored.';
  acknowledge(receiver.webhookRoute, 'AwsSolutions-APIG4', routeReason);

  // The REST API front (front: 'rest-api-waf').
  if (receiver.restApi !== undefined) {
    acknowledge(receiver.webhookRoute, 'AwsSolutions-COG4', routeReason);
    for (const method of receiver.trackingRoutes) {
      acknowledge(
        method,
        'AwsSolutions-COG4',
        "The tracking methods are called by the integrator's backend, an AWS principal: they are authorised by " +
          'IAM (AWS_IAM, SigV4, execute-api:Invoke granted with grantTracking), which needs no user pool.',
      );
    }
    acknowledge(
      receiver.restApi,
      'AwsSolutions-APIG2',
      "The intake validates every body itself against contract 1's schema and answers 400 with the issues, " +
        "413 over 16 KiB: an API Gateway request validator would answer with its own error shape instead, and " +
        'the tracking routes are validated by their function the same way.',
    );
    const cloudWatchRole = receiver.node.tryFindChild('ApiGatewayCloudWatchRole');
    if (cloudWatchRole !== undefined) {
      acknowledge(
        cloudWatchRole,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
        "API Gateway's account-wide role (AWS::ApiGateway::Account) writes the access and execution logs of every " +
          'REST API of the account and region, whose log groups (API-Gateway-Execution-Logs_<api>/<stage>) are ' +
          'named by API Gateway: its log actions are limited to log groups of this account and region.',
      );
    }
  }

  // Cognito (auth provider 'cognito', docs/cognito.md).
  if (receiver.cognito !== undefined) {
    acknowledge(
      receiver.cognito.userPool,
      'AwsSolutions-COG8',
      "The pool has no users and no one signs in: it only issues client-credentials access tokens to Unico's " +
        'app client. The Plus plan\'s threat protection watches user sign-ins and passwords, so it would add cost ' +
        'and protect nothing here; the client secret, the one scope and the intake\'s checks guard the tokens.',
    );
  }

  if (receiver.authSecret !== undefined && receiver.authSecretGenerated) {
    acknowledge(
      receiver.authSecret,
      'AwsSolutions-SMG4',
      'The credential is typed by hand into Unico\'s webhook form, so an automatic rotation would break ' +
        'deliveries. Rotation is manual and without downtime: put the new credential at the top of the secret, ' +
        'move the old one to "previous" (both are accepted once the 5-minute cache of the intake has passed), then ' +
        'update Unico, then drop "previous" (docs/security.md).',
    );
  }

  if (receiver.unicoCredentials !== undefined && receiver.unicoCredentialsGenerated) {
    acknowledge(
      receiver.unicoCredentials,
      'AwsSolutions-SMG4',
      'The private key belongs to a Unico service account: Unico issues it and only its console can replace it, ' +
        'so no rotation Lambda can. Rotate it in Unico, then put the new key in this secret; the processor reads ' +
        'it again within minutes.',
    );
  }

  // Tracing (`tracing: true`, docs/operations.md): Lambda's active tracing adds X-Ray's write actions on "*".
  for (const fn of [receiver.intakeFunction, receiver.processorFunction, receiver.trackingFunction, receiver.fallbackFunction]) {
    const traced = (fn?.node.defaultChild as CfnFunction | undefined)?.tracingConfig !== undefined;
    const policy = fn?.role?.node.tryFindChild('DefaultPolicy');
    if (!traced || policy === undefined) continue;
    acknowledge(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing (the tracing option, off by default) lets the function send its segments with ' +
        'xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray only grants on "*" (they have no ' +
        'resource-level permissions); every other statement of this policy names its resources.',
    );
  }

  return applied;
}
