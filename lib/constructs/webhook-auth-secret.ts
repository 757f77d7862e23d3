import type { RemovalPolicy } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULT_API_KEY_HEADER } from '../../lambdas/contracts/webhook-auth.ts';
import type { WebhookAuth } from '../receiver-props.ts';

export interface WebhookAuthSecret {
  /** The secret with the credentials Unico presents; none for `none` and `oauth2`. */
  readonly secret?: ISecret;
  /** True when it was created here (and so its cdk-nag findings are ours). */
  readonly generated: boolean;
}

/**
 * Credentials for Basic and API-key modes live only in Secrets Manager: the one given, or one
 * generated here (`AuthSecret` in `scope`) whose value never appears in the template.
 */
export function webhookAuthSecret(scope: Construct, auth: WebhookAuth, removalPolicy: RemovalPolicy): WebhookAuthSecret {
  switch (auth.mode) {
    case 'basic':
      return (
        given(auth.secret) ??
        generated(scope, removalPolicy, {
          description: 'Basic credentials Unico presents to the webhook. JSON {"username","password","previous"?:[...]}.',
          template: { username: auth.username ?? 'unico' },
          generatedKey: 'password',
        })
      );
    case 'apikey':
      return (
        given(auth.secret) ??
        generated(scope, removalPolicy, {
          description: 'API key Unico presents to the webhook. JSON {"value","header"?,"previous"?:[...]}.',
          template: { header: auth.header ?? DEFAULT_API_KEY_HEADER },
          generatedKey: 'value',
        })
      );
    case 'none':
    case 'oauth2':
      return { generated: false };
  }
}

const given = (secret: ISecret | undefined): WebhookAuthSecret | undefined =>
  secret === undefined ? undefined : { secret, generated: false };

/** 40 letters and digits: no punctuation, so it survives being typed into Unico's form. */
function generated(
  scope: Construct,
  removalPolicy: RemovalPolicy,
  shape: { readonly description: string; readonly template: Record<string, string>; readonly generatedKey: string },
): WebhookAuthSecret {
  const secret = new Secret(scope, 'AuthSecret', {
    description: shape.description,
    generateSecretString: {
      secretStringTemplate: JSON.stringify(shape.template),
      generateStringKey: shape.generatedKey,
      excludePunctuation: true,
      passwordLength: 40,
    },
    removalPolicy,
  });
  return { secret, generated: true };
}
