import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { DEFAULT_API_KEY_HEADER, type WebhookAuthSettings } from '../lambdas/contracts/webhook-auth.ts';
import type { CognitoTokenIssuer } from './constructs/cognito-token-issuer.ts';

/** What to enter in Unico's webhook form for the auth in effect: where to read it, never a secret value. */
export function unicoFormSetup(auth: WebhookAuthSettings, secret: ISecret | undefined, cognito?: CognitoTokenIssuer): string {
  if (cognito !== undefined) {
    return (
      `Authentication type OAuth2: token URL ${cognito.tokenUrl}, client id ${cognito.client.userPoolClientId}, ` +
      `scope ${cognito.scope}, client secret = the output of: ${cognito.clientSecretCommand}`
    );
  }
  const read = secret
    ? `secret ${secret.secretName} (aws secretsmanager get-secret-value --secret-id ${secret.secretArn} --query SecretString --output text)`
    : '';
  switch (auth.mode) {
    case 'none':
      return "Authentication: none (development only). Leave authentication empty in Unico's webhook form.";
    case 'basic':
      return `Authentication type Basic: user:pass = the "username" and "password" fields of ${read}.`;
    case 'apikey':
      return auth.header === DEFAULT_API_KEY_HEADER
        ? `Authentication type API Key: enter the "value" field of ${read} (no header name: Unico sends it as the Authorization header).`
        : `Authentication type API Key: enter ${auth.header}:<the "value" field of ${read}>.`;
    case 'oauth2': {
      const accepted = [
        auth.audiences.length > 0 ? `audience ${auth.audiences.join(' or ')}` : undefined,
        auth.clientIds.length > 0 ? `client id ${auth.clientIds.join(' or ')}` : undefined,
      ]
        .filter((part) => part !== undefined)
        .join(', or ');
      const scopes = auth.requiredScopes.length > 0 ? ` with scopes ${auth.requiredScopes.join(' ')}` : '';
      return `Authentication type OAuth2: the token URL of ${auth.issuer} and the client id and secret of a client-credentials client there whose tokens carry ${accepted}${scopes}.`;
    }
  }
}
