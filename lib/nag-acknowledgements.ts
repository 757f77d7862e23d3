import { Validations } from 'aws-cdk-lib';
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
 * generated secret without automatic rotation (SMG4). Everything else is fixed, not acknowledged.
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

  if (receiver.authSecret !== undefined && receiver.authSecretGenerated) {
    acknowledge(
      receiver.authSecret,
      'AwsSolutions-SMG4',
      'The credential is typed by hand into Unico\'s webhook form, so an automatic rotation would break ' +
        'deliveries. Rotation is manual and without downtime: put the new credential at the top of the secret, ' +
        'move the old one to "previous" (both are accepted), update Unico, then drop "previous".',
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

  return applied;
}
